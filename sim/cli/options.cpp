// Command-line parsing with Boost.Program_options: `missionsim <command> ...`.

#include <boost/program_options.hpp>
#include <charconv>
#include <cstdint>
#include <optional>
#include <sstream>

#include "cli/cli.hpp"
#include "scenario/registry.hpp"

namespace po = boost::program_options;

namespace missionsim::cli {
namespace {

// Prefix guessing would let a future option silently change what "--s" means.
constexpr int kStyle = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;

constexpr const char* kUsage =
    "usage: missionsim [--help] [--version] <command> [<args>]\n"
    "\n"
    "commands:\n"
    "  run SCENARIO.toml        run a scenario and write its trajectory (HDF5)\n"
    "  validate SCENARIO.toml   check a scenario and print it fully resolved (TOML)\n"
    "  sweep plan|run|status|collect|slurm ...   parameter sweeps ('missionsim sweep --help')\n"
    "\n"
    "'missionsim <command> --help' lists a command's options.\n"
    "exit status: 0 success, 1 runtime failure, 2 bad usage or scenario, 130 interrupted\n";

std::string help_text(const std::string& usage, const po::options_description& options) {
  std::ostringstream out;
  out << usage << "\n" << options;
  return out.str();
}

// Parses args against the visible options; every other argument is collected as "positional".
po::variables_map parse(const std::vector<std::string>& args, const po::options_description& visible) {
  po::positional_options_description positional;
  positional.add("positional", -1);
  po::options_description all;
  all.add(visible).add_options()("positional", po::value<std::vector<std::string>>());
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(all).positional(positional).style(kStyle).run(), vm);
  po::notify(vm);
  return vm;
}

// The single scenario path among the positional arguments.
std::string scenario_argument(const po::variables_map& vm) {
  const auto files =
      vm.count("positional") ? vm["positional"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (files.empty()) throw UsageError("missing scenario file");
  if (files.size() > 1) throw UsageError("unexpected argument '" + files[1] + "'");
  return files.front();
}

std::vector<std::string> overrides_argument(const po::variables_map& vm) {
  return vm.count("set") ? vm["set"].as<std::vector<std::string>>() : std::vector<std::string>{};
}

// Normalised ("007" is not a TOML integer) and within TOML's int64 range.
std::string seed_argument(const std::string& text) {
  std::int64_t seed = -1;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, seed);
  if (ec != std::errc() || ptr != end || seed < 0)
    throw UsageError("--seed must be an integer in [0, " + std::to_string(INT64_MAX) + "], got '" + text +
                     "'");
  return std::to_string(seed);
}

void add_set_option(po::options_description& options) {
  options.add_options()("set", po::value<std::vector<std::string>>()->composing()->value_name("KEY=VALUE"),
                        "override a scenario key, e.g. customers.count=2000 (repeatable)");
}

Invocation parse_run(const std::vector<std::string>& args) {
  po::options_description options("run options");
  options.add_options()                                                                            //
      ("output,o", po::value<std::string>()->value_name("OUT.h5"),                                 //
       "trajectory file (default: out/<scenario stem>.h5)")                                        //
      ("threads", po::value<int>()->value_name("N"), "worker threads, >= 1 (default: all cores)")  //
      ("seed", po::value<std::string>()->value_name("S"), "master seed; same as --set run.seed=S");
  add_set_option(options);
  options.add_options()                                                 //
      ("quiet,q", po::bool_switch(), "no progress bar and no summary")  //
      ("force", po::bool_switch(),
       "run even when the memory or disk estimate exceeds what is available, or --threads is above "
       "4x the cores")  //
      ("help,h", "show this help");
  const auto vm = parse(args, options);

  Invocation inv;
  if (vm.count("help")) {
    inv.command = Command::Help;
    inv.help = help_text("usage: missionsim run SCENARIO.toml [options]\n", options);
    return inv;
  }
  inv.command = Command::Run;
  RunOptions& run = inv.run;
  run.scenario = scenario_argument(vm);
  if (vm.count("output")) {
    run.output = vm["output"].as<std::string>();
    if (run.output.empty()) throw UsageError("--output must not be empty");
  }
  if (vm.count("threads")) {
    const int n = vm["threads"].as<int>();
    if (n < 1) throw UsageError("--threads must be >= 1, got " + std::to_string(n));
    run.threads = n;
  }
  run.overrides = overrides_argument(vm);
  // Last, so that it wins over a --set run.seed.
  if (vm.count("seed")) run.overrides.push_back("run.seed=" + seed_argument(vm["seed"].as<std::string>()));
  run.quiet = vm["quiet"].as<bool>();
  run.force = vm["force"].as<bool>();
  return inv;
}

Invocation parse_validate(const std::vector<std::string>& args) {
  po::options_description options("validate options");
  add_set_option(options);
  options.add_options()("help,h", "show this help");
  const auto vm = parse(args, options);

  Invocation inv;
  if (vm.count("help")) {
    inv.command = Command::Help;
    inv.help = help_text(
        "usage: missionsim validate SCENARIO.toml [--set KEY=VALUE]...\n"
        "Prints the resolved scenario (every key, defaults filled in) as TOML on stdout.\n",
        options);
    return inv;
  }
  inv.command = Command::Validate;
  inv.validate.scenario = scenario_argument(vm);
  inv.validate.overrides = overrides_argument(vm);
  return inv;
}

constexpr const char* kSweepUsage =
    "usage: missionsim sweep <action> ...\n"
    "\n"
    "actions:\n"
    "  plan SWEEP.toml [--csv FILE] [--run ID]       list the runs, their parameters and seeds\n"
    "  run SWEEP.toml -o DIR [--jobs N] [--threads N] [--shard i/N] [--resume] [--mpi]\n"
    "                                                run the sweep (or one shard) into DIR\n"
    "  extend SWEEP.toml -o DIR                      grow a sweep in DIR to SWEEP.toml (more replicates or\n"
    "                                                points); then 'run SWEEP.toml -o DIR --resume'\n"
    "  status DIR [--shards N]                       done / partial / missing / failed, by shard\n"
    "  collect DIR                                   write DIR/sweep.h5 (parameters, outcomes, links)\n"
    "  slurm SWEEP.toml -o DIR [--array-size N] [--throttle K] [--account A] [--partition P] [--qos Q]\n"
    "        [--time T] [--mem M | --mem-per-cpu M] [--cpus-per-task C] [--sbatch OPT]... [--setup LINE]...\n"
    "                                                write DIR/sweep.sbatch, collect.sbatch, submit.sh\n"
    "\n"
    "Sweep files are described in docs/SWEEP.md. 'missionsim sweep <action> --help' lists the options.\n";

Invocation parse_sweep(const std::vector<std::string>& args) {
  Invocation inv;
  if (args.empty() || args.front() == "--help" || args.front() == "-h") {
    if (args.empty()) throw UsageError("missing sweep action (plan, run, status, collect, slurm)");
    inv.command = Command::Help;
    inv.help = kSweepUsage;
    return inv;
  }
  const std::string action = args.front();
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  po::options_description options("sweep " + action + " options");
  const bool on_file = action == "plan" || action == "run" || action == "slurm" || action == "extend";
  if (action == "plan") {
    options.add_options()                                                                         //
        ("csv", po::value<std::string>()->value_name("FILE"), "also write the run table as CSV")  //
        ("run", po::value<std::string>()->value_name("ID"), "print only the command that reproduces run ID");
  } else if (action == "run") {
    options.add_options()                                                                                   //
        ("output,o", po::value<std::string>()->value_name("DIR"), "sweep directory (required)")             //
        ("jobs,j", po::value<int>()->value_name("N"), "runs at a time (default: one per thread)")           //
        ("threads", po::value<int>()->value_name("N"), "worker threads for all runs (default: all cores)")  //
        ("shard", po::value<std::string>()->value_name("i/N"), "run only shard i of N (0 <= i < N)")        //
        ("resume", po::bool_switch(), "skip runs already complete, redo partial and missing ones")          //
        ("mpi", po::bool_switch(), "hand runs out over MPI ranks (start with mpirun)")                      //
        ("quiet,q", po::bool_switch(), "no line per run");
  } else if (action == "extend") {
    options.add_options()("output,o", po::value<std::string>()->value_name("DIR"),
                          "the sweep directory to extend (required)");
  } else if (action == "status") {
    options.add_options()("shards", po::value<std::size_t>()->value_name("N"),
                          "count by N shards (default: as the last sharded run, else 1)");
  } else if (action == "collect") {
  } else if (action == "slurm") {
    options.add_options()                                                                        //
        ("output,o", po::value<std::string>()->value_name("DIR"), "sweep directory (required)")  //
        ("array-size", po::value<std::size_t>()->value_name("N"),
         "array tasks = shards (default: min(runs, 100))")                                                 //
        ("throttle", po::value<int>()->value_name("K"), "at most K tasks at once")                         //
        ("account", po::value<std::string>()->value_name("A"), "Slurm account to charge")                  //
        ("partition", po::value<std::string>()->value_name("P"), "Slurm partition")                        //
        ("qos", po::value<std::string>()->value_name("Q"), "Slurm quality of service")                     //
        ("time", po::value<std::string>()->value_name("HH:MM:SS"), "time limit of each job")               //
        ("mem", po::value<std::string>()->value_name("SIZE"), "memory per task's node, e.g. 4G")           //
        ("mem-per-cpu", po::value<std::string>()->value_name("SIZE"), "memory per CPU, e.g. 500M")         //
        ("cpus-per-task", po::value<int>()->value_name("C"), "CPUs per task, used as --jobs (default 1)")  //
        ("sbatch", po::value<std::vector<std::string>>()->composing()->value_name("OPTION"),
         "extra #SBATCH line, e.g. --sbatch=--constraint=avx2 (repeatable; replaces the file's)")  //
        ("setup", po::value<std::vector<std::string>>()->composing()->value_name("LINE"),
         "shell line run before missionsim, e.g. 'module load hdf5' (repeatable; replaces the file's)");
  } else {
    throw UsageError("unknown sweep action '" + action + "' (plan, run, extend, status, collect, slurm)");
  }
  if (on_file)
    options.add_options()("force", po::bool_switch(),
                          "go on even when the memory or disk estimate exceeds what is available");
  options.add_options()("help,h", "show this help");
  const auto vm = parse(rest, options);
  if (vm.count("help")) {
    inv.command = Command::Help;
    inv.help = help_text(std::string("usage: missionsim sweep ") + action +
                             (on_file ? " SWEEP.toml" : " DIR") + " [options]\n",
                         options);
    return inv;
  }
  inv.command = Command::Sweep;
  SweepOptions& o = inv.sweep;
  o.action = action;
  const auto files =
      vm.count("positional") ? vm["positional"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (files.empty()) throw UsageError(on_file ? "missing sweep file" : "missing sweep directory");
  if (files.size() > 1) throw UsageError("unexpected argument '" + files[1] + "'");
  o.target = files.front();
  auto positive = [&](const char* name) {
    const int n = vm[name].as<int>();
    if (n < 1) throw UsageError(std::string("--") + name + " must be >= 1, got " + std::to_string(n));
    return n;
  };
  if (vm.count("output")) o.output = vm["output"].as<std::string>();
  if ((action == "run" || action == "slurm" || action == "extend") && o.output.empty())
    throw UsageError("missing -o DIR");
  if (vm.count("csv")) o.csv = vm["csv"].as<std::string>();
  if (vm.count("run")) o.run_id = vm["run"].as<std::string>();
  if (vm.count("jobs")) o.jobs = positive("jobs");
  if (vm.count("threads")) o.threads = positive("threads");
  if (vm.count("shard")) o.shard = vm["shard"].as<std::string>();
  if (vm.count("resume")) o.resume = vm["resume"].as<bool>();
  if (vm.count("mpi")) o.mpi = vm["mpi"].as<bool>();
  if (vm.count("quiet")) o.quiet = vm["quiet"].as<bool>();
  if (vm.count("force")) o.force = vm["force"].as<bool>();
  if (vm.count("shards")) {
    o.shards = vm["shards"].as<std::size_t>();
    if (o.shards < 1) throw UsageError("--shards must be >= 1");
  }
  // The site's settings; the sweep file's [slurm] table fills in the rest.
  sweep::SlurmSettings& slurm = o.slurm;
  auto text = [&](const char* name, const char* key) -> std::optional<std::string> {
    if (!vm.count(name)) return std::nullopt;
    const std::string v = vm[name].as<std::string>();
    const std::string problem = sweep::slurm_value_problem(key, v);
    if (!problem.empty())
      throw UsageError(std::string("--") + name + " must be " + problem + ", got " +
                       scenario::quote_short(v));
    return v;
  };
  auto lines = [&](const char* name, const char* key) -> std::optional<std::vector<std::string>> {
    if (!vm.count(name)) return std::nullopt;
    auto v = vm[name].as<std::vector<std::string>>();
    for (const auto& line : v) {
      const std::string problem = sweep::slurm_value_problem(key, line);
      if (!problem.empty())
        throw UsageError(std::string("--") + name + " must be " + problem + ", got " +
                         scenario::quote_short(line));
    }
    return v;
  };
  if (vm.count("array-size")) {
    slurm.array_size = vm["array-size"].as<std::size_t>();
    if (*slurm.array_size < 1 || *slurm.array_size > sweep::kMaxArraySize)
      throw UsageError("--array-size must be in [1, " + std::to_string(sweep::kMaxArraySize) + "], got " +
                       std::to_string(*slurm.array_size));
  }
  if (vm.count("throttle")) slurm.throttle = positive("throttle");
  if (vm.count("cpus-per-task")) {
    slurm.cpus_per_task = positive("cpus-per-task");
    if (*slurm.cpus_per_task > sweep::kMaxCpusPerTask)
      throw UsageError("--cpus-per-task must be <= " + std::to_string(sweep::kMaxCpusPerTask) + ", got " +
                       std::to_string(*slurm.cpus_per_task));
  }
  slurm.account = text("account", "account");
  slurm.partition = text("partition", "partition");
  slurm.qos = text("qos", "qos");
  slurm.time = text("time", "time");
  slurm.mem = text("mem", "mem");
  slurm.mem_per_cpu = text("mem-per-cpu", "mem_per_cpu");
  if (slurm.mem && slurm.mem_per_cpu)
    throw UsageError("--mem and --mem-per-cpu exclude each other; give one");
  slurm.sbatch = lines("sbatch", "sbatch");
  slurm.setup = lines("setup", "setup");
  return inv;
}

Invocation parse_global(const std::vector<std::string>& args) {
  po::options_description options("options");
  options.add_options()             //
      ("help,h", "show this help")  //
      ("version,V", "print the version");
  const auto vm = parse(args, options);

  Invocation inv;
  if (vm.count("version")) {
    inv.command = Command::Version;
    return inv;
  }
  if (vm.count("help")) {
    inv.command = Command::Help;
    inv.help = help_text(kUsage, options);
    return inv;
  }
  if (vm.count("positional"))
    throw UsageError("unknown command '" + vm["positional"].as<std::vector<std::string>>().front() + "'");
  throw UsageError("missing command");
}

}  // namespace

Invocation parse_command_line(const std::vector<std::string>& args) {
  if (args.empty()) throw UsageError("missing command");
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args.front() == "run") return parse_run(rest);
  if (args.front() == "validate") return parse_validate(rest);
  if (args.front() == "sweep") return parse_sweep(rest);
  return parse_global(args);
}

}  // namespace missionsim::cli
