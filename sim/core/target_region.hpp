// Regions of a source file compiled for a wider instruction set than the build's baseline (the SIMD
// paths of philox_batch.cpp and phases/marketing_run.cpp, chosen at run time by simd_paths.hpp):
//
//   MISSIONSIM_TARGET_BEGIN("avx2")
//   namespace avx2 { ... }
//   MISSIONSIM_TARGET_END
//
// GCC's `#pragma GCC target` inside push_options / pop_options; Clang's `#pragma clang attribute` with
// the same target attribute on every function of the region (Clang ignores GCC's pragma).
#pragma once

#define MISSIONSIM_PRAGMA(x) _Pragma(#x)
#if defined(__clang__)
#define MISSIONSIM_TARGET_BEGIN(isa) \
  MISSIONSIM_PRAGMA(clang attribute push(__attribute__((target(isa))), apply_to = function))
#define MISSIONSIM_TARGET_END MISSIONSIM_PRAGMA(clang attribute pop)
#elif defined(__GNUC__)
#define MISSIONSIM_TARGET_BEGIN(isa) MISSIONSIM_PRAGMA(GCC push_options) MISSIONSIM_PRAGMA(GCC target(isa))
#define MISSIONSIM_TARGET_END MISSIONSIM_PRAGMA(GCC pop_options)
#else
#define MISSIONSIM_TARGET_BEGIN(isa)
#define MISSIONSIM_TARGET_END
#endif
