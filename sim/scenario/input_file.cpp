#include "scenario/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace missionsim::scenario {
namespace {

std::string kind_of(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a plain file";
}

std::string size_text(std::size_t bytes) {
  return bytes % (std::size_t{1} << 20) == 0 ? std::to_string(bytes >> 20) + " MiB"
                                             : std::to_string(bytes) + " bytes";
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::string read_input_file(const std::string& path, std::string_view what, std::size_t max_bytes) {
  const std::string name = std::string(what) + " '" + path + "'";
  auto fail = [&](const char* verb, const std::string& reason) -> InputFileError {
    return InputFileError(std::string("cannot ") + verb + " " + name + ": " + reason);
  };
  // Non-blocking: opening a FIFO for reading would otherwise wait for a writer.
  const Fd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (fd.get() < 0) throw fail("open", std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw fail("open", std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw fail("open", "Is a directory");
  if (!S_ISREG(st.st_mode)) throw fail("read", "not a regular file (" + kind_of(st.st_mode) + ")");
  if (static_cast<std::size_t>(st.st_size) > max_bytes)
    throw fail("read", "larger than " + size_text(max_bytes) + " (" + std::to_string(st.st_size) +
                           " bytes), not a " + std::string(what));
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags >= 0) ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);

  std::string text;
  text.reserve(static_cast<std::size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    const ssize_t got = ::read(fd.get(), buf, sizeof buf);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw fail("read", std::strerror(errno));
    }
    if (got == 0) break;
    text.append(buf, static_cast<std::size_t>(got));
    // A file that grows while it is read (or reports size 0, as /proc does) is capped too.
    if (text.size() > max_bytes)
      throw fail("read", "larger than " + size_text(max_bytes) + ", not a " + std::string(what));
  }
  return text;
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {
  }, sb{};
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

const std::string* overwritten_input(const std::string& output, const std::vector<std::string>& inputs) {
  for (const auto& in : inputs)
    if (!in.empty() && same_file(output, in)) return &in;
  return nullptr;
}

}  // namespace missionsim::scenario
