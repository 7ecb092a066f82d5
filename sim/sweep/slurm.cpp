// `sweep slurm`: the job-array script, the collect job and submit.sh, with the
// site's settings (sweep/slurm_settings.hpp).
#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <regex>

#include "sweep/launch.hpp"

namespace fs = std::filesystem;

namespace missionsim::sweep {
namespace {

std::string q(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

void write_file(const fs::path& p, const std::string& text, bool executable) {
  const fs::path tmp = p.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write '" + tmp.string() + "'");
  }
  if (executable)
    fs::permissions(tmp, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                    fs::perm_options::add);
  fs::rename(tmp, p);
}

std::string job_name(const std::string& name) {
  std::string out = "missionsim-";
  for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_';
  return out.substr(0, 64);
}

// sbatch options the generated scripts set themselves, and for some the
// setting that gives them (sbatch accepts unambiguous prefixes of long
// options, so a prefix of one of these is refused too).
struct Reserved {
  const char* long_name;
  char short_name;
  const char* setting;  // nullptr: set by missionsim only
};
constexpr std::array<Reserved, 15> kReserved = {{{"account", 'A', "account"},
                                                 {"partition", 'p', "partition"},
                                                 {"qos", 'q', "qos"},
                                                 {"time", 't', "time"},
                                                 {"mem", 0, "mem"},
                                                 {"mem-per-cpu", 0, "mem_per_cpu"},
                                                 {"cpus-per-task", 'c', "cpus_per_task"},
                                                 {"array", 'a', "array_size"},
                                                 {"output", 'o', nullptr},
                                                 {"error", 'e', nullptr},
                                                 {"dependency", 'd', nullptr},
                                                 {"kill-on-invalid-dep", 0, nullptr},
                                                 {"ntasks", 'n', nullptr},
                                                 {"job-name", 'J', nullptr},
                                                 {"wait", 'W', nullptr}}};

std::string sbatch_line_problem(const std::string& line) {
  if (line.size() < 2 || line[0] != '-' || line[1] == ' ')
    return "an sbatch option such as \"--constraint=avx2\" or \"--gres=gpu:1\"";
  std::string name;
  char short_name = 0;
  if (line[1] == '-') {
    name = line.substr(2, line.find_first_of("= \t") - 2);
    if (name.empty()) return "an sbatch option such as \"--constraint=avx2\"";
  } else {
    short_name = line[1];
  }
  for (const Reserved& r : kReserved) {
    const std::string full = r.long_name;
    if (short_name ? short_name != r.short_name : full.rfind(name, 0) != 0) continue;
    return std::string("an sbatch option that missionsim does not write itself: --") + r.long_name +
           (r.setting ? std::string(" comes from the setting '") + r.setting + "'"
                      : std::string(" is set by the generated scripts"));
  }
  return {};
}

}  // namespace

std::string slurm_value_problem(std::string_view key, const std::string& value) {
  if (value.empty()) return "not empty";
  for (unsigned char c : value)
    if ((c < 0x20 && c != '\t') || c == 0x7f)
      return "one line without control characters (newline, carriage return, ...)";
  static const std::regex name(R"([A-Za-z0-9_.+-]+)");
  static const std::regex names(R"([A-Za-z0-9_.+-]+(,[A-Za-z0-9_.+-]+)*)");
  static const std::regex time(R"(\d+(:\d{1,2}){0,2}|\d+-\d{1,2}(:\d{1,2}){0,2}|UNLIMITED|INFINITE)",
                               std::regex::icase);
  static const std::regex memory(R"(\d{1,12}[KMGTkmgt]?)");
  if (key == "account" || key == "qos") {
    if (!std::regex_match(value, name)) return "a name of letters, digits, '_', '.', '+' and '-'";
  } else if (key == "partition") {
    if (!std::regex_match(value, names))
      return "a partition name (letters, digits, '_', '.', '+', '-'), or several separated by commas";
  } else if (key == "time") {
    if (!std::regex_match(value, time))
      return "a Slurm time limit: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS or UNLIMITED";
  } else if (key == "mem" || key == "mem_per_cpu") {
    if (!std::regex_match(value, memory))
      return "a memory size: an integer number of megabytes, or one with a suffix K, M, G or T (e.g. "
             "\"4G\")";
  } else if (key == "sbatch") {
    return sbatch_line_problem(value);
  } else if (key == "setup") {
    if (value.back() == '\\') return "a complete shell command line (no trailing '\\' continuing it)";
  }
  return {};
}

SlurmSettings overlay(SlurmSettings base, const SlurmSettings& over) {
  auto take = [](auto& to, const auto& from) {
    if (from) to = from;
  };
  take(base.account, over.account);
  take(base.partition, over.partition);
  take(base.qos, over.qos);
  take(base.time, over.time);
  if (over.mem || over.mem_per_cpu) {
    base.mem = over.mem;
    base.mem_per_cpu = over.mem_per_cpu;
  }
  take(base.cpus_per_task, over.cpus_per_task);
  take(base.array_size, over.array_size);
  take(base.throttle, over.throttle);
  take(base.sbatch, over.sbatch);
  take(base.setup, over.setup);
  return base;
}

SlurmFiles write_slurm(const Plan& plan, const SlurmOptions& o) {
  const SlurmSettings& s = o.settings;
  // Checked again here: the settings may come from anywhere, and a bad one
  // must never reach a script.
  auto check = [](const char* key, const std::string& v) {
    const std::string problem = slurm_value_problem(key, v);
    if (!problem.empty())
      throw SweepError("Slurm setting '" + std::string(key) + "' must be " + problem + ", got '" + v + "'");
  };
  for (const auto& [key, value] :
       {std::pair{"account", &s.account}, std::pair{"partition", &s.partition}, std::pair{"qos", &s.qos},
        std::pair{"time", &s.time}, std::pair{"mem", &s.mem}, std::pair{"mem_per_cpu", &s.mem_per_cpu}})
    if (*value) check(key, **value);
  for (const auto& line : s.sbatch.value_or(std::vector<std::string>{})) check("sbatch", line);
  for (const auto& line : s.setup.value_or(std::vector<std::string>{})) check("setup", line);
  if (s.mem && s.mem_per_cpu) throw SweepError("Slurm settings 'mem' and 'mem_per_cpu' exclude each other");
  const int cpus = s.cpus_per_task.value_or(1);
  if (cpus < 1 || cpus > kMaxCpusPerTask)
    throw SweepError("Slurm setting 'cpus_per_task' must be in [1, " + std::to_string(kMaxCpusPerTask) + "]");
  const std::size_t n = s.array_size.value_or(std::min<std::size_t>(plan.size(), 100));
  if (n < 1 || n > kMaxArraySize)
    throw SweepError("Slurm setting 'array_size' must be in [1, " + std::to_string(kMaxArraySize) + "]");
  if (s.throttle && *s.throttle < 1) throw SweepError("Slurm setting 'throttle' must be >= 1");

  const fs::path dir(o.dir);
  std::error_code ec;
  fs::create_directories(dir / "logs", ec);
  if (ec) throw std::runtime_error("cannot create '" + (dir / "logs").string() + "': " + ec.message());

  // Settings both jobs share: where they run, whose allocation, how long, how much memory.
  std::string common = "#SBATCH --job-name=" + job_name(plan.spec().name) + "\n";
  if (s.account) common += "#SBATCH --account=" + *s.account + "\n";
  if (s.partition) common += "#SBATCH --partition=" + *s.partition + "\n";
  if (s.qos) common += "#SBATCH --qos=" + *s.qos + "\n";
  if (s.time) common += "#SBATCH --time=" + *s.time + "\n";
  if (s.mem) common += "#SBATCH --mem=" + *s.mem + "\n";
  if (s.mem_per_cpu) common += "#SBATCH --mem-per-cpu=" + *s.mem_per_cpu + "\n";
  for (const auto& line : s.sbatch.value_or(std::vector<std::string>{})) common += "#SBATCH " + line + "\n";
  common += "#SBATCH --ntasks=1\n";
  const std::string header = "#!/bin/bash\n# Generated by 'missionsim sweep slurm' for " + o.sweep_file +
                             " (sweep sha256 " + plan.sha256().substr(0, 12) + ", " +
                             std::to_string(plan.size()) + " runs). Regenerate rather than edit.\n";
  // The site's setup lines run before -u: module and conda scripts often read unset variables.
  std::string setup = "set -eo pipefail\n";
  for (const auto& line : s.setup.value_or(std::vector<std::string>{})) setup += line + "\n";
  setup += "set -u\n";

  SlurmFiles files;
  files.array_size = n;
  files.array_script = (dir / "sweep.sbatch").string();
  files.collect_script = (dir / "collect.sbatch").string();
  files.submit_script = (dir / "submit.sh").string();

  // %A_%a: array job id and task, so a resubmitted array keeps the old logs.
  std::string array = header + common;
  array += "#SBATCH --array=0-" + std::to_string(n - 1) +
           (s.throttle ? "%" + std::to_string(*s.throttle) : "") + "\n";
  array += "#SBATCH --cpus-per-task=" + std::to_string(cpus) + "\n";
  array += "#SBATCH --output=" + (dir / "logs" / "shard-%A_%a.out").string() + "\n";
  array +=
      "# Every task runs one shard; --resume skips runs already complete, so a task that hit\n"
      "# the time limit finishes its shard when resubmitted (sbatch sweep.sbatch, or submit.sh).\n";
  array += setup;
  array += "exec " + q(o.program) + " sweep run " + q(o.sweep_file) + " -o " + q(o.dir) +
           " --shard \"${SLURM_ARRAY_TASK_ID}/" + std::to_string(n) +
           "\" --resume --jobs \"${SLURM_CPUS_PER_TASK:-" + std::to_string(cpus) +
           "}\" --threads \"${SLURM_CPUS_PER_TASK:-" + std::to_string(cpus) + "}\"\n";
  write_file(files.array_script, array, true);

  // Cancelled by Slurm, never started, when a task of the array it depends on
  // fails (exit != 0, time limit, node failure, scancel): --kill-on-invalid-dep
  // overrides the cluster's kill_invalid_depend default, which would leave it
  // pending for ever.
  std::string collect = header + common;
  collect += "#SBATCH --cpus-per-task=1\n#SBATCH --kill-on-invalid-dep=yes\n";
  collect += "#SBATCH --output=" + (dir / "logs" / "collect-%j.out").string() + "\n";
  collect += setup;
  collect += "exec " + q(o.program) + " sweep collect " + q(o.dir) + "\n";
  write_file(files.collect_script, collect, true);

  std::string submit =
      "#!/bin/sh\n# Submits the run array, then the collect job, which runs once every array task\n"
      "# succeeded and is cancelled by Slurm if one fails. After a time-out or a node failure,\n"
      "# run this again: finished runs are kept.\n"
      "set -eu\n";
  submit += "array=$(sbatch --parsable " + q(files.array_script) + ")\narray=${array%%;*}\n";
  submit += "collect=$(sbatch --parsable --dependency=afterok:\"$array\" --kill-on-invalid-dep=yes " +
            q(files.collect_script) + ")\ncollect=${collect%%;*}\n";
  submit +=
      "echo \"submitted array job $array (" + std::to_string(n) + " tasks) and collect job $collect\"\n";
  write_file(files.submit_script, submit, true);
  return files;
}

}  // namespace missionsim::sweep
