#include "output/trajectory_reader.hpp"

#include <hdf5.h>

#include <stdexcept>

#include "core/limits.hpp"

namespace missionsim {
namespace {

// Closes an HDF5 identifier at scope exit.
struct Closing {
  hid_t id;
  herr_t (*close)(hid_t);
  ~Closing() {
    if (id >= 0) close(id);
  }
};

herr_t keep_innermost(unsigned /*n*/, const H5E_error2_t* err, void* out) {
  if (err->desc != nullptr && err->desc[0] != '\0') *static_cast<std::string*>(out) = err->desc;
  return 0;
}

}  // namespace

void TrajectoryReader::fail(const std::string& what) const {
  std::string detail;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, keep_innermost, &detail);
  H5Eclear2(H5E_DEFAULT);
  throw std::runtime_error("trajectory '" + path_ + "': " + what + (detail.empty() ? "" : ": " + detail));
}

TrajectoryReader::TrajectoryReader(const std::string& path, bool require_complete) : path_(path) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  file_ = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file_ < 0) fail("cannot open as HDF5");
  try {
    const hid_t file = static_cast<hid_t>(file_);
    if (H5Aexists(file, "format") <= 0 || string_attribute("format") != "missionsim-trajectory") {
      throw std::runtime_error("trajectory '" + path_ +
                               "': not a missionsim trajectory (no format attribute " +
                               "\"missionsim-trajectory\")");
    }
    int version = 0;
    {
      Closing attr{H5Aopen(file, "format_version", H5P_DEFAULT), H5Aclose};
      if (attr.id < 0 || H5Aread(attr.id, H5T_NATIVE_INT, &version) < 0) fail("cannot read format_version");
    }
    if (version != kFormatVersion) {
      throw std::runtime_error("trajectory '" + path_ + "': format_version " + std::to_string(version) +
                               " is not supported (this build reads version " +
                               std::to_string(kFormatVersion) + ")");
    }
    std::int8_t complete = 0;
    {
      Closing attr{H5Aopen(file, "complete", H5P_DEFAULT), H5Aclose};
      if (attr.id < 0 || H5Aread(attr.id, H5T_NATIVE_INT8, &complete) < 0) fail("cannot read complete");
    }
    complete_ = complete == 1;
    if (require_complete && !complete_) {
      throw std::runtime_error("trajectory '" + path_ +
                               "' is incomplete (complete = 0): the run was interrupted or is still writing");
    }
  } catch (...) {
    H5Fclose(static_cast<hid_t>(file_));
    throw;
  }
}

TrajectoryReader::~TrajectoryReader() { H5Fclose(static_cast<hid_t>(file_)); }

std::uint64_t TrajectoryReader::seed() const {
  Closing attr{H5Aopen(static_cast<hid_t>(file_), "seed", H5P_DEFAULT), H5Aclose};
  std::uint64_t seed = 0;
  if (attr.id < 0 || H5Aread(attr.id, H5T_NATIVE_UINT64, &seed) < 0) fail("cannot read attribute seed");
  return seed;
}

std::string TrajectoryReader::string_attribute(const std::string& name) const {
  Closing attr{H5Aopen(static_cast<hid_t>(file_), name.c_str(), H5P_DEFAULT), H5Aclose};
  if (attr.id < 0) fail("cannot open attribute " + name);
  Closing type{H5Aget_type(attr.id), H5Tclose};
  if (H5Tget_class(type.id) != H5T_STRING || H5Tis_variable_str(type.id) <= 0) {
    throw std::runtime_error("trajectory '" + path_ + "': attribute " + name +
                             " is not a variable-length string");
  }
  char* raw = nullptr;
  if (H5Aread(attr.id, type.id, &raw) < 0) fail("cannot read attribute " + name);
  std::string value = raw != nullptr ? raw : "";
  H5free_memory(raw);
  return value;
}

std::vector<std::string> TrajectoryReader::strings(const std::string& path) const {
  Closing dset{H5Dopen2(static_cast<hid_t>(file_), path.c_str(), H5P_DEFAULT), H5Dclose};
  if (dset.id < 0) fail("cannot open dataset " + path);
  Closing type{H5Dget_type(dset.id), H5Tclose};
  if (H5Tis_variable_str(type.id) <= 0) {
    throw std::runtime_error("trajectory '" + path_ + "': " + path + " is not a string dataset");
  }
  Closing space{H5Dget_space(dset.id), H5Sclose};
  const hssize_t n = H5Sget_simple_extent_npoints(space.id);
  if (n < 0) fail("cannot get the size of " + path);
  std::vector<char*> raw(static_cast<std::size_t>(n), nullptr);
  if (n > 0 && H5Dread(dset.id, type.id, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) < 0) {
    fail("cannot read " + path);
  }
  std::vector<std::string> out;
  out.reserve(raw.size());
  for (const char* s : raw) out.emplace_back(s != nullptr ? s : "");
  if (n > 0) H5Dvlen_reclaim(type.id, space.id, H5P_DEFAULT, raw.data());
  return out;
}

std::string TrajectoryReader::scenario_toml() const { return strings("/scenario").at(0); }

Table TrajectoryReader::read(const std::string& path) const {
  Closing dset{H5Dopen2(static_cast<hid_t>(file_), path.c_str(), H5P_DEFAULT), H5Dclose};
  if (dset.id < 0) fail("cannot open dataset " + path);
  Closing type{H5Dget_type(dset.id), H5Tclose};
  const H5T_class_t cls = H5Tget_class(type.id);
  if (cls != H5T_INTEGER && cls != H5T_FLOAT) {
    throw std::runtime_error("trajectory '" + path_ + "': " + path + " is not numeric");
  }
  Closing space{H5Dget_space(dset.id), H5Sclose};
  const int rank = H5Sget_simple_extent_ndims(space.id);
  if (rank != 1 && rank != 2) {
    throw std::runtime_error("trajectory '" + path_ + "': " + path + " has " + std::to_string(rank) +
                             " dimensions, expected 1 or 2");
  }
  hsize_t dims[2] = {0, 1};
  H5Sget_simple_extent_dims(space.id, dims, nullptr);
  Table table;
  table.rows = dims[0];
  table.cols = dims[1];
  table.values.resize(table.rows * table.cols);
  if (!table.values.empty() &&
      H5Dread(dset.id, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, table.values.data()) < 0) {
    fail("cannot read " + path);
  }
  return table;
}

}  // namespace missionsim
