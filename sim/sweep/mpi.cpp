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
constexpr int kTagAssign = 2;    // 0 -> worker: run index, or -1: no more work
constexpr int kTagPrepared = 3;  // 0 -> all: the directory is ready (1) or not (0)
enum : long long { kNone = -1, kDone = 0, kFailed = 1, kInterrupted = 2 };

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

  auto run_one = [&](Ledger& ledger, std::size_t index) {
    std::string message;
    RunOutcome outcome = RunOutcome::Interrupted;
    arena.execute([&] { outcome = execute_run(plan, plan.run(index), dir, ledger, stop, &message); });
    if (options.log && outcome != RunOutcome::Interrupted)  // one write per line: ranks share the stream
      *options.log << std::string(outcome == RunOutcome::Done ? "done   " : "FAILED ") + plan.run(index).id +
                          " (rank " + std::to_string(rank) + ")" + (message.empty() ? "" : ": " + message) +
                          "\n"
                   << std::flush;
    return outcome;
  };

  long long counts[4] = {0, 0, 0, 0};  // done, failed, interrupted, unused
  if (size == 1) {
    Ledger ledger(ledger_path);
    for (std::size_t index : todo) {
      if (stop()) {
        counts[kInterrupted] = 1;
        break;
      }
      const RunOutcome o = run_one(ledger, index);
      ++counts[o == RunOutcome::Done ? kDone : o == RunOutcome::Failed ? kFailed : kInterrupted];
    }
  } else if (rank == 0) {
    // Coordinator: answer each request with the next run, or -1 when none is
    // left (or after an interruption); stop when every worker was told -1.
    std::size_t next = 0;
    int finished = 0;
    bool halt = false;
    while (finished < size - 1) {
      long long msg[2];
      MPI_Status status;
      MPI_Recv(msg, 2, MPI_LONG_LONG, MPI_ANY_SOURCE, kTagRequest, MPI_COMM_WORLD, &status);
      if (msg[0] != kNone) ++counts[msg[0]];
      if (msg[0] == kInterrupted || stop()) halt = true;
      long long assign = -1;
      if (!halt && next < todo.size()) assign = static_cast<long long>(todo[next++]);
      if (assign < 0) ++finished;
      MPI_Send(&assign, 1, MPI_LONG_LONG, status.MPI_SOURCE, kTagAssign, MPI_COMM_WORLD);
    }
  } else {
    Ledger ledger(ledger_path);
    long long msg[2] = {kNone, -1};
    for (;;) {
      MPI_Send(msg, 2, MPI_LONG_LONG, 0, kTagRequest, MPI_COMM_WORLD);
      long long assign = -1;
      MPI_Recv(&assign, 1, MPI_LONG_LONG, 0, kTagAssign, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      if (assign < 0) break;
      const RunOutcome o = run_one(ledger, static_cast<std::size_t>(assign));
      msg[0] = o == RunOutcome::Done ? kDone : o == RunOutcome::Failed ? kFailed : kInterrupted;
      msg[1] = assign;
    }
  }
  (void)kTagPrepared;
  // Rank 0 counted the workers' outcomes; with one rank it counted its own.
  long long all[4];
  MPI_Allreduce(counts, all, 4, MPI_LONG_LONG, MPI_MAX, MPI_COMM_WORLD);
  result.done = static_cast<std::size_t>(all[kDone]);
  result.failed = static_cast<std::size_t>(all[kFailed]);
  result.interrupted = all[kInterrupted] > 0 || stop();
  return result;
}

#endif

}  // namespace missionsim::sweep
