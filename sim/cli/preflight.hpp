// Checks made before a command writes anything: an output must not be one
// of the command's inputs, and the run must fit the machine (docs/SCENARIO.md,
// "Limits of the machine").
#pragma once

#include <string>
#include <vector>

namespace missionsim::cli {

// A file the command will write, and the input (if any) it may replace
// because it writes the same bytes back (a sweep directory's copy of its own
// sweep file). Throws InputError naming both when `path` is one of `inputs`.
struct OutputFile {
  std::string path;
  std::string may_replace;  // an input this output is a copy of, or ""
};
void refuse_overwriting_inputs(const std::vector<OutputFile>& outputs,
                               const std::vector<std::string>& inputs);

// Worker threads (or sweep jobs) above this are refused even with --force:
// each is an OS thread with its own stack and buffers.
inline constexpr int kMaxThreads = 4096;
// Without --force, at most this many per hardware thread.
inline constexpr int kThreadsPerCore = 4;

// Refuses `option` = n above kMaxThreads, or above kThreadsPerCore x the
// hardware threads unless `force` (InputError).
void check_threads(const char* option, int n, bool force);
int hardware_threads();

// Memory the process may still use: MemAvailable of /proc/meminfo, lowered
// to the cgroup v2 limit (memory.max - memory.current) when there is one.
// MISSIONSIM_ASSUME_MEMORY=BYTES replaces the measurement (tests, or planning
// for a smaller machine). `source` says where the number came from.
double available_memory(std::string* source = nullptr);
// Bytes free to an unprivileged user (statvfs f_bavail) on the file system
// that will hold `path` (its nearest existing ancestor); MISSIONSIM_ASSUME_DISK
// replaces it. `where` names the directory measured.
double available_disk(const std::string& path, std::string* where = nullptr);

// Refuses (InputError, with the estimates) a request whose memory exceeds
// the available memory or whose output exceeds the free disk, unless
// `force`. `what` names it ("run", "sweep plan"); `memory_detail` breaks the
// memory down; output_bytes < 0: nothing written.
void check_fits(const std::string& what, double memory_bytes, const std::string& memory_detail,
                double output_bytes, const std::string& output_path, bool force);

}  // namespace missionsim::cli
