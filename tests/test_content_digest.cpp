// Tests of sim/output/content_digest: the one-read digest that
// TrajectoryWriter::finish() publishes (content_digest_adding) against the
// definition, content_digest() of the finished file read in full.
#include <hdf5.h>
#include <hdf5_hl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/simulation.hpp"
#include "output/content_digest.hpp"
#include "output/run_file.hpp"
#include "output/sha256.hpp"
#include "output/trajectory_reader.hpp"
#include "output/trajectory_writer.hpp"
#include "sim_helpers.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using namespace missionsim;

namespace {

struct TempDir : test::TempDir {
  TempDir() : test::TempDir("missionsim-digest") {}
};

struct Closing {
  hid_t id;
  herr_t (*close)(hid_t);
  Closing(hid_t i, herr_t (*c)(hid_t)) : id(i), close(c) { REQUIRE(id >= 0); }
  Closing(const Closing&) = delete;
  Closing& operator=(const Closing&) = delete;
  ~Closing() { close(id); }
};

std::string string_attribute(hid_t obj, const char* name) {
  Closing a(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  Closing t(H5Aget_type(a.id), H5Tclose);
  REQUIRE(H5Tis_variable_str(t.id) > 0);
  char* raw = nullptr;
  REQUIRE(H5Aread(a.id, t.id, &raw) >= 0);
  std::string out = raw;
  H5free_memory(raw);
  return out;
}

std::vector<std::string> strings(hid_t file, const char* path) {
  Closing d(H5Dopen2(file, path, H5P_DEFAULT), H5Dclose);
  Closing s(H5Dget_space(d.id), H5Sclose);
  Closing t(H5Dget_type(d.id), H5Tclose);
  std::vector<char*> raw(static_cast<std::size_t>(H5Sget_simple_extent_npoints(s.id)));
  REQUIRE(H5Dread(d.id, t.id, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) >= 0);
  std::vector<std::string> out(raw.begin(), raw.end());
  H5Dvlen_reclaim(t.id, s.id, H5P_DEFAULT, raw.data());
  return out;
}

// The published file's content_sha256 is content_digest() of the file read
// in full, its /content_digests the digests of the objects' records, and the
// reader (which checks the digest in a child process) accepts it.
void check_published(const std::string& path) {
  INFO(path);
  REQUIRE(fs::exists(path));
  {
    Closing file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    const ContentDigest full = content_digest_by_object(file.id);
    CHECK(string_attribute(file.id, kContentDigestAttribute) == content_digest(file.id));
    CHECK(full.sha256 == content_digest(file.id));
    CHECK(strings(file.id, kObjectDigestsDataset) == object_digest_lines(full));
  }
  const TrajectoryReader reader(path);
  CHECK(reader.complete());
}

// A real run written through TrajectoryWriter with a fixed provenance (so
// the file's bytes depend only on the parameters), without /segments when
// `segments` is false.
void write_run(const std::string& path, const Params& p, bool segments) {
  Simulation sim(p);
  RunInfo info = sim.info();
  if (!segments) {
    info.segment_names.clear();
    info.segment_population.clear();
    info.segment_values_population.clear();
  }
  Provenance prov;
  prov.missionsim_version = "0.1.0-test";
  prov.seed = p.seed;
  prov.scenario_toml = "[market]\ncustomers = " + std::to_string(p.customers) + "\n";
  prov.scenario_sha256 = sha256_hex(prov.scenario_toml);
  prov.created_utc = "2026-11-30T00:00:00Z";
  TrajectoryWriter writer(path, info, prov, 4);
  writer.append(sim.observables());
  for (int t = 0; t < p.steps; ++t) {
    sim.step();
    writer.append(sim.observables());
  }
  writer.finish();
}

// A small file with root members on both sides of "content_digests" in byte
// order ("Zeta" and "attr" before it, "firms" and a UTF-8 name after), nested
// groups, attributes and a dimension scale attached to two datasets.
void build_file(hid_t file) {
  const auto attr_int = [](hid_t obj, const char* name, int v) {
    Closing s(H5Screate(H5S_SCALAR), H5Sclose);
    Closing a(H5Acreate2(obj, name, H5T_STD_I32LE, s.id, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    REQUIRE(H5Awrite(a.id, H5T_NATIVE_INT, &v) >= 0);
  };
  const auto doubles = [](hid_t where, const char* name, std::vector<double> v) {
    const hsize_t n = v.size();
    Closing s(H5Screate_simple(1, &n, nullptr), H5Sclose);
    Closing d(H5Dcreate2(where, name, H5T_IEEE_F64LE, s.id, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
    REQUIRE(H5Dwrite(d.id, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) >= 0);
  };
  attr_int(file, "complete", 1);
  attr_int(file, "format_version", 2);
  {
    Closing g(H5Gcreate2(file, "Zeta", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    doubles(g.id, "x", {1, 2, 3});
  }
  doubles(file, "attr", {0.5});
  {
    Closing g(H5Gcreate2(file, "firms", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    attr_int(g.id, "count", 3);
    std::vector<double> big(5000);
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = 0.25 * static_cast<double>(i);
    doubles(g.id, "cash", big);
    Closing inner(H5Gcreate2(g.id, "inner", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    doubles(inner.id, "y", {4, 5});
  }
  doubles(file, "\xc3\xa9t\xc3\xa9", {6, 7});
  // /firms/inner/y is the dimension scale of the last two and of /firms/z.
  doubles(file, "/firms/z", {8, 9});
  Closing y(H5Dopen2(file, "/firms/inner/y", H5P_DEFAULT), H5Dclose);
  REQUIRE(H5DSset_scale(y.id, "y") >= 0);
  for (const char* path : {"/firms/z", "/\xc3\xa9t\xc3\xa9"}) {
    Closing d(H5Dopen2(file, path, H5P_DEFAULT), H5Dclose);
    REQUIRE(H5DSattach_scale(d.id, y.id, 0) >= 0);
  }
}

// Writes /content_digests as finish() does (variable-length UTF-8 strings).
void write_lines(hid_t file, const ContentDigest& objects) {
  const std::vector<std::string> lines = object_digest_lines(objects);
  std::vector<const char*> data;
  for (const std::string& line : lines) data.push_back(line.c_str());
  Closing type(H5Tcopy(H5T_C_S1), H5Tclose);
  REQUIRE(H5Tset_size(type.id, H5T_VARIABLE) >= 0);
  REQUIRE(H5Tset_cset(type.id, H5T_CSET_UTF8) >= 0);
  const hsize_t n = data.size();
  Closing s(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Closing d(H5Dcreate2(file, kObjectDigestsDataset, type.id, s.id, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
            H5Dclose);
  REQUIRE(H5Dwrite(d.id, type.id, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()) >= 0);
}

}  // namespace

TEST_CASE("content digest: finish publishes the digest of the whole file, with and without segments",
          "[output][content_digest]") {
  TempDir dir;
  for (const int steps : {1, 12}) {
    Params p = test::tiny_params(1500, steps);
    write_run(dir.file("plain-" + std::to_string(steps) + ".h5"), p, false);
    check_published(dir.file("plain-" + std::to_string(steps) + ".h5"));
    write_run(dir.file("one-segment-" + std::to_string(steps) + ".h5"), p, true);
    check_published(dir.file("one-segment-" + std::to_string(steps) + ".h5"));
    p.segments = {Segment{}, Segment{}, Segment{}};
    p.segments[0].name = "a", p.segments[1].name = "b", p.segments[2].name = "c";
    p.segments[0].share = 0.5, p.segments[1].share = 0.3, p.segments[2].share = 0.2;
    write_run(dir.file("segments-" + std::to_string(steps) + ".h5"), p, true);
    check_published(dir.file("segments-" + std::to_string(steps) + ".h5"));
  }
  // Through run_to_file, as `missionsim run` writes (real provenance).
  const std::string run = dir.file("run.h5");
  run_to_file(test::tiny_params(1000, 5), run);
  check_published(run);
}

TEST_CASE("content digest: adding a root dataset in one read equals reading the whole file again",
          "[output][content_digest]") {
  TempDir dir;
  // 0: the stream after the new dataset's place is read again; 100: it
  // outgrows the bound midway; the default keeps all of it.
  for (const std::size_t keep : {std::size_t{0}, std::size_t{100}, std::size_t{256} << 20}) {
    INFO("keep_bytes " << keep);
    const std::string path = dir.file(std::to_string(keep) + ".h5");
    Closing file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    build_file(file.id);
    const ContentDigest before = content_digest_by_object(file.id);
    bool called = false;
    const std::string digest = content_digest_adding(
        file.id, kObjectDigestsDataset,
        [&](const ContentDigest& objects) {
          called = true;
          CHECK(objects.objects == before.objects);
          write_lines(file.id, objects);
        },
        keep);
    CHECK(called);
    CHECK(digest == content_digest(file.id));
    CHECK(digest != before.sha256);
  }
}

TEST_CASE("content digest: a dataset added after every root member, and one that exists already",
          "[output][content_digest]") {
  TempDir dir;
  const std::string path = dir.file("f.h5");
  Closing file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
  build_file(file.id);
  const auto add = [&](const ContentDigest& objects) {
    const hsize_t n = objects.objects.size();
    std::vector<double> v(n, 1.0);
    Closing s(H5Screate_simple(1, &n, nullptr), H5Sclose);
    Closing d(H5Dcreate2(file.id, "\xff", H5T_IEEE_F64LE, s.id, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
              H5Dclose);
    REQUIRE(H5Dwrite(d.id, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) >= 0);
  };
  const std::string digest = content_digest_adding(file.id, "/\xff", add);
  CHECK(digest == content_digest(file.id));
  CHECK_THROWS_AS(content_digest_adding(file.id, "/\xff", add), std::logic_error);
  CHECK_THROWS_AS(content_digest_adding(file.id, "/firms/new", add), std::invalid_argument);
}

TEST_CASE("content digest: 20,000 variable-length strings, against the stream built by hand",
          "[output][content_digest]") {
  // The file's digest alone (content_digest) and with each object's
  // (content_digest_by_object) are separate walks: both must be the SHA-256
  // of the canonical stream (docs/OUTPUT.md, "Content digest") built here.
  TempDir dir;
  const std::string path = dir.file("strings.h5");
  Closing file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
  std::vector<std::string> values;
  for (int i = 0; i < 20000; ++i)
    values.push_back(std::string(static_cast<std::size_t>(i % 37), 'a' + i % 26));
  {
    std::vector<const char*> data;
    for (const std::string& s : values) data.push_back(s.c_str());
    Closing type(H5Tcopy(H5T_C_S1), H5Tclose);
    REQUIRE(H5Tset_size(type.id, H5T_VARIABLE) >= 0);
    const hsize_t n = data.size();
    Closing s(H5Screate_simple(1, &n, nullptr), H5Sclose);
    Closing d(H5Dcreate2(file.id, "s", type.id, s.id, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
    REQUIRE(H5Dwrite(d.id, type.id, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()) >= 0);
  }
  std::string stream;
  const auto u64 = [&](std::uint64_t v) {
    for (int i = 0; i < 8; ++i) stream += static_cast<char>(v >> (8 * i));
  };
  const auto str = [&](const std::string& s) {
    u64(s.size());
    stream += s;
  };
  str("group"), str("/"), u64(0);                                // the root: no attributes
  str("dataset"), str("/s"), str("string"), u64(1), u64(20000);  // type and shape
  for (const std::string& s : values) str(s);
  u64(0), u64(0);  // no dimension scales, no attributes
  CHECK(content_digest(file.id) == sha256_hex(stream));
  CHECK(content_digest_by_object(file.id).sha256 == sha256_hex(stream));
}
