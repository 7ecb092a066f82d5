#include "output/hdf5_error.hpp"

#include <hdf5.h>

#include <atomic>
#include <cstdlib>

namespace missionsim {
namespace {

std::atomic<bool> close_failed{false};

// Before any HDF5 call (static initialisation): HDF5's exit handler off,
// ours on, which shuts the library down unless a close failed.
[[maybe_unused]] const bool kExitHandler = [] {
  H5dont_atexit();
  std::atexit([] {
    if (!close_failed.load()) H5close();
  });
  return true;
}();

herr_t keep_innermost(unsigned /*n*/, const H5E_error2_t* err, void* out) {
  if (err->desc != nullptr && err->desc[0] != '\0') *static_cast<std::string*>(out) = err->desc;
  return 0;
}

}  // namespace

void hdf5_close_failed() { close_failed.store(true); }

std::string hdf5_error_detail() {
  std::string detail;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, keep_innermost, &detail);
  H5Eclear2(H5E_DEFAULT);
  const std::string tag = "error message = '";
  const auto at = detail.find(tag);
  if (at == std::string::npos) return detail;
  const auto from = at + tag.size();
  const auto to = detail.find('\'', from);
  std::string reason = detail.substr(from, to == std::string::npos ? std::string::npos : to - from);
  const std::string errno_tag = "errno = ";
  if (const auto e = detail.find(errno_tag); e != std::string::npos && e < at) {
    const auto digits = e + errno_tag.size();
    const auto end = detail.find(',', digits);
    reason +=
        " (errno " + detail.substr(digits, end == std::string::npos ? std::string::npos : end - digits) + ")";
  }
  const auto colon = detail.find(':');
  return (colon != std::string::npos && colon < at ? detail.substr(0, colon) + ": " : std::string()) + reason;
}

}  // namespace missionsim
