// The `sweep` commands: plan, run, status, collect, slurm (docs/SWEEP.md).

#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/cli.hpp"
#include "cli/interrupt.hpp"
#include "cli/preflight.hpp"
#include "scenario/footprint.hpp"
#include "sweep/collect.hpp"
#include "sweep/launch.hpp"
#include "sweep/runner.hpp"
#include "sweep/sweep.hpp"

namespace fs = std::filesystem;

namespace missionsim::cli {
namespace {

using namespace missionsim::sweep;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string self_path() {
  std::error_code ec;
  const auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("missionsim") : p.string();
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string base_argument(const Plan& plan, const std::string& dir) {
  if (!plan.spec().base_path.empty()) return plan.spec().base_path;
  return (fs::path(dir.empty() ? "SWEEP_DIR" : dir) / "base.toml").string();
}

// The files `sweep run` writes into DIR (docs/SWEEP.md, the sweep directory);
// its copies sweep.toml and base.toml may be the inputs themselves (same bytes).
std::vector<OutputFile> sweep_outputs(const std::string& dir, const std::string& sweep_file,
                                      const std::string& base_file, const std::string& points_file = "") {
  const fs::path d(dir);
  std::vector<OutputFile> out = {{dir, ""},
                                 {(d / "sweep.toml").string(), sweep_file},
                                 {(d / "base.toml").string(), base_file},
                                 {(d / "points.csv").string(), points_file},
                                 {(d / "runs").string(), ""}};
  for (const char* name : {"manifest.toml", "ledger", "shards", "sweep.h5", "sweep.h5.partial"})
    out.push_back({(d / name).string(), ""});
  return out;
}

// The sweep file, refused before its plan is expanded when the plan alone
// would not fit in memory.
SweepSpec checked_spec(const SweepOptions& o) {
  SweepSpec spec = load_sweep(o.target);
  const PlanSize size = plan_size(spec);
  check_fits("the plan of " + std::to_string(size.runs) + " runs", size.bytes, "", -1, "", o.force);
  return spec;
}

// Memory and disk a sweep run needs: `jobs` runs at once, each as large as
// the largest of up to 64 design points spread over the plan, and the
// trajectories of the runs still to do (this shard's, less those whose file
// exists on --resume) at the sampled points' mean size.
void check_sweep_fits(const Plan& plan, const SweepOptions& o, const Shard& shard) {
  const int threads = o.threads > 0 ? o.threads : hardware_threads();
  std::size_t todo =
      plan.size() > shard.index ? (plan.size() - shard.index + shard.count - 1) / shard.count : 0;
  if (o.resume) {
    std::error_code ec;
    std::size_t existing = 0;
    for (fs::directory_iterator it(fs::path(o.output) / "runs", ec), end; !ec && it != end; it.increment(ec))
      existing += it->path().extension() == ".h5";
    todo -= std::min(todo, existing);
  }
  const std::size_t samples = std::min<std::size_t>(plan.points(), 64);
  double memory = 0, output = 0;
  for (std::size_t k = 0; k < samples; ++k) {
    const std::size_t point = k * plan.points() / samples;
    const RunFootprint f = estimate_run(
        plan.params(plan.run(point * static_cast<std::size_t>(plan.spec().replicates))), threads);
    memory = std::max(memory, f.memory_bytes);
    output += f.output_bytes / static_cast<double>(samples);
  }
  const std::size_t jobs =
      std::min<std::size_t>(o.jobs > 0 ? o.jobs : threads, std::max<std::size_t>(todo, 1));
  check_fits("this sweep", static_cast<double>(jobs) * memory + plan_size(plan.spec()).bytes,
             std::to_string(jobs) + " runs at once, up to " + byte_text(memory) + " each, and the plan",
             output * static_cast<double>(todo), (fs::path(o.output) / "runs" / "").string(), o.force);
  if (!o.quiet && output * static_cast<double>(todo) >= 1e9)
    std::cerr << "missionsim: note: the " << todo << " trajectories will take about "
              << byte_text(output * static_cast<double>(todo)) << '\n';
}

int plan_command(const SweepOptions& o) {
  const Plan plan(checked_spec(o));
  const SweepSpec& spec = plan.spec();
  const std::string base = base_argument(plan, "");
  if (!o.run_id.empty()) {
    const auto index = plan.find(o.run_id);
    if (!index) throw SweepError("no run '" + o.run_id + "' in " + o.target);
    std::cout << plan.command(plan.run(*index), base) << '\n';
    return kExitOk;
  }
  std::cout << "sweep '" << spec.name << "': design " << design_name(spec.design)
            << (spec.points.method.empty() ? "" : " (" + spec.points.method + ")") << ", " << plan.points()
            << " points x " << spec.replicates << " replicates = " << plan.size() << " runs\n";
  std::cout << "base: "
            << (spec.base_path.empty() ? "inline [base] (written to DIR/base.toml by sweep run)"
                                       : spec.base_path)
            << "\nsweep sha256: " << plan.sha256() << "\n\n";
  std::cout << "id";
  const std::size_t width = plan.size() ? plan.run(0).id.size() : 2;
  std::cout << std::string(width > 2 ? width - 2 + 2 : 2, ' ') << "seed               ";
  for (const auto& p : spec.parameters) std::cout << "  " << p.key;
  if (spec.points.saltelli_n > 0) std::cout << "  matrix";
  std::cout << '\n';
  for (const auto& run : plan.runs()) {
    char seed[32];
    std::snprintf(seed, sizeof seed, "%-19llu", static_cast<unsigned long long>(run.seed));
    std::cout << run.id << "  " << seed;
    for (std::size_t j = 0; j < spec.parameters.size(); ++j) {
      const std::string& v = plan.value_text(run.point, j);
      std::cout << "  " << v
                << std::string(spec.parameters[j].key.size() > v.size()
                                   ? spec.parameters[j].key.size() - v.size()
                                   : 0,
                               ' ');
    }
    if (spec.points.saltelli_n > 0) {
      std::cout << "  " << plan.saltelli_matrix(run.point);
      if (plan.saltelli_column(run.point) >= 0) std::cout << "_" << plan.saltelli_column(run.point) + 1;
    }
    std::cout << '\n';
  }
  if (plan.size() > 0)
    std::cout << "\nreproduce a run alone (here " << plan.run(0).id
              << "; 'sweep plan --run ID' for another):\n  " << plan.command(plan.run(0), base) << '\n';
  if (!o.csv.empty()) {
    std::ostringstream csv;
    csv << "id,point,replicate,seed";
    for (const auto& p : spec.parameters) csv << ',' << csv_field(p.key);
    if (spec.points.saltelli_n > 0) csv << ",saltelli_matrix,saltelli_column";
    csv << '\n';
    for (const auto& run : plan.runs()) {
      csv << run.id << ',' << run.point << ',' << run.replicate << ',' << run.seed;
      for (std::size_t j = 0; j < spec.parameters.size(); ++j)
        csv << ',' << csv_field(plan.value_text(run.point, j));
      if (spec.points.saltelli_n > 0)
        csv << ',' << plan.saltelli_matrix(run.point) << ',' << plan.saltelli_column(run.point);
      csv << '\n';
    }
    refuse_overwriting_inputs({{o.csv, ""}}, {o.target, spec.base_path});
    std::ofstream out(o.csv, std::ios::binary | std::ios::trunc);
    out << csv.str();
    if (!out.flush()) throw std::runtime_error("cannot write '" + o.csv + "'");
  }
  return kExitOk;
}

int run_sweep_command(const SweepOptions& o) {
  const Plan plan(checked_spec(o));
  const std::string sweep_text = read_file(o.target);
  RunnerOptions options;
  options.jobs = o.jobs;
  options.threads = o.threads;
  options.resume = o.resume;
  if (!o.shard.empty()) options.shard = parse_shard(o.shard);
  if (!o.quiet) options.log = &std::cerr;
  const InterruptGuard interrupt;
  options.stop = [&] { return interrupt.requested(); };

  refuse_overwriting_inputs(sweep_outputs(o.output, o.target, plan.spec().base_path, plan.spec().points.path),
                            {o.target, plan.spec().base_path, plan.spec().points.path});
  if (o.threads > 0) check_threads("--threads", o.threads, o.force);
  if (o.jobs > 0) check_threads("--jobs", o.jobs, o.force);
  check_sweep_fits(plan, o, options.shard);
  RunnerResult r;
  if (o.mpi) {
    if (!mpi_available())
      throw UsageError(
          "--mpi: this missionsim was built without MPI (configure with -DMISSIONSIM_WITH_MPI=ON)");
    r = run_sweep_mpi(plan, o.output, sweep_text, options);
  } else {
    prepare_directory(plan, o.output, sweep_text);
    if (options.shard.count > 1) {
      // Remembered for 'sweep status'; every shard writes the same text.
      const fs::path shards = fs::path(o.output) / "shards";
      const fs::path tmp = shards.string() + ".tmp." + std::to_string(::getpid());
      std::ofstream(tmp) << options.shard.count << '\n';
      fs::rename(tmp, shards);
    }
    r = run_sweep(plan, o.output, options);
  }
  const bool report = !o.quiet && (!o.mpi || r.planned > 0);
  if (report)
    std::cerr << "sweep " << o.output << ": " << r.done << " runs done, " << r.failed << " failed, "
              << r.skipped << " already complete, of " << r.planned
              << (options.shard.count > 1 ? " in shard " + o.shard : "") << '\n';
  if (r.interrupted) {
    if (report || o.quiet)
      std::cerr << "missionsim: interrupted; resume with: missionsim sweep run " << o.target << " -o "
                << o.output << " --resume\n";
    return kExitInterrupted;
  }
  return r.failed > 0 ? kExitFailure : kExitOk;
}

int extend_command(const SweepOptions& o) {
  const Plan plan(checked_spec(o));
  refuse_overwriting_inputs(sweep_outputs(o.output, o.target, plan.spec().base_path, plan.spec().points.path),
                            {o.target, plan.spec().base_path, plan.spec().points.path});
  const std::size_t added = extend_directory(plan, o.output, read_file(o.target));
  std::cout << "sweep " << o.output << ": now " << plan.points() << " points x " << plan.spec().replicates
            << " replicates = " << plan.size() << " runs, " << added
            << " added; existing runs kept.\nrun the new ones with: missionsim sweep run " << o.target
            << " -o " << o.output << " --resume\n";
  return kExitOk;
}

std::size_t remembered_shards(const std::string& dir) {
  std::ifstream in(fs::path(dir) / "shards");
  std::size_t n = 0;
  if (in >> n && n > 0) return n;
  return 1;
}

int status_command(const SweepOptions& o) {
  const Plan plan = open_directory(o.target);
  const std::vector<RunState> states = run_states(plan, o.target);
  const std::size_t n = o.shards > 0 ? o.shards : remembered_shards(o.target);
  std::vector<std::array<std::size_t, 5>> counts(n, {0, 0, 0, 0, 0});
  std::array<std::size_t, 5> total{0, 0, 0, 0, 0};
  for (std::size_t i = 0; i < states.size(); ++i) {
    const auto s = static_cast<std::size_t>(states[i]);
    ++counts[i % n][s];
    ++total[s];
  }
  std::cout << "sweep '" << plan.spec().name << "' in " << o.target << ": " << plan.size() << " runs, "
            << total[0] << " done, " << total[1] << " partial, " << total[2] << " missing, " << total[3]
            << " failed, " << total[4] << " damaged\n";
  char line[160];
  std::snprintf(line, sizeof line, "%-10s %8s %8s %8s %8s %8s %8s\n", "shard", "runs", "done", "partial",
                "missing", "failed", "damaged");
  std::cout << line;
  for (std::size_t k = 0; k < n; ++k) {
    const auto& c = counts[k];
    const std::string name = std::to_string(k) + "/" + std::to_string(n);
    std::snprintf(line, sizeof line, "%-10s %8zu %8zu %8zu %8zu %8zu %8zu\n", name.c_str(),
                  c[0] + c[1] + c[2] + c[3] + c[4], c[0], c[1], c[2], c[3], c[4]);
    std::cout << line;
  }
  std::size_t listed = 0;
  for (std::size_t i = 0; i < states.size() && listed < 20; ++i)
    if (states[i] != RunState::Done) {
      if (listed++ == 0) std::cout << "not done:\n";
      std::cout << "  " << plan.run(i).id << "  " << state_name(states[i]) << "  (shard " << i % n << "/" << n
                << ")";
      if (claim_held(o.target, plan.run(i).id))
        std::cout << "  being written by " << lock_holder(o.target, plan.run(i).id);
      std::cout << '\n';
    }
  if (total[0] < plan.size() && total[0] + listed < plan.size()) std::cout << "  ...\n";
  return kExitOk;
}

int collect_command(const SweepOptions& o) {
  const Plan plan = open_directory(o.target);
  const CollectResult c = collect_sweep(plan, o.target);
  std::cout << "wrote " << c.path << ": " << c.done << " of " << c.runs << " runs done";
  if (c.done < c.runs)
    std::cout << " (" << c.partial << " partial, " << c.missing << " missing, " << c.failed << " failed, "
              << c.damaged << " damaged; their rows are NaN)";
  std::cout << '\n';
  return kExitOk;
}

int slurm_command(const SweepOptions& o) {
  const Plan plan(checked_spec(o));
  SlurmOptions s;
  s.program = self_path();
  s.sweep_file = fs::absolute(o.target).lexically_normal().string();
  s.dir = fs::absolute(o.output).lexically_normal().string();
  s.settings = overlay(plan.spec().slurm, o.slurm);
  refuse_overwriting_inputs({{o.output, ""},
                             {(fs::path(o.output) / "sweep.sbatch").string(), ""},
                             {(fs::path(o.output) / "collect.sbatch").string(), ""},
                             {(fs::path(o.output) / "submit.sh").string(), ""}},
                            {o.target, plan.spec().base_path});
  const SlurmFiles f = write_slurm(plan, s);
  std::cout << "wrote " << f.array_script << " (" << f.array_size << " tasks for " << plan.size()
            << " runs), " << f.collect_script << ", " << f.submit_script
            << "\nsubmit with: " << f.submit_script << '\n';
  // A binary in a CMake build tree changes or disappears with the next build.
  std::error_code ec;
  if (fs::exists(fs::path(s.program).parent_path() / "CMakeCache.txt", ec))
    std::cerr << "missionsim: note: the scripts run " << s.program
              << ", which is in a build tree; install it for the cluster (make install PREFIX=..., "
                 "docs/SWEEP.md, Install) and run 'sweep slurm' with the installed one\n";
  return kExitOk;
}

}  // namespace

int sweep_command(const SweepOptions& o) {
  if (o.action == "plan") return plan_command(o);
  if (o.action == "run") return run_sweep_command(o);
  if (o.action == "extend") return extend_command(o);
  if (o.action == "status") return status_command(o);
  if (o.action == "collect") return collect_command(o);
  if (o.action == "slurm") return slurm_command(o);
  throw UsageError("unknown sweep action '" + o.action + "'");
}

}  // namespace missionsim::cli
