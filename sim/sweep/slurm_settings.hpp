// Site settings of the Slurm scripts that `sweep slurm` writes (docs/SWEEP.md,
// Slurm): a [slurm] table in the sweep file, overridden key by key by the
// command line. None of them enters sweep_sha256: they say where and how the
// runs are scheduled, not what the runs compute.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace missionsim::sweep {

struct SlurmSettings {
  std::optional<std::string> account;      // --account
  std::optional<std::string> partition;    // --partition (a name, or several separated by commas)
  std::optional<std::string> qos;          // --qos
  std::optional<std::string> time;         // --time, any of Slurm's formats (MM, HH:MM:SS, D-HH:MM, ...)
  std::optional<std::string> mem;          // --mem, e.g. "4G"; excludes mem_per_cpu
  std::optional<std::string> mem_per_cpu;  // --mem-per-cpu, e.g. "500M"
  std::optional<int> cpus_per_task;        // --cpus-per-task, and each task's --jobs/--threads; default 1
  std::optional<std::size_t> array_size;   // array tasks = shards; default min(runs, 100)
  std::optional<int> throttle;             // at most this many tasks at once (--array=...%K)
  // Extra "#SBATCH <option>" lines (e.g. "--constraint=avx2"), in both scripts.
  std::optional<std::vector<std::string>> sbatch;
  // Shell lines run before missionsim in both scripts (e.g. "module load hdf5").
  std::optional<std::vector<std::string>> setup;
};

// Limits of the integer settings.
inline constexpr int kMaxCpusPerTask = 4096;
inline constexpr std::size_t kMaxArraySize = 1'000'000;

// The [slurm] keys, as written in a sweep file.
inline const std::vector<std::string> kSlurmKeys = {"account",  "partition",   "qos",           "time",
                                                    "mem",      "mem_per_cpu", "cpus_per_task", "array_size",
                                                    "throttle", "sbatch",      "setup"};

// What a string setting must be, when `value` is not acceptable for `key`
// (one of kSlurmKeys; "sbatch" and "setup" for one line of theirs); empty
// when it is. Values that would break the generated scripts (newlines, other
// control characters, quotes in names) are refused here.
std::string slurm_value_problem(std::string_view key, const std::string& value);

// `over` (the command line) on top of `base` (the sweep file), key by key;
// mem and mem_per_cpu count as one setting (either on the command line
// replaces both from the file).
SlurmSettings overlay(SlurmSettings base, const SlurmSettings& over);

}  // namespace missionsim::sweep
