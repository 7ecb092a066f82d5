// missionsim: the command-line tool. All logic lives in sim/cli/cli.cpp.

#include "cli/cli.hpp"

int main(int argc, char** argv) { return missionsim::cli::main(argc, argv); }
