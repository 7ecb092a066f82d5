#include "sweep/collect.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <limits>
#include <map>
#include <stdexcept>

#include "missionsim_version.hpp"
#include "output/content_digest.hpp"
#include "output/hdf5_error.hpp"
#include "output/run_file.hpp"
#include "output/trajectory_reader.hpp"
#include "sweep/outcomes.hpp"
#include "sweep/runner.hpp"

namespace fs = std::filesystem;

namespace missionsim::sweep {
namespace {

constexpr int kFormatVersion = 2;  // 2: content_sha256
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Failures name the object and give HDF5's reason, e.g. "No space left on device (errno 28)".
std::string reason() {
  const std::string detail = hdf5_error_detail();
  return detail.empty() ? "" : ": " + detail;
}
void check(herr_t rc, const std::string& what) {
  if (rc < 0) throw std::runtime_error("HDF5: cannot write " + what + reason());
}
hid_t checked(hid_t id, const std::string& what) {
  if (id < 0) throw std::runtime_error("HDF5: cannot create " + what + reason());
  return id;
}

hid_t string_type() {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return t;
}

template <class T>
hid_t native();
template <>
hid_t native<double>() {
  return H5T_NATIVE_DOUBLE;
}
template <>
hid_t native<std::int64_t>() {
  return H5T_NATIVE_INT64;
}
template <>
hid_t native<std::uint64_t>() {
  return H5T_NATIVE_UINT64;
}
template <>
hid_t native<std::int32_t>() {
  return H5T_NATIVE_INT32;
}

// File types are fixed little-endian, whatever the machine.
template <class T>
hid_t file_type();
template <>
hid_t file_type<double>() {
  return H5T_IEEE_F64LE;
}
template <>
hid_t file_type<std::int64_t>() {
  return H5T_STD_I64LE;
}
template <>
hid_t file_type<std::uint64_t>() {
  return H5T_STD_U64LE;
}
template <>
hid_t file_type<std::int32_t>() {
  return H5T_STD_I32LE;
}

void set_string_attr(hid_t obj, const char* name, const std::string& value) {
  hid_t t = string_type(), s = H5Screate(H5S_SCALAR);
  hid_t a = checked(H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT), name);
  const char* p = value.c_str();
  check(H5Awrite(a, t, &p), name);
  H5Aclose(a), H5Sclose(s), H5Tclose(t);
}

template <class T>
void set_attr(hid_t obj, const char* name, T value) {
  hid_t s = H5Screate(H5S_SCALAR);
  hid_t a = checked(H5Acreate2(obj, name, file_type<T>(), s, H5P_DEFAULT, H5P_DEFAULT), name);
  check(H5Awrite(a, native<T>(), &value), name);
  H5Aclose(a), H5Sclose(s);
}

hid_t dataset_props() {
  hid_t p = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_obj_track_times(p, false);  // identical inputs, identical bytes (but created_utc)
  return p;
}

template <class T>
void write(hid_t loc, const std::string& path, const std::vector<T>& data, std::vector<hsize_t> dims,
           const std::string& units, const std::string& meaning) {
  hid_t s = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t dcpl = dataset_props();
  hid_t d = checked(H5Dcreate2(loc, path.c_str(), file_type<T>(), s, lcpl, dcpl, H5P_DEFAULT), path);
  if (!data.empty()) check(H5Dwrite(d, native<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()), path);
  set_string_attr(d, "units", units);
  set_string_attr(d, "long_name", meaning);
  H5Dclose(d), H5Pclose(dcpl), H5Pclose(lcpl), H5Sclose(s);
}

void write_strings(hid_t loc, const std::string& path, const std::vector<std::string>& data,
                   std::vector<hsize_t> dims, const std::string& meaning) {
  hid_t t = string_type();
  hid_t s = dims.empty() ? H5Screate(H5S_SCALAR)
                         : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t dcpl = dataset_props();
  hid_t d = checked(H5Dcreate2(loc, path.c_str(), t, s, lcpl, dcpl, H5P_DEFAULT), path);
  std::vector<const char*> ptrs;
  for (const auto& x : data) ptrs.push_back(x.c_str());
  if (!ptrs.empty()) check(H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()), path);
  set_string_attr(d, "units", "");
  set_string_attr(d, "long_name", meaning);
  H5Dclose(d), H5Pclose(dcpl), H5Pclose(lcpl), H5Sclose(s), H5Tclose(t);
}

// Firm quantities of /outcomes_t/firm, in the order of Summary::firm_t.
const std::vector<std::string> kFirmSeries = {"share",        "customers", "profit",         "cash",
                                              "satisfaction", "success",   "societal_value", "alive"};
// Market quantities of /outcomes_t/market.
const std::vector<std::string> kMarketSeries = {"adopters_share", "hhi", "societal_value"};

// Every row of one run file, with the sums over the run as running sums.
struct RunRows {
  std::size_t T = 0, F = 0;
  std::vector<std::int64_t> steps;          // /time
  std::vector<std::vector<double>> firm;    // kFirmSeries[q]: [T x F]
  std::vector<double> strategy_id;          // [T x F], index into strategy_names
  std::vector<std::vector<double>> market;  // kMarketSeries[q]: [T]
  std::vector<std::string> strategy_names;
  std::vector<std::string> firm_names;
};

RunRows read_rows(const TrajectoryReader& r) {
  RunRows d;
  d.firm_names = r.strings("/firms/name");
  d.strategy_names = r.strings("/strategies/name");
  const Table time = r.read("/time"), share = r.read("/firms/share"), customers = r.read("/firms/customers"),
              profit = r.read("/firms/profit"), cash = r.read("/firms/cash"),
              sat = r.read("/firms/satisfaction"), suc = r.read("/firms/success"),
              impact = r.read("/firms/social_impact"), harm = r.read("/firms/harm"),
              sid = r.read("/firms/strategy_id"), alive = r.read("/firms/alive"), hhi = r.read("/market/hhi"),
              sv = r.read("/market/societal_value");
  const std::size_t T = share.rows, F = share.cols;
  d.T = T, d.F = F;
  for (std::size_t t = 0; t < T; ++t) d.steps.push_back(static_cast<std::int64_t>(time.at(t)));
  d.firm.assign(kFirmSeries.size(), std::vector<double>(T * F, kNaN));
  d.market.assign(kMarketSeries.size(), std::vector<double>(T, kNaN));
  d.strategy_id.assign(T * F, -1);
  for (std::size_t f = 0; f < F; ++f) {
    // Profit and impact summed over steps 1..t, in step order (as the final-step outcomes).
    double total_profit = 0, total_impact = 0;
    for (std::size_t t = 0; t < T; ++t) {
      if (t > 0 && std::isfinite(profit.at(t, f))) total_profit += profit.at(t, f);
      if (t > 0 && std::isfinite(impact.at(t, f))) total_impact += impact.at(t, f);
      const std::size_t i = t * F + f;
      d.firm[0][i] = share.at(t, f);
      d.firm[1][i] = customers.at(t, f);
      d.firm[2][i] = total_profit;
      d.firm[3][i] = cash.at(t, f);
      d.firm[4][i] = sat.at(t, f);
      d.firm[5][i] = suc.at(t, f);
      d.firm[6][i] = total_impact - (std::isfinite(harm.at(t, f)) ? harm.at(t, f) : 0.0);
      d.firm[7][i] = alive.at(t, f);
      d.strategy_id[i] = sid.at(t, f);
    }
  }
  double total = 0;
  for (std::size_t t = 0; t < T; ++t) {
    double adopters_share = 0;
    for (std::size_t f = 0; f < F; ++f)
      if (std::isfinite(share.at(t, f))) adopters_share += share.at(t, f);
    if (t > 0 && std::isfinite(sv.at(t))) total += sv.at(t);
    d.market[0][t] = adopters_share;
    d.market[1][t] = hhi.at(t);
    d.market[2][t] = total;
  }
  return d;
}

// Strategy outcomes of one row: sums (share, customers, profit,
// societal_value, firms) over the firms whose strategy on that row is k, and
// customer-weighted means (satisfaction, success); `sid(f)` is firm f's
// strategy index (< 0: none), `firm(q, f)` its kFirmSeries[q] value.
struct StrategyRow {
  std::vector<double> share, customers, profit, satisfaction, success, societal, firms;
};
template <class Sid, class FirmValue>
StrategyRow strategy_row(std::size_t S, std::size_t F, Sid sid, FirmValue firm) {
  StrategyRow o;
  std::vector<double> sh(S, 0), cu(S, 0), pr(S, 0), so(S, 0), fi(S, 0), sat(S, 0), suc(S, 0);
  for (std::size_t f = 0; f < F; ++f) {
    const long k = sid(f);
    if (k < 0 || static_cast<std::size_t>(k) >= S) continue;
    const double c = std::isfinite(firm(1, f)) ? firm(1, f) : 0;
    if (std::isfinite(firm(0, f))) sh[k] += firm(0, f);
    cu[k] += c;
    pr[k] += firm(2, f);
    so[k] += firm(6, f);
    fi[k] += firm(7, f) > 0 ? 1 : 0;
    if (c > 0) sat[k] += c * firm(4, f), suc[k] += c * firm(5, f);
  }
  o.share = sh, o.customers = cu, o.profit = pr, o.societal = so, o.firms = fi;
  for (std::size_t k = 0; k < S; ++k) {
    o.satisfaction.push_back(cu[k] > 0 ? sat[k] / cu[k] : kNaN);
    o.success.push_back(cu[k] > 0 ? suc[k] / cu[k] : kNaN);
  }
  return o;
}

// The series a derived outcome's reference names, over every row of the run.
std::vector<double> reference_series(const RunRows& d, const Reference& ref) {
  std::vector<double> v(d.T, kNaN);
  if (ref.scope == Scope::Market) {
    const auto q =
        std::find(kMarketSeries.begin(), kMarketSeries.end(), ref.quantity) - kMarketSeries.begin();
    return d.market[static_cast<std::size_t>(q)];
  }
  if (ref.scope == Scope::Firm) {
    const auto f = std::find(d.firm_names.begin(), d.firm_names.end(), ref.name) - d.firm_names.begin();
    if (static_cast<std::size_t>(f) >= d.F) return v;  // no such firm in this run: NaN
    const auto q = std::find(kFirmSeries.begin(), kFirmSeries.end(), ref.quantity) - kFirmSeries.begin();
    for (std::size_t t = 0; t < d.T; ++t)
      v[t] = d.firm[static_cast<std::size_t>(q)][t * d.F + static_cast<std::size_t>(f)];
    return v;
  }
  // A strategy: the firms that follow it on each row (none: sums 0, means NaN).
  const auto k =
      std::find(d.strategy_names.begin(), d.strategy_names.end(), ref.name) - d.strategy_names.begin();
  for (std::size_t t = 0; t < d.T; ++t) {
    const StrategyRow row = strategy_row(
        1, d.F,
        [&](std::size_t f) {
          const double id = d.strategy_id[t * d.F + f];
          return id == static_cast<double>(k) ? 0L : -1L;
        },
        [&](std::size_t q, std::size_t f) { return d.firm[q][t * d.F + f]; });
    const std::string& q = ref.quantity;
    v[t] = q == "share"          ? row.share[0]
           : q == "customers"    ? row.customers[0]
           : q == "profit"       ? row.profit[0]
           : q == "satisfaction" ? row.satisfaction[0]
           : q == "success"      ? row.success[0]
           : q == "firms"        ? row.firms[0]
                                 : row.societal[0];
  }
  return v;
}

// The summary of one done run.
struct Summary {
  std::vector<std::string> firm_name, strategy_names;
  // Per firm (final row unless noted).
  std::vector<double> share, customers, profit, cash, satisfaction, success, societal, alive;
  std::vector<int> strategy;  // final strategy id
  double adopters_share = kNaN, hhi = kNaN, societal_total = kNaN;
  // At each step of /outcomes/time (K): firm_t[q] is [K x F] for kFirmSeries[q],
  // strategy_t [K x F] (index into strategy_names), market_t[q] [K].
  std::vector<std::vector<double>> firm_t, market_t;
  std::vector<double> strategy_t;
  // Derived outcomes: [K] per time, [1] for an event.
  std::vector<std::vector<double>> derived;
};

Summary summarise(const std::string& path, const std::vector<std::int64_t>& times,
                  const std::vector<DerivedOutcome>& derived) {
  const TrajectoryReader r(path);
  Summary s;
  s.firm_name = r.strings("/firms/name");
  s.strategy_names = r.strings("/strategies/name");
  const Table share = r.read("/firms/share"), customers = r.read("/firms/customers"),
              profit = r.read("/firms/profit"), cash = r.read("/firms/cash"),
              sat = r.read("/firms/satisfaction"), suc = r.read("/firms/success"),
              impact = r.read("/firms/social_impact"), harm = r.read("/firms/harm"),
              sid = r.read("/firms/strategy_id"), alive = r.read("/firms/alive");
  const std::size_t T = share.rows, F = share.cols, last = T - 1;
  for (std::size_t f = 0; f < F; ++f) {
    double total_profit = 0, total_impact = 0;
    for (std::size_t t = 1; t < T; ++t) {
      if (std::isfinite(profit.at(t, f))) total_profit += profit.at(t, f);
      if (std::isfinite(impact.at(t, f))) total_impact += impact.at(t, f);
    }
    s.share.push_back(share.at(last, f));
    s.customers.push_back(customers.at(last, f));
    s.profit.push_back(total_profit);
    s.cash.push_back(cash.at(last, f));
    s.satisfaction.push_back(sat.at(last, f));
    s.success.push_back(suc.at(last, f));
    s.societal.push_back(total_impact - (std::isfinite(harm.at(last, f)) ? harm.at(last, f) : 0.0));
    s.alive.push_back(alive.at(last, f));
    s.strategy.push_back(static_cast<int>(sid.at(last, f)));
  }
  double adopters_share = 0;
  for (std::size_t f = 0; f < F; ++f)
    if (std::isfinite(s.share[f])) adopters_share += s.share[f];
  s.adopters_share = adopters_share;
  s.hhi = r.read("/market/hhi").at(last);
  const Table sv = r.read("/market/societal_value");
  double total = 0;
  for (std::size_t t = 1; t < T; ++t)
    if (std::isfinite(sv.at(t))) total += sv.at(t);
  s.societal_total = total;

  // Outcomes over time: the row of each step (the run's last row for the final step).
  const RunRows d = read_rows(r);
  const std::size_t K = times.size();
  std::vector<std::size_t> rows(K, T);  // T: the run has no such step (NaN)
  for (std::size_t k = 0; k < K; ++k) {
    if (k + 1 == K) {
      rows[k] = last;
      continue;
    }
    const auto it = std::lower_bound(d.steps.begin(), d.steps.end(), times[k]);
    if (it != d.steps.end() && *it == times[k]) rows[k] = static_cast<std::size_t>(it - d.steps.begin());
  }
  s.firm_t.assign(kFirmSeries.size(), std::vector<double>(K * F, kNaN));
  s.strategy_t.assign(K * F, -1);
  s.market_t.assign(kMarketSeries.size(), std::vector<double>(K, kNaN));
  for (std::size_t k = 0; k < K; ++k) {
    if (rows[k] == T) continue;
    for (std::size_t q = 0; q < kFirmSeries.size(); ++q)
      for (std::size_t f = 0; f < F; ++f) s.firm_t[q][k * F + f] = d.firm[q][rows[k] * F + f];
    for (std::size_t f = 0; f < F; ++f) s.strategy_t[k * F + f] = d.strategy_id[rows[k] * F + f];
    for (std::size_t q = 0; q < kMarketSeries.size(); ++q) s.market_t[q][k] = d.market[q][rows[k]];
  }

  // Derived outcomes: per time at the rows above, events over every row.
  for (const auto& out : derived) {
    RunSeries series;
    series.steps = d.steps;
    for (const auto& ref : out.expression.references) series.series.push_back(reference_series(d, ref));
    std::vector<double> v;
    if (out.expression.event) {
      v.push_back(evaluate_event(out.expression, series));
    } else {
      for (std::size_t k = 0; k < K; ++k)
        v.push_back(rows[k] == T ? kNaN : evaluate_at(out.expression, series, rows[k]));
    }
    s.derived.push_back(std::move(v));
  }
  return s;
}

}  // namespace

CollectResult collect_sweep(const Plan& plan, const std::string& dir) {
  CollectResult out;
  out.path = (fs::path(dir) / "sweep.h5").string();
  const std::size_t R = plan.size(), P = plan.spec().parameters.size();
  const std::vector<RunState> states = run_states(plan, dir);
  out.runs = R;

  // Summaries, one file open at a time; a few hundred bytes per run are kept.
  std::vector<Summary> sums(R);
  std::vector<std::string> strategies;  // union, in order of first appearance
  std::size_t F = 0;
  std::vector<RunState> final_states = states;
  for (std::size_t i = 0; i < R; ++i) {
    if (states[i] != RunState::Done) continue;
    try {
      sums[i] = summarise(run_file(dir, plan.run(i).id), plan.outcome_steps(), plan.spec().outcomes.derived);
    } catch (const std::exception&) {
      final_states[i] = RunState::Damaged;  // vanished or damaged since the state check
      continue;
    }
    F = std::max(F, sums[i].share.size());
    for (const auto& n : sums[i].strategy_names)
      if (std::find(strategies.begin(), strategies.end(), n) == strategies.end()) strategies.push_back(n);
  }
  const std::size_t S = strategies.size();
  for (auto s : final_states) {
    out.done += s == RunState::Done;
    out.partial += s == RunState::Partial;
    out.missing += s == RunState::Missing;
    out.failed += s == RunState::Failed;
    out.damaged += s == RunState::Damaged;
  }

  const std::string partial = out.path + ".partial";
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors become exceptions with the reason
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_libver_bounds(fapl, H5F_LIBVER_EARLIEST, H5F_LIBVER_LATEST);
  hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
  H5Pset_obj_track_times(fcpl, false);
  hid_t file = H5Fcreate(partial.c_str(), H5F_ACC_TRUNC, fcpl, fapl);
  const std::string why = file < 0 ? reason() : "";  // before the next call clears HDF5's error stack
  H5Pclose(fapl), H5Pclose(fcpl);
  if (file < 0) {
    std::error_code ec;
    if (fs::is_regular_file(partial, ec) && fs::file_size(partial, ec) == 0) fs::remove(partial, ec);
    throw std::runtime_error("cannot create '" + partial + "'" + why);
  }
  try {
    const SweepSpec& spec = plan.spec();
    set_string_attr(file, "format", "missionsim-sweep");
    set_attr<std::int32_t>(file, "format_version", kFormatVersion);
    set_string_attr(file, "missionsim_version", MISSIONSIM_VERSION);
    set_string_attr(file, "sweep_sha256", plan.sha256());
    set_string_attr(file, "name", spec.name);
    // A Saltelli points file keeps the layout readers know as "sobol" ([A; B; AB_i], samples = N).
    const bool saltelli = spec.design == Design::Points && spec.points.saltelli_n > 0;
    set_string_attr(file, "design", saltelli ? "sobol" : std::string(design_name(spec.design)));
    set_string_attr(file, "design_method", spec.points.method);
    set_attr<std::int64_t>(file, "samples", static_cast<std::int64_t>(spec.samples));
    set_attr<std::int32_t>(file, "replicates", spec.replicates);
    set_attr<std::uint64_t>(file, "seed", spec.seed);
    set_attr<std::int64_t>(file, "runs", static_cast<std::int64_t>(R));
    set_attr<std::int64_t>(file, "runs_done", static_cast<std::int64_t>(out.done));
    set_string_attr(file, "created_utc", utc_now_iso8601());

    write_strings(file, "/base_scenario", {spec.base_text}, {}, "base scenario (TOML)");
    if (spec.design == Design::Points) {
      write_strings(file, "/design/points", {spec.points.text}, {}, "the points file (DIR/points.csv)");
      write(file, "/design/unit", spec.points.unit, {plan.points(), P}, "1",
            "unit-cube coordinates of each design point, in parameter order");
    }
    std::vector<std::string> fixed = spec.fixed;
    write_strings(file, "/fixed_overrides", fixed, {fixed.size()},
                  "[sweep] set: overrides applied to every run");

    // Parameters.
    std::vector<std::string> pname, pscale;
    std::vector<double> plo, phi;
    for (const auto& p : spec.parameters) {
      pname.push_back(p.key);
      pscale.push_back(p.has_range ? std::string(scale_name(p.scale)) : "levels");
      plo.push_back(p.has_range ? p.lo : kNaN);
      phi.push_back(p.has_range ? p.hi : kNaN);
    }
    write_strings(file, "/parameters/name", pname, {P}, "scenario key path of each parameter");
    write_strings(file, "/parameters/scale", pscale, {P}, "uniform, log-uniform, integer, or levels");
    write(file, "/parameters/lo", plo, {P}, "1", "lower end of the range (NaN for levels)");
    write(file, "/parameters/hi", phi, {P}, "1", "upper end of the range (NaN for levels)");
    std::vector<double> values(R * P);
    std::vector<std::string> texts(R * P);
    for (std::size_t i = 0; i < R; ++i)
      for (std::size_t j = 0; j < P; ++j) {
        values[i * P + j] = plan.value(plan.run(i).point, j);
        texts[i * P + j] = plan.value_text(plan.run(i).point, j);
      }
    write(file, "/parameters/value", values, {R, P}, "1",
          "value of each parameter in each run (NaN for a string)");
    write_strings(file, "/parameters/text", texts, {R, P}, "TOML text of each value, as passed to --set");
    if (const std::size_t L = spec.linked.size(); L > 0) {
      std::vector<std::string> lname, lexpr;
      for (const auto& x : spec.linked) lname.push_back(x.key), lexpr.push_back(x.expression);
      std::vector<double> lvalue(R * L);
      for (std::size_t i = 0; i < R; ++i)
        for (std::size_t l = 0; l < L; ++l) lvalue[i * L + l] = plan.linked_value(plan.run(i).point, l);
      write_strings(file, "/linked/name", lname, {L}, "scenario key path of each linked parameter");
      write_strings(file, "/linked/expression", lexpr, {L}, "its expression, as in the sweep file");
      write(file, "/linked/value", lvalue, {R, L}, "1", "value of each linked parameter in each run");
    }

    // Runs.
    std::vector<std::string> id, status, file_name, matrix;
    std::vector<std::uint64_t> seed;
    std::vector<std::int64_t> point;
    std::vector<std::int32_t> replicate, column;
    for (const auto& run : plan.runs()) {
      id.push_back(run.id);
      seed.push_back(run.seed);
      point.push_back(static_cast<std::int64_t>(run.point));
      replicate.push_back(run.replicate);
      status.emplace_back(state_name(final_states[run.index]));
      file_name.push_back("runs/" + run.id + ".h5");
      matrix.emplace_back(plan.saltelli_matrix(run.point));
      column.push_back(plan.saltelli_column(run.point));
    }
    write_strings(file, "/runs/id", id, {R}, "run id");
    write(file, "/runs/seed", seed, {R}, "1", "run seed (--seed)");
    write(file, "/runs/point", point, {R}, "1", "design point index");
    write(file, "/runs/replicate", replicate, {R}, "1", "replicate index");
    write_strings(file, "/runs/status", status, {R}, "done, partial, missing, failed or damaged");
    write_strings(file, "/runs/file", file_name, {R}, "run file, relative to this file's directory");
    write_strings(file, "/runs/saltelli_matrix", matrix, {R}, "sobol design: A, B or AB; empty otherwise");
    write(file, "/runs/saltelli_column", column, {R}, "1", "sobol design: i of AB_i, else -1");

    // Outcomes by firm [R, F], NaN-padded and NaN for runs not done.
    auto by_firm = [&](auto member, const std::string& name, const std::string& units,
                       const std::string& meaning) {
      std::vector<double> v(R * F, kNaN);
      for (std::size_t i = 0; i < R; ++i)
        if (final_states[i] == RunState::Done)
          for (std::size_t f = 0; f < sums[i].share.size(); ++f) v[i * F + f] = (sums[i].*member)[f];
      write(file, "/outcomes/firm/" + name, v, {R, F}, units, meaning);
    };
    std::vector<std::string> fname(R * F);
    for (std::size_t i = 0; i < R; ++i)
      for (std::size_t f = 0; f < sums[i].firm_name.size(); ++f) fname[i * F + f] = sums[i].firm_name[f];
    write_strings(file, "/outcomes/firm/name", fname, {R, F}, "firm name (empty: no such slot in the run)");
    by_firm(&Summary::share, "share", "1", "final market share");
    by_firm(&Summary::customers, "customers", "customers", "final customers");
    by_firm(&Summary::profit, "profit", "money", "profit summed over the run");
    by_firm(&Summary::cash, "cash", "money", "final cash");
    by_firm(&Summary::satisfaction, "satisfaction", "1", "final mean satisfaction of the firm's customers");
    by_firm(&Summary::success, "success", "1", "final mean customer success of the firm's customers");
    by_firm(&Summary::societal, "societal_value", "impact",
            "impact delivered over the run minus the final harm stock");
    by_firm(&Summary::alive, "alive", "1", "1 if the firm operates at the end");
    std::vector<std::int32_t> fstrat(R * F, -1);
    for (std::size_t i = 0; i < R; ++i)
      for (std::size_t f = 0; f < sums[i].strategy.size(); ++f) {
        const int k = sums[i].strategy[f];
        if (k < 0 || static_cast<std::size_t>(k) >= sums[i].strategy_names.size()) continue;
        fstrat[i * F + f] = static_cast<std::int32_t>(
            std::find(strategies.begin(), strategies.end(), sums[i].strategy_names[k]) - strategies.begin());
      }
    write(file, "/outcomes/firm/strategy_id", fstrat, {R, F}, "1",
          "final strategy, index into /outcomes/strategy/name; -1 for an empty slot");

    // Outcomes by final strategy [R, S].
    write_strings(file, "/outcomes/strategy/name", strategies, {S}, "strategy names (union over the runs)");
    std::vector<double> s_share(R * S, kNaN), s_cust(R * S, kNaN), s_profit(R * S, kNaN), s_sat(R * S, kNaN),
        s_suc(R * S, kNaN), s_soc(R * S, kNaN), s_firms(R * S, kNaN);
    for (std::size_t i = 0; i < R; ++i) {
      if (final_states[i] != RunState::Done) continue;
      std::vector<double> sh(S, 0), cu(S, 0), pr(S, 0), so(S, 0), fi(S, 0), sat(S, 0), suc(S, 0);
      for (std::size_t f = 0; f < sums[i].share.size(); ++f) {
        const std::int32_t k = fstrat[i * F + f];
        if (k < 0) continue;
        const double c = std::isfinite(sums[i].customers[f]) ? sums[i].customers[f] : 0;
        if (std::isfinite(sums[i].share[f])) sh[k] += sums[i].share[f];
        cu[k] += c;
        pr[k] += sums[i].profit[f];
        so[k] += sums[i].societal[f];
        fi[k] += sums[i].alive[f] > 0 ? 1 : 0;
        if (c > 0) sat[k] += c * sums[i].satisfaction[f], suc[k] += c * sums[i].success[f];
      }
      for (std::size_t k = 0; k < S; ++k) {
        s_share[i * S + k] = sh[k];
        s_cust[i * S + k] = cu[k];
        s_profit[i * S + k] = pr[k];
        s_soc[i * S + k] = so[k];
        s_firms[i * S + k] = fi[k];
        s_sat[i * S + k] = cu[k] > 0 ? sat[k] / cu[k] : kNaN;
        s_suc[i * S + k] = cu[k] > 0 ? suc[k] / cu[k] : kNaN;
      }
    }
    write(file, "/outcomes/strategy/share", s_share, {R, S}, "1",
          "final share of the firms with this strategy");
    write(file, "/outcomes/strategy/customers", s_cust, {R, S}, "customers", "final customers");
    write(file, "/outcomes/strategy/profit", s_profit, {R, S}, "money",
          "profit summed over the run and the firms");
    write(file, "/outcomes/strategy/satisfaction", s_sat, {R, S}, "1",
          "final satisfaction, customer-weighted");
    write(file, "/outcomes/strategy/success", s_suc, {R, S}, "1",
          "final customer success, customer-weighted");
    write(file, "/outcomes/strategy/societal_value", s_soc, {R, S}, "impact",
          "sum of the firms' societal value");
    write(file, "/outcomes/strategy/firms", s_firms, {R, S}, "firms", "firms alive at the end");

    std::vector<double> m_adopt(R, kNaN), m_hhi(R, kNaN), m_soc(R, kNaN);
    for (std::size_t i = 0; i < R; ++i)
      if (final_states[i] == RunState::Done)
        m_adopt[i] = sums[i].adopters_share, m_hhi[i] = sums[i].hhi, m_soc[i] = sums[i].societal_total;
    write(file, "/outcomes/market/adopters_share", m_adopt, {R}, "1", "final adopters / population");
    write(file, "/outcomes/market/hhi", m_hhi, {R}, "1", "final Herfindahl-Hirschman index");
    write(file, "/outcomes/market/societal_value", m_soc, {R}, "impact",
          "market societal value summed over the run");

    // Outcomes over time (docs/SWEEP.md, "Outcomes"): the same quantities at
    // each step of /outcomes/time, the last row equal to the final-step outcomes.
    const std::vector<std::int64_t>& times = plan.outcome_steps();
    const std::size_t K = times.size();
    write(file, "/outcomes/time", times, {K}, "step",
          "steps at which /outcomes_t and per-time derived outcomes are taken; the last is the final step");
    const std::vector<std::string> firm_units = {"1", "customers", "money", "money", "1", "1", "impact", "1"};
    const std::vector<std::string> firm_meaning = {
        "market share",
        "customers",
        "profit summed over steps 1..t",
        "cash",
        "mean satisfaction of the firm's customers",
        "mean customer success of the firm's customers",
        "impact delivered over steps 1..t minus the harm stock at t",
        "1 if the firm operates at t"};
    for (std::size_t q = 0; q < kFirmSeries.size(); ++q) {
      std::vector<double> v(R * K * F, kNaN);
      for (std::size_t i = 0; i < R; ++i)
        if (final_states[i] == RunState::Done) {
          const std::size_t Fi = sums[i].share.size();
          for (std::size_t k = 0; k < K; ++k)
            for (std::size_t f = 0; f < Fi; ++f) v[(i * K + k) * F + f] = sums[i].firm_t[q][k * Fi + f];
        }
      write(file, "/outcomes_t/firm/" + kFirmSeries[q], v, {R, K, F}, firm_units[q],
            firm_meaning[q] + " at each step of /outcomes/time");
    }
    // Strategy of each firm at each time, as an index into /outcomes/strategy/name.
    std::vector<std::int32_t> fstrat_t(R * K * F, -1);
    for (std::size_t i = 0; i < R; ++i) {
      if (final_states[i] != RunState::Done) continue;
      const std::size_t Fi = sums[i].share.size();
      for (std::size_t k = 0; k < K; ++k)
        for (std::size_t f = 0; f < Fi; ++f) {
          const double id = sums[i].strategy_t[k * Fi + f];
          if (!(id >= 0) || id >= static_cast<double>(sums[i].strategy_names.size())) continue;
          fstrat_t[(i * K + k) * F + f] =
              static_cast<std::int32_t>(std::find(strategies.begin(), strategies.end(),
                                                  sums[i].strategy_names[static_cast<std::size_t>(id)]) -
                                        strategies.begin());
        }
    }
    write(
        file, "/outcomes_t/firm/strategy_id", fstrat_t, {R, K, F}, "1",
        "strategy at each step of /outcomes/time, index into /outcomes/strategy/name; -1 for an empty slot");
    {
      std::vector<double> t_share(R * K * S, kNaN), t_cust(R * K * S, kNaN), t_profit(R * K * S, kNaN),
          t_sat(R * K * S, kNaN), t_suc(R * K * S, kNaN), t_soc(R * K * S, kNaN), t_firms(R * K * S, kNaN);
      for (std::size_t i = 0; i < R; ++i) {
        if (final_states[i] != RunState::Done) continue;
        const std::size_t Fi = sums[i].share.size();
        for (std::size_t k = 0; k < K; ++k) {
          const StrategyRow row = strategy_row(
              S, Fi, [&](std::size_t f) { return static_cast<long>(fstrat_t[(i * K + k) * F + f]); },
              [&](std::size_t q, std::size_t f) { return sums[i].firm_t[q][k * Fi + f]; });
          for (std::size_t j = 0; j < S; ++j) {
            const std::size_t at = (i * K + k) * S + j;
            t_share[at] = row.share[j], t_cust[at] = row.customers[j], t_profit[at] = row.profit[j];
            t_sat[at] = row.satisfaction[j], t_suc[at] = row.success[j], t_soc[at] = row.societal[j];
            t_firms[at] = row.firms[j];
          }
        }
      }
      const std::string when = " at each step of /outcomes/time";
      write(file, "/outcomes_t/strategy/share", t_share, {R, K, S}, "1",
            "share of the firms with this strategy" + when);
      write(file, "/outcomes_t/strategy/customers", t_cust, {R, K, S}, "customers", "customers" + when);
      write(file, "/outcomes_t/strategy/profit", t_profit, {R, K, S}, "money",
            "profit summed over steps 1..t and the firms" + when);
      write(file, "/outcomes_t/strategy/satisfaction", t_sat, {R, K, S}, "1",
            "satisfaction, customer-weighted" + when);
      write(file, "/outcomes_t/strategy/success", t_suc, {R, K, S}, "1",
            "customer success, customer-weighted" + when);
      write(file, "/outcomes_t/strategy/societal_value", t_soc, {R, K, S}, "impact",
            "sum of the firms' societal value up to t" + when);
      write(file, "/outcomes_t/strategy/firms", t_firms, {R, K, S}, "firms", "firms alive" + when);
    }
    const std::vector<std::string> market_units = {"1", "1", "impact"};
    const std::vector<std::string> market_meaning = {"adopters / population", "Herfindahl-Hirschman index",
                                                     "market societal value summed over steps 1..t"};
    for (std::size_t q = 0; q < kMarketSeries.size(); ++q) {
      std::vector<double> v(R * K, kNaN);
      for (std::size_t i = 0; i < R; ++i)
        if (final_states[i] == RunState::Done)
          for (std::size_t k = 0; k < K; ++k) v[i * K + k] = sums[i].market_t[q][k];
      write(file, "/outcomes_t/market/" + kMarketSeries[q], v, {R, K}, market_units[q],
            market_meaning[q] + " at each step of /outcomes/time");
    }

    // Derived outcomes.
    const auto& derived = spec.outcomes.derived;
    for (std::size_t j = 0; j < derived.size(); ++j) {
      const bool event = derived[j].expression.event;
      const std::size_t width = event ? 1 : K;
      std::vector<double> v(R * width, kNaN);
      for (std::size_t i = 0; i < R; ++i)
        if (final_states[i] == RunState::Done)
          for (std::size_t k = 0; k < width; ++k) v[i * width + k] = sums[i].derived[j][k];
      const std::string path = "/outcomes/derived/" + derived[j].name;
      write(file, path, v, event ? std::vector<hsize_t>{R} : std::vector<hsize_t>{R, K}, event ? "step" : "",
            event ? "event time (NaN: never)" : "derived outcome at each step of /outcomes/time");
      hid_t d = checked(H5Dopen2(file, path.c_str(), H5P_DEFAULT), path);
      set_string_attr(d, "expression", derived[j].expression.text);
      set_string_attr(d, "kind", event ? "event" : "per_time");
      H5Dclose(d);
    }

    // External links to the full trajectories (resolved relative to this file).
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    for (const auto& run : plan.runs())
      if (final_states[run.index] == RunState::Done)
        check(H5Lcreate_external(("runs/" + run.id + ".h5").c_str(), "/", file,
                                 ("/trajectories/" + run.id).c_str(), lcpl, H5P_DEFAULT),
              "/trajectories/" + run.id);
    H5Pclose(lcpl);

    // Last, the content digest (docs/OUTPUT.md, "Content digest"; the same
    // canonical form as a trajectory's), preceded by each object's: one read
    // of the file, then one of the list, as TrajectoryWriter::finish() does.
    try {
      const std::string digest =
          content_digest_adding(file, kObjectDigestsDataset, [&](const ContentDigest& objects) {
            const std::vector<std::string> lines = object_digest_lines(objects);
            write_strings(file, kObjectDigestsDataset, lines, {lines.size()},
                          "SHA-256 of each object's record of the content digest, and its path");
          });
      set_string_attr(file, kContentDigestAttribute, digest);
    } catch (const DamagedError& e) {
      throw std::runtime_error("'" + partial + "': cannot compute the content digest: " + e.what());
    }
  } catch (...) {
    if (H5Fclose(file) < 0) hdf5_close_failed();
    std::error_code ec;
    fs::remove(partial, ec);  // half a sweep.h5 is of no use and may hold the space the disk lacks
    throw;
  }
  if (H5Fclose(file) < 0) {
    hdf5_close_failed();
    const std::string why = reason();
    std::error_code ec;
    fs::remove(partial, ec);
    throw std::runtime_error("cannot write '" + partial + "'" + why);
  }
  std::error_code ec;
  fs::rename(partial, out.path, ec);
  if (ec) throw std::runtime_error("cannot rename '" + partial + "' to '" + out.path + "': " + ec.message());
  return out;
}

}  // namespace missionsim::sweep
