// Checks made before a command writes anything: an output must not be one
// of the command's inputs, and the run must fit the machine (docs/SCENARIO.md,
// "Limits of the machine").
#pragma once

#include <string>
#include <vector>

namespace missionsim::cli {

// A file the command will write, and the input (if any) it may replace
// because it writes the same bytes back (a sweep directory's copy of its own
// sweep file). Throws InputError naming both when `path` is one of `inputs`.
struct OutputFile {
  std::string path;
  std::string may_replace;  // an input this output is a copy of, or ""
};
void refuse_overwriting_inputs(const std::vector<OutputFile>& outputs,
                               const std::vector<std::string>& inputs);

}  // namespace missionsim::cli
