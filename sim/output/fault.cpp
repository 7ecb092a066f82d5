#include "output/fault.hpp"

#include <csignal>
#include <cstdlib>
#include <string>

namespace missionsim {

void fault_point(const char* name, long long index) {
  static const char* const target = std::getenv("MISSIONSIM_FAULT_AT");
  if (target == nullptr) return;
  const std::string here = index >= 0 ? std::string(name) + "-" + std::to_string(index) : std::string(name);
  if (here == target) std::raise(SIGKILL);
}

}  // namespace missionsim
