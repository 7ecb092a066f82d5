// Dispatch and the mapping of failures to messages and exit codes.

#include "cli/cli.hpp"

#include <algorithm>
#include <boost/program_options/errors.hpp>
#include <iostream>
#include <new>

#include "missionsim_version.hpp"
#include "scenario/scenario.hpp"
#include "sweep/sweep.hpp"

namespace missionsim::cli {
namespace {

// A message is one line a user can read; a value the reader did not shorten
// (a path, a library's text) is cut here.
constexpr std::size_t kMaxMessageBytes = 2000;

int fail(int code, const std::string& message) {
  std::cerr << "missionsim: error: ";
  if (message.size() <= kMaxMessageBytes)
    std::cerr << message;
  else
    std::cerr << message.substr(0, kMaxMessageBytes) << "... (" << message.size() << " bytes)";
  std::cerr << '\n';
  return code;
}

int usage_failure(const std::string& message) {
  std::cerr << "missionsim: error: " << message << "\ntry 'missionsim --help'\n";
  return kExitBadInput;
}

int dispatch(const Invocation& inv) {
  switch (inv.command) {
    case Command::Help:
      std::cout << inv.help;
      return kExitOk;
    case Command::Version:
      std::cout << "missionsim " << MISSIONSIM_VERSION << '\n';
      return kExitOk;
    case Command::Run:
      return run_command(inv.run);
    case Command::Validate:
      return validate_command(inv.validate);
    case Command::Sweep:
      return sweep_command(inv.sweep);
  }
  return kExitFailure;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Invocation inv;
    try {
      inv = parse_command_line(std::vector<std::string>(argv + std::min(argc, 1), argv + argc));
    } catch (const boost::program_options::error& e) {
      return usage_failure(e.what());
    } catch (const UsageError& e) {
      return usage_failure(e.what());
    }
    return dispatch(inv);
  } catch (const ScenarioError& e) {
    return fail(kExitBadInput, e.what());
  } catch (const sweep::SweepError& e) {
    return fail(kExitBadInput, e.what());
  } catch (const InputError& e) {
    return fail(kExitBadInput, e.what());
  } catch (const std::bad_alloc&) {
    return fail(kExitFailure, "out of memory");
  } catch (const std::exception& e) {
    return fail(kExitFailure, e.what());
  } catch (...) {
    return fail(kExitFailure, "unknown exception");
  }
}

}  // namespace missionsim::cli
