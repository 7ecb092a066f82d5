// Named random draws: which Philox block and word each mechanism uses
// (docs/MODEL.md 4.9). Never renumber a slot: it would change every result.
//
// | purpose (id)  | agent         | step | block | words used for                                       |
// |---------------|---------------|------|-------|------------------------------------------------------|
// | Init (1)      | customer i    | 0    | stream| segment, values flag, effort, difficulty, E, adopted?,
// firm (Eq. 2-4) | | Network (2)   | node or edge  |      |       | rewiring and targets (Eq. 5-7,
// sim/core/network.cpp)  | | Customer (3)  | customer i    | t    | 0     | 0 talk? 1 which neighbour 2
// marketing awareness 3 hazard | | Customer (3)  | customer i    | t    | 1     | 0 refer/warn 1 logit choice
// 2 exit 3 uniform first firm (on demand) | | Firm (4)      | firm slot f   | t    | 0     | 0 discovery | |
// Firm (4)      | firm slot f   | t    | 1     | 0 adapt? 1 which rival 2 Fermi acceptance             | |
// Firm (4)      | firm slot f   | t    | 2     | 0-1 engagement shock (only when volatility > 0)       | |
// Entry (5)     | 0             | t    | 0     | 0 entry? 1 entrant strategy                           | |
// InitFirm (6)  | firm slot f   | entry| stream| initial capabilities (Eq. 1)                          | |
// Kano (7)      | respondent    | 0    | stream| questionnaire panel (sim/core/kano.cpp)               |
// Needs (21)    | segment s     | tag 0| attr a| 0 segment importance weight (Eq. B2, mechanisms/needs.hpp)
// Needs (21)    | customer i    | tag 1| a / 4 | word a % 4: customer taste per attribute (Eq. B2), fixed
// Needs (21)    | customer i    | tag 2| firm f| 0-1 customer-firm fit (Eq. B3, Box-Muller), fixed
// Customer (3)  | customer i    | t    | 5     | 0 first firm vs outside option (Eq. A3, on demand)    |
// Customer (3)  | customer i    | t    | 12    | 0-1 admission priority at a full nonprofit (Eq. S6, on
// demand)
// Customer (3)  | customer i    | t    | 13    | 0 service failure (Eq. F1, only with [incidents] on)
#pragma once

#include <cstdint>

namespace missionsim::draw {

// Purpose::Customer, block 0: drawn for every customer every step.
inline constexpr std::uint32_t kCustomerBlock0 = 0;
enum CustomerWord0 : int {
  kTalk = 0,       // M7 Eq. 33: has a conversation?
  kNeighbour = 1,  // M7 Eq. 33: which neighbour
  kAwareness = 2,  // M1 Eq. 12: marketing makes a firm known
  // Deliberate reuse: the adoption hazard of a non-adopter (M1 Eq. 13) and the reconsideration hazard
  // of an adopter (M6 Eq. 29). A customer is one or the other in a step, so no customer's step uses
  // the word twice.
  kHazard = 3,
};

// Purpose::Customer, block 1: computed only when a customer needs one of its words.
inline constexpr std::uint32_t kCustomerBlock1 = 1;
enum CustomerWord1 : int {
  kReferWarn = 0,    // M7 Eq. 34: does the neighbour refer or warn
  kChoice = 1,       // M6 Eq. 31 logit choice (adoption or reconsideration, never both) and the
                     // reach-weighted first choice of M1 Eq. 14 (same adoption, one use per step)
  kExit = 2,         // M6 Eq. 29: leave the category
  kUniformFirm = 3,  // M1 Eq. 14: uniform first choice
};

// Purpose::Customer, block 5: the demand mechanisms of part A (docs/MODEL.md 7.20), computed only when
// demand.outside_option is on and a customer who knows no firm adopts.
inline constexpr std::uint32_t kCustomerBlockDemand = 5;
enum CustomerWordDemand : int {
  kOutsideFirst = 0,  // Eq. A3: the reach-chosen or uniform first firm against buying nothing
};

// Purpose::Customer, block 12: society.nonprofit_clients (docs/MODEL.md 7.21), computed only for the
// customers at a grant-funded firm whose clients exceed its capacity this step (Eq. S6).
inline constexpr std::uint32_t kCustomerBlockAdmission = 12;
enum CustomerWordAdmission : int {
  kAdmissionHigh = 0,  // Eq. S6: the priority key's high 32 bits
  kAdmissionLow = 1,   // and its low 32 bits
};

// Purpose::Customer, block 13: [incidents] (docs/MODEL.md 7.26), computed only when incidents.enabled is on,
// for a customer served by a live firm this step.
inline constexpr std::uint32_t kCustomerBlockIncident = 13;
enum CustomerWordIncident : int {
  kIncident = 0,  // Eq. F1: does the customer meet a service failure this step
};

// Purpose::Firm blocks, each for one mechanism.
inline constexpr std::uint32_t kFirmDiscovery = 0;   // M9 Eq. 45, word 0
inline constexpr std::uint32_t kFirmAdaptation = 1;  // M13 Eq. 55-56
inline constexpr std::uint32_t kFirmShock = 2;       // M10 Eq. 49, words 0-1 (Box-Muller)
enum FirmAdaptationWord : int { kAdapt = 0, kRival = 1, kAccept = 2 };

// Purpose::Entry, block 0.
inline constexpr std::uint32_t kEntryBlock = 0;
enum EntryWord : int { kEnter = 0, kEntrantStrategy = 1 };

// Customer trait bits (Eq. 2).
inline constexpr std::uint8_t kSegmentMask = 0x0F;   // bits 0-3: segment index
inline constexpr std::uint8_t kValuesDriven = 0x80;  // bit 7: weighs a firm's values

}  // namespace missionsim::draw
