// Reads trajectories written by TrajectoryWriter (schema of docs/OUTPUT.md).
// Opening checks format, format_version, (by default) the complete flag and,
// for a complete file, the content digest, so a sweep never silently
// aggregates a truncated, damaged or foreign file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

struct stat;

namespace missionsim {

// A dataset read as float64: [rows] (cols = 1) or [rows, cols], row-major.
struct Table {
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<double> values;
  double at(std::size_t row, std::size_t col = 0) const { return values[row * cols + col]; }
};

// Reads a just-closed `<path>.partial` back from disk, in a forked child as
// the reader does, and throws unless it is complete and matches its content
// digest. The writer does this before the rename that publishes the file
// (TrajectoryReader's BeforePublishing constructor), so data the file system
// did not take (a full disk, say) is never published.
void verify_before_publishing(const std::string& partial_path);

class TrajectoryReader {
 public:
  // Checks the whole file first in a forked child process (a damaged file
  // that crashes or hangs libhdf5 costs a message, not this process), then
  // opens it. Throws std::runtime_error naming the file if it cannot be
  // opened, is not a missionsim trajectory, has a format_version other than
  // 2, claims to be complete but its content does not match content_sha256
  // ("damaged: ..."), has a `<path>.partial` beside it (a later run into the
  // same path did not finish), or (when require_complete) is not complete:
  // complete = 0 or a `.partial` name (docs/OUTPUT.md, "Guarantees").
  explicit TrajectoryReader(const std::string& path, bool require_complete = true);
  // A just-closed `<path>.partial`, checked as verify_before_publishing checks
  // it (complete as published, content digest) and then opened: the writer's
  // read-back before publishing, with one child process where
  // verify_before_publishing and the constructor above would use two.
  // complete() is false (a .partial name).
  struct BeforePublishing {};
  TrajectoryReader(const std::string& partial_path, BeforePublishing);
  ~TrajectoryReader();
  TrajectoryReader(const TrajectoryReader&) = delete;
  TrajectoryReader& operator=(const TrajectoryReader&) = delete;

  bool complete() const { return complete_; }
  std::uint64_t seed() const;
  std::string string_attribute(const std::string& name) const;  // a root attribute, e.g. "scenario_sha256"
  std::string scenario_toml() const;
  std::vector<std::string> strings(const std::string& path) const;  // e.g. "/firms/name"
  // Any numeric dataset with 1 or 2 dimensions, e.g. "/firms/cash" or
  // "/market/hhi"; integers are converted to float64.
  Table read(const std::string& path) const;
  const std::string& path() const { return path_; }

 private:
  [[noreturn]] void fail(const std::string& what) const;
  // Opens path_ read-only and checks it is the file a child process checked (device, inode, size and
  // modification time as stat'ed there).
  void open_as_checked(const struct stat& checked);
  std::string path_;
  std::int64_t file_ = -1;  // hid_t, kept out of this header
  bool complete_ = false;
  std::uint64_t bytes_ = 0;  // file size: bounds what a dataset of an unverified file may claim
};

}  // namespace missionsim
