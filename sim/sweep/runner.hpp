// Running a sweep into a directory, resumably (docs/SWEEP.md):
//
//   DIR/manifest.toml   what sweep the directory holds (its SHA-256, run count)
//   DIR/sweep.toml      copy of the sweep file; DIR/base.toml: the base scenario
//   DIR/runs/<id>.h5    one trajectory per run, written atomically (<id>.h5.partial, renamed when complete)
//   DIR/ledger          one line per finished, failed or interrupted run (ledger.rank<k> under MPI)
//
// A run's state comes from its file: done (complete = 1 and the content
// digest verified), partial (a .partial), damaged (a final file that fails
// those checks), missing; the ledger adds
// "failed" and the messages. Resuming redoes everything that is not done.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "sweep/sweep.hpp"

namespace missionsim::sweep {

// Damaged: a file under the final name that is unreadable, not complete, or
// whose content does not match its content digest; redone on resume.
enum class RunState { Done, Partial, Missing, Failed, Damaged };
std::string_view state_name(RunState s);

std::string run_file(const std::string& dir, const std::string& id);  // DIR/runs/<id>.h5
// From the files alone: Done (complete, content digest verified), Partial (a
// .partial, also beside a final file: a rerun of it is unfinished), Damaged
// or Missing.
RunState file_state(const std::string& dir, const std::string& id);

// Creates DIR for the plan (manifest, copies of the sweep and base files), or
// checks that an existing DIR holds the same sweep: throws SweepError if not.
// Safe when several shards start at once.
void prepare_directory(const Plan& plan, const std::string& dir, const std::string& sweep_text);
// The plan of the sweep a directory holds (from its copies), checked against its manifest.
Plan open_directory(const std::string& dir);

// Append-only, crash-safe log: one write() per line (O_APPEND), fsync after each.
class Ledger {
 public:
  explicit Ledger(const std::string& path);
  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;
  // Fields are tab-separated: utc, id, status, seed, seconds, host:pid, message.
  void append(const std::string& id, const std::string& status, std::uint64_t seed, double seconds,
              const std::string& message = "");

 private:
  int fd_ = -1;
  std::string path_;
  std::mutex mutex_;
};

struct LedgerEntry {
  std::string utc, id, status, seed, seconds, host, message;
};
// Every entry of DIR/ledger and DIR/ledger.rank*, in file order per file.
std::vector<LedgerEntry> read_ledgers(const std::string& dir);

// Run states of a directory: files first, then the last ledger status for a
// run without a file ("failed").
std::vector<RunState> run_states(const Plan& plan, const std::string& dir);

enum class RunOutcome { Done, Failed, Interrupted };

// Runs one run into DIR/runs/<id>.h5 and appends its ledger line.
// Never throws for a failure of the run itself (reported as Failed, with the message).
RunOutcome execute_run(const Plan& plan, const Run& run, const std::string& dir, Ledger& ledger,
                       const std::function<bool()>& stop, std::string* message = nullptr);

// The runs of a shard to do: all of them, or with `resume` those not done.
// Without `resume`, throws SweepError when any of them already has a file.
std::vector<std::size_t> runs_to_do(const Plan& plan, const std::string& dir, const Shard& shard,
                                    bool resume);

struct RunnerOptions {
  int jobs = 0;     // runs at a time; 0: one per worker thread
  int threads = 0;  // worker threads shared by all runs (TBB arena); 0: all cores
  Shard shard;
  bool resume = false;
  std::function<bool()> stop;   // polled between steps: true interrupts every run
  std::ostream* log = nullptr;  // one line per finished run
};

struct RunnerResult {
  std::size_t planned = 0;  // runs of the shard
  std::size_t skipped = 0;  // already done (resume)
  std::size_t done = 0;
  std::size_t failed = 0;
  bool interrupted = false;
};

// Runs the shard's runs, `jobs` at a time, each with the engine's own TBB
// parallelism nested in the same arena.
RunnerResult run_sweep(const Plan& plan, const std::string& dir, const RunnerOptions& options);

}  // namespace missionsim::sweep
