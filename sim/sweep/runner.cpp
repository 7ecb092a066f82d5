#include "sweep/runner.hpp"

#include <fcntl.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>

#include "output/run_file.hpp"
#include "output/trajectory_reader.hpp"
#include "scenario/registry.hpp"
#include "scenario/scenario.hpp"

namespace fs = std::filesystem;

namespace missionsim::sweep {
namespace {

constexpr int kDirFormatVersion = 1;

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw SweepError("cannot read '" + p.string() + "': " + std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Written to a unique temporary name, then renamed: readers never see half a file.
void write_atomically(const fs::path& p, const std::string& text) {
  const fs::path tmp = p.string() + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw std::runtime_error("cannot write '" + tmp.string() + "'");
  }
  fs::rename(tmp, p);
}

std::string host_pid() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(::getpid());
}

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
  return s;
}

std::string manifest_text(const Plan& plan, const std::string& sweep_file) {
  using scenario::quote_string;
  return "# missionsim sweep directory; do not edit (docs/SWEEP.md)\n"
         "format = \"missionsim-sweep-dir\"\n"
         "format_version = " +
         std::to_string(kDirFormatVersion) + "\n" + "sweep_sha256 = " + quote_string(plan.sha256()) + "\n" +
         "runs = " + std::to_string(plan.size()) + "\n" + "sweep_file = " + quote_string(sweep_file) + "\n" +
         "base_file = " + quote_string(plan.spec().base_path) + "\n";
}

struct Manifest {
  std::string sha256, sweep_file;
};

Manifest read_manifest(const fs::path& p) {
  toml::table t;
  try {
    t = toml::parse_file(p.string());
  } catch (const toml::parse_error& e) {
    throw SweepError(p.string() + ": not a sweep manifest (" + std::string(e.description()) + ")");
  }
  if (t["format"].value_or(std::string()) != "missionsim-sweep-dir")
    throw SweepError(p.string() + ": not a missionsim sweep directory manifest");
  if (t["format_version"].value_or(0) != kDirFormatVersion)
    throw SweepError(p.string() + ": sweep directory format_version " +
                     std::to_string(t["format_version"].value_or(0)) + " is not supported (this is version " +
                     std::to_string(kDirFormatVersion) + ")");
  return {t["sweep_sha256"].value_or(std::string()), t["sweep_file"].value_or(std::string())};
}

}  // namespace

std::string_view state_name(RunState s) {
  switch (s) {
    case RunState::Done:
      return "done";
    case RunState::Partial:
      return "partial";
    case RunState::Missing:
      return "missing";
    case RunState::Failed:
      return "failed";
    case RunState::Damaged:
      return "damaged";
  }
  return "?";
}

std::string run_file(const std::string& dir, const std::string& id) {
  return (fs::path(dir) / "runs" / (id + ".h5")).string();
}

RunState file_state(const std::string& dir, const std::string& id) {
  const std::string path = run_file(dir, id);
  std::error_code ec;
  const bool partial = fs::exists(path + ".partial", ec);
  if (fs::exists(path, ec)) {
    // A .partial beside it: a rerun started and has not finished (docs/OUTPUT.md, "Guarantees").
    if (partial) return RunState::Partial;
    try {
      const TrajectoryReader reader(path, /*require_complete=*/false);
      // The writer publishes a final name only once complete: complete = 0 there is damage.
      return reader.complete() ? RunState::Done : RunState::Damaged;
    } catch (const std::exception&) {
      return RunState::Damaged;  // unreadable or its content digest does not match: redone on resume
    }
  }
  return partial ? RunState::Partial : RunState::Missing;
}

void prepare_directory(const Plan& plan, const std::string& dir, const std::string& sweep_text) {
  const fs::path root(dir);
  std::error_code ec;
  if (fs::exists(root, ec) && !fs::is_directory(root, ec))
    throw SweepError("output '" + dir + "' exists and is not a directory");
  fs::create_directories(root / "runs", ec);
  if (ec)
    throw std::runtime_error("cannot create directory '" + (root / "runs").string() + "': " + ec.message());
  const fs::path manifest = root / "manifest.toml";
  const std::string sweep_file = plan.spec().source.empty()
                                     ? std::string()
                                     : fs::absolute(plan.spec().source).lexically_normal().string();
  auto check = [&] {
    const Manifest m = read_manifest(manifest);
    if (m.sha256 != plan.sha256())
      throw SweepError(
          "'" + dir + "' holds a different sweep (" + (m.sweep_file.empty() ? "" : m.sweep_file + ", ") +
          "sha256 " + m.sha256.substr(0, 12) + ") than " + plan.spec().source + " (sha256 " +
          plan.sha256().substr(0, 12) + "); use a new output directory, or the sweep file it was made with");
  };
  if (fs::exists(manifest, ec)) return check();
  write_atomically(root / "sweep.toml", sweep_text);
  write_atomically(root / "base.toml", plan.spec().base_text);
  // The manifest appears last, and only once: link() fails if another shard made it first.
  const fs::path tmp = manifest.string() + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << manifest_text(plan, sweep_file);
    if (!out.flush()) throw std::runtime_error("cannot write '" + tmp.string() + "'");
  }
  const int rc = ::link(tmp.c_str(), manifest.c_str());
  const int err = errno;
  fs::remove(tmp, ec);
  if (rc != 0 && err != EEXIST)
    throw std::runtime_error("cannot create '" + manifest.string() + "': " + std::strerror(err));
  if (rc != 0) check();
}

Plan open_directory(const std::string& dir) {
  const fs::path root(dir);
  const fs::path manifest = root / "manifest.toml";
  std::error_code ec;
  if (!fs::is_directory(root, ec)) throw SweepError("'" + dir + "' is not a directory");
  if (!fs::exists(manifest, ec))
    throw SweepError("'" + dir +
                     "' is not a sweep directory (no manifest.toml); make one with 'missionsim sweep run'");
  const Manifest m = read_manifest(manifest);
  const std::string sweep_copy = (root / "sweep.toml").string();
  const std::string base_dir =
      m.sweep_file.empty() ? root.string() : fs::path(m.sweep_file).parent_path().string();
  Plan plan(parse_sweep(read_text(sweep_copy), sweep_copy, base_dir, read_text(root / "base.toml")));
  if (plan.sha256() != m.sha256)
    throw SweepError("'" + dir +
                     "': the sweep copy (sweep.toml, base.toml) does not match manifest.toml "
                     "(sha256 " +
                     plan.sha256().substr(0, 12) + " vs " + m.sha256.substr(0, 12) +
                     "); was it edited, or written by another missionsim version?");
  return plan;
}

Ledger::Ledger(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error("cannot open ledger '" + path + "': " + std::strerror(errno));
}

Ledger::~Ledger() {
  if (fd_ >= 0) ::close(fd_);
}

void Ledger::append(const std::string& id, const std::string& status, std::uint64_t seed, double seconds,
                    const std::string& message) {
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.3f", seconds);
  const std::string line = utc_now_iso8601() + "\t" + id + "\t" + status + "\t" + std::to_string(seed) +
                           "\t" + secs + "\t" + host_pid() + "\t" + one_line(message) + "\n";
  const std::lock_guard lock(mutex_);
  // One write(): with O_APPEND the line lands whole, never interleaved.
  const ssize_t n = ::write(fd_, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size()))
    throw std::runtime_error("cannot append to ledger '" + path_ + "': " + std::strerror(errno));
  ::fsync(fd_);
}

std::vector<LedgerEntry> read_ledgers(const std::string& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name == "ledger" || name.rfind("ledger.rank", 0) == 0) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<LedgerEntry> entries;
  for (const auto& f : files) {
    std::ifstream in(f);
    std::string line;
    while (std::getline(in, line)) {
      std::vector<std::string> field;
      std::size_t start = 0;
      for (;;) {
        const auto tab = line.find('\t', start);
        field.push_back(line.substr(start, tab - start));
        if (tab == std::string::npos) break;
        start = tab + 1;
      }
      if (field.size() < 7) continue;  // a torn last line (killed mid-write)
      entries.push_back({field[0], field[1], field[2], field[3], field[4], field[5], field[6]});
    }
  }
  return entries;
}

std::vector<RunState> run_states(const Plan& plan, const std::string& dir) {
  std::map<std::string, std::string> last;
  for (const auto& e : read_ledgers(dir)) last[e.id] = e.status;
  std::vector<RunState> states(plan.size());
  for (const auto& run : plan.runs()) {
    RunState s = file_state(dir, run.id);
    if (s == RunState::Missing)
      if (auto it = last.find(run.id); it != last.end() && it->second == "failed") s = RunState::Failed;
    states[run.index] = s;
  }
  return states;
}

RunOutcome execute_run(const Plan& plan, const Run& run, const std::string& dir, Ledger& ledger,
                       const std::function<bool()>& stop, std::string* message) {
  const auto start = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  const std::string path = run_file(dir, run.id);
  try {
    std::error_code ec;
    fs::remove(path, ec);  // an incomplete or unreadable file being redone
    const Params params = plan.params(run);
    RunFileOptions options;
    options.source = run.id;
    options.stop = stop;
    RunFileResult result;
    // Isolated: while a run waits for its own parallel loops, its thread
    // takes no other run, so a run is never parked under another.
    tbb::this_task_arena::isolate([&] { result = run_to_file(params, path, options); });
    if (!result.complete) {
      ledger.append(run.id, "interrupted", run.seed, seconds(),
                    "at step " + std::to_string(result.steps_done));
      return RunOutcome::Interrupted;
    }
    ledger.append(run.id, "done", run.seed, seconds());
    return RunOutcome::Done;
  } catch (const std::exception& e) {
    if (message) *message = e.what();
    ledger.append(run.id, "failed", run.seed, seconds(), e.what());
    return RunOutcome::Failed;
  }
}

std::vector<std::size_t> runs_to_do(const Plan& plan, const std::string& dir, const Shard& shard,
                                    bool resume) {
  std::vector<std::size_t> todo;
  for (const auto& run : plan.runs()) {
    if (!shard.contains(run.index)) continue;
    const RunState s = file_state(dir, run.id);
    if (s == RunState::Done && resume) continue;
    if (s != RunState::Missing && !resume)
      throw SweepError("'" + dir + "' already holds runs of this sweep (" + run.id + " is " +
                       std::string(state_name(s)) +
                       "); pass --resume to finish it, or use a new output directory");
    todo.push_back(run.index);
  }
  return todo;
}

RunnerResult run_sweep(const Plan& plan, const std::string& dir, const RunnerOptions& options) {
  RunnerResult result;
  for (const auto& run : plan.runs()) result.planned += options.shard.contains(run.index) ? 1 : 0;
  const std::vector<std::size_t> todo = runs_to_do(plan, dir, options.shard, options.resume);
  result.skipped = result.planned - todo.size();

  Ledger ledger((fs::path(dir) / "ledger").string());
  tbb::task_arena arena(options.threads > 0 ? options.threads : tbb::task_arena::automatic);
  const int jobs = std::max(1, options.jobs > 0 ? options.jobs : arena.max_concurrency());
  std::atomic<std::size_t> next{0}, done{0}, failed{0};
  std::atomic<bool> interrupted{false};
  std::mutex log_mutex;
  auto stop = [&] {
    if (options.stop && options.stop()) interrupted = true;
    return interrupted.load();
  };
  arena.execute([&] {
    // `jobs` lanes, each taking the next run until none is left.
    tbb::parallel_for(
        0, jobs, 1,
        [&](int) {
          for (;;) {
            const std::size_t k = next++;
            if (k >= todo.size() || stop()) return;
            const Run& run = plan.run(todo[k]);
            std::string message;
            const RunOutcome outcome = execute_run(plan, run, dir, ledger, stop, &message);
            if (outcome == RunOutcome::Done) ++done;
            if (outcome == RunOutcome::Failed) ++failed;
            if (options.log && outcome != RunOutcome::Interrupted) {
              const std::lock_guard lock(log_mutex);
              *options.log << (outcome == RunOutcome::Done ? "done   " : "FAILED ") << run.id << "  ("
                           << done + failed << "/" << todo.size() << ")"
                           << (message.empty() ? "" : ": " + message) << '\n'
                           << std::flush;
            }
          }
        },
        tbb::simple_partitioner());
  });
  result.done = done;
  result.failed = failed;
  result.interrupted = interrupted;
  return result;
}

}  // namespace missionsim::sweep
