// Limits of the model's state, defined once: the scenario reader validates
// against them and the engine relies on them (sizes of fixed arrays, bit
// fields, index types).
#pragma once

namespace missionsim {

inline constexpr int kMaxAttributes = 32;    // offered + latent; attribute masks are 32 bits
inline constexpr int kMaxFirmSlots = 1000;   // initial firms + reserved entrant slots; uint16 firm index
inline constexpr int kMaxSegments = 16;      // segment index in the low 4 trait bits
inline constexpr int kMaxConsideration = 8;  // consideration slots per customer
inline constexpr int kFormatVersion = 2;     // trajectory format (docs/OUTPUT.md)

}  // namespace missionsim
