// The instruction-set paths of the engine's SIMD kernels (philox_batch.cpp, phases/marketing_run.cpp):
// which of them this build has and this CPU runs, tested once at run time (__builtin_cpu_supports), so a
// portable build (no -march) still takes the wide ones. Every path of a kernel gives the same bits; the
// choice changes only the speed.
#pragma once

#include <initializer_list>

namespace missionsim::simd {

// Avx512: AVX-512 F, BW and VL (what the widest kernels use; F alone is not enough for marketing_run).
enum class Isa : int { Scalar = 0, Sse2 = 1, Avx2 = 2, Avx512 = 3 };

const char* isa_name(Isa isa);

// True when this build has the path (x86-64 with GCC's target pragmas) and this CPU can run it.
bool supported(Isa isa);

// The first supported path of `widest_first`, else Scalar.
Isa widest(std::initializer_list<Isa> widest_first);

// widest({Avx512, Avx2, Sse2}), worked out once.
Isa best_isa();

}  // namespace missionsim::simd
