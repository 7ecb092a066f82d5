#include "cli/preflight.hpp"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <thread>

#include "cli/cli.hpp"
#include "scenario/footprint.hpp"
#include "scenario/input_file.hpp"

namespace missionsim::cli {

void refuse_overwriting_inputs(const std::vector<OutputFile>& outputs,
                               const std::vector<std::string>& inputs) {
  for (const auto& out : outputs)
    for (const auto& in : inputs) {
      if (in.empty() || !scenario::same_file(out.path, in)) continue;
      if (!out.may_replace.empty() && scenario::same_file(out.may_replace, in)) continue;
      throw InputError("output '" + out.path + "' is the input '" + in +
                       "' (the same file); writing it would destroy the input: choose another output path");
    }
}

}  // namespace missionsim::cli

namespace missionsim::cli {
namespace {

std::optional<double> env_bytes(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  char* end = nullptr;
  const double x = std::strtod(v, &end);
  if (end == v || *end != '\0' || !(x >= 0) || !std::isfinite(x))
    throw UsageError(std::string(name) + " must be a number of bytes, got '" + v + "'");
  return x;
}

// "MemAvailable:   21234567 kB" -> bytes.
std::optional<double> meminfo_available() {
  std::ifstream in("/proc/meminfo");
  std::string key, unit;
  double value = 0;
  while (in >> key >> value) {
    std::getline(in, unit);
    if (key == "MemAvailable:") return value * 1024;
  }
  return std::nullopt;
}

std::optional<double> read_number(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text == "max") return std::nullopt;
  char* end = nullptr;
  const double x = std::strtod(text.c_str(), &end);
  return end != text.c_str() ? std::optional<double>(x) : std::nullopt;
}

}  // namespace

int hardware_threads() { return std::max(1u, std::thread::hardware_concurrency()); }

void check_threads(const char* option, int n, bool force) {
  if (n > kMaxThreads)
    throw InputError(std::string(option) + " must be <= " + std::to_string(kMaxThreads) + ", got " +
                     std::to_string(n));
  const int soft = kThreadsPerCore * hardware_threads();
  if (n > soft && !force)
    throw InputError(std::string(option) + " " + std::to_string(n) + " is more than " +
                     std::to_string(kThreadsPerCore) + " x the " + std::to_string(hardware_threads()) +
                     " hardware threads of this machine (" + std::to_string(soft) +
                     "); use --force to start that many anyway");
}

double available_memory(std::string* source) {
  if (auto v = env_bytes("MISSIONSIM_ASSUME_MEMORY")) {
    if (source) *source = "MISSIONSIM_ASSUME_MEMORY";
    return *v;
  }
  double avail = 0;
  std::string from;
  if (auto m = meminfo_available()) {
    avail = *m, from = "MemAvailable in /proc/meminfo";
  } else {
    avail = static_cast<double>(::sysconf(_SC_AVPHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGESIZE));
    from = "free physical pages";
  }
  if (auto limit = read_number("/sys/fs/cgroup/memory.max")) {
    const double used = read_number("/sys/fs/cgroup/memory.current").value_or(0);
    if (*limit - used < avail) avail = std::max(0.0, *limit - used), from = "the cgroup memory limit";
  }
  if (source) *source = from;
  return avail;
}

double available_disk(const std::string& path, std::string* where) {
  if (auto v = env_bytes("MISSIONSIM_ASSUME_DISK")) {
    if (where) *where = "MISSIONSIM_ASSUME_DISK";
    return *v;
  }
  std::filesystem::path dir = std::filesystem::absolute(path).parent_path();
  std::error_code ec;
  while (!std::filesystem::exists(dir, ec) && dir.has_parent_path() && dir.parent_path() != dir)
    dir = dir.parent_path();
  if (where) where->assign(1, '\'').append(dir.native()).push_back('\'');
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) != 0)
    return std::numeric_limits<double>::infinity();  // unknown: no refusal
  return static_cast<double>(st.f_bavail) * static_cast<double>(st.f_frsize);
}

void check_fits(const std::string& what, double memory_bytes, const std::string& memory_detail,
                double output_bytes, const std::string& output_path, bool force) {
  if (force) return;
  std::string source;
  const double memory = available_memory(&source);
  if (memory_bytes > memory)
    throw InputError(what + " needs about " + byte_text(memory_bytes) + " of memory" +
                     (memory_detail.empty() ? "" : " (" + memory_detail + ")") + ", more than the " +
                     byte_text(memory) + " available (" + source +
                     "); reduce it, or use --force to start anyway");
  if (output_bytes < 0) return;
  std::string where;
  const double disk = available_disk(output_path, &where);
  if (output_bytes > disk)
    throw InputError(what + " will write about " + byte_text(output_bytes) + " to '" + output_path +
                     "', more than the " + byte_text(disk) + " free in " + where +
                     "; free space, or use --force to start anyway");
}

}  // namespace missionsim::cli
