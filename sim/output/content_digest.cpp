// Canonical serialisation of a trajectory for its content digest. The exact
// byte layout is specified in docs/OUTPUT.md ("Content digest"); keep the two
// and analysis/readers.py (_content_digest) in step.
#include "output/content_digest.hpp"

#include <hdf5.h>
#include <hdf5_hl.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

#include "output/sha256.hpp"

namespace missionsim {
namespace {

constexpr int kMaxDepth = 8;                     // groups nest at most this deep
constexpr std::uint64_t kBlockBytes = 1u << 22;  // read datasets in blocks of about 4 MiB

struct Id {
  hid_t id;
  herr_t (*close)(hid_t);
  Id(hid_t i, herr_t (*c)(hid_t)) : id(i), close(c) {}
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  ~Id() {
    if (id >= 0) close(id);
  }
};

[[noreturn]] void damaged(const std::string& object, const std::string& what) {
  H5Eclear2(H5E_DEFAULT);
  throw DamagedError("damaged: " + object + ": " + what);
}

class Digest {
 public:
  // by_object: also the digest of each object's record (result().objects);
  // without, only the file's digest, with half the hashing.
  explicit Digest(std::uint64_t file_bytes, bool by_object = true)
      : file_bytes_(file_bytes), per_object_(by_object) {}

  // Every byte of the stream goes to the file's digest and to the digest of
  // the object whose record it belongs to. Once the walk of the root group
  // passes the place of a member still to be added (walk_leaving_place()),
  // the file's digest waits for that member's record: the bytes after the
  // place are kept (up to a bound) for it instead.
  void feed(const void* data, std::size_t n) {
    if (!deferring_) {
      sha_.update(data, n);
    } else if (!overflow_) {
      if (after_.size() + n > after_limit_) {
        overflow_ = true;
        std::string().swap(after_);
      } else {
        after_.append(static_cast<const char*>(data), n);
      }
    }
    if (per_object_) object_.update(data, n);
  }
  void u64(std::uint64_t v) {
    unsigned char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));
    feed(b, 8);
  }
  void str(std::string_view s) {
    u64(s.size());
    feed(s.data(), s.size());
  }
  // Starts the record of the object at `path`: each record is contiguous.
  void begin(const std::string& path) {
    end();
    if (!per_object_) return;
    current_ = path;
    open_ = true;
  }
  void end() {
    if (open_) objects_.emplace_back(current_, object_.hex());
    open_ = false;
  }
  ContentDigest result() {
    end();
    return {sha_.hex(), std::move(objects_)};
  }

  // Walks the file as group(root, "/") does, but for the file's digest
  // leaves a place for the root member `name`, which must not exist yet;
  // keeps at most `limit` bytes of the stream after that place. Returns each
  // object's digest (sha256 left empty).
  ContentDigest walk_leaving_place(hid_t root, const std::string& name, std::size_t limit) {
    place_ = name;
    after_limit_ = limit;
    group(root, "/", 0);
    end();
    return {"", objects_};
  }

  // Adds the record of the dataset at the place left for it, then the rest
  // of the stream: the bytes kept, or (when there were more than the bound)
  // the root's members after the place, read again through HDF5. The
  // file's digest of the file as it now is.
  std::string fill_place(hid_t root) {
    scale_names_.clear();  // the file has changed
    const std::string path = "/" + place_;
    Id dset(H5Dopen2(root, place_.c_str(), H5P_DEFAULT), H5Dclose);
    if (dset.id < 0) damaged(path, "cannot open it");
    deferring_ = false;
    dataset(dset.id, path);
    end();
    if (!overflow_) {
      sha_.update(after_.data(), after_.size());
      std::string().swap(after_);
    } else {
      per_object_ = false;
      for (const auto& [name, type] : members(root, "/"))
        if (name > place_) member(root, "/", name, type, 0);
    }
    return sha_.hex();
  }

  // A datatype's canonical name and the memory type that reads its values
  // as they are hashed (little-endian, the canonical width); for strings
  // mem is a copy of the file type.
  struct Type {
    std::string name;
    Id mem{H5I_INVALID_HID, H5Tclose};
    bool is_string = false;
    bool variable = false;
    std::size_t size = 0;  // bytes per element in memory
  };
  void describe(hid_t type, const std::string& object, Type& out) const {
    const H5T_class_t cls = H5Tget_class(type);
    const std::size_t size = H5Tget_size(type);
    if (cls == H5T_INTEGER) {
      const H5T_sign_t sign = H5Tget_sign(type);
      if (sign != H5T_SGN_NONE && sign != H5T_SGN_2) damaged(object, "integer type with an unknown sign");
      const bool is_signed = sign == H5T_SGN_2;
      hid_t mem = H5I_INVALID_HID;
      switch (size) {
        case 1:
          mem = is_signed ? H5T_STD_I8LE : H5T_STD_U8LE;
          break;
        case 2:
          mem = is_signed ? H5T_STD_I16LE : H5T_STD_U16LE;
          break;
        case 4:
          mem = is_signed ? H5T_STD_I32LE : H5T_STD_U32LE;
          break;
        case 8:
          mem = is_signed ? H5T_STD_I64LE : H5T_STD_U64LE;
          break;
        default:
          damaged(object, "integer type of " + std::to_string(size) + " bytes");
      }
      out.name = std::string(is_signed ? "int" : "uint") + std::to_string(size * 8);
      out.mem.id = H5Tcopy(mem);
      out.size = size;
    } else if (cls == H5T_FLOAT) {
      if (size != 4 && size != 8)
        damaged(object, "floating-point type of " + std::to_string(size) + " bytes");
      out.name = "float" + std::to_string(size * 8);
      out.mem.id = H5Tcopy(size == 4 ? H5T_IEEE_F32LE : H5T_IEEE_F64LE);
      out.size = size;
    } else if (cls == H5T_STRING) {
      const htri_t variable = H5Tis_variable_str(type);
      if (variable < 0 || size == 0) damaged(object, "unreadable string type");
      out.name = "string";
      out.is_string = true;
      out.variable = variable > 0;
      out.mem.id = H5Tcopy(type);
      out.size = out.variable ? sizeof(char*) : size;
    } else {
      damaged(object, "datatype class " + std::to_string(static_cast<int>(cls)) +
                          " is not one a trajectory holds (integer, float, string)");
    }
    if (out.mem.id < 0) damaged(object, "cannot copy its datatype");
  }

  // Hashes the type and shape; returns the number of elements.
  std::vector<hsize_t> shape(hid_t space, const std::string& object, const Type& type) {
    const H5S_class_t cls = H5Sget_simple_extent_type(space);
    if (cls != H5S_SCALAR && cls != H5S_SIMPLE) damaged(object, "null or unknown dataspace");
    const int rank = H5Sget_simple_extent_ndims(space);
    if (rank < 0 || rank > H5S_MAX_RANK) damaged(object, "unreadable dataspace");
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    if (rank > 0 && H5Sget_simple_extent_dims(space, dims.data(), nullptr) < 0)
      damaged(object, "unreadable dataspace");
    long double bytes = static_cast<long double>(type.size);
    for (hsize_t d : dims) bytes *= static_cast<long double>(d);
    // The schema stores every element (no sparse chunks), so a dataset
    // cannot hold more values than the file has bytes, strings aside
    // (pointers in memory, 16-byte heap references in the file).
    if (file_bytes_ > 0 && bytes > 16.0L * static_cast<long double>(file_bytes_) + 65536.0L)
      damaged(object, "its shape claims more values than the file can hold");
    str(type.name);
    u64(dims.size());
    for (hsize_t d : dims) u64(d);
    return dims;
  }

  void values(const char* data, std::size_t n, const Type& type) {
    if (!type.is_string) {
      feed(data, n * type.size);
      return;
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (type.variable) {
        const char* s = reinterpret_cast<char* const*>(data)[i];
        str(s != nullptr ? std::string_view(s) : std::string_view());
      } else {
        const char* s = data + i * type.size;
        str(std::string_view(s, strnlen(s, type.size)));
      }
    }
  }

  void attribute(hid_t obj, const std::string& object, const std::string& name) {
    const std::string what = object + " attribute " + name;
    Id attr(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose);
    if (attr.id < 0) damaged(what, "cannot open it");
    Id ftype(H5Aget_type(attr.id), H5Tclose);
    Id space(H5Aget_space(attr.id), H5Sclose);
    if (ftype.id < 0 || space.id < 0) damaged(what, "cannot read its type or shape");
    Type type;
    describe(ftype.id, what, type);
    str(name);
    const std::vector<hsize_t> dims = shape(space.id, what, type);
    std::size_t n = 1;
    for (hsize_t d : dims) n *= d;
    std::vector<char> buf(std::max<std::size_t>(n * type.size, 1), 0);
    if (n > 0 && H5Aread(attr.id, type.mem.id, buf.data()) < 0) damaged(what, "cannot read its value");
    values(buf.data(), n, type);
    if (type.variable && n > 0) {
      // A scalar or simple space of the same extent as buf for the reclaim.
      H5Dvlen_reclaim(type.mem.id, space.id, H5P_DEFAULT, buf.data());
    }
  }

  void attributes(hid_t obj, const std::string& object, bool root) {
    std::vector<std::string> names;
    hsize_t idx = 0;
    auto collect = [](hid_t, const char* name, const H5A_info_t*, void* out) -> herr_t {
      static_cast<std::vector<std::string>*>(out)->emplace_back(name);
      return 0;
    };
    if (H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_NATIVE, &idx, collect, &names) < 0)
      damaged(object, "cannot list its attributes");
    std::erase_if(names, [&](const std::string& n) {
      return n == "REFERENCE_LIST" || n == "DIMENSION_LIST" || (root && n == kContentDigestAttribute);
    });
    std::sort(names.begin(), names.end());
    u64(names.size());
    for (const std::string& n : names) attribute(obj, object, n);
  }

  void dataset(hid_t dset, const std::string& path) {
    Id ftype(H5Dget_type(dset), H5Tclose);
    Id space(H5Dget_space(dset), H5Sclose);
    if (ftype.id < 0 || space.id < 0) damaged(path, "cannot read its type or shape");
    Type type;
    describe(ftype.id, path, type);
    begin(path);
    str("dataset");
    str(path);
    const std::vector<hsize_t> dims = shape(space.id, path, type);
    std::size_t n = 1;
    for (hsize_t d : dims) n *= d;
    if (n > 0) {
      // Blocks of whole rows along the first dimension.
      std::size_t row = 1;
      for (std::size_t k = 1; k < dims.size(); ++k) row *= dims[k];
      const hsize_t rows = dims.empty() ? 1 : dims[0];
      const hsize_t per_block = std::max<hsize_t>(1, kBlockBytes / std::max<std::size_t>(row * type.size, 1));
      std::vector<char> buf;
      for (hsize_t r0 = 0; r0 < rows; r0 += per_block) {
        const hsize_t nr = std::min(per_block, rows - r0);
        const std::size_t count = nr * row;
        buf.assign(count * type.size, 0);
        hid_t file_space = H5S_ALL, mem_space = H5S_ALL;
        Id fsel(H5I_INVALID_HID, H5Sclose), msel(H5I_INVALID_HID, H5Sclose);
        if (!dims.empty() && nr < rows) {  // all rows at once: the whole extent
          fsel.id = H5Scopy(space.id);
          std::vector<hsize_t> start(dims.size(), 0), cnt = dims;
          start[0] = r0;
          cnt[0] = nr;
          if (fsel.id < 0 ||
              H5Sselect_hyperslab(fsel.id, H5S_SELECT_SET, start.data(), nullptr, cnt.data(), nullptr) < 0)
            damaged(path, "cannot select rows");
          const hsize_t flat = count;
          msel.id = H5Screate_simple(1, &flat, nullptr);
          file_space = fsel.id;
          mem_space = msel.id;
        }
        if (H5Dread(dset, type.mem.id, mem_space, file_space, H5P_DEFAULT, buf.data()) < 0) {
          damaged(path, "cannot read its values (checksum error or damaged storage)");
        }
        values(buf.data(), count, type);
        if (type.variable)
          H5Dvlen_reclaim(type.mem.id, mem_space == H5S_ALL ? space.id : mem_space, H5P_DEFAULT, buf.data());
      }
    }
    scales(dset, path, dims.size());
    attributes(dset, path, false);
  }

  // The dimension scales attached to each dimension, by path: what the
  // DIMENSION_LIST attribute (left out of attributes(): it holds file
  // addresses) means.
  void scales(hid_t dset, const std::string& path, std::size_t rank) {
    const htri_t has = H5Aexists(dset, "DIMENSION_LIST");
    if (has < 0) damaged(path, "cannot check its dimension scales");
    if (has == 0) {
      u64(0);
      return;
    }
    u64(rank);
    for (unsigned d = 0; d < rank; ++d) {
      const int n = H5DSget_num_scales(dset, d);
      if (n < 0) damaged(path, "cannot read the dimension scales of dimension " + std::to_string(d));
      struct Visit {
        std::vector<std::string> names;
        std::map<std::pair<unsigned long, haddr_t>, std::string>* known;
      } out{{}, &scale_names_};
      auto visit = [](hid_t, unsigned, hid_t scale, void* data) -> herr_t {
        Visit& v = *static_cast<Visit*>(data);
        // A scale comes opened through its object reference, with no path:
        // H5Iget_name searches the whole file for one, the same answer for
        // the same object in a file that does not change.
        H5O_info_t info;
        if (H5Oget_info2(scale, &info, H5O_INFO_BASIC) < 0) return -1;
        const auto key = std::make_pair(info.fileno, info.addr);
        if (const auto it = v.known->find(key); it != v.known->end()) {
          v.names.push_back(it->second);
          return 0;
        }
        const ssize_t len = H5Iget_name(scale, nullptr, 0);
        if (len < 0) return -1;
        std::string name(static_cast<std::size_t>(len) + 1, '\0');
        if (H5Iget_name(scale, name.data(), name.size()) < 0) return -1;
        name.resize(static_cast<std::size_t>(len));
        v.known->emplace(key, name);
        v.names.push_back(std::move(name));
        return 0;
      };
      if (n > 0 && H5DSiterate_scales(dset, d, nullptr, visit, &out) < 0)
        damaged(path, "cannot resolve the dimension scales of dimension " + std::to_string(d));
      if (out.names.size() != static_cast<std::size_t>(n))
        damaged(path, "inconsistent dimension scales of dimension " + std::to_string(d));
      u64(out.names.size());
      for (const std::string& name : out.names) str(name);
    }
  }

  void group(hid_t g, const std::string& path, int depth) {
    if (depth > kMaxDepth) damaged(path, "groups nest deeper than " + std::to_string(kMaxDepth));
    begin(path);
    str("group");
    str(path);
    attributes(g, path, depth == 0);
    for (const auto& [name, type] : members(g, path)) {
      if (depth == 0 && !place_.empty()) {
        if (name == place_) throw std::logic_error("content digest: /" + place_ + " already exists");
        if (name > place_) deferring_ = true;
      }
      member(g, path, name, type, depth);
    }
  }

  // The links of group g in ascending byte order of their names.
  static std::vector<std::pair<std::string, H5L_type_t>> members(hid_t g, const std::string& path) {
    std::vector<std::pair<std::string, H5L_type_t>> links;
    hsize_t idx = 0;
    auto collect = [](hid_t, const char* name, const H5L_info_t* info, void* out) -> herr_t {
      static_cast<std::vector<std::pair<std::string, H5L_type_t>>*>(out)->emplace_back(name, info->type);
      return 0;
    };
    if (H5Literate(g, H5_INDEX_NAME, H5_ITER_NATIVE, &idx, collect, &links) < 0)
      damaged(path, "cannot list its members");
    std::sort(links.begin(), links.end());
    return links;
  }

  // The member `name` of group g (at `path`, `depth` deep).
  void member(hid_t g, const std::string& path, const std::string& name, H5L_type_t type, int depth) {
    const std::string child = (path == "/" ? "" : path) + "/" + name;
    if (name.find('/') != std::string::npos || name == "." || name.empty())
      damaged(child, "invalid member name");
    if (type == H5L_TYPE_EXTERNAL) {
      external(g, name, child);
      return;
    }
    if (type != H5L_TYPE_HARD) damaged(child, "a link that is neither a hard nor an external link");
    Id obj(H5Oopen(g, name.c_str(), H5P_DEFAULT), H5Oclose);
    if (obj.id < 0) damaged(child, "cannot open it");
    const H5I_type_t kind = H5Iget_type(obj.id);
    if (kind == H5I_GROUP) {
      group(obj.id, child, depth + 1);
    } else if (kind == H5I_DATASET) {
      dataset(obj.id, child);
    } else {
      damaged(child, "is neither a group nor a dataset");
    }
  }

  // An external link (sweep.h5 links to the run files): its target, not followed.
  void external(hid_t g, const std::string& name, const std::string& path) {
    H5L_info_t info;
    if (H5Lget_info(g, name.c_str(), &info, H5P_DEFAULT) < 0 || info.u.val_size == 0 ||
        info.u.val_size > (1u << 16))
      damaged(path, "unreadable external link");
    std::vector<char> buf(info.u.val_size + 2, '\0');  // NUL-terminated whatever the bytes say
    const char* file = nullptr;
    const char* object = nullptr;
    if (H5Lget_val(g, name.c_str(), buf.data(), info.u.val_size, H5P_DEFAULT) < 0 ||
        H5Lunpack_elink_val(buf.data(), info.u.val_size, nullptr, &file, &object) < 0 || file == nullptr ||
        object == nullptr)
      damaged(path, "unreadable external link");
    begin(path);
    str("external");
    str(path);
    str(file);
    str(object);
  }

 private:
  Sha256 sha_, object_;
  std::string current_;
  bool open_ = false;
  std::vector<std::pair<std::string, std::string>> objects_;
  std::uint64_t file_bytes_;
  // The path of each dimension scale met so far, by (file number, address).
  std::map<std::pair<unsigned long, haddr_t>, std::string> scale_names_;
  // object_ is fed and objects_ filled (not for the file's digest alone, nor
  // when the rest of the stream is read again)
  bool per_object_;
  std::string place_;       // root member still to be added; empty: none
  bool deferring_ = false;  // past place_: bytes go to after_, not sha_
  std::string after_;       // the stream after place_, while it fits after_limit_
  std::size_t after_limit_ = 0;
  bool overflow_ = false;  // it did not fit: read again in fill_place()
};

}  // namespace

ContentDigest content_digest_by_object(std::int64_t file, std::uint64_t file_bytes) {
  Id root(H5Gopen2(static_cast<hid_t>(file), "/", H5P_DEFAULT), H5Gclose);
  if (root.id < 0) damaged("/", "cannot open the root group");
  Digest d(file_bytes);
  d.group(root.id, "/", 0);
  return d.result();
}

std::string content_digest(std::int64_t file, std::uint64_t file_bytes) {
  Id root(H5Gopen2(static_cast<hid_t>(file), "/", H5P_DEFAULT), H5Gclose);
  if (root.id < 0) damaged("/", "cannot open the root group");
  Digest d(file_bytes, /*by_object=*/false);
  d.group(root.id, "/", 0);
  return d.result().sha256;
}

std::string content_digest_adding(std::int64_t file, const std::string& path,
                                  const std::function<void(const ContentDigest&)>& add,
                                  std::size_t keep_bytes) {
  if (path.size() < 2 || path[0] != '/' || path.find('/', 1) != std::string::npos)
    throw std::invalid_argument("content_digest_adding: '" + path + "' is not a member of the root group");
  Id root(H5Gopen2(static_cast<hid_t>(file), "/", H5P_DEFAULT), H5Gclose);
  if (root.id < 0) damaged("/", "cannot open the root group");
  Digest d(0);
  add(d.walk_leaving_place(root.id, path.substr(1), keep_bytes));
  return d.fill_place(root.id);
}

std::vector<std::string> object_digest_lines(const ContentDigest& digest) {
  std::vector<std::string> lines;
  std::string joined;
  for (const auto& [path, hex] : digest.objects) {
    if (path == kObjectDigestsDataset) continue;
    lines.push_back(hex + " " + path);
    joined += (joined.empty() ? "" : "\n") + lines.back();
  }
  // Last, the digest of the lines before it: a damaged list names itself.
  lines.push_back(sha256_hex(joined) + " " + kObjectDigestsDataset);
  return lines;
}

std::string changed_objects(const ContentDigest& now, const std::vector<std::string>& listed) {
  if (listed.empty()) return "";
  std::string joined;
  for (std::size_t i = 0; i + 1 < listed.size(); ++i) joined += (i > 0 ? "\n" : "") + listed[i];
  if (listed.back() != sha256_hex(joined) + " " + kObjectDigestsDataset) return kObjectDigestsDataset;
  std::vector<std::pair<std::string, std::string>> then;  // (path, hex)
  for (std::size_t i = 0; i + 1 < listed.size(); ++i) {
    const std::string& line = listed[i];
    if (line.size() < 66 || line[64] != ' ') return kObjectDigestsDataset;
    then.emplace_back(line.substr(65), line.substr(0, 64));
  }
  std::vector<std::string> changes;
  // The lambdas below name an element or a reference, not a structured binding: Clang 14 does not let a
  // lambda capture one (C++20 allows it; GCC 12 and Clang 16 do).
  for (const auto& object : now.objects) {
    const auto& [path, hex] = object;
    if (path == kObjectDigestsDataset) continue;
    const auto it =
        std::find_if(then.begin(), then.end(), [&](const auto& t) { return t.first == object.first; });
    if (it == then.end()) {
      changes.push_back(path + " (not in the file as written)");
    } else if (it->second != hex) {
      changes.push_back(path);
    }
  }
  for (const auto& [path, hex] : then) {
    const std::string& gone = path;
    const auto it =
        std::find_if(now.objects.begin(), now.objects.end(), [&](const auto& o) { return o.first == gone; });
    if (it == now.objects.end()) changes.push_back(gone + " (gone)");
  }
  if (changes.empty()) return "";
  std::string out;
  const std::size_t shown = std::min<std::size_t>(changes.size(), 5);
  for (std::size_t i = 0; i < shown; ++i) out += (i > 0 ? ", " : "") + changes[i];
  if (changes.size() > shown) out += " and " + std::to_string(changes.size() - shown) + " more";
  return out;
}

}  // namespace missionsim
