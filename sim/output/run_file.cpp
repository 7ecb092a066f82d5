#include "output/run_file.hpp"

#include <chrono>
#include <ctime>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "core/simulation.hpp"
#include "missionsim_version.hpp"
#include "output/sha256.hpp"
#include "scenario/scenario.hpp"

namespace missionsim {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The HDF5 high-level library (dimension scales, used while a file is
// created) is not covered by the core library's thread-safety lock, so
// concurrent runs of a sweep create their files one at a time.
std::mutex& file_creation_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

Provenance run_provenance(const Params& params) {
  Provenance prov;
  prov.missionsim_version = MISSIONSIM_VERSION;
  prov.seed = params.seed;
  prov.scenario_toml = to_toml(params);
  prov.scenario_sha256 = sha256_hex(prov.scenario_toml);
  prov.created_utc = utc_now_iso8601();
  return prov;
}

RunFileResult run_to_file(const Params& params, const std::string& path, const RunFileOptions& options) {
  const auto start = Clock::now();
  std::unique_ptr<Simulation> sim;
  try {
    sim = std::make_unique<Simulation>(params);
  } catch (const std::invalid_argument& e) {
    // Inconsistent parameters the reader cannot see: a scenario problem.
    throw ScenarioError((options.source.empty() ? std::string("scenario") : options.source) + ": " +
                        e.what());
  }
  RunFileResult result;
  result.setup_s = seconds_since(start);

  // The file (its static datasets, scales and attributes) is created on a thread of its own while the
  // first steps run: it costs about a step of a million customers, and the many steps of a small run.
  // The rows computed meanwhile wait in `early` and are appended, in order, once the writer is there;
  // a file that cannot be created fails the run at the next step, with the same message.
  std::future<std::unique_ptr<TrajectoryWriter>> creating =
      std::async(std::launch::async, [&path, &options, info = sim->info(), prov = run_provenance(params)] {
        const std::lock_guard lock(file_creation_mutex());
        return std::make_unique<TrajectoryWriter>(path, info, prov, options.flush_every);
      });
  std::vector<Observables> early{sim->observables()};
  std::unique_ptr<TrajectoryWriter> writer;
  const auto take_writer = [&] {
    writer = creating.get();
    for (const Observables& o : early) writer->append(o);
    early.clear();
  };
  const auto steps_start = Clock::now();
  try {
    for (int k = 0; k < params.steps; ++k) {
      if (!writer && creating.wait_for(std::chrono::seconds(0)) == std::future_status::ready) take_writer();
      if (options.stop && options.stop()) {
        if (!writer) take_writer();
        writer->abandon();
        result.path = writer->partial_path();
        result.steps_done = sim->time();
        result.steps_s = seconds_since(steps_start);
        result.info = sim->info();
        result.last = sim->observables();
        return result;
      }
      sim->step();
      if (writer)
        writer->append(sim->observables());
      else
        early.push_back(sim->observables());
      if (options.on_step) options.on_step(k + 1);
    }
    if (!writer) take_writer();
    writer->finish();
    result.steps_s = seconds_since(steps_start);
  } catch (...) {
    // A run that failed (a full disk, a write error, a file that could not be created) cannot be resumed
    // from its .partial: remove it, so that it holds no space and claims nothing.
    if (!writer && creating.valid()) {
      try {
        writer = creating.get();
      } catch (...) {
        // Its own failure: the writer removed what it had created.
      }
    }
    if (writer) {
      const std::string partial = writer->partial_path();
      try {
        writer.reset();
      } catch (...) {
      }
      std::error_code ignored;
      std::filesystem::remove(partial, ignored);
    }
    throw;
  }
  result.complete = true;
  result.path = writer->final_path();
  result.steps_done = sim->time();
  result.info = sim->info();
  result.last = sim->observables();
  return result;
}

std::string utc_now_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace missionsim
