#include "cli/preflight.hpp"

#include "cli/cli.hpp"
#include "scenario/input_file.hpp"

namespace missionsim::cli {

void refuse_overwriting_inputs(const std::vector<OutputFile>& outputs,
                               const std::vector<std::string>& inputs) {
  for (const auto& out : outputs)
    for (const auto& in : inputs) {
      if (in.empty() || !scenario::same_file(out.path, in)) continue;
      if (!out.may_replace.empty() && scenario::same_file(out.may_replace, in)) continue;
      throw InputError("output '" + out.path + "' is the input '" + in +
                       "' (the same file); writing it would destroy the input: choose another output path");
    }
}

}  // namespace missionsim::cli
