// The content digest of a trajectory (root attribute content_sha256): a
// SHA-256 over a canonical serialisation of every group, dataset, attribute,
// name, datatype, shape and value in the file (docs/OUTPUT.md, "Content
// digest"). analysis/readers.py computes the same bytes with h5py.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace missionsim {

// A file whose bytes do not form a valid trajectory; the message starts with
// "damaged: " and names the object.
class DamagedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Lower-case hex SHA-256 of the canonical serialisation of the open HDF5
// file `file` (an hid_t). `file_bytes` bounds what a dataset may claim to
// hold (a damaged extent must not make the reader allocate without limit);
// 0 means no bound. Throws DamagedError for anything the canonical form does
// not allow (a soft link, a committed datatype, a reference-typed value, an
// unreadable dataset).
std::string content_digest(std::int64_t file, std::uint64_t file_bytes = 0);

// Attributes the digest leaves out: it cannot cover itself, and the
// dimension-scale bookkeeping of the HDF5 high-level library holds file
// addresses (object references), not content.
inline constexpr const char* kContentDigestAttribute = "content_sha256";

}  // namespace missionsim
