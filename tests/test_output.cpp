// Tests of sim/output: the HDF5 trajectory writer (schema of docs/OUTPUT.md),
// read back through the HDF5 C API, and the SHA-256 used for provenance.
#include <hdf5.h>
#include <hdf5_hl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <numeric>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "output/run_file.hpp"
#include "output/sha256.hpp"
#include "output/trajectory_reader.hpp"
#include "output/trajectory_writer.hpp"
#include "sim_helpers.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using namespace missionsim;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

struct TempDir : test::TempDir {
  TempDir() : test::TempDir("missionsim-output") {}
};

// Three firms (the last a reserved entrant slot), two strategies, two attributes.
RunInfo tiny_run_info() {
  RunInfo info;
  info.firm_names = {"alpha", "beta", "entrant-0"};
  info.firm_strategies = {"shareholder", "success", ""};
  info.strategy_names = {"shareholder", "success"};
  info.attributes = 2;
  info.steps = 2;
  info.population = 1000;
  info.segment_names = {"mainstream", "green"};
  info.segment_population = {600, 400};
  info.segment_values_population = {200, 300};
  return info;
}

Provenance tiny_provenance() {
  Provenance prov;
  prov.missionsim_version = "0.1.0-test";
  prov.seed = 18446744073709551615ull;  // the largest uint64 must survive
  prov.scenario_toml = "[market]\npopulation = 1000\nname = \"caf\xc3\xa9\"\n";
  prov.scenario_sha256 = sha256_hex(prov.scenario_toml);
  prov.created_utc = "2026-11-28T04:00:00Z";
  return prov;
}

// Step t: firm f has 100 * (f + 1) + t customers, except the empty entrant slot.
Observables tiny_observables(int t) {
  Observables o;
  o.step = t;
  o.customers = {100 + t, 200 + t, 0};
  auto per_firm = [t](double base) { return std::vector<double>{base + t, base + 10 + t, base + 20 + t}; };
  o.share = {(100.0 + t) / 1000, (200.0 + t) / 1000, 0};
  o.price = per_firm(1);
  o.revenue = per_firm(2);
  o.grants = per_firm(3);
  o.costs = per_firm(4);
  o.profit = per_firm(5);
  o.payout = per_firm(6);
  o.cash = per_firm(7);
  o.satisfaction = {0.5, 0.25 * t, kNaN};  // no customers: NaN
  o.success = per_firm(9);
  o.nps = per_firm(10);
  o.engagement = per_firm(11);
  o.social_impact = per_firm(12);
  o.harm = per_firm(13);
  o.retention = per_firm(14);
  o.promoters = per_firm(15);
  o.detractors = per_firm(16);
  o.strategy_id = {0, 1, -1};
  o.alive = {1, 1, 0};
  o.adopters = 300 + 2 * t;
  o.churn_rate = 0.01 * t;
  o.hhi = 0.5;
  o.success_weight = 0.1 * t;
  o.amplification = 1.5;
  o.expectation_mean = 0.6;
  o.disconfirmation_mean = t == 0 ? kNaN : -0.1;
  o.societal_value = 2.0 * t;
  o.kano_maturity = {0.2 * t, kNaN};
  o.kano_better = {0.9 - 0.1 * t, kNaN};
  o.kano_worse = {-0.1 * t, kNaN};
  o.segment_customers = {60 + t, 120, 0, 40, 80 + t, 0};  // [G x F]; sums over segments = customers
  o.values_customers = {10, 20, 0, 30, 40 + t, 0};
  return o;
}

// Writes steps 0..rows-1 into `path` and finishes.
void write_tiny(const std::string& path, int rows, int flush_every = 10) {
  TrajectoryWriter writer(path, tiny_run_info(), tiny_provenance(), flush_every);
  for (int t = 0; t < rows; ++t) writer.append(tiny_observables(t));
  writer.finish();
}

// Read-only view of a file through the HDF5 C API.
struct H5File {
  hid_t id;
  explicit H5File(const std::string& path) : id(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT)) {
    REQUIRE(id >= 0);
  }
  ~H5File() { H5Fclose(id); }
  H5File(const H5File&) = delete;
  H5File& operator=(const H5File&) = delete;

  std::vector<hsize_t> shape(const std::string& path) const {
    const hid_t d = H5Dopen2(id, path.c_str(), H5P_DEFAULT);
    REQUIRE(d >= 0);
    const hid_t s = H5Dget_space(d);
    std::vector<hsize_t> dims(static_cast<std::size_t>(H5Sget_simple_extent_ndims(s)));
    H5Sget_simple_extent_dims(s, dims.data(), nullptr);
    H5Sclose(s);
    H5Dclose(d);
    return dims;
  }
  template <class T>
  std::vector<T> read(const std::string& path, hid_t mem_type) const {
    std::size_t n = 1;
    for (hsize_t d : shape(path)) n *= d;
    std::vector<T> out(n);
    const hid_t d = H5Dopen2(id, path.c_str(), H5P_DEFAULT);
    REQUIRE(H5Dread(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) >= 0);
    H5Dclose(d);
    return out;
  }
  std::vector<double> doubles(const std::string& path) const { return read<double>(path, H5T_NATIVE_DOUBLE); }
  std::vector<std::int64_t> int64s(const std::string& path) const {
    return read<std::int64_t>(path, H5T_NATIVE_INT64);
  }

  // Variable-length strings of a dataset ([n] or scalar).
  std::vector<std::string> strings(const std::string& path) const {
    const hid_t d = H5Dopen2(id, path.c_str(), H5P_DEFAULT);
    const hid_t s = H5Dget_space(d);
    const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(s));
    const hid_t t = H5Dget_type(d);
    REQUIRE(H5Tis_variable_str(t) > 0);
    REQUIRE(H5Tget_cset(t) == H5T_CSET_UTF8);
    std::vector<char*> raw(n);
    REQUIRE(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) >= 0);
    std::vector<std::string> out(raw.begin(), raw.end());
    H5Dvlen_reclaim(t, s, H5P_DEFAULT, raw.data());
    H5Tclose(t);
    H5Sclose(s);
    H5Dclose(d);
    return out;
  }

  std::string string_attribute(const std::string& object, const std::string& name) const {
    const hid_t a = H5Aopen_by_name(id, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(a >= 0);
    const hid_t t = H5Aget_type(a);
    REQUIRE(H5Tis_variable_str(t) > 0);
    char* raw = nullptr;
    REQUIRE(H5Aread(a, t, &raw) >= 0);
    std::string out = raw;
    H5free_memory(raw);
    H5Tclose(t);
    H5Aclose(a);
    return out;
  }
  template <class T>
  T scalar_attribute(const std::string& name, hid_t mem_type, H5T_class_t cls, std::size_t size) const {
    const hid_t a = H5Aopen(id, name.c_str(), H5P_DEFAULT);
    REQUIRE(a >= 0);
    const hid_t t = H5Aget_type(a);
    CHECK(H5Tget_class(t) == cls);
    CHECK(H5Tget_size(t) == size);
    T value{};
    REQUIRE(H5Aread(a, mem_type, &value) >= 0);
    H5Tclose(t);
    H5Aclose(a);
    return value;
  }
  int complete() const { return scalar_attribute<std::int8_t>("complete", H5T_NATIVE_INT8, H5T_INTEGER, 1); }

  // Name of the dimension scale attached to dimension `dim` of `path`, "" if none.
  std::string scale_name(const std::string& path, unsigned dim) const {
    const hid_t d = H5Dopen2(id, path.c_str(), H5P_DEFAULT);
    REQUIRE(d >= 0);
    std::string name;
    auto visit = [](hid_t, unsigned, hid_t scale, void* out) -> herr_t {
      char buf[64] = {};
      H5DSget_scale_name(scale, buf, sizeof buf);
      *static_cast<std::string*>(out) = buf;
      return 1;
    };
    if (H5DSget_num_scales(d, dim) > 0) H5DSiterate_scales(d, dim, nullptr, visit, &name);
    H5Dclose(d);
    return name;
  }
};

std::vector<char> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("output: sha256 matches the FIPS 180-4 test vectors", "[output]") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("output: sha256 pads correctly around block boundaries", "[output]") {
  // 55, 56 and 64 bytes switch between one and two padding blocks.
  CHECK(sha256_hex(std::string(55, 'a')) ==
        "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  CHECK(sha256_hex(std::string(56, 'a')) ==
        "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  CHECK(sha256_hex(std::string(64, 'a')) ==
        "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST_CASE("output: incremental sha256 equals the one-shot digest and restarts after hex()", "[output]") {
  std::string data;
  for (int i = 0; i < 1000; ++i) data.push_back(static_cast<char>((i * 131 + 7) % 256));
  const std::string whole = sha256_hex(data);
  // Pieces of every size from 0 to 130 bytes, across the 64-byte blocks.
  Sha256 sha;
  for (std::size_t at = 0, piece = 0; at < data.size(); piece = (piece + 1) % 131) {
    const std::size_t n = std::min(piece, data.size() - at);
    sha.update(data.data() + at, n);
    at += n;
  }
  CHECK(sha.hex() == whole);
  // hex() starts a new digest; two digests side by side do not mix.
  Sha256 other;
  sha.update("ab");
  other.update("abc");
  sha.update("c");
  CHECK(sha.hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(other.hex() == sha256_hex("abc"));
  CHECK(sha.hex() == sha256_hex(""));
  Sha256 moved(std::move(other));
  moved.update("abc");
  CHECK(moved.hex() == sha256_hex("abc"));
}

TEST_CASE("output: finish writes a complete trajectory and renames it", "[output]") {
  TempDir dir;
  const std::string path = dir.file("run.h5");
  write_tiny(path, 3, 2);
  REQUIRE(fs::exists(path));
  CHECK_FALSE(fs::exists(path + ".partial"));

  H5File f(path);
  CHECK(f.string_attribute("/", "format") == "missionsim-trajectory");
  CHECK(f.scalar_attribute<int>("format_version", H5T_NATIVE_INT, H5T_INTEGER, 4) == 2);
  CHECK(f.string_attribute("/", "missionsim_version") == "0.1.0-test");
  CHECK(f.scalar_attribute<std::uint64_t>("seed", H5T_NATIVE_UINT64, H5T_INTEGER, 8) ==
        18446744073709551615ull);
  CHECK(f.string_attribute("/", "scenario_sha256") == sha256_hex(tiny_provenance().scenario_toml));
  CHECK(f.string_attribute("/", "created_utc") == "2026-11-28T04:00:00Z");
  CHECK(f.complete() == 1);
  CHECK(f.strings("/scenario") == std::vector<std::string>{tiny_provenance().scenario_toml});

  CHECK(f.shape("/time") == std::vector<hsize_t>{3});
  CHECK(f.read<int>("/time", H5T_NATIVE_INT) == std::vector<int>{0, 1, 2});
  CHECK(f.read<int>("/firm", H5T_NATIVE_INT) == std::vector<int>{0, 1, 2});
  CHECK(f.read<int>("/attribute", H5T_NATIVE_INT) == std::vector<int>{0, 1});
  CHECK(f.read<int>("/strategy", H5T_NATIVE_INT) == std::vector<int>{0, 1});
  CHECK(f.strings("/firms/name") == tiny_run_info().firm_names);
  CHECK(f.strings("/firms/strategy") == tiny_run_info().firm_strategies);
  CHECK(f.strings("/strategies/name") == tiny_run_info().strategy_names);

  CHECK(f.shape("/firms/customers") == std::vector<hsize_t>{3, 3});
  CHECK(f.int64s("/firms/customers") == std::vector<std::int64_t>{100, 200, 0, 101, 201, 0, 102, 202, 0});
  CHECK(f.doubles("/firms/cash") == std::vector<double>{7, 17, 27, 8, 18, 28, 9, 19, 29});
  const auto satisfaction = f.doubles("/firms/satisfaction");
  CHECK(satisfaction[3] == 0.5);
  CHECK(satisfaction[4] == 0.25);
  CHECK(std::isnan(satisfaction[5]));
  CHECK(f.read<std::int32_t>("/firms/strategy_id", H5T_NATIVE_INT32) ==
        std::vector<std::int32_t>{0, 1, -1, 0, 1, -1, 0, 1, -1});
  CHECK(f.read<std::uint8_t>("/firms/alive", H5T_NATIVE_UINT8) ==
        std::vector<std::uint8_t>{1, 1, 0, 1, 1, 0, 1, 1, 0});
  CHECK(f.int64s("/market/adopters") == std::vector<std::int64_t>{300, 302, 304});
  CHECK(f.doubles("/market/societal_value") == std::vector<double>{0, 2, 4});
  const auto disconfirmation = f.doubles("/market/disconfirmation_mean");
  CHECK(std::isnan(disconfirmation[0]));
  CHECK(disconfirmation[2] == -0.1);
  CHECK(f.shape("/market/kano_maturity") == std::vector<hsize_t>{3, 2});
  CHECK(f.shape("/market/kano_better") == std::vector<hsize_t>{3, 2});
  CHECK(f.doubles("/market/kano_worse")[4] == Approx(-0.2));
  const auto kano = f.doubles("/market/kano_maturity");
  CHECK(kano[4] == 0.4);
  CHECK(std::isnan(kano[5]));
}

TEST_CASE("output: every dataset has units, long_name and named dimensions", "[output]") {
  TempDir dir;
  const std::string path = dir.file("run.h5");
  write_tiny(path, 2);
  H5File f(path);

  const std::vector<std::string> firm_series = {
      "customers", "share",     "price",        "revenue", "grants",    "costs",      "profit",
      "payout",    "cash",      "satisfaction", "success", "nps",       "engagement", "social_impact",
      "harm",      "retention", "strategy_id",  "alive",   "promoters", "detractors"};
  for (const std::string& name : firm_series) {
    const std::string p = "/firms/" + name;
    INFO(p);
    CHECK(f.shape(p) == std::vector<hsize_t>{2, 3});
    CHECK(f.scale_name(p, 0) == "time");
    CHECK(f.scale_name(p, 1) == "firm");
    CHECK_FALSE(f.string_attribute(p, "long_name").empty());
    f.string_attribute(p, "units");
  }
  const std::vector<std::string> market_series = {"adopters",
                                                  "churn_rate",
                                                  "hhi",
                                                  "success_weight",
                                                  "amplification",
                                                  "expectation_mean",
                                                  "disconfirmation_mean",
                                                  "societal_value",
                                                  "success_expectation_mean",
                                                  "success_weight_mean"};
  for (const std::string& name : market_series) {
    const std::string p = "/market/" + name;
    INFO(p);
    CHECK(f.shape(p) == std::vector<hsize_t>{2});
    CHECK(f.scale_name(p, 0) == "time");
    CHECK_FALSE(f.string_attribute(p, "long_name").empty());
    f.string_attribute(p, "units");
  }
  CHECK(f.scale_name("/market/kano_maturity", 0) == "time");
  CHECK(f.scale_name("/market/kano_maturity", 1) == "attribute");
  CHECK(f.scale_name("/firms/name", 0) == "firm");
  CHECK(f.scale_name("/firms/strategy", 0) == "firm");
  CHECK(f.scale_name("/strategies/name", 0) == "strategy");
  for (const char* p : {"/segments/customers", "/segments/values_customers"}) {
    INFO(p);
    CHECK(f.shape(p) == std::vector<hsize_t>{2, 2, 3});
    CHECK(f.scale_name(p, 0) == "time");
    CHECK(f.scale_name(p, 1) == "segment");
    CHECK(f.scale_name(p, 2) == "firm");
    CHECK(f.string_attribute(p, "units") == "customers");
    CHECK_FALSE(f.string_attribute(p, "long_name").empty());
  }
  for (const char* p : {"/segments/name", "/segments/population", "/segments/values_population"}) {
    INFO(p);
    CHECK(f.shape(p) == std::vector<hsize_t>{2});
    CHECK(f.scale_name(p, 0) == "segment");
  }
  CHECK(f.strings("/segments/name") == tiny_run_info().segment_names);
  CHECK(f.string_attribute("/firms/cash", "units") == "money");
  CHECK(f.string_attribute("/time", "units") == "step");
  for (const char* scale : {"/time", "/firm", "/attribute", "/strategy", "/segment"}) {
    const hid_t d = H5Dopen2(f.id, scale, H5P_DEFAULT);
    CHECK(H5DSis_scale(d) > 0);
    H5Dclose(d);
  }
}

TEST_CASE("output: abandon and the destructor keep the .partial file with complete = 0", "[output]") {
  TempDir dir;
  const std::string path = dir.file("run.h5");
  SECTION("abandon") {
    TrajectoryWriter writer(path, tiny_run_info(), tiny_provenance(), 1);
    CHECK(writer.partial_path() == path + ".partial");
    CHECK(writer.final_path() == path);
    writer.append(tiny_observables(0));
    writer.append(tiny_observables(1));
    writer.abandon();
    CHECK_THROWS_AS(writer.append(tiny_observables(2)), std::logic_error);
    CHECK_THROWS_AS(writer.finish(), std::logic_error);
  }
  SECTION("destructor") {
    TrajectoryWriter writer(path, tiny_run_info(), tiny_provenance(), 1);
    writer.append(tiny_observables(0));
    writer.append(tiny_observables(1));
  }
  CHECK_FALSE(fs::exists(path));
  REQUIRE(fs::exists(path + ".partial"));
  H5File f(path + ".partial");
  CHECK(f.complete() == 0);
  CHECK(f.int64s("/market/adopters") == std::vector<std::int64_t>{300, 302});
}

// Rows are written to the file in batches at each flush; the rows appended since the last flush must still
// reach the .partial file when the run is abandoned or the writer destroyed.
TEST_CASE("output: rows appended after the last flush are written by abandon and the destructor",
          "[output]") {
  TempDir dir;
  const std::string path = dir.file("run.h5");
  SECTION("abandon") {
    TrajectoryWriter writer(path, tiny_run_info(), tiny_provenance(), 4);
    for (int t = 0; t < 6; ++t) writer.append(tiny_observables(t));  // rows 0-3 flushed, 4-5 pending
    writer.abandon();
  }
  SECTION("destructor") {
    TrajectoryWriter writer(path, tiny_run_info(), tiny_provenance(), 4);
    for (int t = 0; t < 6; ++t) writer.append(tiny_observables(t));
  }
  H5File f(path + ".partial");
  CHECK(f.complete() == 0);
  CHECK(f.read<int>("/time", H5T_NATIVE_INT) == std::vector<int>{0, 1, 2, 3, 4, 5});
  CHECK(f.int64s("/market/adopters") == std::vector<std::int64_t>{300, 302, 304, 306, 308, 310});
}

TEST_CASE("output: rows flushed before a crash are readable from the .partial file", "[output]") {
  TempDir dir;
  const std::string path = dir.file("run.h5");
  TrajectoryWriter writer(path, tiny_run_info(), tiny_provenance(), 2);
  for (int t = 0; t < 4; ++t) writer.append(tiny_observables(t));
  // The flushes run on the writer's own thread; once they are done, the writer
  // is still open and a copy of the file as it is on disk now stands for what
  // a killed run leaves behind.
  writer.wait_for_flushes();
  fs::copy_file(path + ".partial", dir.file("snapshot.h5"));
  H5File f(dir.file("snapshot.h5"));
  CHECK(f.complete() == 0);
  CHECK(f.read<int>("/time", H5T_NATIVE_INT) == std::vector<int>{0, 1, 2, 3});
}

TEST_CASE("output: an old .partial file is truncated", "[output]") {
  TempDir dir;
  const std::string path = dir.file("run.h5");
  { std::ofstream(path + ".partial") << "left over from a killed run"; }
  write_tiny(path, 1);
  CHECK_FALSE(fs::exists(path + ".partial"));
  H5File f(path);
  CHECK(f.shape("/time") == std::vector<hsize_t>{1});
}

TEST_CASE("output: identical inputs give byte-identical files", "[output]") {
  TempDir dir;
  write_tiny(dir.file("a.h5"), 5, 2);
  write_tiny(dir.file("b.h5"), 5, 2);
  const auto a = file_bytes(dir.file("a.h5"));
  CHECK_FALSE(a.empty());
  CHECK(a == file_bytes(dir.file("b.h5")));
}

// The background writer makes the same HDF5 calls in the same order as flushes made inline (the writer
// flushes inline once hdf5_file() has been asked for), so the files are the same bytes.
TEST_CASE("output: flushes on the writer's thread give the bytes of flushes made inline", "[output]") {
  TempDir dir;
  for (const int flush_every : {1, 2, 4}) {
    CAPTURE(flush_every);
    const std::string inline_path = dir.file("inline-" + std::to_string(flush_every) + ".h5");
    {
      TrajectoryWriter writer(inline_path, tiny_run_info(), tiny_provenance(), flush_every);
      CHECK(writer.hdf5_file() >= 0);  // from here on the caller may write: flushes inline
      for (int t = 0; t < 9; ++t) writer.append(tiny_observables(t));
      writer.finish();
    }
    const std::string background_path = dir.file("background-" + std::to_string(flush_every) + ".h5");
    write_tiny(background_path, 9, flush_every);
    const auto a = file_bytes(background_path);
    REQUIRE_FALSE(a.empty());
    CHECK(a == file_bytes(inline_path));
  }
}

// A flush that fails on the writer's thread (here: the file may not grow, RLIMIT_FSIZE) is not lost: the
// next call that waits for the thread throws it, finish() refuses to publish, and abandon() keeps the rows
// that reached the file without the rows appended after the failed ones.
TEST_CASE("output: a flush that fails on the writer's thread is thrown by the next call", "[output]") {
  TempDir dir;
  const std::string path = dir.file("run.h5");
  TrajectoryWriter writer(path, tiny_run_info(), tiny_provenance(), 2);
  writer.append(tiny_observables(0));
  writer.append(tiny_observables(1));
  writer.wait_for_flushes();  // rows 0-1 on the file
  REQUIRE(fs::file_size(path + ".partial") > 2048);

  struct Limit {  // a write past `bytes` into any file fails (EFBIG) while this lives
    rlimit old{};
    void (*old_handler)(int);
    explicit Limit(rlim_t bytes) : old_handler(std::signal(SIGXFSZ, SIG_IGN)) {
      getrlimit(RLIMIT_FSIZE, &old);
      rlimit lim = old;
      lim.rlim_cur = bytes;
      setrlimit(RLIMIT_FSIZE, &lim);
    }
    ~Limit() {
      setrlimit(RLIMIT_FSIZE, &old);
      std::signal(SIGXFSZ, old_handler);
    }
  };
  {
    const Limit limit(2048);
    writer.append(tiny_observables(2));
    // The flush of rows 2-3 is handed over; its failure is not known to this call.
    CHECK_NOTHROW(writer.append(tiny_observables(3)));
    CHECK_THROWS_WITH(writer.wait_for_flushes(), Catch::Contains("run.h5.partial"));
    CHECK_NOTHROW(writer.append(tiny_observables(4)));  // no flush due: nothing to wait for
    CHECK_THROWS_WITH(writer.append(tiny_observables(5)), Catch::Contains("run.h5.partial"));
    CHECK_THROWS_WITH(writer.finish(), Catch::Contains("run.h5.partial"));
  }
  // With the limit lifted, abandon() closes the file, and still reports the failure.
  CHECK_THROWS_WITH(writer.abandon(), Catch::Contains("run.h5.partial"));
  CHECK_FALSE(fs::exists(path));
  H5File f(path + ".partial");
  CHECK(f.complete() == 0);
  const std::vector<int> rows = f.read<int>("/time", H5T_NATIVE_INT);
  REQUIRE(rows.size() >= 2);
  CHECK(std::vector<int>(rows.begin(), rows.begin() + 2) == std::vector<int>{0, 1});
  CHECK(std::find(rows.begin(), rows.end(), 4) == rows.end());  // never after the failed rows
}

TEST_CASE("output: an unwritable destination is a clear error", "[output]") {
  TempDir dir;
  SECTION("missing directory") {
    const std::string path = dir.file("no/such/dir/run.h5");
    CHECK_THROWS_WITH(TrajectoryWriter(path, tiny_run_info(), tiny_provenance()),
                      Catch::Contains("run.h5.partial") && Catch::Contains("does not exist"));
  }
  SECTION("the .partial name is taken by a directory") {
    fs::create_directory(dir.file("run.h5.partial"));
    CHECK_THROWS_WITH(TrajectoryWriter(dir.file("run.h5"), tiny_run_info(), tiny_provenance()),
                      Catch::Contains("cannot create trajectory") && Catch::Contains("run.h5.partial") &&
                          Catch::Contains("Is a directory"));
  }
  SECTION("read-only directory") {
    if (geteuid() == 0) return;  // root writes anywhere
    fs::permissions(dir.path, fs::perms::owner_read | fs::perms::owner_exec);
    CHECK_THROWS_WITH(TrajectoryWriter(dir.file("run.h5"), tiny_run_info(), tiny_provenance()),
                      Catch::Contains("run.h5.partial") && Catch::Contains("Permission denied"));
  }
}

TEST_CASE("output: malformed rows and provenance are rejected", "[output]") {
  TempDir dir;
  const std::string path = dir.file("run.h5");
  SECTION("wrong scenario digest") {
    Provenance prov = tiny_provenance();
    prov.scenario_sha256 = sha256_hex("something else");
    CHECK_THROWS_WITH(TrajectoryWriter(path, tiny_run_info(), prov), Catch::Contains("scenario_sha256"));
  }
  SECTION("rows") {
    TrajectoryWriter writer(path, tiny_run_info(), tiny_provenance());
    Observables short_row = tiny_observables(0);
    short_row.cash.pop_back();
    CHECK_THROWS_WITH(writer.append(short_row), Catch::Contains("cash has 2 values, expected 3"));
    Observables bad_id = tiny_observables(0);
    bad_id.strategy_id[1] = 2;
    CHECK_THROWS_WITH(writer.append(bad_id), Catch::Contains("strategy_id[1] = 2"));
    Observables short_segments = tiny_observables(0);
    short_segments.values_customers.pop_back();
    CHECK_THROWS_WITH(writer.append(short_segments),
                      Catch::Contains("values_customers has 5 values, expected 6 (segments x firms)"));
    writer.append(tiny_observables(0));
    CHECK_THROWS_WITH(writer.append(tiny_observables(0)), Catch::Contains("does not follow step 0"));
    writer.finish();
    H5File f(path);
    CHECK(f.shape("/firms/cash") == std::vector<hsize_t>{1, 3});
  }
}

TEST_CASE("output: the reader returns what the writer wrote", "[output]") {
  TempDir dir;
  const std::string path = dir.file("run.h5");
  write_tiny(path, 3);
  TrajectoryReader reader(path);
  CHECK(reader.complete());
  CHECK(reader.seed() == tiny_provenance().seed);
  CHECK(reader.string_attribute("created_utc") == "2026-11-28T04:00:00Z");
  CHECK(reader.scenario_toml() == tiny_provenance().scenario_toml);
  CHECK(reader.strings("/firms/name") == tiny_run_info().firm_names);
  const Table cash = reader.read("/firms/cash");
  CHECK(cash.rows == 3);
  CHECK(cash.cols == 3);
  CHECK(cash.at(2, 1) == 19);
  const Table customers = reader.read("/firms/customers");
  CHECK(customers.at(1, 0) == 101);
  const Table adopters = reader.read("/market/adopters");
  CHECK(adopters.cols == 1);
  CHECK(adopters.at(2) == 304);
  CHECK(std::isnan(reader.read("/market/kano_maturity").at(0, 1)));
}

TEST_CASE("output: the reader refuses incomplete and foreign files", "[output]") {
  TempDir dir;
  const std::string path = dir.file("run.h5");
  {
    TrajectoryWriter writer(path, tiny_run_info(), tiny_provenance());
    writer.append(tiny_observables(0));
  }
  CHECK_THROWS_WITH(TrajectoryReader(path + ".partial"), Catch::Contains("incomplete"));
  CHECK_FALSE(TrajectoryReader(path + ".partial", false).complete());
  CHECK_THROWS_WITH(TrajectoryReader(dir.file("missing.h5")), Catch::Contains("missing.h5"));

  const std::string foreign = dir.file("foreign.h5");
  hid_t f = H5Fcreate(foreign.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  H5Fclose(f);
  CHECK_THROWS_WITH(TrajectoryReader(foreign), Catch::Contains("not a missionsim trajectory"));

  write_tiny(path, 1);
  f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  const hid_t a = H5Aopen(f, "format_version", H5P_DEFAULT);
  const int three = 3;
  H5Awrite(a, H5T_NATIVE_INT, &three);
  H5Aclose(a);
  H5Fclose(f);
  CHECK_THROWS_WITH(TrajectoryReader(path), Catch::Contains("format_version 3 is not supported"));
}

TEST_CASE("output: every time series carries a Fletcher-32 checksum per chunk", "[output]") {
  TempDir dir;
  write_tiny(dir.file("run.h5"), 3);
  H5File f(dir.file("run.h5"));
  for (const char* name : {"/time", "/firms/share", "/market/kano_better"}) {
    INFO(name);
    const hid_t d = H5Dopen2(f.id, name, H5P_DEFAULT);
    REQUIRE(d >= 0);
    const hid_t dcpl = H5Dget_create_plist(d);
    bool found = false;
    for (int k = 0; k < H5Pget_nfilters(dcpl); ++k) {
      unsigned flags = 0;
      size_t n = 0;
      found |= H5Pget_filter2(dcpl, static_cast<unsigned>(k), &flags, &n, nullptr, 0, nullptr, nullptr) ==
               H5Z_FILTER_FLETCHER32;
    }
    H5Pclose(dcpl);
    H5Dclose(d);
    CHECK(found);
  }
}

namespace {

// Everything TrajectoryReader returns for a tiny file, as bytes (NaN-safe).
std::string everything(const TrajectoryReader& r) {
  std::string out;
  auto add = [&](const std::string& s) { out += s + '\x1f'; };
  add(std::to_string(r.seed()));
  for (const char* a : {"format", "missionsim_version", "scenario_sha256", "created_utc"})
    add(r.string_attribute(a));
  add(r.scenario_toml());
  for (const char* p : {"/firms/name", "/firms/strategy", "/strategies/name"})
    for (const std::string& s : r.strings(p)) add(s);
  for (const char* p : {"/time",
                        "/firm",
                        "/attribute",
                        "/strategy",
                        "/firms/customers",
                        "/firms/share",
                        "/firms/price",
                        "/firms/revenue",
                        "/firms/grants",
                        "/firms/costs",
                        "/firms/profit",
                        "/firms/payout",
                        "/firms/cash",
                        "/firms/satisfaction",
                        "/firms/success",
                        "/firms/nps",
                        "/firms/engagement",
                        "/firms/social_impact",
                        "/firms/harm",
                        "/firms/retention",
                        "/firms/strategy_id",
                        "/firms/alive",
                        "/market/adopters",
                        "/market/churn_rate",
                        "/market/hhi",
                        "/market/success_weight",
                        "/market/amplification",
                        "/market/expectation_mean",
                        "/market/disconfirmation_mean",
                        "/market/societal_value",
                        "/market/kano_maturity",
                        "/market/kano_better",
                        "/market/kano_worse"}) {
    const Table t = r.read(p);
    add(std::string(p) + ":" + std::to_string(t.rows) + "x" + std::to_string(t.cols));
    out.append(reinterpret_cast<const char*>(t.values.data()), t.values.size() * sizeof(double));
  }
  return out;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

TEST_CASE("output: every flipped bit is harmless or refused as damaged, never a crash",
          "[output][integrity]") {
  TempDir dir;
  const std::string path = dir.file("run.h5");
  write_tiny(path, 3);
  const std::string original = read_bytes(path);
  const std::string expected = everything(TrajectoryReader(path));
  // The first 2 KiB (superblock, root group, root attributes) densely, then
  // 200 offsets spread over the whole file: about 300 flips, each read by a
  // forked probe.
  std::vector<std::size_t> offsets;
  for (std::size_t off = 0; off < std::min<std::size_t>(2048, original.size()); off += 19)
    offsets.push_back(off);
  for (std::size_t k = 0; k < 200; ++k) offsets.push_back(k * original.size() / 200 + k % 7);
  std::size_t refused = 0, harmless = 0;
  const std::string copy = dir.file("flip.h5");
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    const std::size_t off = offsets[i];
    if (off >= original.size()) continue;
    std::string damaged = original;
    damaged[off] = static_cast<char>(damaged[off] ^ (1 << (i % 8)));
    write_bytes(copy, damaged);
    INFO("bit " << i % 8 << " of byte " << off << " of " << original.size());
    std::string got;
    try {
      const TrajectoryReader reader(copy);
      got = everything(reader);
    } catch (const std::exception& e) {
      const std::string what = e.what();
      const bool named = what.find("damaged") != std::string::npos ||
                         what.find("not a missionsim trajectory") != std::string::npos ||
                         what.find("format_version") != std::string::npos ||
                         what.find("incomplete") != std::string::npos ||
                         what.find("cannot open as HDF5") != std::string::npos;
      INFO(what);
      CHECK(named);
      ++refused;
      continue;
    }
    CHECK(got == expected);  // accepted: every value identical
    ++harmless;
  }
  // Under a .partial name nothing is verified and the caller reads what it
  // finds: errors are fine, a crash is not (this process would die).
  const std::string partial = dir.file("flip2.h5.partial");
  for (std::size_t i = 0; i < offsets.size(); i += 2) {
    if (offsets[i] >= original.size()) continue;
    std::string damaged = original;
    damaged[offsets[i]] = static_cast<char>(damaged[offsets[i]] ^ (1 << (i % 8)));
    write_bytes(partial, damaged);
    try {
      const TrajectoryReader reader(partial, /*require_complete=*/false);
      CHECK_FALSE(reader.complete());
      everything(reader);
    } catch (const std::exception&) {
    }
  }
  CHECK(refused > 0);
  CHECK(harmless > 0);
}

TEST_CASE("output: the content digest covers names, strings and attributes", "[output][integrity]") {
  TempDir dir;
  const std::string path = dir.file("run.h5");
  write_tiny(path, 2);
  auto edited = [&](const std::function<void(hid_t)>& edit) {
    const std::string copy = dir.file("edited.h5");
    fs::copy_file(path, copy, fs::copy_options::overwrite_existing);
    const hid_t f = H5Fopen(copy.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    REQUIRE(f >= 0);
    edit(f);
    H5Fclose(f);
    return copy;
  };
  SECTION("a renamed dataset") {
    const std::string copy = edited([](hid_t f) {
      REQUIRE(H5Lmove(f, "/market/kano_better", f, "/market/kano_bettes", H5P_DEFAULT, H5P_DEFAULT) >= 0);
    });
    CHECK_THROWS_WITH(TrajectoryReader(copy),
                      Catch::Contains("damaged") &&
                          Catch::Contains("/market/kano_bettes (not in the file as written)") &&
                          Catch::Contains("/market/kano_better (gone)"));
  }
  SECTION("a changed unit") {
    const std::string copy = edited([](hid_t f) {
      const hid_t d = H5Dopen2(f, "/firms/cash", H5P_DEFAULT);
      REQUIRE(H5Adelete(d, "units") >= 0);
      H5Dclose(d);
    });
    CHECK_THROWS_WITH(TrajectoryReader(copy), Catch::Contains("damaged: /firms/cash changed"));
  }
  SECTION("a changed seed") {
    const std::string copy = edited([](hid_t f) {
      const hid_t a = H5Aopen(f, "seed", H5P_DEFAULT);
      const std::uint64_t seed = 8;
      H5Awrite(a, H5T_NATIVE_UINT64, &seed);
      H5Aclose(a);
    });
    CHECK_THROWS_WITH(TrajectoryReader(copy, false), Catch::Contains("damaged"));
  }
  SECTION("a detached dimension scale") {
    const std::string copy = edited([](hid_t f) {
      const hid_t d = H5Dopen2(f, "/firms/cash", H5P_DEFAULT);
      const hid_t scale = H5Dopen2(f, "/firm", H5P_DEFAULT);
      REQUIRE(H5DSdetach_scale(d, scale, 1) >= 0);
      H5Dclose(scale);
      H5Dclose(d);
    });
    CHECK_THROWS_WITH(TrajectoryReader(copy), Catch::Contains("damaged"));
  }
  SECTION("no digest at all") {
    const std::string copy = edited([](hid_t f) { REQUIRE(H5Adelete(f, "content_sha256") >= 0); });
    CHECK_THROWS_WITH(TrajectoryReader(copy), Catch::Contains("damaged: marked complete but has no valid"));
  }
}

TEST_CASE("output: a .partial name is never complete; a .partial beside a file refuses it",
          "[output][integrity]") {
  TempDir dir;
  const std::string path = dir.file("run.h5");
  write_tiny(path, 2);
  // As a kill between the last write and the rename leaves it: complete = 1, .partial name.
  fs::copy_file(path, path + ".partial");
  CHECK_FALSE(TrajectoryReader(path + ".partial", false).complete());
  CHECK_THROWS_WITH(TrajectoryReader(path + ".partial"), Catch::Contains("incomplete"));
  CHECK_THROWS_WITH(TrajectoryReader(path),
                    Catch::Contains("exists beside it") && Catch::Contains("earlier run"));
  fs::remove(path + ".partial");
  CHECK(TrajectoryReader(path).complete());
}

// run_to_file creates the file on a thread of its own while the first steps run (sim/output/run_file.cpp);
// the rows computed before the writer is there wait for it. A 30-step run of 500 customers steps in well
// under the time the file takes to create, so most of its rows take that path.
TEST_CASE("output: run_to_file writes every row in order, those computed before the file was there too",
          "[output]") {
  TempDir dir;
  const Params p = test::tiny_params(500, 30);
  const std::vector<Observables> expected = test::observe_run(p);
  const RunFileResult r = run_to_file(p, dir.file("run.h5"));
  CHECK(r.complete);
  CHECK(r.steps_done == 30);
  CHECK(r.path == dir.file("run.h5"));
  H5File f(dir.file("run.h5"));
  CHECK(f.complete() == 1);
  std::vector<int> steps(31);
  std::iota(steps.begin(), steps.end(), 0);
  CHECK(f.read<int>("/time", H5T_NATIVE_INT) == steps);
  std::vector<std::int64_t> adopters, customers;
  for (const Observables& o : expected) {
    adopters.push_back(o.adopters);
    customers.insert(customers.end(), o.customers.begin(), o.customers.end());
  }
  CHECK(f.int64s("/market/adopters") == adopters);
  CHECK(f.int64s("/firms/customers") == customers);
}

TEST_CASE("output: run_to_file fails with the reason when its file cannot be created", "[output]") {
  TempDir dir;
  const Params p = test::tiny_params(500, 30);
  SECTION("missing directory") {
    CHECK_THROWS_WITH(run_to_file(p, dir.file("no/such/run.h5")),
                      Catch::Contains("run.h5.partial") && Catch::Contains("does not exist"));
    CHECK(fs::is_empty(dir.path));
  }
  SECTION("the .partial name is taken by a directory, which is left alone") {
    fs::create_directory(dir.file("run.h5.partial"));
    CHECK_THROWS_WITH(run_to_file(p, dir.file("run.h5")),
                      Catch::Contains("cannot create trajectory") && Catch::Contains("Is a directory"));
    CHECK(fs::is_directory(dir.file("run.h5.partial")));
    CHECK_FALSE(fs::exists(dir.file("run.h5")));
  }
}

TEST_CASE("output: run_to_file stopped before its first step keeps row 0 in the .partial file", "[output]") {
  TempDir dir;
  RunFileOptions options;
  options.stop = [] { return true; };
  const RunFileResult r = run_to_file(test::tiny_params(500, 30), dir.file("run.h5"), options);
  CHECK_FALSE(r.complete);
  CHECK(r.steps_done == 0);
  CHECK(r.path == dir.file("run.h5.partial"));
  CHECK_FALSE(fs::exists(dir.file("run.h5")));
  H5File f(dir.file("run.h5.partial"));
  CHECK(f.complete() == 0);
  CHECK(f.read<int>("/time", H5T_NATIVE_INT) == std::vector<int>{0});
}

// Writers of other runs flush on their own threads while a run's check forks a child that reads its file
// (the sweep runner's case): every HDF5 call of those threads is inside an Hdf5Use section, so no child
// inherits libhdf5's lock held by a thread it does not have (a child that hangs fails its check after 30 s,
// and the reader throws).
TEST_CASE("output: writers flushing on their threads while readers fork their checks", "[output]") {
  TempDir dir;
  constexpr int kWriters = 3, kFiles = 6, kRows = 40;
  std::vector<std::thread> writers;
  std::atomic<int> written{0};
  std::vector<std::string> failures(kWriters);
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back([&, t] {
      try {
        for (int k = 0; k < kFiles; ++k) {
          std::string name = std::to_string(kFiles * t + k);
          name += ".h5";
          TrajectoryWriter writer(dir.file(name), tiny_run_info(), tiny_provenance(), 1);
          for (int r = 0; r < kRows; ++r) writer.append(tiny_observables(r));
          writer.finish();  // its own check forks too
          ++written;
        }
      } catch (const std::exception& e) {
        failures[t] = e.what();
      }
    });
  }
  int checks = 0;
  write_tiny(dir.file("read.h5"), 3);
  while (written.load() < kWriters * kFiles && checks < 10000) {
    const TrajectoryReader back(dir.file("read.h5"));  // forks a child that reads the file
    CHECK(back.strings("/firms/name").size() == 3);
    ++checks;
  }
  for (std::thread& w : writers) w.join();
  for (const std::string& f : failures) CHECK(f.empty());
  CHECK(written.load() == kWriters * kFiles);
  CHECK(checks > 0);
}
