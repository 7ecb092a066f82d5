// HDF5 trajectory writer, schema version 1 (docs/OUTPUT.md).
//
// Writes into `<path>.partial`: extendible chunked datasets along time, one row
// per append(); every `flush_every` rows the rows appended since the last flush
// are written together and the file is flushed, by a thread of the writer's
// own while the caller goes on (append() returns once the rows are handed
// over; the next flush, and every other member function, waits for it). So a
// process killed after append() of row r leaves a `.partial` holding at least
// the rows up to the flush before the last one due by r; after
// wait_for_flushes(), up to the last one. finish() writes the root
// attribute complete = 1 last and renames the file to `<path>`. abandon()
// (interrupt) flushes, leaves complete = 0 and keeps the `.partial` name.
// The destructor of an unfinished writer behaves like abandon(). A failed
// flush is thrown by the next call that waits for it, and the writer can then
// only be abandoned.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/observables.hpp"

namespace missionsim {

struct Provenance {
  std::string missionsim_version;
  std::uint64_t seed = 0;
  std::string scenario_toml;    // resolved scenario, stored in /scenario
  std::string scenario_sha256;  // hex digest of scenario_toml
  std::string created_utc;      // ISO 8601, e.g. 2026-11-28T04:00:00Z
};

class TrajectoryWriter {
 public:
  TrajectoryWriter(const std::string& path, const RunInfo& info, const Provenance& prov,
                   int flush_every = 10);
  ~TrajectoryWriter();
  TrajectoryWriter(const TrajectoryWriter&) = delete;
  TrajectoryWriter& operator=(const TrajectoryWriter&) = delete;

  void append(const Observables& obs);
  // Returns when the rows of every flush due so far are written and flushed to
  // the file (throws what the flush failed at).
  void wait_for_flushes();
  void finish();   // complete = 1, close, rename to the final path
  void abandon();  // flush, complete = 0, close, keep <path>.partial
  const std::string& partial_path() const;
  const std::string& final_path() const;
  // The open file's HDF5 id (an hid_t), for extra datasets a caller adds
  // before finish() (the Python API's /custom group); the digest covers them.
  std::int64_t hdf5_file() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace missionsim
