// Running a sweep into a directory, resumably (docs/SWEEP.md):
//
//   DIR/manifest.toml   what sweep the directory holds (its SHA-256, run count)
//   DIR/sweep.toml      copy of the sweep file; DIR/base.toml: the base scenario
//   DIR/runs/<id>.h5    one trajectory per run, written atomically (<id>.h5.partial, renamed when complete)
//   DIR/ledger          one line per finished, failed or interrupted run (ledger.rank<k> under MPI)
//   DIR/locks/<id>.lock held by the worker running <id> (RunClaim); removed when it lets go
//
// A run's state comes from its file: done (complete = 1 and the content
// digest verified), partial (a .partial), damaged (a final file that fails
// those checks), missing; the ledger adds
// "failed" and the messages. Resuming redoes everything that is not done.
// Any number of workers (jobs, shards, array tasks, MPI ranks, a second
// --resume) may share a directory: a run is only written under its claim.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <mutex>
#include <optional>
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
// Extends DIR, which holds a sweep, to `plan`, a superset of it: the same
// identity (Plan::identity_sha256), at least as many replicates and points,
// every existing point with the same values and every existing run with the
// same id and seed. Rewrites the copies (sweep.toml, base.toml, points.csv)
// and then the manifest; run files are not touched; a stale sweep.h5 is
// removed. Refused (SweepError, nothing changed) otherwise, or while a live
// worker holds a run. Running it again after an interruption finishes it.
// Returns the number of runs added.
std::size_t extend_directory(const Plan& plan, const std::string& dir, const std::string& sweep_text);
// The plan of the sweep a directory holds (from its copies), checked against its manifest.
Plan open_directory(const std::string& dir);

// Append-only, crash-safe log: one write() per line (O_APPEND) under a
// write lock on the file (writers on several hosts of a network filesystem,
// where O_APPEND alone is not atomic, never interleave), fsync after each. A
// torn last line left by a killed writer is ended before the next line.
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

// Exclusive claim on one run of a sweep directory, between processes and
// threads alike: a write lock on DIR/locks/<id>.lock taken with fcntl
// F_OFD_SETLK (a POSIX record lock owned by the open file, not the process,
// so it also works over NFS and between threads). The kernel, or the network
// filesystem's lock manager, drops it when the holder dies: the run of a
// killed worker is free again, and a lock file nobody holds blocks nothing.
// The holder removes the file before letting go; a claimant that locked a
// file no longer at that name tries again, so removal never admits two.
class RunClaim {
 public:
  // Tries once, without waiting. Empty when another live worker holds the run.
  // Throws SweepError when the filesystem has no working locks.
  static std::optional<RunClaim> try_acquire(const std::string& dir, const std::string& id);
  RunClaim(RunClaim&& other) noexcept;
  RunClaim& operator=(RunClaim&& other) noexcept;
  RunClaim(const RunClaim&) = delete;
  ~RunClaim() { release(); }

 private:
  void release() noexcept;  // removes the lock file, then releases the lock
  RunClaim(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

std::string lock_file(const std::string& dir, const std::string& id);  // DIR/locks/<id>.lock
// "host:pid" of the worker that holds (or last held) a run's lock file; empty if none.
std::string lock_holder(const std::string& dir, const std::string& id);
// Whether a live worker holds the run's claim now (tested without taking it).
bool claim_held(const std::string& dir, const std::string& id);

enum class RunOutcome {
  Done,
  Failed,
  Interrupted,
  DoneElsewhere,  // done by another worker since the caller listed it: left alone
  Busy,           // another live worker holds it (only without `wait`): left alone
};

// Claims the run (RunClaim), re-checks its file (it may have been finished
// meanwhile: DoneElsewhere), runs it into DIR/runs/<id>.h5, appends its
// ledger line and lets the claim go. A run another live worker holds is
// never touched: Busy, or with `wait` the claim is retried every 0.1 s
// (`on_wait` is called once with the holder) until the holder is gone or
// `stop` says so (Interrupted). Never throws for a failure of the run itself
// (reported as Failed, with the message); throws SweepError without locks.
RunOutcome execute_run(const Plan& plan, const Run& run, const std::string& dir, Ledger& ledger,
                       const std::function<bool()>& stop, std::string* message = nullptr, bool wait = false,
                       const std::function<void(const std::string& holder)>& on_wait = {});

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
  std::size_t skipped = 0;  // already done (resume), or done by another worker meanwhile
  std::size_t done = 0;
  std::size_t failed = 0;
  bool interrupted = false;
};

// Runs the shard's runs, `jobs` at a time, each with the engine's own TBB
// parallelism nested in the same arena. Runs held by another worker are put
// off until the rest is done, then waited for: on success every run of the
// shard is done, by this worker or another.
RunnerResult run_sweep(const Plan& plan, const std::string& dir, const RunnerOptions& options);

}  // namespace missionsim::sweep
