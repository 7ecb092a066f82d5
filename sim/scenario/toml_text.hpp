// Message helpers shared by the TOML readers (scenario and sweep files).
#pragma once

#include <toml++/toml.h>

#include <string>

namespace missionsim::scenario {

// What the user wrote, for "got ...": "string \"abc\"", "float 1.5", "table".
std::string describe_node(const toml::node& n);

}  // namespace missionsim::scenario
