// The content digest of a trajectory (root attribute content_sha256): a
// SHA-256 over a canonical serialisation of every group, dataset, attribute,
// name, datatype, shape and value in the file (docs/OUTPUT.md, "Content
// digest"). analysis/readers.py computes the same bytes with h5py.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace missionsim {

// A file whose bytes do not form a valid trajectory; the message starts with
// "damaged: " and names the object.
class DamagedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The content digest and, to name what changed, the digest of each object's
// record of the stream (a group: its name and attributes; a dataset: all of
// it), by path, in stream order.
struct ContentDigest {
  std::string sha256;
  std::vector<std::pair<std::string, std::string>> objects;  // (path, hex)
};

// Lower-case hex SHA-256 of the canonical serialisation of the open HDF5
// file `file` (an hid_t). `file_bytes` bounds what a dataset may claim to
// hold (a damaged extent must not make the reader allocate without limit);
// 0 means no bound. Throws DamagedError for anything the canonical form does
// not allow (a soft link, a committed datatype, a reference-typed value, an
// unreadable dataset).
// content_digest hashes the stream once (the file's digest alone);
// content_digest_by_object hashes it twice, once for the file and once for
// each object's record, so a reader calls it only to name what changed.
std::string content_digest(std::int64_t file, std::uint64_t file_bytes = 0);
ContentDigest content_digest_by_object(std::int64_t file, std::uint64_t file_bytes = 0);

// In one read of the file: content_digest_by_object(file) (sha256 left
// empty) is passed to `add`, which must create the dataset `path`, a member
// of the root group not in the file yet, and change nothing else the digest
// covers; returns content_digest(file) of the file as it is then. Only the
// new dataset is read back: the stream after its place in the walk is kept
// from the first read, up to `keep_bytes` bytes (beyond them, the root's
// members after that place are read again).
std::string content_digest_adding(std::int64_t file, const std::string& path,
                                  const std::function<void(const ContentDigest&)>& add,
                                  std::size_t keep_bytes = std::size_t{256} << 20);

// The lines of /content_digests: "<hex> <path>" for each object but that
// dataset, then "<hex> /content_digests", hex the SHA-256 of the lines before
// it joined by "\n".
std::vector<std::string> object_digest_lines(const ContentDigest& digest);
// The objects whose record differs from the lines written at finish
// ("/firms/name", "/x (gone)", "/y (not in the file as written)"), at most
// five named; "/content_digests" when the lines themselves are damaged;
// empty when there are no lines or none differs.
std::string changed_objects(const ContentDigest& now, const std::vector<std::string>& listed);

// Attributes the digest leaves out: it cannot cover itself, and the
// dimension-scale bookkeeping of the HDF5 high-level library holds file
// addresses (object references), not content.
inline constexpr const char* kContentDigestAttribute = "content_sha256";
// Per-object digests, written by finish() before content_sha256 (which covers them).
inline constexpr const char* kObjectDigestsDataset = "/content_digests";

}  // namespace missionsim
