// Money is int64 cents (docs/MODEL.md Eq. 39-41), so that
// cash(t) = cash(t-1) + profit(t) - payout(t) holds exactly.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace missionsim {

inline std::int64_t to_cents(double money) { return std::llround(money * 100.0); }
inline double from_cents(std::int64_t c) { return static_cast<double>(c) / 100.0; }

// Every amount a firm settles stays below 2^62 cents (4.6e16 money) in
// magnitude, so a sum of two never wraps; an amount outside that range (or not
// finite) means the scenario drove the model out of its numeric range, and the
// run stops with the firm and step rather than write a wrapped number.
class MoneyGuard {
 public:
  MoneyGuard(const std::string& firm, int step) : firm_(firm), step_(step) {}
  std::int64_t cents(double money, const char* what) const {
    const double c = money * 100.0;
    if (!(std::fabs(c) < kLimit)) fail(what, money);
    return std::llround(c);
  }
  std::int64_t add(std::int64_t a, std::int64_t b, const char* what) const { return checked(a + b, what); }
  std::int64_t mul(std::int64_t a, std::int64_t b, const char* what) const {
    std::int64_t r = 0;
    if (__builtin_mul_overflow(a, b, &r)) fail(what, static_cast<double>(a) * static_cast<double>(b) / 100.0);
    return checked(r, what);
  }

 private:
  static constexpr double kLimit = 0x1p62;
  std::int64_t checked(std::int64_t c, const char* what) const {
    if (!(std::fabs(static_cast<double>(c)) < kLimit)) fail(what, from_cents(c));
    return c;
  }
  [[noreturn]] void fail(const char* what, double money) const {
    char amount[32];
    std::snprintf(amount, sizeof amount, "%.6g", money);
    throw std::overflow_error("money overflow at step " + std::to_string(step_) + ": firm '" + firm_ + "' " +
                              what + " = " + amount +
                              " is outside the exact range of integer cents (|amount| < 4.6e16); the "
                              "scenario drives prices or accounts out of range (e.g. choice.logit_scale)");
  }
  const std::string& firm_;
  int step_;
};

}  // namespace missionsim
