// Reading the files a user names as input (scenario, sweep file, a sweep's
// base): regular files only, size capped, and file identity for refusing an
// output that would overwrite an input.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace missionsim::scenario {

// The largest scenario or sweep file read (a larger file is not one).
inline constexpr std::size_t kMaxInputFileBytes = std::size_t{64} << 20;

// what() is the whole message: "cannot open scenario 'x.toml': No such file or directory",
// "cannot read sweep file 'p': not a regular file (a FIFO)".
class InputFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The contents of the regular file `path`; `what` names it in messages
// ("scenario", "sweep file"). A FIFO, device, socket or directory is refused
// before anything is read (opened non-blocking, so a FIFO without writer
// cannot hang), and so is a file larger than `max_bytes`.
std::string read_input_file(const std::string& path, std::string_view what,
                            std::size_t max_bytes = kMaxInputFileBytes);

// True when both paths exist and name the same file (device and inode, after
// following symbolic links): a hard link, a symlink or "./x" matches "x".
bool same_file(const std::string& a, const std::string& b);

// The first of `inputs` that `output` would overwrite (same_file), or
// nullptr. Inputs that do not exist are skipped.
const std::string* overwritten_input(const std::string& output, const std::vector<std::string>& inputs);

}  // namespace missionsim::scenario
