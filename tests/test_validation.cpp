// Scientific validation (docs/VALIDATION.md): the model reproduces its
// analytic limits (Bass, logit/IIA, adaptive expectations, Kano migration),
// conserves customers and money at every step, and shows the stylized facts
// it was built for. Each case loads its shipped scenario from
// scenarios/validation/, runs replicates with seeds 1..R, and compares with
// the closed form within a tolerance derived from the sampling error
// (derivations in docs/VALIDATION.md; none was tuned to pass).
//
// MISSIONSIM_VALIDATION_REPORT=FILE appends the numbers table rows to FILE;
// MISSIONSIM_VALIDATION_LONG=1 runs larger populations and more replicates.
#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "validation/validation.hpp"

using namespace missionsim;
using namespace missionsim::validation;

namespace {

void require_conserved(const Conservation& c) {
  INFO("first violation: " << c.first);
  CHECK(c.checks > 0);
  CHECK(c.violations == 0);
}

// ---- Bass (case 1) ----------------------------------------------------------------

struct BassPrediction {
  std::vector<double> mean;      // discrete Bass recursion B_t (Eq. 13 in expectation)
  std::vector<double> variance;  // linear-noise variance of F_t for population N
  std::vector<double> bias;      // second-order correction E[F_t] - B_t
};

BassPrediction bass_prediction(double p, double q, double N, int steps) {
  BassPrediction b;
  double B = 0, V = 0, bias = 0;
  b.mean.push_back(B), b.variance.push_back(V), b.bias.push_back(bias);
  for (int t = 1; t <= steps; ++t) {
    const double h = p + q * B;
    const double slope = 1 - p - 2 * q * B + q;  // g'(B) for g(F) = F + (1 - F)(p + qF)
    const double nb = B + (1 - B) * h;
    const double nbias = slope * bias - q * V;  // g'' = -2q
    const double nv = slope * slope * V + (1 - B) * h * (1 - h) / N;
    B = nb, V = nv, bias = nbias;
    b.mean.push_back(B), b.variance.push_back(V), b.bias.push_back(bias);
  }
  return b;
}

double bass_continuous(double p, double q, double t) {
  const double e = std::exp(-(p + q) * t);
  return (1 - e) / (1 + (q / p) * e);
}

// Mean adopted fraction per step over seeds 1..R.
std::vector<std::vector<double>> bass_runs(const std::vector<std::string>& overrides, int R,
                                           Conservation& c) {
  std::vector<std::vector<double>> runs;
  for (int r = 1; r <= R; ++r) runs.push_back(run(scenario("bass.toml", overrides, r), c).adopted());
  return runs;
}

std::vector<double> column_mean(const std::vector<std::vector<double>>& runs) {
  std::vector<double> m(runs[0].size(), 0.0);
  for (const auto& r : runs)
    for (std::size_t t = 0; t < r.size(); ++t) m[t] += r[t] / static_cast<double>(runs.size());
  return m;
}

// Time at which a rising curve first reaches `level` (linear interpolation between steps; -1 if never).
double crossing_time(const std::vector<double>& curve, double level) {
  for (std::size_t t = 1; t < curve.size(); ++t)
    if (curve[t] >= level && curve[t - 1] < level)
      return static_cast<double>(t - 1) + (level - curve[t - 1]) / (curve[t] - curve[t - 1]);
  return -1;
}

}  // namespace

TEST_CASE("validation: Bass diffusion on the complete graph follows the discrete Bass recursion",
          "[validation][bass]") {
  const Params sp = scenario("bass.toml", {}, 1);
  const double p = sp.bass_p, q = sp.bass_q, N = static_cast<double>(sp.customers);
  const int R = long_mode() ? 100 : 20, T = sp.steps;
  Conservation c;
  auto runs = bass_runs({}, R, c);
  require_conserved(c);
  const auto m = column_mean(runs);
  const auto pred = bass_prediction(p, q, N, T);
  const double z = z_family(T);
  double worst = 0, worst_tol = 0, cont_err = 0, disc_err = 0;
  for (int t = 1; t <= T; ++t) {
    const double tol = z * std::sqrt(pred.variance[t] / R) + std::fabs(pred.bias[t]);
    INFO("t = " << t << ": mean " << m[t] << ", recursion " << pred.mean[t] << ", tolerance " << tol);
    CHECK(std::fabs(m[t] - pred.mean[t]) <= tol);
    if (std::fabs(m[t] - pred.mean[t]) / tol > worst / std::max(worst_tol, 1e-300))
      worst = std::fabs(m[t] - pred.mean[t]), worst_tol = tol;
    cont_err = std::max(cont_err, std::fabs(m[t] - bass_continuous(p, q, t)));
    disc_err = std::max(disc_err, std::fabs(pred.mean[t] - bass_continuous(p, q, t)));
    // Continuous closed form: |mean - F| <= |mean - B| + |B - F|, the tolerance plus the discretisation
    // error.
    CHECK(std::fabs(m[t] - bass_continuous(p, q, t)) <=
          std::fabs(pred.mean[t] - bass_continuous(p, q, t)) + tol);
  }
  // The replicate variance agrees with the linear-noise prediction (chi-square, R - 1 dof, per step),
  // at the steps where the counts are near-normal: at least 20 expected adopters and 20 expected
  // non-adopters (near saturation every run can reach F = 1 exactly, variance 0).
  int var_fail = 0;
  for (int t = 1; t <= T; ++t) {
    if (N * pred.mean[t] < 20 || N * (1 - pred.mean[t]) < 20) continue;
    std::vector<double> x;
    for (const auto& r : runs) x.push_back(r[t]);
    const double ratio = sd(x) * sd(x) / pred.variance[t];
    const double lo = chi2_quantile(1e-3 / (2 * T), R - 1) / (R - 1),
                 hi = chi2_quantile(1 - 1e-3 / (2 * T), R - 1) / (R - 1);
    if (ratio < lo || ratio > hi) {
      ++var_fail;
      UNSCOPED_INFO("t = " << t << ": variance ratio " << ratio << " outside [" << lo << ", " << hi << "]");
    }
  }
  CHECK(var_fail == 0);
  // Peak of the mean adoption increments: within one step of the recursion's peak. (The
  // continuous t* = ln(q/p)/(p+q) is 1.8 steps earlier at these per-step p, q: the next case.)
  int peak = 1, peak_rec = 1;
  for (int t = 1; t <= T; ++t) {
    if (m[t] - m[t - 1] > m[peak] - m[peak - 1]) peak = t;
    if (pred.mean[t] - pred.mean[t - 1] > pred.mean[peak_rec] - pred.mean[peak_rec - 1]) peak_rec = t;
  }
  const double t_star = std::log(q / p) / (p + q);
  CHECK(std::abs(peak - peak_rec) <= 1);
  // Peak adoption time: the adoption rate (p + qF)(1 - F) is largest where F reaches the Bass
  // inflection level F* = (q - p) / 2q; the continuous curve reaches it exactly at t*. The model's
  // mean must reach it when the recursion does (tolerance: the sampling error of the mean divided by
  // its slope there), and within one step of t* wherever the recursion itself is: its lag behind t*
  // is a constant number of steps that grows with q/p (0.65 at q/p = 12.7, 1.8 at q/p = 150;
  // docs/VALIDATION.md, Findings 1); beyond one step only a finer clock gets closer (next case).
  const double f_star = (q - p) / (2 * q), t_cross = crossing_time(m, f_star),
               t_cross_rec = crossing_time(pred.mean, f_star);
  INFO("mean reaches F* = " << f_star << " at " << t_cross << ", recursion at " << t_cross_rec << ", t* = "
                            << t_star);
  REQUIRE(t_cross > 0);  // bass.toml must run past the inflection point
  REQUIRE(t_cross_rec > 0);
  const int tc = static_cast<int>(t_cross);
  const double slope = m[tc + 1] - m[tc];
  const double cross_sampling = z * std::sqrt(std::max(pred.variance[tc], pred.variance[tc + 1]) / R) / slope;
  CHECK(std::fabs(t_cross - t_cross_rec) <= cross_sampling);
  const bool recursion_within_one = std::fabs(t_cross_rec - t_star) <= 1.0;
  if (recursion_within_one)
    CHECK(std::fabs(t_cross - t_star) <= 1.0 + cross_sampling);
  else
    WARN("at q/p = " << q / p << " the discrete recursion itself reaches F* " << t_cross_rec - t_star
                     << " steps after t*: refine the step (validation: Bass curve converges)");
  report("1 Bass", "max_t |mean F_t - B_t| (N = 10^4, R = " + std::to_string(R) + ")", "0", fmt(worst),
         fmt(worst_tol) + " at that step",
         "missionsim_tests \"validation: Bass diffusion on the complete*\"");
  report("1 Bass", "max_t |mean F_t - F(t)| vs discretisation max_t |B_t - F(t)|", fmt(disc_err),
         fmt(cont_err), "+ " + fmt(worst_tol), "same");
  report("1 Bass", "peak adoption time: mean F_t reaches F* = (q-p)/2q (the rate's maximum)",
         "t* = " + fmt(t_star, 3) + " (recursion " + fmt(t_cross_rec, 3) + ")", fmt(t_cross, 3),
         (recursion_within_one ? "1 step + " : "recursion + ") + fmt(cross_sampling, 2), "same");
  report("1 Bass", "step with most new adopters (counted at the end of the step)",
         std::to_string(peak_rec) + " (recursion)", std::to_string(peak), "1 step", "same");
}

TEST_CASE("validation: Bass curve converges to the continuous closed form as the time step shrinks",
          "[validation][bass]") {
  // p and q per step divided by k over k times the steps: the same process on a k-times finer clock.
  const Params sp = scenario("bass.toml", {}, 1);
  const double p = sp.bass_p, q = sp.bass_q, N = static_cast<double>(sp.customers);
  const int R = 10, T = sp.steps;
  Conservation c;
  std::vector<double> disc_errors, timing_errors;
  for (int k : {1, 2, 4}) {
    auto exact = [](double x) {  // every digit, so the scenario gets exactly p/k and q/k
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", x);
      return std::string(buf);
    };
    auto runs = bass_runs({"adoption.p=" + exact(p / k), "adoption.q=" + exact(q / k),
                           "run.steps=" + std::to_string(T * k)},
                          R, c);
    const auto m = column_mean(runs);
    const auto pred = bass_prediction(p / k, q / k, N, T * k);
    const double z = z_family(T * k);
    double disc = 0, cont = 0, tol_max = 0;
    for (int s = 1; s <= T * k; ++s) {
      const double tol = z * std::sqrt(pred.variance[s] / R) + std::fabs(pred.bias[s]);
      INFO("k = " << k << ", step " << s);
      CHECK(std::fabs(m[s] - pred.mean[s]) <= tol);
      if (s % k == 0) {
        disc = std::max(disc, std::fabs(pred.mean[s] - bass_continuous(p, q, s / k)));
        cont = std::max(cont, std::fabs(m[s] - bass_continuous(p, q, s / k)));
        tol_max = std::max(tol_max, tol);
      }
    }
    CHECK(cont <= disc + tol_max);
    disc_errors.push_back(disc);
    // Peak of the increments on the continuous clock (step s covers (s-1)/k .. s/k), reported only: the
    // argmax sits a constant number of steps after k t* (Findings 1), and for k >= 2 neighbouring
    // increments differ by less than their sampling error.
    int peak = 1, peak_rec = 1;
    for (int s = 1; s <= T * k; ++s) {
      if (m[s] - m[s - 1] > m[peak] - m[peak - 1]) peak = s;
      if (pred.mean[s] - pred.mean[s - 1] > pred.mean[peak_rec] - pred.mean[peak_rec - 1]) peak_rec = s;
    }
    const double t_star = std::log(q / p) / (p + q);
    // Time the mean reaches the inflection level F*: on the recursion's within its sampling error
    // (divided by the slope); the recursion's distance to t* in time units shrinks as 1/k (checked below).
    const double f_star = (q - p) / (2 * q);
    const double s_cross = crossing_time(m, f_star), s_cross_rec = crossing_time(pred.mean, f_star);
    REQUIRE(s_cross > 0);
    REQUIRE(s_cross_rec > 0);
    const int sc = static_cast<int>(s_cross);
    const double cross_sampling =
        z * std::sqrt(std::max(pred.variance[sc], pred.variance[sc + 1]) / R) / (m[sc + 1] - m[sc]);
    INFO("k = " << k << ": F* reached at step " << s_cross << ", recursion " << s_cross_rec << ", k t* = "
                << k * t_star);
    CHECK(std::fabs(s_cross - s_cross_rec) <= cross_sampling);
    timing_errors.push_back(s_cross_rec / k - t_star);
    report("1 Bass", "k = " + std::to_string(k) + ": time the mean reaches F* (time units)",
           "t* = " + fmt(t_star, 3) + " (recursion " + fmt(s_cross_rec / k, 3) + ")", fmt(s_cross / k, 3),
           "recursion + " + fmt(cross_sampling / k, 2), "missionsim_tests \"validation: Bass curve converges*\"");
    report("1 Bass", "k = " + std::to_string(k) + ": peak time of the increments, recursion (model mean)",
           "t* = " + fmt(t_star, 3), fmt((peak_rec - 0.5) / k, 3) + " (" + fmt((peak - 0.5) / k, 3) + ")",
           "reported", "missionsim_tests \"validation: Bass curve converges*\"");
    report("1 Bass", "k = " + std::to_string(k) + ": max |mean F - F(t)| (p/k, q/k, k T steps)", fmt(disc),
           fmt(cont), "+ " + fmt(tol_max), "missionsim_tests \"validation: Bass curve converges*\"");
  }
  require_conserved(c);
  // Forward-Euler order: the discretisation error halves with the step (first order).
  CHECK(disc_errors[1] / disc_errors[0] == Approx(0.5).margin(0.1));
  CHECK(disc_errors[2] / disc_errors[1] == Approx(0.5).margin(0.1));
  // So does the recursion's delay in reaching F*, and with it the peak adoption time.
  CHECK(timing_errors[1] / timing_errors[0] == Approx(0.5).margin(0.1));
  CHECK(timing_errors[2] / timing_errors[1] == Approx(0.5).margin(0.1));
}

TEST_CASE("validation: Bass error of one run falls as 1/sqrt(N)", "[validation][bass]") {
  const Params sp = scenario("bass.toml", {}, 1);
  const double p = sp.bass_p, q = sp.bass_q;
  const int T = sp.steps;
  const bool lg = long_mode();
  const std::vector<std::pair<double, int>> sizes = {{1e3, 20}, {1e4, 20}, {1e5, lg ? 20 : 5}};
  Conservation c;
  std::vector<double> errors;
  for (auto [N, R] : sizes) {
    auto runs = bass_runs({"customers.count=" + std::to_string(static_cast<long>(N))}, R, c);
    const auto pred = bass_prediction(p, q, N, T);
    double ss = 0, expected = 0;
    for (const auto& r : runs)
      for (int t = 1; t <= T; ++t) ss += (r[t] - pred.mean[t]) * (r[t] - pred.mean[t]);
    for (int t = 1; t <= T; ++t) expected += pred.variance[t] + pred.bias[t] * pred.bias[t];
    const double rms = std::sqrt(ss / (R * T)), rms_pred = std::sqrt(expected / T);
    // Each replicate contributes at least one degree of freedom: the widest chi-square band is R dof.
    const double lo = std::sqrt(chi2_quantile(1e-3 / 6, R) / R),
                 hi = std::sqrt(chi2_quantile(1 - 1e-3 / 6, R) / R);
    INFO("N = " << N << ": rms " << rms << ", predicted " << rms_pred << ", band [" << lo << ", " << hi
                << "]");
    CHECK(rms / rms_pred >= lo);
    CHECK(rms / rms_pred <= hi);
    errors.push_back(rms);
    report("1 Bass",
           "rms error of one run vs recursion, N = " + fmt(N, 1) + " (R = " + std::to_string(R) + ")",
           fmt(rms_pred, 3) + " (linear noise)", fmt(rms, 3), "x [" + fmt(lo, 2) + ", " + fmt(hi, 2) + "]",
           "missionsim_tests \"validation: Bass error*\"");
  }
  require_conserved(c);
  CHECK(errors[0] > errors[1]);
  CHECK(errors[1] > errors[2]);
}

TEST_CASE("validation: Bass on a sparse ring lattice lies below the mean-field curve", "[validation][bass]") {
  const Params sp = scenario("bass.toml", {}, 1);
  const double p = sp.bass_p, q = sp.bass_q, N = static_cast<double>(sp.customers);
  const int R = 20, T = sp.steps;
  Conservation c;
  auto runs = bass_runs({"network.kind=watts-strogatz", "network.mean_degree=4", "network.rewire=0"}, R, c);
  require_conserved(c);
  const auto m = column_mean(runs);
  const auto pred = bass_prediction(p, q, N, T);
  const double tq = t_upper(1e-3 / T, R - 1);  // one-sided per step, Bonferroni over steps
  int mid = 1;
  for (int t = 1; t <= T; ++t)
    if (std::fabs(pred.mean[t] - 0.5) < std::fabs(pred.mean[mid] - 0.5)) mid = t;
  double mid_gap = 0, mid_tol = 0;
  for (int t = 1; t <= T; ++t) {
    std::vector<double> x;
    for (const auto& r : runs) x.push_back(r[t]);
    const double tol = tq * std::sqrt(sd(x) * sd(x) / R + pred.variance[t] / R) + std::fabs(pred.bias[t]);
    INFO("t = " << t << ": ring " << m[t] << ", Bass " << pred.mean[t] << ", tolerance " << tol);
    CHECK(m[t] <= pred.mean[t] + tol);  // never above
    if (t == mid) mid_gap = pred.mean[t] - m[t], mid_tol = tol;
  }
  CHECK(mid_gap > mid_tol);  // strictly below where Bass passes one half
  report("1 Bass", "ring lattice (degree 4): B_t - mean F_t at the Bass midpoint t = " + std::to_string(mid),
         "> 0", fmt(mid_gap), "> " + fmt(mid_tol), "missionsim_tests \"validation: Bass on a sparse ring*\"");
}

// ---- Logit shares and IIA (case 2) -------------------------------------------------

namespace {

struct LogitResult {
  std::vector<double> softmax;     // expected share per firm
  std::vector<double> pooled;      // mean share over replicates and steps 1..T
  std::vector<double> counts;      // pooled customer counts
  int outside_3sd = 0, draws = 0;  // per-step shares outside 3 sqrt(s(1-s)/N)
  double N = 0;
  int samples = 0;  // replicates x steps
};

LogitResult logit_run(const Params& base, int R, Conservation& c) {
  LogitResult lr;
  // Eq. 30-31 with equal satisfaction and success: U_f = const - price_sensitivity * price_f.
  const double ps = base.segments[0].price_sensitivity, mu = base.logit_scale;
  std::vector<double> price;
  for (const auto& g : base.firms)
    for (const auto& s : base.strategies)
      if (s.name == g.strategy) price.push_back(s.price);
  double z = 0;
  for (double pr : price) z += std::exp(-ps * pr / mu);
  for (double pr : price) lr.softmax.push_back(std::exp(-ps * pr / mu) / z);
  const std::size_t F = price.size();
  lr.pooled.assign(F, 0.0);
  lr.counts.assign(F, 0.0);
  lr.N = static_cast<double>(base.customers);
  for (int r = 1; r <= R; ++r) {
    Params p = base;
    p.seed = replicate_seed(r);
    auto tr = run(p, c);
    for (int t = 1; t <= p.steps; ++t) {
      const auto& o = tr.obs[t];
      // Fixed utilities: every firm's published satisfaction is the same.
      for (std::size_t f = 1; f < F; ++f)
        CHECK(o.satisfaction[f] == Approx(o.satisfaction[0]).epsilon(1e-12));
      for (std::size_t f = 0; f < F; ++f) {
        const double s = lr.softmax[f];
        lr.pooled[f] += o.share[f];
        lr.counts[f] += static_cast<double>(o.customers[f]);
        lr.outside_3sd += std::fabs(o.share[f] - s) > 3 * std::sqrt(s * (1 - s) / lr.N);
        ++lr.draws;
      }
      ++lr.samples;
    }
  }
  for (auto& v : lr.pooled) v /= lr.samples;
  return lr;
}

// Smallest k with P(Binomial(n, p) >= k) <= alpha.
int binomial_bound(int n, double p, double alpha) {
  double pmf = std::pow(1 - p, n), cdf = pmf;
  int k = 0;
  while (1 - cdf > alpha && k < n) {
    pmf *= static_cast<double>(n - k) / (k + 1) * p / (1 - p);
    cdf += pmf;
    ++k;
  }
  return k + 1;
}

}  // namespace

TEST_CASE("validation: logit shares match the softmax of fixed utilities", "[validation][logit]") {
  const int R = 5;
  Conservation c;
  const Params base = scenario("logit.toml");
  auto lr = logit_run(base, R, c);
  require_conserved(c);
  const int F = static_cast<int>(lr.softmax.size());
  const double z = z_family(F);
  for (int f = 0; f < F; ++f) {
    const double s = lr.softmax[f];
    const double tol = z * std::sqrt(s * (1 - s) / (lr.N * lr.samples));
    INFO("firm " << f << ": pooled share " << lr.pooled[f] << ", softmax " << s << ", tolerance " << tol);
    CHECK(std::fabs(lr.pooled[f] - s) <= tol);
    report("2 Logit",
           "share of the firm at price " + fmt(base.strategies[f].price) + " (pooled over " +
               std::to_string(lr.samples) + " draws of N = " + fmt(lr.N) + ")",
           fmt(s, 5), fmt(lr.pooled[f], 5), fmt(tol, 2), "missionsim_tests \"validation: logit shares*\"");
  }
  // Single draws: the share of a step lies within 3 sqrt(s(1-s)/N) with probability 0.9973.
  const int bound = binomial_bound(lr.draws, 2 * (1 - normal_cdf(3.0)), 1e-3);
  INFO(lr.outside_3sd << " of " << lr.draws << " per-step shares outside 3 sd; bound " << bound);
  CHECK(lr.outside_3sd < bound);
  report("2 Logit", "per-step shares outside 3 sqrt(s(1-s)/N)",
         fmt(0.0027 * lr.draws, 2) + " of " + std::to_string(lr.draws), std::to_string(lr.outside_3sd),
         "< " + std::to_string(bound), "same");
}

TEST_CASE("validation: removing a firm leaves the others' share ratio unchanged (IIA)",
          "[validation][logit]") {
  const int R = 5;
  Conservation c;
  const Params three = scenario("logit.toml");
  Params two = three;
  two.firms.pop_back();  // the price-12 firm leaves the market
  auto a = logit_run(three, R, c);
  auto b = logit_run(two, R, c);
  require_conserved(c);
  // ln(n_1 / n_2) of pooled multinomial counts has variance 1/n_1 + 1/n_2.
  const double expected = std::log(a.softmax[0] / a.softmax[1]);  // = price_sensitivity * 2 / mu
  const double la = std::log(a.counts[0] / a.counts[1]), lb = std::log(b.counts[0] / b.counts[1]);
  const double va = 1 / a.counts[0] + 1 / a.counts[1], vb = 1 / b.counts[0] + 1 / b.counts[1];
  const double z = z_family(3);
  CHECK(std::fabs(la - expected) <= z * std::sqrt(va));
  CHECK(std::fabs(lb - expected) <= z * std::sqrt(vb));
  CHECK(std::fabs(la - lb) <= z * std::sqrt(va + vb));
  CHECK(b.softmax[0] == Approx(1 / (1 + std::exp(-expected))));
  report("2 Logit", "ln(s_8 / s_10) with three firms", fmt(expected, 5), fmt(la, 5),
         fmt(z * std::sqrt(va), 2), "missionsim_tests \"validation: removing a firm*\"");
  report("2 Logit", "ln(s_8 / s_10) after removing the price-12 firm", fmt(expected, 5), fmt(lb, 5),
         fmt(z * std::sqrt(vb), 2), "same");
}

// ---- Adaptive expectations (case 3) -----------------------------------------------

TEST_CASE("validation: mean disconfirmation decays as dP (1 - lambda)^k after a performance step",
          "[validation][expectations]") {
  Conservation c;
  for (double lambda : {0.1, 0.3})
    for (int seed : {1, 2, 3}) {
      const Params p = scenario("expectations.toml", {"expectations.lambda=" + fmt(lambda, 17)}, seed);
      REQUIRE(p.events.size() == 1);
      const int te = p.events[0].step;
      // Eq. 15-19 with q = maturity = 0.4 before, q = 0.9 after, engagement 0.5.
      const double P0 = (1 - p.service_weight) * 0.5 * (1 + p.initial_capability - p.initial_maturity) +
                        p.service_weight * p.engagement_initial;
      const double P1 = (1 - p.service_weight) * 0.5 * (1 + p.events[0].capability - p.initial_maturity) +
                        p.service_weight * p.engagement_initial;
      const double dP = P1 - P0;
      auto tr = run(p, c);
      const double E0 = tr.obs[0].expectation_mean;  // sample mean of the initial expectations
      // Float storage of E: each update rounds by at most 2^-25 (values below 1), the error of the
      // mean obeys err_t <= (1 - lambda) err_{t-1} + 2^-25, so |err| <= 2^-25 / lambda.
      const double rounding = std::ldexp(1.0, -25) / lambda + 1e-12;
      // Sampling error of the initial mean: uniform spread w has sd w / sqrt(12 N).
      const double sampling = z_family(1) * p.expectation_spread / std::sqrt(12.0 * p.customers);
      double worst = 0;
      for (int t = 1; t <= p.steps; ++t) {
        const double P = t < te ? P0 : P1;
        // Exact in the mean: E-bar follows the same linear recursion as each E_i.
        double Ebar = E0;
        for (int s = 1; s < t; ++s) Ebar += lambda * ((s < te ? P0 : P1) - Ebar);
        const double exact = P - Ebar;
        INFO("lambda " << lambda << ", seed " << seed << ", t = " << t);
        CHECK(std::fabs(tr.obs[t].disconfirmation_mean - exact) <= rounding);
        if (t >= te) {
          const double closed = dP * std::pow(1 - lambda, t - te);
          const double tol = rounding + sampling * std::pow(1 - lambda, t - 1);
          CHECK(std::fabs(tr.obs[t].disconfirmation_mean - closed) <= tol);
          worst = std::max(worst, std::fabs(tr.obs[t].disconfirmation_mean - closed));
        }
      }
      if (seed == 1)
        report("3 Expectations",
               "lambda = " + fmt(lambda) + ": max_k |D_k - dP (1-lambda)^k|, dP = " + fmt(dP), "0",
               fmt(worst, 3), fmt(rounding + sampling * std::pow(1 - lambda, te - 1), 2),
               "missionsim_tests \"validation: mean disconfirmation*\"");
    }
  require_conserved(c);
}

// ---- Kano migration (case 4) ------------------------------------------------------

namespace {

// Eq. K1-K3 in expectation: category probabilities of one respondent at maturity m.
struct KanoProbabilities {
  double a, o, m, i;
  double better() const { return (a + o) / (a + o + m + i); }
  double worse() const { return -(o + m) / (a + o + m + i); }
};

KanoProbabilities kano_expected(double maturity, double beta, double sigma) {
  // eps uniform on (-sigma, sigma): P(v + eps >= 0.25) and P(v + eps <= -0.25).
  auto uniform_above = [&](double x) {
    return sigma > 0 ? std::clamp((sigma - x) / (2 * sigma), 0.0, 1.0) : (x <= 0 ? 1.0 : 0.0);
  };
  auto like = [&](double v) { return uniform_above(0.25 - v); };
  auto dislike = [&](double v) { return uniform_above(v + 0.25); };
  const double f = beta * (1 - maturity), d = -beta * maturity;
  const double fl = like(f), fmid = 1 - like(f) - dislike(f);
  const double dd = dislike(d), dmid = 1 - like(d) - dislike(d);
  return {fl * dmid, fl * dd, fmid * dd, fmid * dmid};
}

}  // namespace

TEST_CASE(
    "validation: Kano questionnaire migrates attractive -> one-dimensional -> must-be as maturity rises",
    "[validation][kano]") {
  const int R = long_mode() ? 100 : 20;
  Conservation c;
  int series = 0, class_fail = 0, close_fail = 0, checks = 0;
  double worst_dev = 0, worst_tol = 0;
  for (int seed = 1; seed <= R; ++seed) {
    const Params p = scenario("kano.toml", {}, seed);
    auto tr = run(p, c);
    const int A = tr.info.attributes;
    const KanoPanel panel(p.kano_respondents, A, p.kano_noise, Rng(p.seed));
    const double z = z_family(R * A * 6);  // every Better and Worse comparison of every seed
    for (int a = 0; a < A; ++a) {
      ++series;
      for (int t = 0; t <= p.steps; ++t) {
        const auto& o = tr.obs[t];
        const double m = o.kano_maturity[a];
        // Eq. 18 with coverage 1: m_t = 1 - (1 - r)^t.
        CHECK(m == Approx(1 - std::pow(1 - p.maturity_rate, t)).margin(1e-12));
        // The datasets are the questionnaire of the fixed panel (Eq. K1-K4).
        const KanoCounts k = panel.survey(a, m, 1.0);
        CHECK(o.kano_better[a] == k.better());
        CHECK(o.kano_worse[a] == k.worse());
      }
      // The class with most answers: A near m = 0, M near m = 1; O's share peaks in between.
      auto mode = [&](double m) {
        const KanoCounts k = panel.survey(a, m, 1.0);
        const std::array<std::int64_t, 4> n = {k.a, k.o, k.m, k.i};
        return static_cast<int>(std::max_element(n.begin(), n.end()) - n.begin());
      };
      if (mode(0.05) != 0 || mode(0.95) != 2) ++class_fail;
      // Better and Worse against the closed form at three maturities (ratio estimator, n respondents).
      for (double m : {0.25, 0.5, 0.75}) {
        const KanoCounts k = panel.survey(a, m, 1.0);
        const KanoProbabilities e = kano_expected(m, 1.0, p.kano_noise);
        const double n = static_cast<double>(k.a + k.o + k.m + k.i);
        const double tb = z * std::sqrt(e.better() * (1 - e.better()) / n);
        const double tw = z * std::sqrt(-e.worse() * (1 + e.worse()) / n);
        checks += 2;
        close_fail += std::fabs(k.better() - e.better()) > tb;
        close_fail += std::fabs(k.worse() - e.worse()) > tw;
        if (std::fabs(k.better() - e.better()) / tb > worst_dev / std::max(worst_tol, 1e-300))
          worst_dev = std::fabs(k.better() - e.better()), worst_tol = tb;
      }
    }
  }
  require_conserved(c);
  CHECK(checks == 6 * series);  // Better and Worse at three maturities for every attribute of every seed
  CHECK(class_fail == 0);
  CHECK(close_fail == 0);
  report("4 Kano", "|Better - closed form| at m = 0.25, 0.5, 0.75 (largest relative to its tolerance)", "0",
         fmt(worst_dev, 3), fmt(worst_tol, 2),
         "missionsim_tests \"validation: Kano questionnaire migrates*\"");
  report("4 Kano", "attributes whose mode class is not A at m = 0.05 and M at m = 0.95", "0",
         std::to_string(class_fail) + " of " + std::to_string(series), "0", "same");
}

// The "never backwards" and the one-dimensional phase: with the taste
// noise bounded below the answer threshold no respondent is questionable or
// reverse, so Better and Worse are monotone in maturity for every panel, and
// with thresholds at +-0.25 the one-dimensional class holds the middle
// maturities (0.25 < m < 0.75 at beta = 1).
TEST_CASE("validation: Kano classes never move backwards and pass through one-dimensional",
          "[validation][kano]") {
  const int R = long_mode() ? 100 : 20;
  Conservation c;
  int better_up = 0, worse_up = 0, series = 0, o_mode = 0;
  std::string first_backward;
  for (int seed = 1; seed <= R; ++seed) {
    const Params p = scenario("kano.toml", {}, seed);
    auto tr = run(p, c);
    const int A = tr.info.attributes;
    const KanoPanel panel(p.kano_respondents, A, p.kano_noise, Rng(p.seed));
    for (int a = 0; a < A; ++a) {
      ++series;
      bool up_b = false, up_w = false;
      for (int t = 1; t <= p.steps; ++t) {
        const auto& o = tr.obs[t];
        if (o.kano_better[a] > tr.obs[t - 1].kano_better[a]) up_b = true;
        if (o.kano_worse[a] > tr.obs[t - 1].kano_worse[a]) up_w = true;
        if ((up_b || up_w) && first_backward.empty())
          first_backward = "seed " + std::to_string(seed) + ", attribute " + std::to_string(a) + ", step " +
                           std::to_string(t) + ": Better " + fmt(tr.obs[t - 1].kano_better[a], 6) + " -> " +
                           fmt(o.kano_better[a], 6) + ", Worse " + fmt(tr.obs[t - 1].kano_worse[a], 6) +
                           " -> " + fmt(o.kano_worse[a], 6);
      }
      better_up += up_b;
      worse_up += up_w;
      bool o_seen = false;
      for (int i = 0; i <= 100; ++i) {
        const KanoCounts k = panel.survey(a, i / 100.0, 1.0);
        o_seen = o_seen || (k.o > k.a && k.o > k.m && k.o > k.i);
      }
      o_mode += o_seen;
    }
  }
  require_conserved(c);
  // For comparison: the expected class shares at beta = 2 (a discovered attribute with kano_beta = 2).
  int o_range_beta2 = 0;
  for (int i = 0; i <= 100; ++i) {
    const KanoProbabilities e = kano_expected(i / 100.0, 2.0, 0.15);
    o_range_beta2 += e.o > e.a && e.o > e.m && e.o > e.i;
  }
  report("4 Kano", "attribute series where Better or Worse ever moves backwards as m rises", "0",
         std::to_string(better_up) + " (Better), " + std::to_string(worse_up) + " (Worse) of " +
             std::to_string(series),
         "0", "missionsim_tests \"validation: Kano classes never*\"");
  report("4 Kano", "attribute series with a maturity where O is the most common class (beta = 1)",
         std::to_string(series), std::to_string(o_mode), "all",
         "same; expected O-mode maturities at beta = 2: " + std::to_string(o_range_beta2) + " of 101");
  INFO("first backward move: " << first_backward);
  CHECK(better_up == 0);
  CHECK(worse_up == 0);
  CHECK(o_mode == series);
}

// ---- Stylized facts (case 6), 20 replicates each, paired by seed --------------------

namespace {

constexpr int kFactReplicates = 20;

// Adopter share of the firms whose initial strategy is in `strategies` (0 when nobody has adopted).
double group_share(const Trajectory& tr, int t, const std::vector<std::string>& strategies) {
  const auto& o = tr.obs[t];
  if (o.adopters == 0) return 0;
  std::int64_t n = 0;
  for (std::size_t f = 0; f < o.customers.size(); ++f)
    if (std::find(strategies.begin(), strategies.end(), tr.info.firm_strategies[f]) != strategies.end())
      n += o.customers[f];
  return static_cast<double>(n) / static_cast<double>(o.adopters);
}

double window_mean(const Trajectory&, int from, int to, const std::function<double(int)>& x) {
  double s = 0;
  for (int t = from; t <= to; ++t) s += x(t);
  return s / (to - from + 1);
}

std::string ci_text(const Interval& i) {
  return fmt(i.mean, 3) + " [" + fmt(i.lo, 3) + ", " + fmt(i.hi, 3) + "]";
}

}  // namespace

namespace {
struct EraResult {
  Conservation c;
  std::vector<double> shift, control, diff;
};
const EraResult& era_result() {
  static const EraResult r = [] {
    EraResult e;
    auto& c = e.c;
    auto& shift = e.shift;
    auto& control = e.control;
    auto& diff = e.diff;
    for (int seed = 1; seed <= kFactReplicates; ++seed) {
      auto gain = [&](const std::vector<std::string>& overrides) {
        auto tr = run(scenario("era-shift.toml", overrides, seed), c);
        auto edge = [&](int t) {
          return group_share(tr, t, {"success", "synergy"}) - group_share(tr, t, {"satisfaction"});
        };
        return window_mean(tr, 101, 120, edge) - window_mean(tr, 36, 55, edge);
      };
      shift.push_back(gain({}));
      control.push_back(gain({"mechanisms.era=false"}));
      diff.push_back(shift.back() - control.back());
    }
    return e;
  }();
  return r;
}
}  // namespace

TEST_CASE("validation: with an era shift success and synergy firms gain share on satisfaction firms",
          "[validation][facts]") {
  const EraResult& r = era_result();
  require_conserved(r.c);
  const Interval s = t_interval(r.shift), k = t_interval(r.control), d = t_interval(r.diff);
  report("6a Era shift", "gain of (success + synergy) - satisfaction share, post - pre shift", "> 0",
         ci_text(s), "95% CI, 20 seeds", "missionsim_tests \"validation: with an era shift*\"");
  report("6a Era shift", "same gain in the no-shift control (mechanisms.era = false)", "CI not above 0",
         ci_text(k), "95% CI", "same");
  report("6a Era shift", "shift minus control (paired by seed)", "> 0", ci_text(d), "95% CI", "same");
  INFO("shift " << ci_text(s) << ", control " << ci_text(k) << ", difference " << ci_text(d));
  CHECK(s.lo > 0);
  CHECK(k.lo <= 0);  // no gain in the control: its interval reaches 0 or lies below
  CHECK(d.lo > 0);
}

namespace {
const char* const kChainLinks[] = {"engagement -> satisfaction", "satisfaction -> retention",
                                   "retention -> revenue growth"};
constexpr int kChainFrom = 25;  // first step of the pooled window (engagement has left its start value)
struct ChainResult {
  Conservation c;
  std::array<std::vector<double>, 3> lead, lag;  // per replicate, per link
};

// Correlation of x[t][f] with y[t][f] after removing each firm's mean over
// the window and each step's mean over firms (two-way demeaning), so neither
// a firm's persistent level nor a common trend can create it.
double two_way_correlation(const std::vector<std::vector<double>>& x, const std::vector<std::vector<double>>& y) {
  auto demean = [](const std::vector<std::vector<double>>& a) {
    const std::size_t T = a.size(), F = a[0].size();
    std::vector<double> firm(F, 0.0), step(T, 0.0);
    double grand = 0;
    for (std::size_t t = 0; t < T; ++t)
      for (std::size_t f = 0; f < F; ++f) {
        firm[f] += a[t][f] / static_cast<double>(T);
        step[t] += a[t][f] / static_cast<double>(F);
        grand += a[t][f] / static_cast<double>(T * F);
      }
    std::vector<double> out;
    for (std::size_t t = 0; t < T; ++t)
      for (std::size_t f = 0; f < F; ++f) out.push_back(a[t][f] - firm[f] - step[t] + grand);
    return out;
  };
  return correlation(demean(x), demean(y));
}

// Lag-1 correlations x(t) -> y(t + 1) between firms, pooled over steps kChainFrom..T-1.
const ChainResult& chain_result() {
  static const ChainResult result = [] {
    ChainResult cr;
    for (int seed = 1; seed <= kFactReplicates; ++seed) {
      const Params p = scenario("service-profit-chain.toml", {}, seed);
      auto tr = run(p, cr.c);
      const std::size_t F = p.firms.size();
      auto series = [&](int which, int t, std::size_t f) -> double {
        const auto& o = tr.obs[t];
        switch (which) {
          case 0:
            return o.engagement[f];
          case 1:
            return o.satisfaction[f];
          case 2:
            return o.retention[f];
          default: {
            const double prev = tr.obs[t - 1].revenue[f];
            return prev > 0 ? o.revenue[f] / prev - 1 : NAN;
          }
        }
      };
      // Firms alive with finite series through the whole window (all of them unless one went bankrupt).
      std::vector<std::size_t> firms;
      for (std::size_t f = 0; f < F; ++f) {
        bool ok = true;
        for (int t = kChainFrom; t <= p.steps && ok; ++t)
          for (int which = 0; which < 4; ++which)
            ok = ok && tr.obs[t].alive[f] && std::isfinite(series(which, t, f));
        if (ok) firms.push_back(f);
      }
      REQUIRE(firms.size() >= 3);
      for (int link = 0; link < 3; ++link) {
        std::vector<std::vector<double>> x, y, xr, yr;
        for (int t = kChainFrom; t < p.steps; ++t) {
          std::vector<double> a, b, ar, br;
          for (std::size_t f : firms) {
            a.push_back(series(link, t, f));
            b.push_back(series(link + 1, t + 1, f));
            ar.push_back(series(link + 1, t, f));
            br.push_back(series(link, t + 1, f));
          }
          x.push_back(a), y.push_back(b), xr.push_back(ar), yr.push_back(br);
        }
        cr.lead[link].push_back(two_way_correlation(x, y));
        cr.lag[link].push_back(two_way_correlation(xr, yr));  // reverse direction, for comparison
      }
    }
    return cr;
  }();
  return result;
}
}  // namespace

TEST_CASE("validation: service-profit chain, engagement leads satisfaction leads retention leads revenue growth",
          "[validation][facts]") {
  const ChainResult& cr = chain_result();
  require_conserved(cr.c);
  for (int link = 0; link < 3; ++link) {
    const Interval i = t_interval(cr.lead[link]), r = t_interval(cr.lag[link]);
    report("6b Service-profit chain", std::string("lag-1 correlation ") + kChainLinks[link], "> 0",
           ci_text(i), "95% CI; reverse lag " + ci_text(r),
           "missionsim_tests \"validation: service-profit chain*\"");
    INFO(kChainLinks[link] << ": " << ci_text(i) << ", reverse " << ci_text(r));
    CHECK(i.lo > 0);
  }
}

TEST_CASE("validation: copying and adapting expectations erode the innovator's satisfaction premium (C1)",
          "[validation][facts]") {
  Conservation c;
  std::vector<double> early, late, decay, gap_early, gap_late;
  for (int seed = 1; seed <= kFactReplicates; ++seed) {
    const Params p = scenario("treadmill.toml", {}, seed);
    auto tr = run(p, c);
    const int te = p.events[0].step;
    auto premium = [&](int t) {
      const auto& o = tr.obs[t];
      return o.satisfaction[0] - 0.5 * (o.satisfaction[1] + o.satisfaction[2]);
    };
    early.push_back(window_mean(tr, te + 1, te + 3, premium));
    late.push_back(window_mean(tr, p.steps - 11, p.steps, premium));
    decay.push_back(early.back() - late.back());
  }
  require_conserved(c);
  const Interval e = t_interval(early), l = t_interval(late), d = t_interval(decay);
  report("6c Treadmill", "innovator's satisfaction premium, steps 25-27", "> 0", ci_text(e), "95% CI",
         "missionsim_tests \"validation: copying and adapting*\"");
  report("6c Treadmill", "premium, steps 85-96", "< early", ci_text(l), "95% CI", "same");
  report("6c Treadmill", "early minus late (paired)", "> 0", ci_text(d), "95% CI", "same");
  INFO("early " << ci_text(e) << ", late " << ci_text(l) << ", decay " << ci_text(d));
  CHECK(e.lo > 0);
  CHECK(d.lo > 0);
}

TEST_CASE("validation: synergy has an edge over success only with values-driven customers (C6)",
          "[validation][facts]") {
  Conservation c;
  std::vector<double> with, without, diff;
  for (int seed = 1; seed <= kFactReplicates; ++seed) {
    auto edge = [&](const std::vector<std::string>& overrides) {
      auto tr = run(scenario("values.toml", overrides, seed), c);
      return window_mean(tr, 61, 120, [&](int t) {
        return group_share(tr, t, {"synergy"}) - group_share(tr, t, {"success"});
      });
    };
    with.push_back(edge({}));
    without.push_back(edge({"customers.segments.0.values_share=0"}));
    diff.push_back(with.back() - without.back());
  }
  require_conserved(c);
  const Interval w = t_interval(with), o = t_interval(without), d = t_interval(diff);
  report("6d Values-driven share", "synergy minus success share, 33% values-driven", "> 0", ci_text(w),
         "95% CI", "missionsim_tests \"validation: synergy has an edge*\"");
  report("6d Values-driven share", "same with 0% values-driven", "CI not above 0", ci_text(o), "95% CI",
         "same");
  report("6d Values-driven share", "33% minus 0% (paired by seed)", "> 0", ci_text(d), "95% CI", "same");
  INFO("33%: " << ci_text(w) << ", 0%: " << ci_text(o) << ", difference " << ci_text(d));
  CHECK(w.lo > 0);
  CHECK(d.lo > 0);
  CHECK(o.lo <= 0);
}
