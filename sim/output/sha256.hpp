// SHA-256 (FIPS 180-4), used to fingerprint the resolved scenario stored in
// every trajectory (root attribute scenario_sha256) and the whole content of
// a finished trajectory (root attribute content_sha256, docs/OUTPUT.md).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace missionsim {

// Incremental SHA-256: update() any number of times, then hex().
class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t n);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // Lower-case hexadecimal digest of everything passed to update(); resets the state.
  std::string hex();

 private:
  std::array<std::uint32_t, 8> h_;
  std::array<unsigned char, 64> block_{};
  std::size_t buffered_ = 0;
  std::uint64_t length_ = 0;
};

// Lower-case hexadecimal SHA-256 digest of `data` (64 characters).
std::string sha256_hex(std::string_view data);

}  // namespace missionsim
