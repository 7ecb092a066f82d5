// SHA-256 (FIPS 180-4), used to fingerprint the resolved scenario stored in
// every trajectory (root attribute scenario_sha256).
#pragma once

#include <string>
#include <string_view>

namespace missionsim {

// Lower-case hexadecimal SHA-256 digest of `data` (64 characters).
std::string sha256_hex(std::string_view data);

}  // namespace missionsim
