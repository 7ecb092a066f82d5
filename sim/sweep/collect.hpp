// `sweep collect`: one HDF5 file, DIR/sweep.h5, with the parameter table, each
// run's seed and state, per-run summary outcomes and external links to the
// run files. Schema: docs/SWEEP.md ("sweep.h5").
#pragma once

#include <cstddef>
#include <string>

#include "sweep/sweep.hpp"

namespace missionsim::sweep {

struct CollectResult {
  std::string path;  // DIR/sweep.h5
  std::size_t runs = 0, done = 0, partial = 0, missing = 0, failed = 0, damaged = 0;
};

// Reads every done run file (one at a time) and writes DIR/sweep.h5
// atomically (via sweep.h5.partial).
CollectResult collect_sweep(const Plan& plan, const std::string& dir);

}  // namespace missionsim::sweep
