// Test hook for fault injection (docs/OUTPUT.md and docs/SWEEP.md,
// "Guarantees"): with the environment variable MISSIONSIM_FAULT_AT=<point>[:<n>]
// the process kills itself with SIGKILL the n-th time (default: the first) it
// reaches <point>, counted over the whole process, to test what a kill there
// leaves. Writer points: after-create, row-<k> (in the middle of writing row
// k), after-row-<k>, before-complete, before-close, before-rename,
// after-rename. Sweep points: sweep-claimed, sweep-step-<k>, sweep-last-step,
// sweep-renamed, sweep-ledger (halfway through a ledger line), and
// sweep-nolock (every lock attempt fails as on a file system without locks).
// Unset (the normal case) each point costs one cached lookup.
#pragma once

#include <string>
#include <string_view>

namespace missionsim {

// The point the hook names, without its count; empty when the hook is unset.
const std::string& fault_target();

inline bool fault_hook_set() { return !fault_target().empty(); }

// Whether this visit of `point` is the one the hook kills at (counts visits).
bool fault_fires(std::string_view point);

// SIGKILLs the process when fault_fires(point).
void fault_point(std::string_view point);

// The point `name-index`.
void fault_point(const char* name, long long index);

}  // namespace missionsim
