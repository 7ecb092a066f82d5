// Points files (design = "points"): unit-cube coordinates written by
// analysis/design.py or by hand (docs/SWEEP.md, "Points files").
//
//   # missionsim-design 1
//   # method = "saltelli"
//   block,choice.churn_base,word_of_mouth.talk_rate
//   A,0.3125,0.871
//   ...
//
// Lines starting with '#' are comments ("# key = value" lines are metadata;
// only `method` is read); the first other line is the header: an optional
// `block` column, then one column per parameter key, each exactly once, in
// any order. Values are numbers in [0, 1].
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

#include "scenario/registry.hpp"
#include "sweep/sweep.hpp"

namespace missionsim::sweep {
namespace {

constexpr std::size_t kMaxPoints = 100'000'000;

std::string trim(std::string_view s) {
  std::size_t a = 0, b = s.size();
  while (a < b && (s[a] == ' ' || s[a] == '\t' || s[a] == '\r')) ++a;
  while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\r')) --b;
  return std::string(s.substr(a, b - a));
}

std::vector<std::string> split(std::string_view line) {
  std::vector<std::string> cells;
  std::size_t start = 0;
  for (;;) {
    const auto comma = line.find(',', start);
    cells.push_back(trim(line.substr(start, comma == std::string_view::npos ? comma : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return cells;
}

}  // namespace

PointsDesign parse_points(std::string_view text, const std::string& source,
                          const std::vector<Parameter>& parameters) {
  PointsDesign pts;
  pts.text = std::string(text);
  const std::size_t d = parameters.size();
  auto fail = [&](std::size_t line, const std::string& msg) -> void {
    throw SweepError(source + ":" + std::to_string(line) + ": " + msg);
  };
  bool has_block = false;
  std::vector<std::size_t> column_of;  // header column -> parameter index
  bool header = false;
  std::size_t lineno = 0, pos = 0;
  while (pos <= text.size()) {
    const auto nl = text.find('\n', pos);
    const std::string_view raw = text.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++lineno;
    const std::string line = trim(raw);
    if (line.empty()) continue;
    if (line[0] == '#') {
      const std::string body = trim(std::string_view(line).substr(1));
      if (body.rfind("method", 0) == 0) {
        const auto eq = body.find('=');
        if (eq != std::string::npos && trim(std::string_view(body).substr(6, eq - 6)).empty()) {
          std::string v = trim(std::string_view(body).substr(eq + 1));
          if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
          pts.method = v;
        }
      }
      continue;
    }
    const std::vector<std::string> cells = split(line);
    if (!header) {
      header = true;
      std::size_t first = 0;
      if (!cells.empty() && cells[0] == "block") has_block = true, first = 1;
      std::vector<int> seen(d, -1);
      for (std::size_t c = first; c < cells.size(); ++c) {
        std::size_t j = 0;
        while (j < d && parameters[j].key != cells[c]) ++j;
        if (j == d) {
          std::string keys;
          for (const auto& p : parameters) keys += (keys.empty() ? "" : ", ") + p.key;
          fail(lineno, "column '" + scenario::clip(cells[c]) +
                           "' is not a parameter of the sweep (its parameters: " + keys + ")");
        }
        if (seen[j] >= 0) fail(lineno, "column '" + cells[c] + "' appears twice");
        seen[j] = static_cast<int>(c);
        column_of.push_back(j);
      }
      for (std::size_t j = 0; j < d; ++j)
        if (seen[j] < 0)
          fail(lineno, "no column for parameter '" + scenario::clip(parameters[j].key) +
                           "' (the header names every parameter key, and optionally 'block' first)");
      continue;
    }
    if (cells.size() != column_of.size() + (has_block ? 1 : 0))
      fail(lineno, std::to_string(cells.size()) + " values, expected " +
                       std::to_string(column_of.size() + (has_block ? 1 : 0)) + " (as in the header)");
    if (pts.rows >= kMaxPoints) fail(lineno, "more than " + std::to_string(kMaxPoints) + " points");
    pts.blocks.push_back(has_block ? cells[0] : std::string());
    const std::size_t row = pts.unit.size();
    pts.unit.resize(row + d);
    for (std::size_t c = 0; c < column_of.size(); ++c) {
      const std::string& cell = cells[c + (has_block ? 1 : 0)];
      char* end = nullptr;
      const double v = cell.empty() ? NAN : std::strtod(cell.c_str(), &end);
      if (cell.empty() || end != cell.c_str() + cell.size() || !std::isfinite(v))
        fail(lineno, "column '" + parameters[column_of[c]].key + "': '" + scenario::clip(cell) +
                         "' is not a finite number");
      if (v < 0 || v > 1)
        fail(lineno, "column '" + parameters[column_of[c]].key + "': " + cell +
                         " is outside [0, 1] (points are unit-cube coordinates, mapped through each "
                         "parameter's range and scale)");
      pts.unit[row + column_of[c]] = v;
    }
    ++pts.rows;
  }
  if (!header) fail(lineno, "no header line (parameter keys, comma-separated)");
  if (pts.rows == 0) fail(lineno, "no points after the header");

  // The Saltelli layout [A; B; AB1; ...; ABd]: checked whole, since the
  // estimators read outcomes by position (analysis/sobol.py).
  const std::size_t n = static_cast<std::size_t>(std::count(pts.blocks.begin(), pts.blocks.end(), "A"));
  if (n > 0) {
    if (pts.rows != n * (d + 2))
      throw SweepError(source + ": " + std::to_string(n) + " rows in block A, so a Saltelli layout of " +
                       std::to_string(n * (d + 2)) + " rows (N (d + 2)), but the file has " +
                       std::to_string(pts.rows));
    for (std::size_t r = 0; r < pts.rows; ++r) {
      const std::size_t b = r / n;
      const std::string want = b == 0 ? "A" : b == 1 ? "B" : "AB" + std::to_string(b - 1);
      // A data row's line number: not tracked per row; name the row instead.
      if (pts.blocks[r] != want)
        throw SweepError(source + ": row " + std::to_string(r + 1) + " is in block '" + pts.blocks[r] +
                         "', expected '" + want +
                         "' (Saltelli layout: N rows A, N rows B, then N rows each " + "of AB1 ... AB" +
                         std::to_string(d) + ")");
      if (b < 2) continue;
      const std::size_t i = b - 2, k = r % n;
      for (std::size_t j = 0; j < d; ++j) {
        const double want_v = pts.unit[(j == i ? n + k : k) * d + j];
        if (pts.unit[r * d + j] != want_v)
          throw SweepError(source + ": row " + std::to_string(r + 1) + " (AB" + std::to_string(i + 1) +
                           ", base row " + std::to_string(k + 1) + ") column '" + parameters[j].key +
                           "' is not " + (j == i ? "B's" : "A's") + " (AB_i is A with column i from B)");
      }
    }
    pts.saltelli_n = n;
  }
  return pts;
}

}  // namespace missionsim::sweep
