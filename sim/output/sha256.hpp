// SHA-256 (FIPS 180-4) from OpenSSL's libcrypto (EVP interface), used to
// fingerprint the resolved scenario stored in every trajectory (root attribute
// scenario_sha256), the whole content of a finished trajectory (root attribute
// content_sha256, docs/OUTPUT.md) and a resolved sweep (sweep_sha256).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace missionsim {

// Incremental SHA-256: update() any number of times, then hex(). Throws
// std::runtime_error if libcrypto fails (out of memory; SHA-256 disabled).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&& other) noexcept;
  Sha256& operator=(Sha256&& other) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, std::size_t n);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // Lower-case hexadecimal digest of everything passed to update(); resets the state.
  std::string hex();

 private:
  evp_md_ctx_st* ctx_;
};

// Lower-case hexadecimal SHA-256 digest of `data` (64 characters).
std::string sha256_hex(std::string_view data);

}  // namespace missionsim
