// One scenario run into one HDF5 trajectory with provenance: the body of
// `missionsim run`, shared with the sweep runner (sim/sweep).
#pragma once

#include <functional>
#include <string>

#include "core/observables.hpp"
#include "core/params.hpp"
#include "output/trajectory_writer.hpp"

namespace missionsim {

struct RunFileOptions {
  std::string source;  // names the scenario in messages, e.g. its path
  int flush_every = 10;
  // Polled before every step; true stops the run, keeping <path>.partial.
  std::function<bool()> stop;
  // Called after each step with the number of steps done.
  std::function<void(int)> on_step;
};

struct RunFileResult {
  bool complete = false;  // false: stopped, the trajectory is <path>.partial
  int steps_done = 0;
  double setup_s = 0;  // building the simulation (the file is created meanwhile the first steps run)
  double steps_s = 0;  // stepping and writing
  std::string path;    // the final path, or the .partial one when stopped
  RunInfo info;
  Observables last;  // state after the last step done
};

// Provenance of a run of `params` (version, seed, resolved scenario and its
// SHA-256, creation time).
Provenance run_provenance(const Params& params);

// Simulates `params` and writes the trajectory to `path` (atomically: via
// <path>.partial, renamed on completion; docs/OUTPUT.md). The caller's TBB
// arena and global_control set the threads. Throws ScenarioError (naming
// options.source) when Simulation rejects the parameters, std::runtime_error
// for output failures.
RunFileResult run_to_file(const Params& params, const std::string& path, const RunFileOptions& options = {});

// The current time as ISO 8601 UTC, e.g. 2026-11-28T04:00:00Z (provenance, ledgers).
std::string utc_now_iso8601();

}  // namespace missionsim
