#include "output/trajectory_reader.hpp"

#include <hdf5.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "core/limits.hpp"
#include "output/content_digest.hpp"
#include "output/hdf5_guard.hpp"

namespace missionsim {
namespace {

// Closes an HDF5 identifier at scope exit.
struct Closing {
  hid_t id;
  herr_t (*close)(hid_t);
  ~Closing() {
    if (id >= 0) close(id);
  }
};

herr_t keep_innermost(unsigned /*n*/, const H5E_error2_t* err, void* out) {
  if (err->desc != nullptr && err->desc[0] != '\0') *static_cast<std::string*>(out) = err->desc;
  return 0;
}

}  // namespace

void TrajectoryReader::fail(const std::string& what) const {
  std::string detail;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, keep_innermost, &detail);
  H5Eclear2(H5E_DEFAULT);
  throw std::runtime_error("trajectory '" + path_ + "': " + what + (detail.empty() ? "" : ": " + detail));
}

namespace {

bool has_partial_name(const std::string& path) {
  constexpr std::string_view kSuffix = ".partial";
  return path.size() >= kSuffix.size() &&
         path.compare(path.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0;
}

// What the probe child found, sent to the parent through a pipe.
struct Probe {
  bool complete = false;
  struct stat st {};
};

std::string read_string_attribute(hid_t file, const char* name, bool* is_string) {
  Closing attr{H5Aopen(file, name, H5P_DEFAULT), H5Aclose};
  *is_string = false;
  if (attr.id < 0) return {};
  Closing type{H5Aget_type(attr.id), H5Tclose};
  Closing space{H5Aget_space(attr.id), H5Sclose};
  if (type.id < 0 || H5Tget_class(type.id) != H5T_STRING || H5Tis_variable_str(type.id) <= 0 ||
      H5Sget_simple_extent_type(space.id) != H5S_SCALAR)
    return {};
  char* raw = nullptr;
  if (H5Aread(attr.id, type.id, &raw) < 0) return {};
  *is_string = true;
  std::string value = raw != nullptr ? raw : "";
  H5free_memory(raw);
  return value;
}

// The strings of a [N] string dataset; empty if it cannot be read.
std::vector<std::string> read_strings(hid_t file, const char* path) {
  std::vector<std::string> out;
  if (H5Lexists(file, path, H5P_DEFAULT) <= 0) return out;
  Closing dset{H5Dopen2(file, path, H5P_DEFAULT), H5Dclose};
  if (dset.id < 0) return out;
  Closing type{H5Dget_type(dset.id), H5Tclose};
  Closing space{H5Dget_space(dset.id), H5Sclose};
  if (type.id < 0 || space.id < 0 || H5Tis_variable_str(type.id) <= 0) return out;
  const hssize_t n = H5Sget_simple_extent_npoints(space.id);
  if (n <= 0 || n > 1000000) return out;
  std::vector<char*> raw(static_cast<std::size_t>(n), nullptr);
  if (H5Dread(dset.id, type.id, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) < 0) return out;
  for (const char* s : raw) out.emplace_back(s != nullptr ? s : "");
  H5Dvlen_reclaim(type.id, space.id, H5P_DEFAULT, raw.data());
  return out;
}

// Everything a reader checks before trusting `path`: format,
// format_version, complete and, for a complete file under its final name,
// the content digest (docs/OUTPUT.md). Throws std::runtime_error with the
// message a user sees. Runs in the probe child, so a crash or a hang of the
// HDF5 library on damaged metadata never reaches the caller.
// Opens read-only without HDF5's own advisory file lock: a reader never
// needs it (a final name is published only once written, and the sweep's
// run claims keep writers apart), and a lock held a moment longer by another
// process (a forked probe inheriting a writer's descriptor, say) would make
// a complete file look unreadable, hence damaged, hence redone.
hid_t open_read_only(const std::string& path) {
  const hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0) return H5I_INVALID_HID;
  H5Pset_file_locking(fapl, /*use_file_locking=*/false, /*ignore_when_disabled=*/true);
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl);
  H5Pclose(fapl);
  return file;
}

Probe check_file(const std::string& path, bool as_published = false) {
  const auto error = [&](const std::string& what) {
    std::string detail;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, keep_innermost, &detail);
    H5Eclear2(H5E_DEFAULT);
    return std::runtime_error("trajectory '" + path + "': " + what + (detail.empty() ? "" : ": " + detail));
  };
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  Closing file{open_read_only(path), H5Fclose};
  if (file.id < 0) throw error("cannot open as HDF5 (damaged, truncated or not an HDF5 file)");
  Probe probe;
  void* handle = nullptr;
  if (H5Fget_vfd_handle(file.id, H5P_DEFAULT, &handle) < 0 || handle == nullptr ||
      fstat(*static_cast<int*>(handle), &probe.st) != 0)
    throw error("damaged: cannot inspect the open file");
  bool is_string = false;
  if (H5Aexists(file.id, "format") <= 0 ||
      read_string_attribute(file.id, "format", &is_string) != "missionsim-trajectory") {
    throw std::runtime_error("trajectory '" + path + "': not a missionsim trajectory (no format attribute " +
                             "\"missionsim-trajectory\")");
  }
  int version = 0;
  {
    Closing attr{H5Aopen(file.id, "format_version", H5P_DEFAULT), H5Aclose};
    if (attr.id < 0 || H5Aread(attr.id, H5T_NATIVE_INT, &version) < 0)
      throw error("damaged: cannot read format_version");
  }
  if (version != kFormatVersion) {
    throw std::runtime_error(
        "trajectory '" + path + "': format_version " + std::to_string(version) +
        " is not supported (this build reads version " + std::to_string(kFormatVersion) + ")" +
        (version == 1 ? "; version 1 files carry no content digest, so their integrity cannot be checked: "
                        "rerun the scenario with this missionsim"
                      : ""));
  }
  std::int8_t complete = 0;
  {
    Closing attr{H5Aopen(file.id, "complete", H5P_DEFAULT), H5Aclose};
    if (attr.id < 0 || H5Aread(attr.id, H5T_NATIVE_INT8, &complete) < 0)
      throw error("damaged: cannot read complete");
  }
  // A .partial name is never complete, whatever its flag says: the writer
  // sets the flag before the rename that publishes the file.
  probe.complete = complete == 1 && (as_published || !has_partial_name(path));
  if (!probe.complete) {
    // Nothing vouches for an incomplete file, but reading all of it here
    // means that damage which would crash libhdf5 does so in this child,
    // not in the caller that reads it next. Errors are the caller's to meet.
    try {
      content_digest(file.id, static_cast<std::uint64_t>(probe.st.st_size));
    } catch (const DamagedError&) {
    }
    return probe;
  }
  const std::string stored = read_string_attribute(file.id, kContentDigestAttribute, &is_string);
  if (!is_string || stored.size() != 64) {
    throw std::runtime_error("trajectory '" + path +
                             "': damaged: marked complete but has no valid content_sha256 attribute");
  }
  const auto file_bytes = static_cast<std::uint64_t>(probe.st.st_size);
  std::string actual;
  try {
    actual = content_digest(file.id, file_bytes);
  } catch (const DamagedError& e) {
    throw std::runtime_error("trajectory '" + path + "': " + e.what());
  }
  if (actual != stored) {
    // Only now each object's digest, to name what changed: a second walk,
    // for a file that is refused anyway.
    std::string changed;
    try {
      changed = changed_objects(content_digest_by_object(file.id, file_bytes),
                                read_strings(file.id, kObjectDigestsDataset));
    } catch (const DamagedError&) {
    }
    throw std::runtime_error(
        "trajectory '" + path + "': damaged: " +
        (changed.empty() ? "its content (a name, datatype, shape, value or attribute)" : changed) +
        " changed since the run finished (content_sha256 does not match)");
  }
  // The digest reads every value, but not every byte of HDF5's bookkeeping:
  // a damaged sibling pointer of a chunk B-tree, say, leaves every value
  // intact yet makes h5py's visititems (which asks each object for its
  // metadata size) fail. Walk the file as it does, so such a file is refused
  // here instead of failing later in someone's analysis. H5O_INFO_META_SIZE
  // is the part that reads those B-trees; the other fields come from object
  // headers already read (all of them cost about 0.1 ms more than
  // H5O_INFO_BASIC on a 700 KB trajectory).
  const auto walk = [](hid_t, const char*, const H5O_info_t*, void*) -> herr_t { return 0; };
  if (H5Ovisit2(file.id, H5_INDEX_NAME, H5_ITER_NATIVE, walk, nullptr, H5O_INFO_ALL) < 0)
    throw std::runtime_error("trajectory '" + path +
                             "': damaged: HDF5 cannot walk its objects' metadata (object headers or "
                             "B-trees)");
  return probe;
}

bool write_all(int fd, const void* data, std::size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t k = ::write(fd, p, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return false;
    p += k;
    n -= static_cast<std::size_t>(k);
  }
  return true;
}

// Runs check_file(path) in a forked child with a deadline (30 s plus 20 MB/s
// of file), like analysis/readers.py. Throws what the child found wrong.
Probe probe_in_child(const std::string& path, bool as_published = false) {
  struct stat before {};
  const double size = ::stat(path.c_str(), &before) == 0 ? static_cast<double>(before.st_size) : 0.0;
  const auto timeout = std::chrono::milliseconds(static_cast<long long>(1000 * (30.0 + size / 20e6)));
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("trajectory '" + path + "': cannot create a pipe");
  std::cout.flush();
  std::cerr.flush();
  // No other thread of this process may be inside libhdf5 at the fork (hdf5_guard.hpp); the
  // child never releases the hold (it ends in _exit).
  std::optional<Hdf5Fork> no_hdf5_elsewhere(std::in_place);
  const pid_t pid = ::fork();
  if (pid != 0) no_hdf5_elsewhere.reset();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::runtime_error("trajectory '" + path + "': cannot fork the reading process");
  }
  if (pid == 0) {
    // A crash is the report: no handler of the parent's (a test framework's,
    // say) may run here.
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) std::signal(sig, SIG_DFL);
    ::close(fds[0]);
    // Drop every descriptor inherited from the parent but the pipe, so the
    // child holds no reference to files other threads of the parent are
    // writing (and no lock on them) for longer than the parent does.
    if (fds[1] != 3) {
      ::dup2(fds[1], 3);
      fds[1] = 3;
    }
    ::close_range(4, ~0U, 0);
    int code = 0;
    std::string message;
    Probe probe;
    try {
      probe = check_file(path, as_published);
    } catch (const std::exception& e) {
      message = e.what();
      code = 1;
    } catch (...) {
      message = "trajectory '" + path + "': damaged: unreadable";
      code = 1;
    }
    if (code == 0) {
      write_all(fds[1], &probe.complete, sizeof probe.complete);
      write_all(fds[1], &probe.st, sizeof probe.st);
    } else {
      write_all(fds[1], message.data(), message.size());
    }
    ::_exit(code);  // no destructors, no HDF5 exit handler: the parent owns those
  }
  ::close(fds[1]);
  std::string received;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char buf[4096];
    const ssize_t k = ::read(fds[0], buf, sizeof buf);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;  // EOF: the child is done
    received.append(buf, static_cast<std::size_t>(k));
  }
  ::close(fds[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    throw std::runtime_error("trajectory '" + path + "': damaged: reading it did not finish within " +
                             std::to_string(timeout.count() / 1000) + " s (corrupt HDF5 metadata?)");
  }
  if (WIFSIGNALED(status)) {
    throw std::runtime_error("trajectory '" + path +
                             "': damaged: the HDF5 library crashed reading it (signal " +
                             std::to_string(WTERMSIG(status)) + "; corrupt metadata?)");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error(received.empty() ? "trajectory '" + path + "': damaged: unreadable" : received);
  }
  Probe probe;
  if (received.size() != sizeof probe.complete + sizeof probe.st)
    throw std::runtime_error("trajectory '" + path + "': the reading process sent no result");
  std::memcpy(&probe.complete, received.data(), sizeof probe.complete);
  std::memcpy(&probe.st, received.data() + sizeof probe.complete, sizeof probe.st);
  return probe;
}

}  // namespace

namespace {
// verify_before_publishing, then then(probe) with what the child found.
template <class Then>
void verify_before_publishing(const std::string& partial_path, Then&& then) {
  const Probe probe = probe_in_child(partial_path, /*as_published=*/true);
  if (!probe.complete)
    throw std::runtime_error("trajectory '" + partial_path +
                             "': does not read back as complete after it was closed");
  then(probe);
}
}  // namespace

void verify_before_publishing(const std::string& partial_path) {
  verify_before_publishing(partial_path, [](const Probe&) {});
}

TrajectoryReader::TrajectoryReader(const std::string& path, bool require_complete) : path_(path) {
  {
    const Hdf5Use in_hdf5;  // an HDF5 call: never while another thread forks (hdf5_guard.hpp)
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  std::error_code ec;
  if (!has_partial_name(path) && std::filesystem::exists(path + ".partial", ec)) {
    throw std::runtime_error("trajectory '" + path + "': '" + path +
                             ".partial' exists beside it: a later run into this path was interrupted or is "
                             "still writing, so '" +
                             path + "' is an earlier run; remove the .partial file to read it, or rerun");
  }
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec))
    throw std::runtime_error("trajectory '" + path + "': not a regular file");
  const Probe probe = probe_in_child(path);
  complete_ = probe.complete;
  if (require_complete && !complete_) {
    throw std::runtime_error(
        "trajectory '" + path_ +
        "' is incomplete (complete = 0 or a .partial name): the run was interrupted or is "
        "still writing");
  }
  open_as_checked(probe.st);
}

TrajectoryReader::TrajectoryReader(const std::string& partial_path, BeforePublishing) : path_(partial_path) {
  {
    const Hdf5Use in_hdf5;
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  verify_before_publishing(partial_path, [&](const Probe& probe) { open_as_checked(probe.st); });
}

void TrajectoryReader::open_as_checked(const struct stat& checked) {
  bytes_ = static_cast<std::uint64_t>(checked.st_size);
  const Hdf5Use in_hdf5;
  file_ = open_read_only(path_);
  if (file_ < 0) fail("cannot open as HDF5");
  // The file opened must be the one the child checked (not replaced since).
  void* handle = nullptr;
  struct stat now {};
  if (H5Fget_vfd_handle(static_cast<hid_t>(file_), H5P_DEFAULT, &handle) < 0 || handle == nullptr ||
      fstat(*static_cast<int*>(handle), &now) != 0 || now.st_dev != checked.st_dev ||
      now.st_ino != checked.st_ino || now.st_size != checked.st_size ||
      now.st_mtim.tv_sec != checked.st_mtim.tv_sec || now.st_mtim.tv_nsec != checked.st_mtim.tv_nsec) {
    H5Fclose(static_cast<hid_t>(file_));
    file_ = -1;
    throw std::runtime_error("trajectory '" + path_ + "' changed while it was being checked; try again");
  }
}

TrajectoryReader::~TrajectoryReader() {
  const Hdf5Use in_hdf5;
  H5Fclose(static_cast<hid_t>(file_));
}

std::uint64_t TrajectoryReader::seed() const {
  const Hdf5Use in_hdf5;
  Closing attr{H5Aopen(static_cast<hid_t>(file_), "seed", H5P_DEFAULT), H5Aclose};
  std::uint64_t seed = 0;
  if (attr.id < 0 || H5Aread(attr.id, H5T_NATIVE_UINT64, &seed) < 0) fail("cannot read attribute seed");
  return seed;
}

std::string TrajectoryReader::string_attribute(const std::string& name) const {
  const Hdf5Use in_hdf5;
  Closing attr{H5Aopen(static_cast<hid_t>(file_), name.c_str(), H5P_DEFAULT), H5Aclose};
  if (attr.id < 0) fail("cannot open attribute " + name);
  Closing type{H5Aget_type(attr.id), H5Tclose};
  if (H5Tget_class(type.id) != H5T_STRING || H5Tis_variable_str(type.id) <= 0) {
    throw std::runtime_error("trajectory '" + path_ + "': attribute " + name +
                             " is not a variable-length string");
  }
  char* raw = nullptr;
  if (H5Aread(attr.id, type.id, &raw) < 0) fail("cannot read attribute " + name);
  std::string value = raw != nullptr ? raw : "";
  H5free_memory(raw);
  return value;
}

std::vector<std::string> TrajectoryReader::strings(const std::string& path) const {
  const Hdf5Use in_hdf5;
  Closing dset{H5Dopen2(static_cast<hid_t>(file_), path.c_str(), H5P_DEFAULT), H5Dclose};
  if (dset.id < 0) fail("cannot open dataset " + path);
  Closing type{H5Dget_type(dset.id), H5Tclose};
  if (H5Tis_variable_str(type.id) <= 0) {
    throw std::runtime_error("trajectory '" + path_ + "': " + path + " is not a string dataset");
  }
  Closing space{H5Dget_space(dset.id), H5Sclose};
  const hssize_t n = H5Sget_simple_extent_npoints(space.id);
  if (n < 0) fail("cannot get the size of " + path);
  if (static_cast<long double>(n) > 16.0L * static_cast<long double>(bytes_) + 65536.0L)
    throw std::runtime_error("trajectory '" + path_ + "': damaged: " + path +
                             " claims more strings than the file holds");
  std::vector<char*> raw(static_cast<std::size_t>(n), nullptr);
  if (n > 0 && H5Dread(dset.id, type.id, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) < 0) {
    fail("cannot read " + path);
  }
  std::vector<std::string> out;
  out.reserve(raw.size());
  for (const char* s : raw) out.emplace_back(s != nullptr ? s : "");
  if (n > 0) H5Dvlen_reclaim(type.id, space.id, H5P_DEFAULT, raw.data());
  return out;
}

std::string TrajectoryReader::scenario_toml() const { return strings("/scenario").at(0); }

Table TrajectoryReader::read(const std::string& path) const {
  const Hdf5Use in_hdf5;
  Closing dset{H5Dopen2(static_cast<hid_t>(file_), path.c_str(), H5P_DEFAULT), H5Dclose};
  if (dset.id < 0) fail("cannot open dataset " + path);
  Closing type{H5Dget_type(dset.id), H5Tclose};
  const H5T_class_t cls = H5Tget_class(type.id);
  if (cls != H5T_INTEGER && cls != H5T_FLOAT) {
    throw std::runtime_error("trajectory '" + path_ + "': " + path + " is not numeric");
  }
  Closing space{H5Dget_space(dset.id), H5Sclose};
  const int rank = H5Sget_simple_extent_ndims(space.id);
  if (rank != 1 && rank != 2) {
    throw std::runtime_error("trajectory '" + path_ + "': " + path + " has " + std::to_string(rank) +
                             " dimensions, expected 1 or 2");
  }
  hsize_t dims[2] = {0, 1};
  H5Sget_simple_extent_dims(space.id, dims, nullptr);
  // An unverified (incomplete) file may claim any shape: no allocation beyond what it could hold.
  if (static_cast<long double>(dims[0]) * static_cast<long double>(dims[1]) * 8.0L >
      16.0L * static_cast<long double>(bytes_) + 65536.0L)
    throw std::runtime_error("trajectory '" + path_ + "': damaged: " + path +
                             " claims more values than the file holds");
  Table table;
  table.rows = dims[0];
  table.cols = dims[1];
  table.values.resize(table.rows * table.cols);
  if (!table.values.empty() &&
      H5Dread(dset.id, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, table.values.data()) < 0) {
    fail("cannot read " + path);
  }
  return table;
}

}  // namespace missionsim
