// The command-line tool: option parsing and the `run` and `validate` commands.
//
// main() only calls cli::main(); everything it does is reachable from tests
// through these functions. Sweep launchers rely on the exit codes below.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "sweep/slurm_settings.hpp"

namespace missionsim::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;        // runtime failure in the simulation or the output
inline constexpr int kExitBadInput = 2;       // bad usage or bad scenario
inline constexpr int kExitInterrupted = 130;  // SIGINT or SIGTERM; a .partial trajectory is kept

// Bad command line. what() is one line without the "missionsim: " prefix.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A bad scenario the library only notices when it builds the run
// (Simulation's constructor throws std::invalid_argument): also exit 2.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RunOptions {
  std::string scenario;                // path of the scenario TOML
  std::string output;                  // empty: out/<scenario stem>.h5
  std::optional<int> threads;          // TBB max_allowed_parallelism, >= 1; unset: all cores
  std::vector<std::string> overrides;  // "key.path=value", --seed last
  bool quiet = false;
  bool force = false;  // run even when the estimates exceed the machine (cli/preflight.hpp)
};

struct ValidateOptions {
  std::string scenario;
  std::vector<std::string> overrides;
};

struct SweepOptions {
  std::string action;  // plan, run, status, collect, slurm
  std::string target;  // the sweep file (plan, run, slurm) or directory (status, collect)
  std::string output;  // -o DIR
  std::string csv;     // plan --csv FILE
  std::string run_id;  // plan --run ID
  int jobs = 0;
  int threads = 0;
  std::string shard;  // "i/N"
  bool resume = false;
  bool mpi = false;
  bool quiet = false;
  bool force = false;          // plan, run, slurm: even when the estimates exceed the machine
  std::size_t shards = 0;      // status --shards N
  sweep::SlurmSettings slurm;  // slurm: the site's settings given on the command line
};

enum class Command { Help, Version, Run, Validate, Sweep };

struct Invocation {
  Command command = Command::Help;
  std::string help;  // text printed for Command::Help
  RunOptions run;
  ValidateOptions validate;
  SweepOptions sweep;
};

// Throws UsageError or boost::program_options::error on a bad command line.
Invocation parse_command_line(const std::vector<std::string>& args);  // args without argv[0]

int run_command(const RunOptions& options);
int validate_command(const ValidateOptions& options);
int sweep_command(const SweepOptions& options);

// Parses, dispatches and maps every exception to a message on stderr and an
// exit code; never throws.
int main(int argc, char** argv);

}  // namespace missionsim::cli
