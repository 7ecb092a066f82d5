// simd_paths.hpp: the CPU's instruction sets, as the SIMD kernels' paths need them.
#include "core/simd_paths.hpp"

namespace missionsim::simd {

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Scalar:
      return "scalar";
    case Isa::Sse2:
      return "sse2";
    case Isa::Avx2:
      return "avx2";
    case Isa::Avx512:
      return "avx512";
  }
  return "?";
}

bool supported(Isa isa) {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  switch (isa) {
    case Isa::Scalar:
    case Isa::Sse2:  // the x86-64 baseline
      return true;
    case Isa::Avx2:
      return __builtin_cpu_supports("avx2");
    case Isa::Avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl");
  }
  return false;
#else
  return isa == Isa::Scalar;
#endif
}

Isa widest(std::initializer_list<Isa> widest_first) {
  for (Isa isa : widest_first)
    if (supported(isa)) return isa;
  return Isa::Scalar;
}

Isa best_isa() {
  static const Isa best = widest({Isa::Avx512, Isa::Avx2, Isa::Sse2});
  return best;
}

}  // namespace missionsim::simd
