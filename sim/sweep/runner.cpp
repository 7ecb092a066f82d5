#include "sweep/runner.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <thread>

#include "output/fault.hpp"
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

// A whole-file write lock owned by the open file (not the process): F_OFD_SETLK(W).
int ofd_lock(int fd, short type, bool wait) {
  struct flock fl {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;
  int rc;
  do rc = ::fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl);
  while (rc != 0 && errno == EINTR);
  return rc == 0 ? 0 : errno;
}

std::string no_locks_message(const std::string& path, int err) {
  return "cannot lock '" + path + "': " + std::strerror(err) +
         "; the sweep directory is on a filesystem without working file locks (NFSv3 without its "
         "lock manager, Lustre mounted without '-o flock', ...), so workers sharing it cannot be kept "
         "apart. Use a directory on a filesystem with locks (a local disk, NFSv4, Lustre mounted with "
         "'-o flock')";
}

}  // namespace

std::string lock_file(const std::string& dir, const std::string& id) {
  return (fs::path(dir) / "locks" / (id + ".lock")).string();
}

std::string lock_holder(const std::string& dir, const std::string& id) {
  std::ifstream in(lock_file(dir, id));
  std::string holder;
  std::getline(in, holder);
  return holder;
}

bool claim_held(const std::string& dir, const std::string& id) {
  const int fd = ::open(lock_file(dir, id).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  const bool held = ::fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
  ::close(fd);
  return held;
}

std::optional<RunClaim> RunClaim::try_acquire(const std::string& dir, const std::string& id) {
  const std::string path = lock_file(dir, id);
  std::error_code ec;
  fs::create_directories(fs::path(dir) / "locks", ec);
  if (ec)
    throw std::runtime_error("cannot create '" + (fs::path(dir) / "locks").string() + "': " + ec.message());
  if (fault_target() == "sweep-nolock") throw SweepError(no_locks_message(path, ENOLCK));
  // A holder removes the file before releasing it, so a lock won on a file
  // that is no longer at `path` is worthless: open the new one and try again.
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("cannot open lock file '" + path + "': " + std::strerror(errno));
    if (const int err = ofd_lock(fd, F_WRLCK, /*wait=*/false); err != 0) {
      ::close(fd);
      if (err == EAGAIN || err == EACCES) return std::nullopt;  // a live worker holds it
      throw SweepError(no_locks_message(path, err));
    }
    struct stat held = {};
    struct stat named = {};
    if (::fstat(fd, &held) == 0 && ::stat(path.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
        held.st_ino == named.st_ino) {
      // Who holds it, for messages only: "host:pid".
      const std::string holder = host_pid() + "\n";
      if (::ftruncate(fd, 0) == 0) {
        [[maybe_unused]] const ssize_t n = ::pwrite(fd, holder.data(), holder.size(), 0);
      }
      return RunClaim(fd, path);
    }
    ::close(fd);
  }
  throw std::runtime_error("cannot claim '" + path + "': it keeps being replaced");
}

RunClaim::RunClaim(RunClaim&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}

RunClaim& RunClaim::operator=(RunClaim&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}

void RunClaim::release() noexcept {
  if (fd_ < 0) return;
  // Removed while still held: whoever opened this file meanwhile finds it
  // gone once it gets the lock, and tries again on a new one.
  ::unlink(path_.c_str());
  ::close(fd_);
  fd_ = -1;
}

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
  if (plan.spec().design == Design::Points) write_atomically(root / "points.csv", plan.spec().points.text);
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
  std::optional<std::string> points;
  if (fs::exists(root / "points.csv", ec)) points = read_text(root / "points.csv");
  Plan plan(parse_sweep(read_text(sweep_copy), sweep_copy, base_dir, read_text(root / "base.toml"), points));
  if (plan.sha256() != m.sha256)
    throw SweepError("'" + dir +
                     "': the sweep copy (sweep.toml, base.toml, points.csv) does not match manifest.toml "
                     "(sha256 " +
                     plan.sha256().substr(0, 12) + " vs " + m.sha256.substr(0, 12) +
                     "); was it edited, or written by another missionsim version?");
  return plan;
}

std::size_t extend_directory(const Plan& plan, const std::string& dir, const std::string& sweep_text) {
  const fs::path root(dir);
  std::error_code ec;
  // No live worker may be writing runs of the directory meanwhile.
  for (const auto& e : fs::directory_iterator(root / "locks", ec)) {
    const std::string name = e.path().filename().string();
    const auto dot = name.rfind(".lock");
    if (dot == std::string::npos) continue;
    const std::string id = name.substr(0, dot);
    if (claim_held(dir, id))
      throw SweepError("'" + dir + "': a worker (" + lock_holder(dir, id) + ") is writing run " + id +
                       "; extend the sweep once every worker has finished");
  }
  const fs::path manifest = root / "manifest.toml";
  auto write_copies_then_manifest = [&] {
    write_atomically(root / "sweep.toml", sweep_text);
    write_atomically(root / "base.toml", plan.spec().base_text);
    if (plan.spec().design == Design::Points) write_atomically(root / "points.csv", plan.spec().points.text);
    fs::remove(root / "sweep.h5", ec);  // describes the smaller sweep; collect again
    const std::string sweep_file = plan.spec().source.empty()
                                       ? std::string()
                                       : fs::absolute(plan.spec().source).lexically_normal().string();
    write_atomically(manifest, manifest_text(plan, sweep_file));
  };
  std::optional<Plan> old;
  try {
    old.emplace(open_directory(dir));
  } catch (const SweepError&) {
    // An extension interrupted between the copies and the manifest: the
    // copies already hold this plan (checked as a superset before they were
    // written), so only the manifest is left to write.
    const Manifest m = read_manifest(manifest);  // throws for a directory that is no sweep
    std::optional<std::string> points;
    if (fs::exists(root / "points.csv", ec)) points = read_text(root / "points.csv");
    const std::string copy = (root / "sweep.toml").string();
    const std::string base_dir =
        m.sweep_file.empty() ? root.string() : fs::path(m.sweep_file).parent_path().string();
    const Plan copies(parse_sweep(read_text(copy), copy, base_dir, read_text(root / "base.toml"), points));
    if (copies.sha256() != plan.sha256()) throw;
    write_copies_then_manifest();
    return 0;
  }
  if (old->sha256() == plan.sha256()) return 0;
  const std::string what = "'" + plan.spec().source + "' is not an extension of the sweep in '" + dir + "': ";
  if (old->identity_sha256() != plan.identity_sha256())
    throw SweepError(
        what +
        "the base scenario, [sweep] set, design, seed, parameters and linked parameters must stay "
        "the same; only 'replicates' and the number of points (random: 'samples'; points: rows "
        "appended to the points file) may grow");
  if (plan.spec().replicates < old->spec().replicates || plan.points() < old->points())
    throw SweepError(what + "it has " + std::to_string(plan.points()) + " points x " +
                     std::to_string(plan.spec().replicates) + " replicates, the directory " +
                     std::to_string(old->points()) + " x " + std::to_string(old->spec().replicates) +
                     "; an extension may only add");
  const std::size_t d = plan.spec().parameters.size();
  for (std::size_t p = 0; p < old->points(); ++p) {
    bool same = old->saltelli_matrix(p) == plan.saltelli_matrix(p) &&
                old->saltelli_column(p) == plan.saltelli_column(p);
    for (std::size_t j = 0; j < d && same; ++j) same = old->value_text(p, j) == plan.value_text(p, j);
    if (!same)
      throw SweepError(what + "design point " + std::to_string(p) + " changed" +
                       (old->spec().points.saltelli_n > 0
                            ? " (a Saltelli design cannot grow by points: its rows are blocks [A; B; AB_i] "
                              "of N each; add replicates, or make a new sweep with a larger N)"
                            : " (new points must be appended after the existing ones)"));
  }
  for (const Run& run : old->runs()) {
    const Run& now = plan.run(run.point * static_cast<std::size_t>(plan.spec().replicates) +
                              static_cast<std::size_t>(run.replicate));
    if (now.id != run.id || now.seed != run.seed)
      throw SweepError(what + "run " + run.id + " would become " + now.id +
                       (now.id != run.id
                            ? " (its id gets wider: ids keep their width up to 10^" +
                                  std::to_string(run.id.size() - run.id.find("-r") - 2) +
                                  " replicates and 10^" + std::to_string(run.id.find("-r") - 1) + " points)"
                            : " with another seed"));
  }
  write_copies_then_manifest();
  return plan.size() - old->size();
}

Ledger::Ledger(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);  // read: its last byte
  if (fd_ < 0) throw std::runtime_error("cannot open ledger '" + path + "': " + std::strerror(errno));
}

Ledger::~Ledger() {
  if (fd_ >= 0) ::close(fd_);
}

void Ledger::append(const std::string& id, const std::string& status, std::uint64_t seed, double seconds,
                    const std::string& message) {
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.3f", seconds);
  std::string line = utc_now_iso8601() + "\t" + id + "\t" + status + "\t" + std::to_string(seed) + "\t" +
                     secs + "\t" + host_pid() + "\t" + one_line(message) + "\n";
  const std::lock_guard lock(mutex_);
  // Other processes, maybe on other hosts, append too: O_APPEND alone is
  // atomic on a local filesystem but not over NFS, so the line is written
  // under a lock on the file (NFS revalidates the size when a lock is taken).
  // Without locks (the runs could not be claimed either) O_APPEND remains.
  const bool locked = ofd_lock(fd_, F_WRLCK, /*wait=*/true) == 0;
  struct stat st {};
  char last = '\n';
  if (::fstat(fd_, &st) == 0 && st.st_size > 0 && ::pread(fd_, &last, 1, st.st_size - 1) == 1 && last != '\n')
    line.insert(0, "\n");             // end a line torn by a killed writer, so it cannot swallow this one
  if (fault_fires("sweep-ledger")) {  // killed halfway through the line
    if (::write(fd_, line.data(), line.size() / 2) >= 0) ::kill(::getpid(), SIGKILL);
  }
  // One write(): with O_APPEND the line lands whole, never interleaved.
  const ssize_t n = ::write(fd_, line.data(), line.size());
  const int err = errno;
  if (n == static_cast<ssize_t>(line.size())) ::fsync(fd_);
  if (locked) ofd_lock(fd_, F_UNLCK, false);
  if (n != static_cast<ssize_t>(line.size()))
    throw std::runtime_error("cannot append to ledger '" + path_ +
                             "': " + (n < 0 ? std::strerror(err) : "short write"));
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
      if (field.size() != 7) continue;  // a torn line (killed mid-write)
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
                       const std::function<bool()>& stop, std::string* message, bool wait,
                       const std::function<void(const std::string&)>& on_wait) {
  std::optional<RunClaim> claim = RunClaim::try_acquire(dir, run.id);
  for (bool told = false; !claim;) {
    if (!wait) return RunOutcome::Busy;
    if (!told && on_wait) on_wait(lock_holder(dir, run.id));
    told = true;
    if (stop && stop()) return RunOutcome::Interrupted;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    claim = RunClaim::try_acquire(dir, run.id);
  }
  // Listed as not done before the claim: another worker may have finished it since.
  if (file_state(dir, run.id) == RunState::Done) return RunOutcome::DoneElsewhere;
  fault_point("sweep-claimed");

  const auto start = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  const std::string path = run_file(dir, run.id);
  try {
    std::error_code ec;
    fs::remove(path, ec);  // an incomplete or unreadable file being redone (no one else writes it: claimed)
    const Params params = plan.params(run);
    RunFileOptions options;
    options.source = run.id;
    options.stop = stop;
    if (fault_hook_set())
      options.on_step = [&](int k) {
        fault_point("sweep-step-" + std::to_string(k));
        if (k == params.steps) fault_point("sweep-last-step");  // before complete = 1 and the rename
      };
    RunFileResult result;
    // Isolated: while a run waits for its own parallel loops, its thread
    // takes no other run, so a run is never parked under another.
    tbb::this_task_arena::isolate([&] { result = run_to_file(params, path, options); });
    if (!result.complete) {
      ledger.append(run.id, "interrupted", run.seed, seconds(),
                    "at step " + std::to_string(result.steps_done));
      return RunOutcome::Interrupted;
    }
    fault_point("sweep-renamed");
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
    if (s == RunState::Done && resume) {
      // A worker killed after the rename left its lock file: removed (under
      // the lock, as a holder would) unless a live worker holds it.
      std::error_code ec;
      if (fs::exists(lock_file(dir, run.id), ec)) RunClaim::try_acquire(dir, run.id);
      continue;
    }
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
  std::atomic<std::size_t> done{0}, failed{0}, elsewhere{0};
  std::atomic<bool> interrupted{false};
  std::mutex log_mutex;
  std::vector<std::size_t> held;  // by another worker when first tried
  auto stop = [&] {
    if (options.stop && options.stop()) interrupted = true;
    return interrupted.load();
  };
  auto log = [&](const std::string& line) {
    if (!options.log) return;
    const std::lock_guard lock(log_mutex);
    *options.log << line << '\n' << std::flush;
  };
  // `jobs` lanes, each taking the next run of `list` until none is left.
  auto run_all = [&](const std::vector<std::size_t>& list, bool wait) {
    std::atomic<std::size_t> next{0};
    arena.execute([&] {
      tbb::parallel_for(
          0, jobs, 1,
          [&](int) {
            for (;;) {
              const std::size_t k = next++;
              if (k >= list.size() || stop()) return;
              const Run& run = plan.run(list[k]);
              std::string message;
              const RunOutcome outcome =
                  execute_run(plan, run, dir, ledger, stop, &message, wait, [&](const std::string& holder) {
                    log("waiting for " + run.id + " (held by " +
                        (holder.empty() ? "another worker" : holder) + ")");
                  });
              switch (outcome) {
                case RunOutcome::Done:
                  ++done;
                  break;
                case RunOutcome::Failed:
                  ++failed;
                  break;
                case RunOutcome::DoneElsewhere:
                  ++elsewhere;
                  log("skip   " + run.id + "  (done by another worker)");
                  continue;
                case RunOutcome::Busy: {
                  const std::lock_guard lock(log_mutex);
                  held.push_back(run.index);
                  continue;
                }
                case RunOutcome::Interrupted:
                  continue;
              }
              log((outcome == RunOutcome::Done ? "done   " : "FAILED ") + run.id + "  (" +
                  std::to_string(done + failed + elsewhere) + "/" + std::to_string(todo.size()) + ")" +
                  (message.empty() ? "" : ": " + message));
            }
          },
          tbb::simple_partitioner());
    });
  };
  run_all(todo, /*wait=*/false);
  // Runs another worker held: waited for once the rest is done, then done
  // here unless that worker finished them.
  std::sort(held.begin(), held.end());
  if (!held.empty() && !stop()) run_all(held, /*wait=*/true);
  result.done = done;
  result.failed = failed;
  result.skipped += elsewhere;
  result.interrupted = interrupted;
  return result;
}

}  // namespace missionsim::sweep
