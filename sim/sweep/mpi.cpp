#include <tbb/task_arena.h>

#include <filesystem>

#include "sweep/launch.hpp"

#if MISSIONSIM_WITH_MPI
#include <mpi.h>
#endif

#include <atomic>
#include <ostream>

namespace fs = std::filesystem;

namespace missionsim::sweep {

#if !MISSIONSIM_WITH_MPI

bool mpi_available() { return false; }

RunnerResult run_sweep_mpi(const Plan&, const std::string&, const std::string&, const RunnerOptions&) {
  throw SweepError("--mpi: this missionsim was built without MPI (configure with -DMISSIONSIM_WITH_MPI=ON)");
}

#else

namespace {

constexpr int kTagRequest = 1;   // worker -> 0: [outcome of the last run (-1: none), its run index]
constexpr int kTagAssign = 2;    // 0 -> worker: [run index, or -1: no more work; 1: wait for its claim]
constexpr int kTagPrepared = 3;  // 0 -> all: the directory is ready (1) or not (0)
// Outcomes; the counts of the first three are reported, Busy runs are handed out again.
enum : long long { kNone = -1, kDone = 0, kFailed = 1, kInterrupted = 2, kElsewhere = 3, kBusy = 4 };
constexpr int kOutcomes = 5;

long long outcome_code(RunOutcome o) {
  switch (o) {
    case RunOutcome::Done:
      return kDone;
    case RunOutcome::Failed:
      return kFailed;
    case RunOutcome::Interrupted:
      return kInterrupted;
    case RunOutcome::DoneElsewhere:
      return kElsewhere;
    case RunOutcome::Busy:
      return kBusy;
  }
  return kFailed;
}

struct MpiSession {
  MpiSession() {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      int provided = 0;
      MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
      owner = true;
    }
  }
  ~MpiSession() {
    if (owner) MPI_Finalize();
  }
  bool owner = false;
};

}  // namespace

bool mpi_available() { return true; }

RunnerResult run_sweep_mpi(const Plan& plan, const std::string& dir, const std::string& sweep_text,
                           const RunnerOptions& options) {
  const MpiSession session;
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);

  // Rank 0 prepares the directory and the work list; the others wait for it.
  std::vector<std::size_t> todo;
  std::string problem;
  int ok = 1;
  if (rank == 0) {
    try {
      prepare_directory(plan, dir, sweep_text);
      todo = runs_to_do(plan, dir, options.shard, options.resume);
    } catch (const std::exception& e) {
      problem = e.what();
      ok = 0;
    }
  }
  MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (!ok) {
    if (rank == 0) throw SweepError(problem);
    return RunnerResult{};  // rank 0 reports it
  }

  RunnerResult result;
  if (rank == 0) {
    for (const auto& run : plan.runs()) result.planned += options.shard.contains(run.index) ? 1 : 0;
    result.skipped = result.planned - todo.size();
  }
  const std::string ledger_path = (fs::path(dir) / ("ledger.rank" + std::to_string(rank))).string();
  auto stop = [&] { return options.stop && options.stop(); };
  tbb::task_arena arena(options.threads > 0 ? options.threads : tbb::task_arena::automatic);

  // Runs are claimed as in a local sweep (execute_run), so other processes
  // (a second mpirun, a local --resume) may share the directory. A run
  // another process holds comes back Busy and is handed out again once
  // the rest is done, with `wait`.
  auto run_one = [&](Ledger& ledger, std::size_t index, bool wait) {
    std::string message;
    RunOutcome outcome = RunOutcome::Interrupted;
    const std::string& id = plan.run(index).id;
    auto line = [&](const std::string& text) {  // one write per line: ranks share the stream
      if (options.log) *options.log << text + " (rank " + std::to_string(rank) + ")\n" << std::flush;
    };
    arena.execute([&] {
      outcome = execute_run(
          plan, plan.run(index), dir, ledger, stop, &message, wait, [&](const std::string& holder) {
            line("waiting for " + id + ", held by " + (holder.empty() ? "another worker" : holder));
          });
    });
    if (outcome == RunOutcome::Done || outcome == RunOutcome::Failed)
      line(std::string(outcome == RunOutcome::Done ? "done   " : "FAILED ") + id +
           (message.empty() ? "" : ": " + message));
    if (outcome == RunOutcome::DoneElsewhere) line("skip   " + id + "  (done by another worker)");
    return outcome;
  };

  long long counts[kOutcomes] = {0, 0, 0, 0, 0};
  if (size == 1) {
    Ledger ledger(ledger_path);
    std::vector<std::size_t> held;
    for (int pass = 0; pass < 2; ++pass)
      for (std::size_t index : pass == 0 ? todo : held) {
        if (stop()) {
          counts[kInterrupted] = 1;
          break;
        }
        const long long o = outcome_code(run_one(ledger, index, /*wait=*/pass == 1));
        if (o == kBusy)
          held.push_back(index);
        else
          ++counts[o];
      }
  } else if (rank == 0) {
    // Coordinator: answer each request with the next run, or -1 when none is
    // left (or after an interruption); stop when every worker was told -1.
    // Runs reported Busy go to the back of the queue, to be waited for.
    std::vector<std::size_t> queue = todo;
    std::vector<char> waited(plan.size(), 0);
    std::size_t next = 0;
    int finished = 0;
    bool halt = false;
    while (finished < size - 1) {
      long long msg[2];
      MPI_Status status;
      MPI_Recv(msg, 2, MPI_LONG_LONG, MPI_ANY_SOURCE, kTagRequest, MPI_COMM_WORLD, &status);
      if (msg[0] == kBusy) {
        queue.push_back(static_cast<std::size_t>(msg[1]));
        waited[static_cast<std::size_t>(msg[1])] = 1;
      } else if (msg[0] != kNone) {
        ++counts[msg[0]];
      }
      if (msg[0] == kInterrupted || stop()) halt = true;
      long long assign[2] = {-1, 0};
      if (!halt && next < queue.size()) {
        assign[0] = static_cast<long long>(queue[next]);
        assign[1] = waited[queue[next++]];
      }
      if (assign[0] < 0) ++finished;
      MPI_Send(assign, 2, MPI_LONG_LONG, status.MPI_SOURCE, kTagAssign, MPI_COMM_WORLD);
    }
  } else {
    Ledger ledger(ledger_path);
    long long msg[2] = {kNone, -1};
    for (;;) {
      MPI_Send(msg, 2, MPI_LONG_LONG, 0, kTagRequest, MPI_COMM_WORLD);
      long long assign[2] = {-1, 0};
      MPI_Recv(assign, 2, MPI_LONG_LONG, 0, kTagAssign, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      if (assign[0] < 0) break;
      msg[0] = outcome_code(run_one(ledger, static_cast<std::size_t>(assign[0]), assign[1] != 0));
      msg[1] = assign[0];
    }
  }
  (void)kTagPrepared;
  // Rank 0 counted the workers' outcomes; with one rank it counted its own.
  long long all[kOutcomes];
  MPI_Allreduce(counts, all, kOutcomes, MPI_LONG_LONG, MPI_MAX, MPI_COMM_WORLD);
  result.done = static_cast<std::size_t>(all[kDone]);
  result.failed = static_cast<std::size_t>(all[kFailed]);
  result.skipped += static_cast<std::size_t>(all[kElsewhere]);
  result.interrupted = all[kInterrupted] > 0 || stop();
  return result;
}

#endif

}  // namespace missionsim::sweep
