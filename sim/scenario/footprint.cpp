#include "scenario/footprint.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>

namespace missionsim {
namespace {

// Per customer (Simulation::Impl): firm_prev, firm_next (uint16), voice_prev,
// voice_next (int8), tenure (uint16), expectation, satisfaction, success,
// difficulty (float), effort, traits (uint8); consider (uint16) and
// reputation (int8) per consideration slot; adopted_neighbours (uint32) with
// a network.
constexpr double kCustomerBytes = 2 * 2 + 2 * 1 + 2 + 4 * 4 + 1 + 1;  // 26
constexpr double kSlotBytes = 2 + 1;
constexpr double kNetworkCustomerBytes = 4;
// [success_expectations] on: success_expectation, success_weight, success_seen (float).
constexpr double kSuccessExpectationBytes = 3 * 4;
constexpr double kEdgeEndBytes = 4;  // uint32 per adjacency entry, per edge-list entry
constexpr double kGrain = 4096;      // customers per reduction leaf (simulation.cpp)
// Per firm and step in the trajectory: 17 float64 series, customers
// (int64), strategy_id (int32), alive (uint8).
constexpr double kFirmRowBytes = 17 * 8 + 8 + 4 + 1;  // 149
// Per step: 9 float64 market series, adopters (int64), time (int32).
constexpr double kMarketRowBytes = 9 * 8 + 8 + 4;  // 84
// Per attribute and step: kano_maturity, kano_better, kano_worse (float64).
constexpr double kAttributeRowBytes = 3 * 8;
// Per segment, firm and step: /segments/customers and /segments/values_customers (int64).
constexpr double kSegmentFirmRowBytes = 2 * 8;
// Measured: the /segments group adds 18 kB besides its rows to a 1-segment file
// (group, scale, names, populations, chunk indexes, digest lines).
constexpr double kSegmentsOverheadBytes = 24 << 10;
constexpr double kFileBytesPerSegment = 256;
constexpr double kChunkRows = 64;             // rows per HDF5 chunk; whole chunks are written
constexpr double kChunkCacheBytes = 1 << 20;  // HDF5's default chunk cache per dataset
// Measured: a 1-step, 4-firm file holds 115 kB besides its rows (attributes,
// dimension scales, chunk indexes, the resolved scenario); names grow with firms.
constexpr double kFileOverheadBytes = 128 << 10;
constexpr double kFileBytesPerFirm = 256;
constexpr double kWriterOverheadBytes = 4 << 20;  // HDF5 library and metadata caches
constexpr double kFirmStateBytes = 2048;          // one Firm with its bookkeeping (a generous bound)

}  // namespace

RunFootprint estimate_run(const Params& p, int threads) {
  RunFootprint r;
  const double n = static_cast<double>(p.customers);
  const double F = static_cast<double>(p.max_entrants) + [&] {
    double f = 0;
    for (const auto& g : p.firms) f += g.count;
    return f;
  }();
  const double A = p.attributes + p.latent_attributes;
  const double K = std::clamp(p.consideration_size, 1, 8);
  const bool edges = p.network.kind != NetworkKind::Complete && p.customers >= 2;

  r.customer_bytes = n * (kCustomerBytes + K * kSlotBytes + (edges ? kNetworkCustomerBytes : 0) +
                          (p.success_expectations.enabled ? kSuccessExpectationBytes : 0));
  if (edges) {
    // Network::build: k = round(mean_degree); each kind stores 2E adjacency
    // entries plus n + 1 offsets, and holds two edge lists of E entries
    // while it builds them (Barabasi-Albert's grow by doubling: up to 2E each).
    // The entries are counted as uint32, the widest layout: the narrow ones
    // (core/network.hpp) are chosen only when smaller, and made after the
    // edge lists are released, from the uint32 rows.
    const double k = static_cast<double>(std::llround(p.network.mean_degree));
    const double half = std::max(1.0, std::floor(k / 2));
    double E = 0, lists = 0;
    switch (p.network.kind) {
      case NetworkKind::WattsStrogatz:
        E = n * half, lists = 2 * E;
        break;
      case NetworkKind::ErdosRenyi:
        E = std::floor(n * k / 2), lists = 2 * E;
        break;
      case NetworkKind::BarabasiAlbert:
        E = n * half, lists = 4 * E;
        break;
      case NetworkKind::Complete:
        break;
    }
    r.network_bytes = (2 * E + n + 1) * kEdgeEndBytes;
    // from_edges: the CSR and a fill cursor per node next to the edge lists.
    r.network_build_bytes = lists * kEdgeEndBytes + r.network_bytes + n * kEdgeEndBytes;
  }

  // PassStats: 8 eight-byte counters per firm, one per body alive in the
  // deterministic reduction (at most a root-to-leaf path per thread).
  const double leaves = std::max(1.0, std::ceil(n / kGrain));
  const double bodies = std::max(1, threads) * (std::ceil(std::log2(leaves)) + 2);
  const double kano = p.kano_respondents * A * 2 * 8;
  const double history = (std::max(1, p.imitation_lag + 1)) * A * 8;
  // Names are variable-length strings: /firms/name and /firms/strategy per
  // firm, and once more in the resolved scenario text (/scenario). In memory
  // they are held about three times (run info, firms, writer): measured 1.49
  // GB for 500 firms named by a 1 MB name, estimated 1.51 GB.
  double text = 0;
  for (const auto& g : p.firms) {
    const double name = static_cast<double>((g.name.empty() ? g.strategy : g.name).size());
    text += g.count * (name + 8 + static_cast<double>(g.strategy.size())) + name +
            static_cast<double>(g.strategy.size());
  }
  for (const auto& s : p.strategies) text += 2 * static_cast<double>(s.name.size());
  text += static_cast<double>(p.name.size());
  r.firm_bytes = F * (kFirmStateBytes + A * 8) + kano + history + bodies * F * 8 * 8 + 3 * text;

  // One chunk per dataset is cached while it fills (up to HDF5's default cache).
  auto cached = [](double row_bytes) { return std::min(kChunkCacheBytes, kChunkRows * row_bytes); };
  const double G = static_cast<double>(p.segments.size());
  r.writer_bytes = 17 * cached(8 * F) + cached(8 * F) + cached(4 * F) + cached(F) + 9 * cached(8) +
                   3 * cached(8 * A) + 2 * cached(8 * G * F) + kWriterOverheadBytes;

  r.memory_bytes =
      std::max(r.network_build_bytes, r.network_bytes + r.customer_bytes) + r.firm_bytes + r.writer_bytes;

  const double rows = std::ceil((p.steps + 1.0) / kChunkRows) * kChunkRows;
  r.output_bytes =
      rows * (F * kFirmRowBytes + kMarketRowBytes + A * kAttributeRowBytes + G * F * kSegmentFirmRowBytes) +
      kFileOverheadBytes + F * kFileBytesPerFirm + kSegmentsOverheadBytes + G * kFileBytesPerSegment + text;
  return r;
}

std::string RunFootprint::memory_text() const {
  std::string s = "customers " + byte_text(customer_bytes);
  if (network_bytes > 0)
    s += " + network " + byte_text(network_bytes) + " (" + byte_text(network_build_bytes) +
         " while it is built)";
  s += " + firms " + byte_text(firm_bytes) + " + output buffers " + byte_text(writer_bytes);
  return s;
}

std::string byte_text(double bytes) {
  static const char* const kUnits[] = {"bytes", "kB", "MB", "GB", "TB", "PB", "EB"};
  int u = 0;
  while (bytes >= 999.5 && u < 6) bytes /= 1000, ++u;
  char text[48];
  if (u == 0)
    std::snprintf(text, sizeof text, "%.0f bytes", bytes);
  else
    std::snprintf(text, sizeof text, "%.3g %s", bytes, kUnits[u]);
  return text;
}

}  // namespace missionsim
