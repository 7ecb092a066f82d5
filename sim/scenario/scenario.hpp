// Scenario files: TOML -> validated Params, and Params -> resolved TOML.
// Keys, types, defaults and ranges are documented in docs/SCENARIO.md.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/params.hpp"

namespace missionsim {

// A bad scenario or override. what() is the full user-facing message:
// "FILE:LINE:COLUMN: key 'market.maturity_rate' must be in [0, 1], got 1.5".
class ScenarioError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads and validates a scenario file. `overrides` are "key.path=value"
// strings (--set), applied after the file with the same validation.
Params load_scenario(const std::string& path, const std::vector<std::string>& overrides = {});
// Same from text; `source` names it in messages.
Params parse_scenario(std::string_view toml, const std::string& source,
                      const std::vector<std::string>& overrides = {});
// The fully resolved scenario (every key, defaults filled in) as TOML that
// parse_scenario reads back to equal Params.
std::string to_toml(const Params& params);
// The key reference of docs/SCENARIO.md (one Markdown table per TOML table),
// generated from the same registry the reader uses.
std::string scenario_keys_markdown();

}  // namespace missionsim
