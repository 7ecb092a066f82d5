#include "output/fault.hpp"

#include <atomic>
#include <csignal>
#include <cstdlib>

namespace missionsim {
namespace {

struct FaultSpec {
  std::string point;
  long n = 1;
};

const FaultSpec& fault_spec() {
  static const FaultSpec spec = [] {
    FaultSpec f;
    const char* env = std::getenv("MISSIONSIM_FAULT_AT");
    if (env == nullptr || *env == '\0') return f;
    f.point = env;
    if (const auto colon = f.point.rfind(':'); colon != std::string::npos) {
      const long n = std::strtol(f.point.c_str() + colon + 1, nullptr, 10);
      f.n = n < 1 ? 1 : n;
      f.point.resize(colon);
    }
    return f;
  }();
  return spec;
}

}  // namespace

const std::string& fault_target() { return fault_spec().point; }

bool fault_fires(std::string_view point) {
  static std::atomic<long> hits{0};
  return fault_hook_set() && fault_spec().point == point && ++hits == fault_spec().n;
}

void fault_point(std::string_view point) {
  if (fault_fires(point)) std::raise(SIGKILL);
}

void fault_point(const char* name, long long index) {
  if (!fault_hook_set()) return;
  fault_point(std::string(name) + "-" + std::to_string(index));
}

}  // namespace missionsim
