// SHA-256 through OpenSSL's EVP digest interface (libcrypto).
#include "output/sha256.hpp"

#include <openssl/evp.h>

#include <stdexcept>
#include <utility>

namespace missionsim {
namespace {

void init(EVP_MD_CTX* ctx) {
  if (EVP_DigestInit_ex2(ctx, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("libcrypto: cannot start a SHA-256 digest");
}

}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr) throw std::runtime_error("libcrypto: cannot allocate a digest context");
  try {
    init(ctx_);
  } catch (...) {
    EVP_MD_CTX_free(ctx_);
    throw;
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

Sha256::Sha256(Sha256&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}

Sha256& Sha256::operator=(Sha256&& other) noexcept {
  std::swap(ctx_, other.ctx_);
  return *this;
}

void Sha256::update(const void* data, std::size_t n) {
  if (ctx_ == nullptr) throw std::logic_error("Sha256 used after being moved from");
  if (n > 0 && EVP_DigestUpdate(ctx_, data, n) != 1)
    throw std::runtime_error("libcrypto: SHA-256 update failed");
}

std::string Sha256::hex() {
  if (ctx_ == nullptr) throw std::logic_error("Sha256 used after being moved from");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx_, digest, &length) != 1 || length != 32)
    throw std::runtime_error("libcrypto: SHA-256 final failed");
  init(ctx_);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  Sha256 sha;
  sha.update(data);
  return sha.hex();
}

}  // namespace missionsim
