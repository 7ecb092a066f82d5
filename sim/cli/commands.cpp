// The `run` and `validate` commands.

#include <tbb/global_control.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <system_error>

#include "cli/cli.hpp"
#include "cli/interrupt.hpp"
#include "cli/preflight.hpp"
#include "cli/progress.hpp"
#include "output/run_file.hpp"
#include "scenario/footprint.hpp"
#include "scenario/scenario.hpp"

namespace fs = std::filesystem;

namespace missionsim::cli {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A missing or unreadable file is bad input (exit 2) whatever the reader throws.
void require_regular_file(const std::string& path) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec) throw InputError("cannot open scenario '" + path + "': " + ec.message());
  if (fs::is_directory(status)) throw InputError("cannot open scenario '" + path + "': Is a directory");
}

Params load(const std::string& path, const std::vector<std::string>& overrides) {
  require_regular_file(path);
  return load_scenario(path, overrides);
}

std::string default_output(const std::string& scenario) {
  return (fs::path("out") / fs::path(scenario).stem()).string() + ".h5";
}

// Checked before the run, not when finish() renames the file at the end.
void prepare_output(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw InputError("output '" + path + "' is a directory");
  const fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) return;
  fs::create_directories(parent, ec);
  if (ec) throw std::runtime_error("cannot create directory '" + parent.string() + "': " + ec.message());
}

std::string fixed(double value, int decimals) {
  if (std::isnan(value)) return "-";
  char text[48];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

// The firms that exist at the final step, largest share first.
void print_firm_table(std::ostream& out, const RunInfo& info, const Observables& obs) {
  constexpr std::size_t kMaxRows = 12;
  std::vector<std::size_t> firms;
  std::size_t exited = 0;
  for (std::size_t f = 0; f < obs.share.size(); ++f) {
    if (obs.strategy_id[f] < 0) continue;  // unused entrant slot
    if (obs.alive[f])
      firms.push_back(f);
    else
      ++exited;
  }
  std::stable_sort(firms.begin(), firms.end(),
                   [&](std::size_t a, std::size_t b) { return obs.share[a] > obs.share[b]; });
  auto strategy = [&](std::size_t f) {
    const auto id = static_cast<std::size_t>(obs.strategy_id[f]);
    return id < info.strategy_names.size() ? info.strategy_names[id] : std::string("?");
  };
  std::size_t name_width = 4, strategy_width = 8;
  for (std::size_t f : firms) {
    name_width = std::max(name_width, std::min<std::size_t>(info.firm_names[f].size(), 24));
    strategy_width = std::max(strategy_width, std::min<std::size_t>(strategy(f).size(), 16));
  }
  char line[256];
  const int nw = static_cast<int>(name_width), sw = static_cast<int>(strategy_width);
  std::snprintf(line, sizeof line, "  %-*s  %-*s  %6s  %6s  %6s  %16s\n", nw, "firm", sw, "strategy", "share",
                "satisf", "succ", "cash");
  out << line;
  for (std::size_t i = 0; i < std::min(firms.size(), kMaxRows); ++i) {
    const std::size_t f = firms[i];
    std::snprintf(line, sizeof line, "  %-*.*s  %-*.*s  %6s  %6s  %6s  %16s\n", nw, nw,
                  info.firm_names[f].c_str(), sw, sw, strategy(f).c_str(), fixed(obs.share[f], 3).c_str(),
                  fixed(obs.satisfaction[f], 3).c_str(), fixed(obs.success[f], 3).c_str(),
                  fixed(obs.cash[f], 2).c_str());
    out << line;
  }
  if (firms.size() > kMaxRows) out << "  ... and " << firms.size() - kMaxRows << " more firms\n";
  if (exited > 0) out << "  (" << exited << " firms exited)\n";
}

void print_summary(std::ostream& out, const RunFileResult& run, double setup_s) {
  const RunInfo& info = run.info;
  const Observables& obs = run.last;
  const double customer_steps = static_cast<double>(info.population) * run.steps_done;
  const double steps_s = run.steps_s;
  char line[256];
  std::snprintf(line, sizeof line, "%d steps, %lld customers: %.2f s (setup %.2f s), %.3g customer-steps/s\n",
                run.steps_done, static_cast<long long>(info.population), setup_s + steps_s, setup_s,
                steps_s > 0 ? customer_steps / steps_s : 0.0);
  out << "wrote " << run.path << '\n' << line;
  std::snprintf(line, sizeof line, "adopters %.3f of the population, HHI %.3f\n",
                info.population > 0 ? static_cast<double>(obs.adopters) / info.population : 0.0, obs.hhi);
  out << line;
  print_firm_table(out, info, obs);
}

}  // namespace

int run_command(const RunOptions& options) {
  const auto start = Clock::now();
  const Params params = load(options.scenario, options.overrides);
  const std::string output = options.output.empty() ? default_output(options.scenario) : options.output;
  refuse_overwriting_inputs({{output, ""}, {output + ".partial", ""}}, {options.scenario});
  if (options.threads) check_threads("--threads", *options.threads, options.force);
  const RunFootprint need = estimate_run(params, options.threads.value_or(hardware_threads()));
  check_fits("this run", need.memory_bytes, need.memory_text(), need.output_bytes, output, options.force);
  if (!options.quiet && need.output_bytes >= 1e9)
    std::cerr << "missionsim: note: the trajectory will take about " << byte_text(need.output_bytes) << '\n';
  prepare_output(output);
  if (std::error_code ec; fs::is_regular_file(output, ec))
    std::cerr << "missionsim: note: '" << output << "' exists; this run replaces it when it completes\n";

  std::optional<tbb::global_control> threads;
  if (options.threads)
    threads.emplace(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(*options.threads));
  const InterruptGuard interrupt;

  ProgressBar progress(params.steps, !options.quiet && stderr_is_terminal());
  RunFileOptions run_options;
  run_options.source = options.scenario;
  run_options.stop = [&] { return interrupt.requested(); };
  run_options.on_step = [&](int done) { progress.update(done); };
  const RunFileResult run = run_to_file(params, output, run_options);
  progress.clear();
  if (!run.complete) {
    std::cerr << "missionsim: interrupted at step " << run.steps_done << " of " << params.steps
              << "; partial trajectory in " << run.path << '\n';
    return kExitInterrupted;
  }
  // Setup as the user saw it: reading the scenario included.
  if (!options.quiet) print_summary(std::cout, run, seconds_since(start) - run.steps_s);
  return kExitOk;
}

int validate_command(const ValidateOptions& options) {
  const Params params = load(options.scenario, options.overrides);
  std::cout << to_toml(params) << std::flush;
  return kExitOk;
}

}  // namespace missionsim::cli
