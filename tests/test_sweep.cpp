// Sweep designs, the run plan, seeds, shards and sweep-file errors.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "sweep/outcomes.hpp"
#include "sweep/runner.hpp"
#include "sweep/sweep.hpp"

using namespace missionsim::sweep;

namespace {

const std::string kBase = std::string(MISSIONSIM_SOURCE_DIR) + "/scenarios";

SweepSpec spec_of(const std::string& body) { return parse_sweep(body, "t.toml", kBase); }

std::string sweep(const std::string& design_lines, const std::string& parameters) {
  return "[sweep]\nbase = \"tiny.toml\"\n" + design_lines + "\n" + parameters;
}

// Expects a SweepError whose message contains every fragment.
void expect_sweep_error(const std::string& body, std::initializer_list<std::string> fragments) {
  try {
    Plan plan(spec_of(body));
    FAIL("no error for:\n" << body);
  } catch (const SweepError& e) {
    const std::string msg = e.what();
    for (const auto& f : fragments) CHECK_THAT(msg, Catch::Contains(f));
  }
}

const char* kTwoRanges =
    "[[parameters]]\nkey = \"choice.churn_base\"\nrange = [0.001, 0.1]\nscale = \"log-uniform\"\n"
    "[[parameters]]\nkey = \"economics.bankrupt_after\"\nrange = [2, 9]\nscale = \"integer\"\n";

}  // namespace

TEST_CASE("sweep: grid is the full product of the levels, last parameter fastest", "[sweep]") {
  Plan plan(
      spec_of(sweep("design = \"grid\"\nreplicates = 2",
                    "[[parameters]]\nkey = \"network.kind\"\nlevels = [\"complete\", \"erdos-renyi\"]\n"
                    "[[parameters]]\nkey = \"word_of_mouth.talk_rate\"\nrange = [0.1, 0.5]\npoints = 3\n")));
  REQUIRE(plan.points() == 6);
  REQUIRE(plan.size() == 12);
  CHECK(plan.value_text(0, 0) == "\"complete\"");
  CHECK(plan.value_text(2, 0) == "\"complete\"");
  CHECK(plan.value_text(3, 0) == "\"erdos-renyi\"");
  CHECK(plan.value(0, 1) == 0.1);
  CHECK(plan.value(1, 1) == Approx(0.3));
  CHECK(plan.value(2, 1) == 0.5);  // the end point exactly
  CHECK(plan.run(5).id == "p000002-r01");
  CHECK(plan.run(5).point == 2);
  CHECK(plan.run(5).replicate == 1);
}

TEST_CASE("sweep: a points file maps unit coordinates through each parameter's scale", "[sweep]") {
  // Columns in another order than the parameters, comments, blank lines, CRLF.
  const std::string pts =
      "# missionsim-design 1\n# method = \"lhs\"\n\neconomics.bankrupt_after,choice.churn_base\r\n"
      "0,0\n0.5, 0.5\n1,1\n";
  Plan plan(parse_sweep(sweep("design = \"points\"\npoints = \"p.csv\"\nreplicates = 2", kTwoRanges),
                        "t.toml", kBase, std::nullopt, pts));
  REQUIRE(plan.points() == 3);
  CHECK(plan.size() == 6);
  CHECK(plan.spec().points.method == "lhs");
  CHECK(plan.spec().points.path == kBase + "/p.csv");
  CHECK(plan.value(0, 0) == Approx(0.001));
  CHECK(plan.value(1, 0) == Approx(0.01));  // log-uniform: the geometric mid-point
  CHECK(plan.value(2, 0) == Approx(0.1));
  CHECK(plan.value_text(0, 1) == "2");
  CHECK(plan.value_text(2, 1) == "9");
  CHECK(plan.saltelli_matrix(0).empty());
  CHECK(plan.saltelli_column(0) == -1);
  // The points are part of the sweep's identity; comments are not.
  Plan same(parse_sweep(sweep("design = \"points\"\npoints = \"p.csv\"\nreplicates = 2", kTwoRanges),
                        "t.toml", kBase, std::nullopt,
                        "choice.churn_base,economics.bankrupt_after\n0,0\n0.5,0.5\n1.0,1\n"));
  CHECK(same.sha256() != plan.sha256());  // the method line is gone
  Plan other(parse_sweep(sweep("design = \"points\"\npoints = \"p.csv\"\nreplicates = 2", kTwoRanges),
                         "t.toml", kBase, std::nullopt,
                         "# method = \"lhs\"\n# another comment\nchoice.churn_base,economics.bankrupt_after\n"
                         "0,0\n0.5,0.5\n1.0,1\n"));
  CHECK(other.sha256() == plan.sha256());
}

TEST_CASE("sweep: points-file errors name the file, line and column", "[sweep]") {
  auto expect = [](const std::string& pts, std::initializer_list<std::string> fragments) {
    try {
      Plan plan(parse_sweep(sweep("design = \"points\"\npoints = \"p.csv\"", kTwoRanges), "t.toml", kBase,
                            std::nullopt, pts));
      FAIL("no error for:\n" << pts);
    } catch (const SweepError& e) {
      for (const auto& f : fragments) CHECK_THAT(std::string(e.what()), Catch::Contains(f));
    }
  };
  expect("choice.churn_base,economics.bankrupt_after\n0.1,0.2\n0.3,1.5\n",
         {"points copy):3: column 'economics.bankrupt_after': 1.5 is outside [0, 1]"});
  expect("choice.churn_base,economics.bankrupt_aftr\n0.1,0.2\n",
         {":1: column 'economics.bankrupt_aftr' is not a parameter of the sweep"});
  expect("choice.churn_base\n0.1\n", {":1: no column for parameter 'economics.bankrupt_after'"});
  expect("choice.churn_base,economics.bankrupt_after\n0.1,x\n",
         {":2: column 'economics.bankrupt_after': 'x' is not"});
  expect("choice.churn_base,economics.bankrupt_after\n0.1\n", {":2: 1 values, expected 2"});
  expect("choice.churn_base,economics.bankrupt_after\n", {"no points after the header"});
  // A Saltelli layout is checked whole: AB1 must be A with column 1 from B.
  expect("block,choice.churn_base,economics.bankrupt_after\nA,0.1,0.2\nB,0.3,0.4\nAB1,0.3,0.2\nAB2,0.1,0.5\n",
         {"row 4 (AB2, base row 1) column 'economics.bankrupt_after' is not B's"});
  expect("block,choice.churn_base,economics.bankrupt_after\nA,0.1,0.2\nB,0.3,0.4\nAB1,0.3,0.2\n",
         {"a Saltelli layout of 4 rows"});
  // The file itself: relative to the sweep file, missing.
  expect_sweep_error(sweep("design = \"points\"\npoints = \"no-such.csv\"", kTwoRanges),
                     {"t.toml:4:10: key 'sweep.points': cannot open points file"});
  expect_sweep_error(sweep("design = \"points\"", kTwoRanges), {"missing key 'sweep.points'"});
  expect_sweep_error(sweep("design = \"points\"\npoints = \"p.csv\"\nsamples = 3", kTwoRanges),
                     {"t.toml:5:11: key 'sweep.samples' is not used by the points design"});
  // The removed built-in designs name their replacement.
  expect_sweep_error(sweep("design = \"lhs\"\nsamples = 4", kTwoRanges),
                     {"t.toml:3:10: design \"lhs\" is no longer built in",
                      "-m analysis.design lhs t.toml --n N --seed S -o points.csv", "design = \"points\""});
  expect_sweep_error(sweep("design = \"sobol\"\nsamples = 4", kTwoRanges),
                     {"design \"sobol\" is no longer built in", "analysis.design saltelli t.toml"});
}

TEST_CASE("sweep: log-uniform and integer scales", "[sweep]") {
  Parameter log;
  log.has_range = true, log.lo = 0.001, log.hi = 0.1, log.scale = Scale::LogUniform;
  CHECK(range_value(log, 0.5) == Approx(0.01));  // the geometric mid-point
  CHECK(range_value(log, 0.0) == Approx(0.001));
  CHECK(range_value(log, 1.0) == Approx(0.1));
  Parameter integer;
  integer.has_range = true, integer.lo = 2, integer.hi = 4, integer.scale = Scale::Integer;
  CHECK(range_value(integer, 0.01) == 2);
  CHECK(range_value(integer, 0.34) == 3);
  CHECK(range_value(integer, 0.99) == 4);
  CHECK(grid_values(integer) == std::vector<double>{2, 3, 4});
  log.points = 3;
  const auto g = grid_values(log);
  REQUIRE(g.size() == 3);
  CHECK(g[1] == Approx(0.01));

  Plan plan(spec_of(sweep("design = \"random\"\nsamples = 200", kTwoRanges)));
  std::size_t below = 0;
  for (std::size_t p = 0; p < plan.points(); ++p) {
    CHECK(plan.value(p, 0) >= 0.001);
    CHECK(plan.value(p, 0) <= 0.1);
    below += plan.value(p, 0) < 0.01;
    CHECK(plan.value(p, 1) == std::round(plan.value(p, 1)));
    CHECK(plan.value_text(p, 1).find('.') == std::string::npos);  // "5", not "5.0"
  }
  CHECK(below > 70);  // about half below the geometric mid-point
  CHECK(below < 130);
}

TEST_CASE("sweep: Saltelli layout [A; B; AB_1; ...; AB_d] from a points file", "[sweep]") {
  // N = 2, d = 2: A, B, AB1 (A with column 1 from B), AB2.
  const std::string pts =
      "# method = \"saltelli\"\nblock,choice.churn_base,economics.bankrupt_after\n"
      "A,0.1,0.2\nA,0.5,0.6\nB,0.3,0.4\nB,0.7,0.8\nAB1,0.3,0.2\nAB1,0.7,0.6\nAB2,0.1,0.4\nAB2,0.5,0.8\n";
  Plan plan(parse_sweep(sweep("design = \"points\"\npoints = \"p.csv\"\nreplicates = 2", kTwoRanges),
                        "t.toml", kBase, std::nullopt, pts));
  CHECK(plan.spec().points.saltelli_n == 2);
  CHECK(plan.spec().samples == 2);
  CHECK(plan.points() == 2 * 4);
  CHECK(plan.size() == 16);
  CHECK(plan.saltelli_matrix(0) == "A");
  CHECK(plan.saltelli_matrix(2) == "B");
  CHECK(plan.saltelli_matrix(4) == "AB");
  CHECK(plan.saltelli_column(4) == 0);
  CHECK(plan.saltelli_column(7) == 1);
  CHECK(plan.saltelli_column(1) == -1);
}

TEST_CASE("sweep: run seeds are distinct, stable and depend on the base seed", "[sweep]") {
  Plan a(spec_of(sweep("design = \"random\"\nsamples = 100\nreplicates = 5\nseed = 3", kTwoRanges)));
  Plan b(spec_of(sweep("design = \"random\"\nsamples = 100\nreplicates = 5\nseed = 3", kTwoRanges)));
  Plan c(spec_of(sweep("design = \"random\"\nsamples = 100\nreplicates = 5\nseed = 4", kTwoRanges)));
  std::set<std::uint64_t> seeds;
  for (const auto& run : a.runs()) {
    seeds.insert(run.seed);
    CHECK(run.seed <= static_cast<std::uint64_t>(INT64_MAX));
    CHECK(run.seed == run_seed(3, run.point, run.replicate));
    CHECK(b.run(run.index).seed == run.seed);
    CHECK(c.run(run.index).seed != run.seed);
  }
  CHECK(seeds.size() == a.size());
  CHECK(a.sha256() == b.sha256());
  CHECK(a.sha256() != c.sha256());
  // Pinned: changing the derivation changes every sweep's results.
  CHECK(run_seed(2026, 0, 0) == run_seed(2026, 0, 0));
  CHECK(run_seed(2026, 0, 0) != run_seed(2026, 0, 1));
  CHECK(run_seed(2026, 1, 0) != run_seed(2026, 0, 1));
}

TEST_CASE("sweep: paired = true gives every design point the same seeds (common random numbers)", "[sweep]") {
  const std::string params =
      "[[parameters]]\nkey = \"word_of_mouth.talk_rate\"\nlevels = [0.1, 0.3]\n"
      "[[parameters]]\nkey = \"network.kind\"\nlevels = [\"complete\", \"erdos-renyi\"]\n";
  Plan paired(spec_of(sweep("design = \"grid\"\nreplicates = 4\nseed = 7\npaired = true", params)));
  Plan plain(spec_of(sweep("design = \"grid\"\nreplicates = 4\nseed = 7", params)));
  REQUIRE(paired.size() == 16);
  std::set<std::uint64_t> first;
  for (const auto& run : paired.runs()) {
    // Replicate r runs with the seed it has at point 0 in an unpaired sweep.
    CHECK(run.seed == paired.run(static_cast<std::size_t>(run.replicate)).seed);
    CHECK(run.seed == run_seed(7, 0, run.replicate));
    if (run.point == 0) first.insert(run.seed);
  }
  CHECK(first.size() == 4);  // replicates still differ
  // Unpaired sweeps keep their seeds and hash; pairing changes the hash.
  CHECK(plain.run(4).seed == run_seed(7, 1, 0));
  CHECK(plain.run(4).seed != paired.run(4).seed);
  CHECK(plain.sha256() != paired.sha256());
  expect_sweep_error(sweep("design = \"grid\"\npaired = 1", params),
                     {"t.toml:4:10: key 'sweep.paired'", "a boolean"});
}

TEST_CASE("sweep: shards partition the runs, each run exactly once", "[sweep]") {
  for (std::size_t runs : {1u, 7u, 100u})
    for (std::size_t n : {1u, 2u, 3u, 8u, 150u}) {
      std::vector<int> seen(runs, 0);
      for (std::size_t i = 0; i < n; ++i) {
        const Shard s = parse_shard(std::to_string(i) + "/" + std::to_string(n));
        for (std::size_t r = 0; r < runs; ++r) seen[r] += s.contains(r);
      }
      CHECK(std::all_of(seen.begin(), seen.end(), [](int k) { return k == 1; }));
    }
  CHECK_THROWS_AS(parse_shard("3/3"), SweepError);
  CHECK_THROWS_AS(parse_shard("1"), SweepError);
  CHECK_THROWS_AS(parse_shard("-1/3"), SweepError);
  CHECK_THROWS_AS(parse_shard("0/0"), SweepError);
  CHECK_THROWS_AS(parse_shard("a/3"), SweepError);
}

TEST_CASE("sweep: overrides and the reproduce command", "[sweep]") {
  Plan plan(
      spec_of("[sweep]\nbase = \"tiny.toml\"\ndesign = \"grid\"\nset = [\"run.steps=3\"]\n"
              "[[parameters]]\nkey = \"customers.count\"\nlevels = [100, 200]\n"));
  const auto o = plan.overrides(plan.run(1));
  REQUIRE(o.size() == 3);
  CHECK(o[0] == "run.steps=3");
  CHECK(o[1] == "customers.count=200");
  CHECK(o[2] == "run.seed=" + std::to_string(plan.run(1).seed));
  CHECK(plan.params(plan.run(1)).customers == 200);
  CHECK(plan.params(plan.run(1)).seed == plan.run(1).seed);
  CHECK(plan.command(plan.run(1), "b.toml") ==
        "missionsim run b.toml --set run.steps=3 --set customers.count=200 --seed " +
            std::to_string(plan.run(1).seed));
}

TEST_CASE("sweep: inline [base] table", "[sweep]") {
  Plan plan(
      spec_of("[sweep]\ndesign = \"grid\"\n[[parameters]]\nkey = \"run.steps\"\nlevels = [2, 3]\n"
              "[base.customers]\ncount = 50\n[[base.firms]]\nstrategy = \"success\"\n"));
  CHECK(plan.params(plan.run(0)).customers == 50);
  CHECK(plan.params(plan.run(1)).steps == 3);
  // An error inside it is reported at the sweep file's line.
  expect_sweep_error(
      "[sweep]\ndesign = \"grid\"\n[[parameters]]\nkey = \"run.steps\"\nlevels = [2]\n"
      "[base.customers]\ncount = -5\n[[base.firms]]\nstrategy = \"success\"\n",
      {"t.toml:7:9: [base] key 'customers.count'"});
}

TEST_CASE("sweep: sweep-file errors name the file, line, column and key", "[sweep]") {
  expect_sweep_error("[sweep]\nbase = \"tiny.toml\"\ndesing = \"grid\"\n",
                     {"t.toml:3:1: unknown key 'sweep.desing'", "did you mean 'sweep.design'?"});
  expect_sweep_error(sweep("design = \"grids\"", kTwoRanges),
                     {"t.toml:3:10: key 'sweep.design' must be one of", "did you mean 'grid'?"});
  expect_sweep_error(sweep("design = \"random\"", kTwoRanges), {"missing key 'sweep.samples'"});
  expect_sweep_error(sweep("design = \"random\"\nsamples = 0", kTwoRanges),
                     {"t.toml:4:11: key 'sweep.samples' must be in [1, "});
  expect_sweep_error(sweep("design = \"random\"\nsamples = 4",
                           "[[parameters]]\nkey = \"choice.churn_bse\"\nrange = [0, 1]\n"),
                     {"t.toml:6:7: parameters.0 'choice.churn_bse'", "did you mean 'choice.churn_base'?"});
  expect_sweep_error(sweep("design = \"random\"\nsamples = 4",
                           "[[parameters]]\nkey = \"choice.churn_base\"\nrange = [0, 2]\n"),
                     {"t.toml:7:9: parameters.0 'choice.churn_base' = 2", "must be in [0, 1], got 2"});
  expect_sweep_error(sweep("design = \"random\"\nsamples = 4",
                           "[[parameters]]\nkey = \"choice.churn_base\"\nrange = [0, 1]\nscale = \"log\"\n"),
                     {"key 'parameters.0.scale' must be one of", "did you mean 'log-uniform'?"});
  expect_sweep_error(
      sweep("design = \"random\"\nsamples = 4",
            "[[parameters]]\nkey = \"choice.churn_base\"\nrange = [0, 0.1]\nscale = \"log-uniform\"\n"),
      {"must be positive for scale \"log-uniform\""});
  expect_sweep_error(
      sweep("design = \"random\"\nsamples = 4",
            "[[parameters]]\nkey = \"economics.bankrupt_after\"\nrange = [2, 9]\n"),
      {"parameters.0 'economics.bankrupt_after'", "must be an integer", "scale = \"integer\""});
  expect_sweep_error(
      sweep("design = \"grid\"", "[[parameters]]\nkey = \"choice.churn_base\"\nrange = [0, 1]\n"),
      {"a grid needs 'points = K'"});
  expect_sweep_error(
      sweep("design = \"grid\"", "[[parameters]]\nkey = \"choice.churn_base\"\nlevels = [0.1]\nrnage = 1\n"),
      {"unknown key 'parameters.0.rnage'; did you mean 'parameters.0.range'?"});
  expect_sweep_error("[sweep]\ndesign = \"grid\"\n[[parameters]]\nkey = \"run.steps\"\nlevels = [2]\n",
                     {"no base scenario"});
  expect_sweep_error("[sweep]\nbase = \"nope.toml\"\ndesign = \"grid\"\n",
                     {"t.toml:2:8: key 'sweep.base': cannot open scenario"});
  expect_sweep_error("[sweep\n", {"t.toml:1:", "invalid TOML"});
  expect_sweep_error(sweep("design = \"grid\"\nset = [\"run.stepz=3\"]",
                           "[[parameters]]\nkey = \"run.seed\"\nlevels = [1]\n"),
                     {"t.toml:4:8: key 'sweep.set.0'", "did you mean 'run.steps'?"});
}

namespace {

// A fresh, empty directory under the system's temporary directory.
std::string scratch_dir(const std::string& name) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("missionsim-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

}  // namespace

TEST_CASE("sweep: a run claim excludes every other claimant, threads of the same process too", "[sweep]") {
  const std::string dir = scratch_dir("claim");
  const std::string lock = lock_file(dir, "p000001-r00");
  {
    auto first = RunClaim::try_acquire(dir, "p000001-r00");
    REQUIRE(first);
    CHECK(std::filesystem::exists(lock));
    CHECK_FALSE(lock_holder(dir, "p000001-r00").empty());
    // A POSIX lock owned by the process would let this through; the claim is owned by its open file.
    CHECK_FALSE(RunClaim::try_acquire(dir, "p000001-r00"));
    CHECK(RunClaim::try_acquire(dir, "p000002-r00"));  // other runs are free
  }
  CHECK_FALSE(std::filesystem::exists(lock));  // removed by the holder on release
  // A lock file nobody holds (its worker died) blocks nothing.
  std::ofstream(lock) << "elsewhere:1\n";
  CHECK(RunClaim::try_acquire(dir, "p000001-r00"));

  // Threads racing for one run, claims released (and their files removed)
  // all the time: never two holders at once.
  std::atomic<int> holders{0}, most{0}, wins{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 300; ++i) {
        auto claim = RunClaim::try_acquire(dir, "p000003-r00");
        if (!claim) continue;
        ++wins;
        const int now = ++holders;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::yield();
        --holders;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(most == 1);
  CHECK(wins > 0);
  std::filesystem::remove_all(dir);
}

namespace {

// Two segments whose shares must sum to 1; the first one's share is swept.
std::string segment_sweep(const std::string& linked) {
  return "[sweep]\ndesign = \"grid\"\n"
         "[[parameters]]\nkey = \"customers.segments.0.share\"\nrange = [0.2, 0.6]\npoints = 3\n" +
         linked +
         "[base.run]\nsteps = 2\n[base.customers]\ncount = 50\n"
         "[[base.customers.segments]]\nname = \"values\"\nshare = 0.3\n"
         "[[base.customers.segments]]\nname = \"other\"\nshare = 0.7\n"
         "[[base.firms]]\nstrategy = \"success\"\n";
}

}  // namespace

TEST_CASE("sweep: a linked parameter keeps segment shares summing to 1", "[sweep]") {
  // Without it, every point but the base's own share breaks the sum-to-one rule.
  expect_sweep_error(segment_sweep(""), {"must sum to 1"});
  Plan plan(spec_of(segment_sweep(
      "[[linked]]\nkey = \"customers.segments.1.share\"\nexpression = \"1 - customers.segments.0.share\"\n"
      "[[linked]]\nkey = \"customers.count\"\ninteger = true\n"
      "expression = \"round(100 * max(customers.segments.0.share, customers.segments.1.share)) + 2^3\"\n")));
  REQUIRE(plan.points() == 3);
  for (const auto& run : plan.runs()) {
    const auto params = plan.params(run);
    REQUIRE(params.segments.size() == 2);
    CHECK(params.segments[1].share == Approx(1 - plan.value(run.point, 0)));
    CHECK(params.segments[0].share + params.segments[1].share == Approx(1.0));
    CHECK(plan.linked_value(run.point, 1) ==
          std::round(100 * std::max(plan.value(run.point, 0), 1 - plan.value(run.point, 0))) + 8);
    CHECK(params.customers == static_cast<int>(plan.linked_value(run.point, 1)));
  }
  CHECK(plan.linked_text(0, 1) == "88");  // 0.2: round(100 * 0.8) + 8, an integer
  const auto o = plan.overrides(plan.run(2));
  CHECK(o[1] == "customers.segments.1.share=0.4");
  CHECK(o[2] == "customers.count=68");
  // The expression is part of the sweep's identity.
  Plan other(
      spec_of(segment_sweep("[[linked]]\nkey = \"customers.segments.1.share\"\nexpression = \"1.0 - "
                            "customers.segments.0.share\"\n")));
  CHECK(other.sha256() != plan.sha256());
}

TEST_CASE("sweep: linked-parameter errors name the file, line, column and key", "[sweep]") {
  auto linked = [](const std::string& key, const std::string& expr) {
    return segment_sweep("[[linked]]\nkey = \"" + key + "\"\nexpression = \"" + expr + "\"\n");
  };
  // Line 8 holds the key, line 9 the expression: its quote at column 14, its text from column 15.
  expect_sweep_error(
      linked("customers.segments.1.share", "1 - customers.segments.0.shar"),
      {"t.toml:9:19: key 'linked.0.expression' \"1 - customers.segments.0.shar\": unknown name "
       "'customers.segments.0.shar'",
       "did you mean 'customers.segments.0.share'?"});
  expect_sweep_error(linked("customers.segments.1.share", "1 - (customers.segments.0.share"),
                     {"t.toml:9:46: key 'linked.0.expression'", "expected ')'"});
  expect_sweep_error(linked("customers.segments.1.share", "1 -"),
                     {"t.toml:9:18:", "expected a name, a number or '(', got the end"});
  expect_sweep_error(linked("customers.segments.1.share", "lg(customers.segments.0.share)"),
                     {"t.toml:9:15:", "unknown function 'lg'"});
  expect_sweep_error(linked("customers.segments.0.share", "0.5"),
                     {"t.toml:8:7: key 'linked.0.key': 'customers.segments.0.share' is a swept parameter"});
  expect_sweep_error(linked("customers.segments.1.share", "1 / (customers.segments.0.share - 0.4)"),
                     {"t.toml:9:14: linked.0 'customers.segments.1.share'", "is inf at design point 1",
                      "customers.segments.0.share = 0.4"});
  expect_sweep_error(linked("customers.segments.1.shares", "1 - customers.segments.0.share"),
                     {"t.toml:8:7: linked.0 'customers.segments.1.shares'", "did you mean"});
  expect_sweep_error(linked("customers.segments.1.share", "2 - customers.segments.0.share"),
                     {"t.toml:8:7: linked.0 'customers.segments.1.share'", "must be in [0, 1]"});
  expect_sweep_error(segment_sweep("[[linked]]\nkey = \"customers.segments.1.share\"\n"),
                     {"t.toml:7:1: missing key 'linked.0.expression'"});
}

TEST_CASE("sweep: linked parameters and derived outcomes share one expression grammar", "[sweep]") {
  using missionsim::sweep::ExpressionError;
  using missionsim::sweep::Formula;
  using missionsim::sweep::parse_expression;
  using missionsim::sweep::RunSeries;
  const std::vector<std::string> names = {"a", "b.c"};
  auto formula = [&](const std::string& text) { return Formula::parse(text, names).evaluate({2.0, 0.25}); };
  CHECK(formula("2 ^ 3 ^ 2") == 512.0);  // right-associative
  CHECK(formula("-a ^ 2") == -4.0);      // '^' binds tighter than unary minus
  CHECK(formula("max(a, b.c) - min(a, 3 * b.c) + sqrt(4) * round(2.4)") == Approx(2.0 - 0.75 + 4.0));
  CHECK(formula("1e1 / (a + 8)") == 1.0);

  // The same arithmetic, functions and '^' in a derived outcome, over run series.
  RunSeries s;
  s.steps = {0, 10, 20};
  const auto e = parse_expression("max(share[success], 0.1) ^ 2 + abs(market.hhi - 1)");
  REQUIRE(e.references.size() == 2);
  s.series = {{0.0, 0.5, 0.2}, {1.0, 0.5, 3.0}};  // in the order of e.references
  CHECK(missionsim::sweep::evaluate_at(e, s, 0) == Approx(0.01));
  CHECK(missionsim::sweep::evaluate_at(e, s, 1) == Approx(0.75));
  const auto ev = parse_expression("time_to(sqrt(share[success]) > 0.6)");
  s.series = {{0.0, 0.5, 0.2}};
  CHECK(ev.event);
  CHECK(missionsim::sweep::evaluate_event(ev, s) == 10.0);

  // Errors, with the 0-based position of the offending character.
  auto error_at = [](auto&& parse) -> std::pair<std::size_t, std::string> {
    try {
      parse();
    } catch (const ExpressionError& x) {
      return {x.position(), x.what()};
    }
    return {std::string::npos, ""};
  };
  auto [p1, m1] = error_at([&] { (void)Formula::parse("a > 1", names); });
  CHECK(p1 == 2);
  CHECK_THAT(m1, Catch::Contains("comparison"));
  auto [p2, m2] = error_at([] { (void)parse_expression("min(hhi)"); });
  CHECK(p2 == 7);
  CHECK_THAT(m2, Catch::Contains("'min' takes 2 arguments"));
  auto [p3, m3] = error_at([] { (void)parse_expression("lg(hhi)"); });
  CHECK(p3 == 0);
  CHECK_THAT(m3, Catch::Contains("unknown function 'lg'"));
  auto [p4, m4] = error_at([&] { (void)Formula::parse("a +* 2", names); });
  CHECK(p4 == 3);
  CHECK_THAT(m4, Catch::Contains("expected a name, a number or '('"));
}
