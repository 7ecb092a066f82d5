// Test hook for fault injection (docs/OUTPUT.md, "Guarantees"): with the
// environment variable MISSIONSIM_FAULT_AT=<point>, the process kills itself
// with SIGKILL when it reaches that point of writing a trajectory. Points:
// after-create, row-<k> (in the middle of writing row k), after-row-<k>,
// before-complete, before-close, before-rename, after-rename. Unset (the
// normal case) it costs one cached lookup per call.
#pragma once

namespace missionsim {

// `name`, or `name-index` when index >= 0.
void fault_point(const char* name, long long index = -1);

}  // namespace missionsim
