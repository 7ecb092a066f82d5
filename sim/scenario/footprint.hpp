// What a run will need before it starts: memory and trajectory file size,
// from the resolved scenario alone (docs/SCENARIO.md, "Limits of the
// machine", gives the formula). The byte costs are those of the containers
// in sim/core/simulation.cpp, sim/core/network.cpp and the datasets of
// sim/output/trajectory_writer.cpp; keep them in step.
#pragma once

#include <string>

#include "core/params.hpp"

namespace missionsim {

struct RunFootprint {
  double customer_bytes = 0;       // customer struct-of-arrays state
  double network_bytes = 0;        // the network in CSR form, while the run steps
  double network_build_bytes = 0;  // peak while the network is built (edge lists plus CSR)
  double firm_bytes = 0;           // firms, Kano panel, imitation history, per-thread reduction buffers
  double writer_bytes = 0;         // HDF5 chunk buffers of the trajectory writer
  double memory_bytes = 0;         // peak: max(network build, network + customers) + firms + writer
  double output_bytes = 0;         // size of the complete trajectory file
  // "customers 4.6 GB + network 33.6 GB while built (16.8 GB after) + ..." for a message.
  std::string memory_text() const;
};

// `threads` is the number of worker threads the run uses (per-thread buffers).
RunFootprint estimate_run(const Params& params, int threads = 1);

// "13.3 GB", "512 kB", "17 bytes": decimal units, three significant digits.
std::string byte_text(double bytes);

}  // namespace missionsim
