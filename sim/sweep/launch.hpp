// Cluster launchers: Slurm job-array scripts and the MPI work queue.
#pragma once

#include <functional>
#include <string>

#include "sweep/runner.hpp"
#include "sweep/slurm_settings.hpp"
#include "sweep/sweep.hpp"

namespace missionsim::sweep {

struct SlurmOptions {
  std::string program;     // absolute path of the missionsim binary
  std::string sweep_file;  // absolute path of the sweep file
  std::string dir;         // absolute path of the sweep directory
  SlurmSettings settings;  // the site's settings: the sweep file's [slurm], then the command line
};

struct SlurmFiles {
  std::string array_script, collect_script, submit_script;
  std::size_t array_size = 0;
};

// Writes DIR/sweep.sbatch, DIR/collect.sbatch and DIR/submit.sh (and DIR/logs/);
// throws SweepError for a setting that slurm_value_problem refuses.
SlurmFiles write_slurm(const Plan& plan, const SlurmOptions& options);

// Whether this build has the MPI launcher (MISSIONSIM_WITH_MPI).
bool mpi_available();

// `sweep run --mpi`: every rank calls it. Rank 0 prepares the directory and
// hands out run indices one at a time (MPI_Send/MPI_Recv); the other ranks
// run them, each with its own ledger (DIR/ledger.rank<k>). With one rank,
// rank 0 runs everything itself. The result is summed over the ranks.
RunnerResult run_sweep_mpi(const Plan& plan, const std::string& dir, const std::string& sweep_text,
                           const RunnerOptions& options);

}  // namespace missionsim::sweep
