// Golden trajectories (in the manner of OpenMC's results_true.dat): every
// case under tests/regression/<case>/ holds a scenario.toml and digests.txt,
// the SHA-256 of the raw little-endian values of every output dataset in
// blocks of steps. The test reruns each case at 1 and 2 threads and names the
// first dataset and step range that differ. After a deliberate change of
// results, rewrite the digests with MISSIONSIM_UPDATE_GOLDEN=1 and say in the
// commit which datasets changed and why.
#include <tbb/global_control.h>

#include <bit>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "core/simulation.hpp"
#include "output/sha256.hpp"
#include "scenario/scenario.hpp"

using namespace missionsim;

namespace {

static_assert(std::endian::native == std::endian::little, "digests are of little-endian values");

constexpr int kBlock = 12;  // rows per digest

std::filesystem::path regression_dir() {
  return std::filesystem::path(MISSIONSIM_SOURCE_DIR) / "tests/regression";
}

template <class T>
void append(std::string& buf, const std::vector<T>& v) {
  buf.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}
template <class T>
void append_scalar(std::string& buf, T x) {
  buf.append(reinterpret_cast<const char*>(&x), sizeof(T));
}

// Every per-step dataset of docs/OUTPUT.md, by its HDF5 path.
using RowWriter = std::function<void(std::string&, const Observables&)>;
const std::vector<std::pair<std::string, RowWriter>>& row_datasets() {
  static const std::vector<std::pair<std::string, RowWriter>> d = {
      {"/time", [](auto& b, const Observables& o) { append_scalar<std::int32_t>(b, o.step); }},
      {"/firms/customers", [](auto& b, const Observables& o) { append(b, o.customers); }},
      {"/firms/share", [](auto& b, const Observables& o) { append(b, o.share); }},
      {"/firms/price", [](auto& b, const Observables& o) { append(b, o.price); }},
      {"/firms/revenue", [](auto& b, const Observables& o) { append(b, o.revenue); }},
      {"/firms/grants", [](auto& b, const Observables& o) { append(b, o.grants); }},
      {"/firms/costs", [](auto& b, const Observables& o) { append(b, o.costs); }},
      {"/firms/profit", [](auto& b, const Observables& o) { append(b, o.profit); }},
      {"/firms/payout", [](auto& b, const Observables& o) { append(b, o.payout); }},
      {"/firms/cash", [](auto& b, const Observables& o) { append(b, o.cash); }},
      {"/firms/satisfaction", [](auto& b, const Observables& o) { append(b, o.satisfaction); }},
      {"/firms/success", [](auto& b, const Observables& o) { append(b, o.success); }},
      {"/firms/nps", [](auto& b, const Observables& o) { append(b, o.nps); }},
      {"/firms/engagement", [](auto& b, const Observables& o) { append(b, o.engagement); }},
      {"/firms/social_impact", [](auto& b, const Observables& o) { append(b, o.social_impact); }},
      {"/firms/harm", [](auto& b, const Observables& o) { append(b, o.harm); }},
      {"/firms/retention", [](auto& b, const Observables& o) { append(b, o.retention); }},
      {"/firms/promoters", [](auto& b, const Observables& o) { append(b, o.promoters); }},
      {"/firms/detractors", [](auto& b, const Observables& o) { append(b, o.detractors); }},
      {"/firms/strategy_id", [](auto& b, const Observables& o) { append(b, o.strategy_id); }},
      {"/firms/alive", [](auto& b, const Observables& o) { append(b, o.alive); }},
      {"/market/adopters", [](auto& b, const Observables& o) { append_scalar(b, o.adopters); }},
      {"/market/churn_rate", [](auto& b, const Observables& o) { append_scalar(b, o.churn_rate); }},
      {"/market/hhi", [](auto& b, const Observables& o) { append_scalar(b, o.hhi); }},
      {"/market/success_weight", [](auto& b, const Observables& o) { append_scalar(b, o.success_weight); }},
      {"/market/amplification", [](auto& b, const Observables& o) { append_scalar(b, o.amplification); }},
      {"/market/expectation_mean",
       [](auto& b, const Observables& o) { append_scalar(b, o.expectation_mean); }},
      {"/market/disconfirmation_mean",
       [](auto& b, const Observables& o) { append_scalar(b, o.disconfirmation_mean); }},
      {"/market/societal_value", [](auto& b, const Observables& o) { append_scalar(b, o.societal_value); }},
      {"/market/success_expectation_mean",
       [](auto& b, const Observables& o) { append_scalar(b, o.success_expectation_mean); }},
      {"/market/success_weight_mean",
       [](auto& b, const Observables& o) { append_scalar(b, o.success_weight_mean); }},
      {"/market/non_buyers", [](auto& b, const Observables& o) { append_scalar(b, o.non_buyers); }},
      {"/market/kano_maturity", [](auto& b, const Observables& o) { append(b, o.kano_maturity); }},
      {"/market/kano_better", [](auto& b, const Observables& o) { append(b, o.kano_better); }},
      {"/market/kano_worse", [](auto& b, const Observables& o) { append(b, o.kano_worse); }},
      {"/segments/customers", [](auto& b, const Observables& o) { append(b, o.segment_customers); }},
      {"/segments/values_customers", [](auto& b, const Observables& o) { append(b, o.values_customers); }},
  };
  return d;
}

std::string strings_digest(const std::vector<std::string>& v) {
  std::string b;
  for (const auto& s : v) b.append(s).push_back('\0');
  return sha256_hex(b);
}

// One line per (dataset, step range), ordered by step range first so the
// first mismatch is the earliest one: "<dataset> <t0>-<t1> <sha256>".
std::vector<std::string> digest_lines(const Params& p, int threads) {
  tbb::global_control gc(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  Simulation sim(p);
  std::vector<std::string> lines;
  const RunInfo& info = sim.info();
  lines.push_back("/firms/name static " + strings_digest(info.firm_names));
  lines.push_back("/firms/strategy static " + strings_digest(info.firm_strategies));
  lines.push_back("/strategies/name static " + strings_digest(info.strategy_names));
  lines.push_back("/segments/name static " + strings_digest(info.segment_names));
  {
    std::string b;
    append(b, info.segment_population);
    append(b, info.segment_values_population);
    lines.push_back("/segments/population,values_population static " + sha256_hex(b));
  }
  const auto& sets = row_datasets();
  std::vector<std::string> bufs(sets.size());
  int t0 = 0;
  auto flush = [&](int t1) {
    for (std::size_t d = 0; d < sets.size(); ++d) {
      lines.push_back(sets[d].first + " " + std::to_string(t0) + "-" + std::to_string(t1) + " " +
                      sha256_hex(bufs[d]));
      bufs[d].clear();
    }
    t0 = t1 + 1;
  };
  for (int t = 0; t <= p.steps; ++t) {
    if (t > 0) sim.step();
    for (std::size_t d = 0; d < sets.size(); ++d) sets[d].second(bufs[d], sim.observables());
    if ((t + 1) % kBlock == 0 || t == p.steps) flush(t);
  }
  return lines;
}

std::vector<std::string> read_lines(const std::filesystem::path& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') lines.push_back(line);
  return lines;
}

// Empty when equal, else a message naming the first dataset and step range that differ.
std::string first_difference(const std::vector<std::string>& golden, const std::vector<std::string>& got) {
  for (std::size_t k = 0; k < std::max(golden.size(), got.size()); ++k) {
    const std::string g = k < golden.size() ? golden[k] : "(missing)";
    const std::string r = k < got.size() ? got[k] : "(missing)";
    if (g == r) continue;
    const auto head = [](const std::string& s) { return s.substr(0, s.rfind(' ')); };
    if (head(g) != head(r))
      return "digest layout differs at line " + std::to_string(k + 1) + ": golden '" + g + "', recomputed '" +
             r + "'";
    return "dataset " + head(g).replace(head(g).find(' '), 1, " steps ") + " differs (golden " +
           g.substr(g.rfind(' ') + 1, 12) + "..., recomputed " + r.substr(r.rfind(' ') + 1, 12) + "...)";
  }
  return {};
}

std::vector<std::filesystem::path> cases() {
  std::vector<std::filesystem::path> c;
  for (const auto& e : std::filesystem::directory_iterator(regression_dir()))
    if (std::filesystem::exists(e.path() / "scenario.toml")) c.push_back(e.path());
  std::sort(c.begin(), c.end());
  return c;
}

}  // namespace

TEST_CASE("regression: golden trajectories are reproduced bit for bit at 1 and 2 threads", "[regression]") {
  const auto all = cases();
  REQUIRE(all.size() >= 4);
  const char* update_env = std::getenv("MISSIONSIM_UPDATE_GOLDEN");
  const bool update = update_env && std::string(update_env) == "1";
  for (const auto& dir : all) {
    const std::string name = dir.filename().string();
    INFO("golden case " << name << " (tests/regression/" << name << ")");
    const Params p = load_scenario((dir / "scenario.toml").string());
    const auto one = digest_lines(p, 1);
    if (update) {
      std::ofstream out(dir / "digests.txt");
      out << "# Golden digests of " << name
          << "/scenario.toml: <dataset> <first>-<last step> <SHA-256 of the\n"
          << "# raw little-endian values>. Rewritten by MISSIONSIM_UPDATE_GOLDEN=1 missionsim_tests "
             "\"[regression]\".\n";
      for (const auto& l : one) out << l << '\n';
      WARN("rewrote " << (dir / "digests.txt").string());
    }
    const auto golden = read_lines(dir / "digests.txt");
    REQUIRE(!golden.empty());
    for (int threads : {1, 2}) {
      const std::string diff = first_difference(golden, threads == 1 ? one : digest_lines(p, threads));
      INFO(threads << " thread(s): " << diff);
      CHECK(diff.empty());
    }
  }
}

TEST_CASE("regression: the golden cases exercise deaths, entries, discoveries, adaptation and events",
          "[regression]") {
  const Params p = load_scenario((regression_dir() / "all-on/scenario.toml").string());
  Simulation sim(p);
  const std::size_t F = sim.info().firm_names.size();
  const auto initial_strategy = sim.observables().strategy_id;
  bool died = false, entered = false, discovered = false, adapted = false;
  for (int t = 0; t < p.steps; ++t) {
    sim.step();
    const auto& o = sim.observables();
    for (std::size_t f = 0; f < F; ++f) {
      died |= o.strategy_id[f] >= 0 && !o.alive[f];
      entered |= initial_strategy[f] < 0 && o.strategy_id[f] >= 0;
      adapted |= initial_strategy[f] >= 0 && o.alive[f] && o.strategy_id[f] != initial_strategy[f];
    }
    for (std::size_t a = p.attributes; a < o.kano_maturity.size(); ++a)
      discovered |= !std::isnan(o.kano_maturity[a]);
  }
  CHECK(died);
  CHECK(entered);
  CHECK(discovered);
  CHECK(adapted);
}
