// Phase 2: the customer pass (parallel over customers). docs/MODEL.md 3,
// row 2: customer i reads other customers only through firm_prev and
// voice_prev (the end of t-1) and writes only its own entries and
// firm_next[i], voice_next[i]; per-firm sums are a deterministic reduction.
#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>
#include <tbb/partitioner.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>

#include "core/mechanisms/adoption.hpp"
#include "core/mechanisms/choice.hpp"
#include "core/mechanisms/customer_context.hpp"
#include "core/mechanisms/experience.hpp"
#include "core/mechanisms/incidents.hpp"
#include "core/mechanisms/success.hpp"
#include "core/mechanisms/word_of_mouth.hpp"
#include "core/phases/customer_run.hpp"
#include "core/phases/marketing_run.hpp"
#include "core/prefetch.hpp"
#include "core/state.hpp"

namespace missionsim {

namespace {

// The sums of a run of customers that every adopter adds to, held in locals for the run (Pass::run): held
// in PassStats, each addition was a load and a store of its own (a store through the customers' int8
// arrays may alias them), one chain through memory over all adopters. Added in the same order, so the
// same bits.
struct RunSums {
  FirmTally* firm;  // PassStats::firm's entries
  double sum_disconfirmation;
  std::int64_t non_buyers;
};

// Eq. 57 inputs: what customer i's experience of f0 adds to the per-firm sums.
void tally(RunSums& sums, std::uint16_t f0, const mech::Experience& e, double succ, std::int8_t voice,
           double effort) {
  FirmTally& t = sums.firm[f0];
  t.experienced += 1;
  t.sum_sat += e.satisfaction;
  t.sum_succ += succ;
  t.promoters += voice > 0;
  t.detractors += voice < 0;
  t.contribution += effort * succ;
  sums.sum_disconfirmation += e.disconfirmation;
}

// The switchable mechanisms of an adopter's experience that most scenarios leave off, out of line so that
// experience_of stays small enough to be inlined into the pass's loop over adopters.
[[gnu::noinline, gnu::cold]] double personal_performance_of(const mech::CustomerContext& c, std::uint32_t i,
                                                            std::uint16_t f0) {
  return mech::personal_performance(*c.needs, c.p->needs, c.p->service_weight, *c.rng, i,
                                    c.traits[i] & draw::kSegmentMask, f0);  // Eq. B2-B4
}
[[gnu::noinline, gnu::cold]] void incident_of(const mech::CustomerContext& c, std::uint32_t i, const Offer& o,
                                              mech::Experience& e) {
  mech::service_incident(c, i, o, e);  // Eq. F1-F2
}

// An adopter of live firm f0 (docs/MODEL.md 3, item 5) in parts, each run over all of a run's adopters in
// customer order (Pass::run): experience and success, which read and write only the customer's own entries,
// in three passes around their two exponentials (experience_start / progress_exponent, the exponentials,
// experience_of's ends), so that the exponentials of the run's adopters are independent calls one after
// another instead of links in each adopter's chain of arithmetic; then voice, the per-firm sums and the
// hazard of reconsideration, and for the few whom it sends to choose again, their exit or choice (Pass::run).
// The same operations on the same values as one adopter at a time: the results are the same bits.
struct Experienced {
  mech::Experience e;
  double succ;  // success after this step (Eq. 26)
  double x;     // experience value (Eq. 28)
};
struct ExperienceStarted {
  double disconfirmation;
  float satisfaction_exp, success_exp;  // the exponents, then their exponentials
};
[[gnu::always_inline]] inline ExperienceStarted experience_start_of(const mech::CustomerContext& c,
                                                                    std::uint32_t i, std::uint16_t f0) {
  const Offer& o = c.off[f0];
  const double P = c.needs ? personal_performance_of(c, i, f0) : o.performance;  // Eq. B2-B4
  const mech::ExperienceStart s = mech::experience_start(c, i, P);               // M3, Eq. 20
  return {s.disconfirmation, s.exponent, c.success_on ? mech::progress_exponent(c, i, o) : 0.0f};  // Eq. 25
}
[[gnu::always_inline]] inline Experienced experience_of(const mech::CustomerContext& c, std::uint32_t i,
                                                        std::uint16_t f0, const ExperienceStarted& s) {
  mech::Experience e = mech::experience_end(c, i, s.disconfirmation, s.satisfaction_exp);  // Eq. 21
  if (c.p->incidents.enabled) incident_of(c, i, c.off[f0], e);                             // Eq. F1-F2
  const double succ = mech::progress_end(c, i, s.success_exp);                             // M4, Eq. 26
  const double s_x = mech::compare_success(c, i, succ);  // Eq. C1, C3, C8 (succ unless judged)
  return {e, succ, mech::experience_value(mech::success_weight_of(c, i), e.satisfaction, s_x)};  // Eq. 28
}
// A customer's price sensitivity and values weight (0 unless values-driven), from its segment.
struct SegmentWeights {
  double ps, vw;
};
// The weights of every traits byte (segment in the low bits, the values-driven flag), made once per step,
// so that a customer's pair is one load by its traits byte. Bytes whose segment does not exist (no
// customer has them) get zeros.
std::array<SegmentWeights, 256> weights_by_traits(const double* seg_ps, const double* seg_vw,
                                                  std::size_t segments) {
  std::array<SegmentWeights, 256> t{};
  for (int b = 0; b < 256; ++b) {
    const std::size_t seg = b & draw::kSegmentMask;
    if (seg < segments) t[b] = {seg_ps[seg], (b & draw::kValuesDriven) ? seg_vw[seg] : 0.0};
  }
  return t;
}

// Customers whose block-0 draws are made together and whose steps go phase by phase (Pass::run).
constexpr std::uint32_t kRun = 64;
// Neighbours within this many places of a run are near (Pass::prepare): the reach of the one-byte
// column deltas (Columns::Packed8) and far more than a small world's ring (mean degree / 2 each side).
constexpr std::uint32_t kNearWindow = 64;

// tbb::parallel_deterministic_reduce body: one PassStats per leaf, joined in a fixed tree.
struct Pass {
  const mech::CustomerContext& ctx;
  std::uint64_t talk_bound;  // Eq. 33: Rng::unit(x) < talk probability <=> x < talk_bound
  // [F + 1]: 1 for a live firm slot; entry F (where kNoFirm is clamped to) is 0.
  const std::uint8_t* held;
  const SegmentWeights* weights;          // [256] by traits byte (weights_by_traits)
  const marketing::StepTables* noticing;  // Eq. 12 over a run (marketing_run.hpp)
  bool counting;                          // Simulation::count_work: PassStats' WorkCounts
  bool dead_held;                         // some customer may hold a firm that is not alive (dead_firm_held)
  PassStats st;
  Pass(const mech::CustomerContext& c, std::uint64_t talk_bound, const std::uint8_t* held,
       const SegmentWeights* weights, const marketing::StepTables* noticing, bool counting, bool dead_held,
       std::size_t F)
      : ctx(c),
        talk_bound(talk_bound),
        held(held),
        weights(weights),
        noticing(noticing),
        counting(counting),
        dead_held(dead_held),
        st(F) {}
  Pass(Pass& b, tbb::split)
      : ctx(b.ctx),
        talk_bound(b.talk_bound),
        held(b.held),
        weights(b.weights),
        noticing(b.noticing),
        counting(b.counting),
        dead_held(b.dead_held),
        st(b.st.firm.size()) {}
  void join(Pass& o) { st.join(o.st); }
  void operator()(const tbb::blocked_range<std::uint32_t>& r) {
    // Local copies of the context and the generator key: stores through the customers' int8 arrays may
    // alias any non-local memory, so the compiler would otherwise reload them after every such store.
    const Rng rng = *ctx.rng;
    mech::CustomerContext c = ctx;
    c.rng = &rng;
    // A pipeline of two runs: while run r is stepped, run r + 1 is already prepared (its draws, its
    // talkers and the neighbours they will hear), so that the neighbours' firm_prev and voice_prev, which
    // lie anywhere in memory after rewiring, arrive during run r instead of stalling run r + 1.
    Ahead ahead[2];
    std::uint32_t first = r.begin();
    prepare(c, first, std::min<std::uint32_t>(kRun, r.end() - first), ahead[0]);
    for (int cur = 0; first < r.end(); first += kRun, cur ^= 1) {
      const std::uint32_t m = std::min<std::uint32_t>(kRun, r.end() - first);
      const std::uint32_t next = first + m < r.end() ? std::min<std::uint32_t>(kRun, r.end() - first - m) : 0;
      if (next > 0) prepare(c, first + m, next, ahead[cur ^ 1]);
      run(c, first, m, ahead[cur], next);
    }
  }

  // What a run needs before its customers' steps begin: block 0 of Purpose::Customer for each customer,
  // made with SIMD across the run (philox_batch.hpp; the same words as one Rng::words per customer),
  // the degrees, the customers who talk (converse's own test, which converse repeats) and the neighbour
  // each talker will hear (converse's choice, made the same way there).
  struct Ahead {
    alignas(64) std::uint32_t w[4][kRun];
    std::uint32_t degree[kRun];
    std::uint32_t heard_from[kRun];
    std::uint64_t talkers;
  };

  // Asks for the cache lines of the run's own entries in the arrays its steps read or write (a run later).
  // The hardware's stream prefetchers would fetch them, but the scattered reads of rewired neighbours
  // (prepare) keep them from running ahead: on bench-1m (1 thread, stepping) this and prefetch_rows' kept
  // fetches took 27.7 to 33.7 M customer-steps/s; on a ring lattice (rewire = 0) it gains nothing
  // (docs/PERFORMANCE.md, "Prefetching a run ahead"). Into the second-level cache only: the run reads them
  // a run later, and the first level's line-fill buffers stay free for the neighbours' lines, which the
  // next run reads first (three sets of 5 alternating rounds, stepping: 40.1 -> 41.7, 43.2 -> 43.6 and
  // 42.1 -> 42.3 M). firm_prev and voice_prev are left out: prepare fetches their lines with the near
  // neighbours'. In three parts of about a dozen lines each, in the order the run uses the arrays, asked
  // for at three places of the run before (Pass::run) instead of all forty in prepare: a burst of forty
  // filled the core's queue of misses, and the prefetch instructions waited for room (perf put 4-6% of a
  // step on them; bench-1m stepping 44.83 -> 46.27 M per CPU-second, 10 alternating rounds).
  static void prefetch_own(const mech::CustomerContext& c, std::uint32_t first, std::uint32_t m, int part) {
    auto lines = [&](const auto* p, std::size_t per) {
      fetch_lines<Cache::L2>(p + std::size_t{first} * per, p + (std::size_t{first} + m) * per);
    };
    if (part == 0) {  // conversations, marketing, decay
      lines(c.consider, c.K);
      lines(c.reputation, c.K);
    } else if (part == 1) {  // adoption, experience
      lines(c.adopted_neighbours, 1);
      lines(c.expectation, 1);
      lines(c.success, 1);
      lines(c.satisfaction, 1);
    } else {  // experience, reconsideration
      lines(c.difficulty, 1);
      lines(c.traits, 1);
      lines(c.effort, 1);
      lines(c.tenure, 1);
      lines(c.firm_next, 1);
      lines(c.voice_next, 1);
    }
  }

  // The customers of a mask, in customer order.
  template <class Body>
  static void each(std::uint64_t bits, Body&& body) {
    for (; bits != 0; bits &= bits - 1) body(static_cast<std::uint32_t>(std::countr_zero(bits)));
  }

  void prepare(const mech::CustomerContext& c, std::uint32_t first, std::uint32_t m, Ahead& a) {
    c.rng->words_run(Purpose::Customer, first, c.step, draw::kCustomerBlock0, m,
                     {{a.w[0], a.w[1], a.w[2], a.w[3]}});
    if (c.net->complete()) {
      std::fill_n(a.degree, m, c.net->size() - 1);
    } else {  // Network::degree without its completeness test per customer: a loop the compiler vectorises
      const std::uint32_t* off = c.net->offsets().data() + first;
      for (std::uint32_t k = 0; k < m; ++k) a.degree[k] = off[k + 1] - off[k];
    }
    a.talkers = mask_nonzero(a.degree, m) & mask_below(a.w[draw::kTalk], talk_bound, m);
    // The network rows of the run after this one, which its own look-ups will read: ahead of time, so
    // that those look-ups find them in cache.
    if (!c.net->complete() && first + m < c.net->size()) {
      c.net->prefetch_rows(first + m, std::min<std::uint32_t>(first + 2 * m, c.net->size()));
      // And what the next prepare's prefetch_rows and degrees will read to find theirs.
      if (first + 2 * m < c.net->size())
        c.net->prefetch_index(first + 2 * m, std::min<std::uint32_t>(first + 3 * m, c.net->size()));
    }
    // Each talker's neighbour is looked up once, here (converse_with hears it), and its firm_prev and
    // voice_prev are fetched, to be read a run later. Most neighbours are near (within kNearWindow
    // places, the ring of a small world): their lines are fetched once for the whole run, a few lines
    // of each array; only the others (the rewired tenth) one by one. A prefetch per talker and array,
    // near or not, took 29.6 M customer-steps/s on bench-1m where this takes 33.2 M (docs/PERFORMANCE.md,
    // "Prefetching a run ahead").
    const std::uint32_t n = c.net->size();
    const std::uint32_t lo = first > kNearWindow ? first - kNearWindow : 0;
    const std::uint32_t span = std::min(first + m + kNearWindow, n) - lo;
    fetch_lines(c.firm_prev + lo, c.firm_prev + lo + span);
    fetch_lines(c.voice_prev + lo, c.voice_prev + lo + span);
    c.net->with_layout([&](auto layout) {
      constexpr Columns L = decltype(layout)::value;
      if constexpr (L == Columns::Packed8) {
        // A near entry (j within kNear8 <= kNearWindow places of i) is j - i itself, within the window
        // whose lines were just asked for: taken without a branch on whether the entry is near, and
        // without a fetch. The far ones (a rewired tenth, each a guess the CPU got wrong) are looked up
        // and fetched in a loop of their own.
        static_assert(Network::kNear8 <= kNearWindow);
        std::uint64_t far = 0;
        each(a.talkers, [&](std::uint32_t k) {
          const int v = c.net->packed8_entry(first + k, Rng::index(a.w[draw::kNeighbour][k], a.degree[k]));
          a.heard_from[k] = first + k + static_cast<std::uint32_t>(v);
          far |= std::uint64_t{v < -Network::kNear8} << k;
        });
        each(far, [&](std::uint32_t k) {
          const std::uint32_t j =
              c.net->template neighbour_in<L>(first + k, Rng::index(a.w[draw::kNeighbour][k], a.degree[k]));
          a.heard_from[k] = j;
          fetch_line(c.firm_prev + j);
          fetch_line(c.voice_prev + j);
        });
      } else {
        each(a.talkers, [&](std::uint32_t k) {
          const std::uint32_t j =
              c.net->template neighbour_in<L>(first + k, Rng::index(a.w[draw::kNeighbour][k], a.degree[k]));
          a.heard_from[k] = j;
          const std::uint32_t at = j - lo < span ? first : j;  // a near one's lines are on their way
          fetch_line(c.firm_prev + at);
          fetch_line(c.voice_prev + at);
        });
      }
    });
    if (counting) {  // a loop of its own: counted in the loop above, the count cost 2% of a step
      std::int64_t far = 0;
      each(a.talkers, [&](std::uint32_t k) { far += a.heard_from[k] - lo >= span; });
      st.far_neighbour_reads += far;
    }
  }

  // The steps of customers first .. first + m - 1 (m <= kRun), prepared in a, in the order of
  // docs/MODEL.md 3 for each customer: conversation (Eq. 33-34), marketing (Eq. 12), reputation decay
  // (Eq. 35), then adoption (Eq. 13-14) or experience and reconsideration (experience_of, Eq. 29-32).
  // A customer's step reads and writes only its own entries (and firm_prev, voice_prev of others), so the run
  // goes phase by phase: each phase visits only the customers it concerns, from masks made without branches,
  // so that the outcome of one customer's draws (talks?, notices?, adopter?) does not steer a branch the CPU
  // must guess. Every customer's own sequence and every sum's order (customer order) are unchanged, so the
  // results are the same bits as one customer_step after another.
  // next: the size of the run after this one in the leaf (0: none), whose own lines this run fetches in
  // parts (prefetch_own).
  void run(const mech::CustomerContext& c, std::uint32_t first, std::uint32_t m, const Ahead& a,
           std::uint32_t next) {
    const auto& w = a.w;
    const std::uint32_t* degree = a.degree;
    auto words = [&](std::uint32_t k) {
      return std::array<std::uint32_t, 4>{w[0][k], w[1][k], w[2][k], w[3][k]};
    };
    std::int8_t heard[kRun] = {};
    std::uint64_t heard_any = 0;  // bit k: heard[k] != 0

    if (next > 0) prefetch_own(c, first + m, next, 0);

    // M7, Eq. 33-34: the talkers converse with the neighbours prepare chose.
    // converse_with draws block 1 only for a talker whose neighbour has a voice and a live firm; those
    // talkers' blocks are made first, in a loop of their own, so that one talker's Philox rounds overlap
    // the next one's instead of waiting behind the branches of a conversation.
    std::uint64_t vocal = 0;
    std::int64_t block1 = 0;  // WorkCounts::customer_block1
    each(a.talkers, [&](std::uint32_t k) {
      const std::uint32_t j = a.heard_from[k];
      const bool heard_of =
          (c.voice_prev[j] != 0) & (held[std::min<std::uint32_t>(c.firm_prev[j], c.n_firms)] != 0);
      vocal |= std::uint64_t{heard_of} << k;
    });
    std::array<std::uint32_t, 4> w1[kRun];
    if (counting) block1 += std::popcount(vocal);  // converse_with draws block 1 for these talkers only
    if (!c.success_expectation) {
      // Without part C a talker hears nothing from any other neighbour (converse_with's first test), and
      // a vocal one hears a referral from a promoter with probability refer_prob, a warning from a
      // detractor with warn_prob (converse_with's tests on the same word): worked out without a branch
      // on the voice or the draw as each block is made, then each referral and each warning heard
      // (hear with converse_with's deltas). A customer hears at most once and changes only its own
      // slots, so the order among customers is free.
      const double refer_prob = c.p->refer_prob, warn_prob = c.p->warn_prob;
      std::uint64_t refer = 0, warn = 0;
      each(vocal, [&](std::uint32_t k) {
        w1[k] = c.rng->words(Purpose::Customer, first + k, c.step, draw::kCustomerBlock1);
        const std::int8_t vj = c.voice_prev[a.heard_from[k]];
        const double u = Rng::unit(w1[k][draw::kReferWarn]);
        refer |= static_cast<std::uint64_t>((vj > 0) & (u < refer_prob)) << k;
        warn |= static_cast<std::uint64_t>((vj < 0) & (u < warn_prob)) << k;
      });
      each(refer, [&](std::uint32_t k) {
        mech::hear(c, first + k, c.firm_prev[a.heard_from[k]], static_cast<int>(kRepUnit));
        heard[k] = 1;
      });
      each(warn, [&](std::uint32_t k) {
        mech::hear(c, first + k, c.firm_prev[a.heard_from[k]], -static_cast<int>(kRepUnit));
        heard[k] = -1;
      });
      heard_any = refer | warn;
    } else {
      each(vocal, [&](std::uint32_t k) {
        w1[k] = c.rng->words(Purpose::Customer, first + k, c.step, draw::kCustomerBlock1);
      });
      each(a.talkers, [&](std::uint32_t k) {
        mech::CustomerDraws d = (vocal >> k & 1)
                                    ? mech::CustomerDraws(*c.rng, first + k, c.step, words(k), w1[k])
                                    : mech::CustomerDraws(*c.rng, first + k, c.step, words(k));
        heard[k] = static_cast<std::int8_t>(mech::converse_with(c, first + k, a.heard_from[k], d));
        heard_any |= std::uint64_t{heard[k] != 0} << k;
      });
    }

    if (next > 0) prefetch_own(c, first + m, next, 1);

    // M1, Eq. 12: the customers whom marketing reaches (notice_marketing's own test, repeated there).
    if (c.reach_total > 0) {
      const double scale = std::max(1.0, c.reach_total);
      std::uint64_t reached = 0;
      if (scale == 1.0) {  // u * 1 < reach_total <=> x < unit_bound(reach_total)
        reached = mask_below(w[draw::kAwareness], Rng::unit_bound(c.reach_total), m);
      } else {
        for (std::uint32_t k = 0; k < m; ++k)
          reached |= static_cast<std::uint64_t>(Rng::unit(w[draw::kAwareness][k]) * scale < c.reach_total)
                     << k;
      }
      // Each reached customer's notice_marketing, with SIMD across the run where the step allows.
      marketing::notice_run(c, *noticing, first, m, w[draw::kAwareness], reached);
    }

    // M7, Eq. 35: the run's reputations are contiguous ([n K]).
    if (c.keep < 256)
      decay_run(c.reputation + static_cast<std::size_t>(first) * c.K, std::size_t{m} * c.K, c.keep);

    if (next > 0) prefetch_own(c, first + m, next, 2);

    // Customers without a (live) firm, then adopters, each in customer order. A firm released by a
    // bankruptcy counts as none (the held table; settle_accounts releases such customers, so this is rare).
    const std::uint16_t* prev = c.firm_prev + first;
    std::uint64_t none = mask_equal(prev, kNoFirm, m);
    std::uint64_t holding = ~none & run_bits(m);
    if (dead_held) {  // a step on which no customer holds a dead firm (nearly all) skips the look-ups
      each(holding, [&](std::uint32_t k) {
        if (!held[std::min<std::uint32_t>(prev[k], c.n_firms)]) {
          holding &= ~(std::uint64_t{1} << k);
          none |= std::uint64_t{1} << k;
        }
      });
    }
    // Non-adopters: adopt returns kNoFirm, changing nothing, for all but the few that pass its hazard test.
    // Those are found first without a branch per customer: the words at or above the adoption ceiling
    // (for those who heard nothing) by SIMD compares, then the hazard of the rest.
    RunSums sums{st.firm.data(), st.sum_disconfirmation, st.non_buyers};
    std::uint64_t adopting = 0;
    each(none & (mask_below(w[draw::kHazard], c.adoption_ceiling.below(), m) | heard_any),
         [&](std::uint32_t k) {
           const bool pass = mech::passes_hazard(c, first + k, degree[k], w[draw::kHazard][k], heard[k]);
           adopting |= std::uint64_t{pass} << k;
         });
    // No voice and no firm next step, for the whole run at once (vector stores): what a customer without a
    // firm keeps; the adopters and the customers who adopt overwrite theirs below.
    std::fill_n(c.voice_next + first, m, std::int8_t{0});
    std::fill_n(c.firm_next + first, m, kNoFirm);
    each(adopting, [&](std::uint32_t k) {
      const std::uint32_t i = first + k;
      const auto [ps, vw] = weights[c.traits[i]];
      mech::CustomerDraws d(*c.rng, i, c.step, words(k));
      bool outside = false;
      const std::uint16_t f1 =
          mech::adopt(c, i, degree[k], ps, vw, d, heard[k], &outside);  // M1, Eq. 13-14, A1-A4, C5-C6
      sums.non_buyers += outside;
      if (counting) block1 += d.has_block1();
      c.firm_next[i] = f1;
      if (f1 != kNoFirm) sums.firm[f1].count_end += 1;
    });
    // The adopters' experience (experience_start_of, experience_of): the exponentials of Eq. 21 and 26 in
    // loops of their own.
    std::uint8_t adopter[kRun];
    ExperienceStarted started[kRun];
    std::uint32_t adopters = 0;
    each(holding, [&](std::uint32_t k) {
      adopter[adopters] = static_cast<std::uint8_t>(k);
      started[adopters++] = experience_start_of(c, first + k, prev[k]);
    });
    for (std::uint32_t a = 0; a < adopters; ++a)
      started[a].satisfaction_exp = std::exp(started[a].satisfaction_exp);
    if (c.success_on)
      for (std::uint32_t a = 0; a < adopters; ++a) started[a].success_exp = std::exp(started[a].success_exp);
    Experienced served[kRun];
    for (std::uint32_t a = 0; a < adopters; ++a) {
      const std::uint32_t k = adopter[a];
      served[k] = experience_of(c, first + k, prev[k], started[a]);
    }

    // Sums over every customer, in customer order, of values final by now (reconsideration changes none
    // of them): here, one long chain of dependent additions overlaps the reconsiderations that follow.
    double sum_e = st.sum_expectation;
    for (std::uint32_t k = 0; k < m; ++k) sum_e += c.expectation[first + k];
    st.sum_expectation = sum_e;
    if (c.success_expectation) {
      for (std::uint32_t k = 0; k < m; ++k) {
        st.sum_success_expectation += c.success_expectation[first + k];
        st.sum_success_weight += c.success_weight[first + k];
      }
    }
    // M6 (Eq. 29-32) in two loops: every adopter's voice, per-firm sums and hazard test without a branch
    // on the draw, keeping its firm for now; then the few whose hazard fired exit or choose again
    // (reconsider_choice), undoing what keeping the firm did where they leave it. Per customer the same
    // operations as reconsider; the sums in the same order.
    std::uint64_t reconsidering = 0;
    each(holding, [&](std::uint32_t k) {
      const std::uint32_t i = first + k;
      const std::uint16_t f0 = prev[k];
      const Experienced& x = served[k];
      const std::int8_t voice = mech::voice(x.x);  // Eq. 32
      tally(sums, f0, x.e, x.succ, voice, mech::kEffortShare[c.effort[i]]);
      c.voice_next[i] = voice;
      reconsidering |= static_cast<std::uint64_t>(mech::reconsiders(c, x.x, w[draw::kHazard][k])) << k;
      c.tenure[i] += c.tenure[i] < 0xFFFF;
      c.firm_next[i] = f0;
      sums.firm[f0].count_end += 1;
    });
    each(reconsidering, [&](std::uint32_t k) {
      const std::uint32_t i = first + k;
      const std::uint16_t f0 = prev[k];
      const auto [ps, vw] = weights[c.traits[i]];
      mech::CustomerDraws d(*c.rng, i, c.step, words(k));
      bool outside = false;
      const std::uint16_t f1 = mech::reconsider_choice(c, i, f0, ps, vw, d, &outside);  // Eq. 29-31, A1
      sums.non_buyers += outside;
      if (counting) block1 += d.has_block1();
      if (f1 == f0) return;
      sums.firm[f0].left += 1;
      sums.firm[f0].count_end -= 1;
      c.tenure[i] = 0;
      c.voice_next[i] = 0;
      c.firm_next[i] = f1;
      if (f1 != kNoFirm) {
        mech::hear(c, i, f1, 0);
        sums.firm[f1].count_end += 1;
      }
    });
    st.sum_disconfirmation = sums.sum_disconfirmation;
    st.n_disconfirmation += adopters;  // one tally per adopter
    st.non_buyers = sums.non_buyers;
    st.customer_block1 += block1;
  }
};

}  // namespace

void Simulation::Impl::customer_pass(PassStats& stats) {
  std::vector<double> seg_ps, seg_vw, seg_wtp;
  std::vector<std::uint8_t> seg_client;
  for (const auto& s : p.segments) {
    seg_ps.push_back(s.price_sensitivity);
    seg_vw.push_back(s.values_weight);
    seg_wtp.push_back(s.reservation_price);
    seg_client.push_back(s.nonprofit_client ? 1 : 0);
  }
  std::vector<std::uint16_t> live;
  for (std::size_t f = 0; f < firms.size(); ++f)
    if (m.offers[f].alive) live.push_back(static_cast<std::uint16_t>(f));

  const int keep = mech::reputation_keep(p.reputation_decay);
  const auto decayed = mech::decay_table(keep);
  const mech::CustomerContext ctx{
      c.firm_prev.data(),
      c.firm_next.data(),
      c.voice_prev.data(),
      c.voice_next.data(),
      c.expectation.data(),
      c.satisfaction.data(),
      c.success.data(),
      c.difficulty.data(),
      c.effort.data(),
      c.traits.data(),
      c.tenure.data(),
      c.consider.data(),
      c.reputation.data(),
      c.adopted_neighbours.data(),
      K,
      &net,
      m.offers.data(),
      live.data(),
      static_cast<std::uint32_t>(live.size()),
      m.reach_cum.data(),
      static_cast<std::uint32_t>(m.reach_cum.size()),
      m.reach_total,
      m.p_eff,
      static_cast<double>(m.adopters) / static_cast<double>(n),  // N/M of the Bass recursion
      m.w_success,
      mech::talk_probability(p.talk_rate, m.amp),
      keep,
      decayed.data(),
      seg_ps.data(),
      seg_vw.data(),
      &p,
      success_on,
      &rng,
      static_cast<std::uint32_t>(t),
      p.needs.heterogeneous ? &m.needs : nullptr,
      seg_wtp.data()};
  mech::CustomerContext ctx_c = ctx;
  if (success_expectations_on()) {  // part C, Eq. C1-C4
    c.success_seen.assign(c.success.begin(), c.success.end());
    ctx_c.success_expectation = c.success_expectation.data();
    ctx_c.success_weight = c.success_weight.data();
    ctx_c.success_seen = c.success_seen.data();
  }
  std::vector<std::uint16_t> referral;
  if (p.nonprofit_clients) {  // Eq. S6
    for (std::uint16_t f : live)
      if (m.offers[f].clients_only) referral.push_back(f);
    ctx_c.seg_client = seg_client.data();
    ctx_c.referral = referral.data();
    ctx_c.n_referral = static_cast<std::uint32_t>(referral.size());
  }
  mech::AdoptionTables adoption_tables;  // Eq. 12-13 shortcuts of this step (same outcomes)
  adoption_tables.attach(ctx_c);
  std::vector<std::uint8_t> held(firms.size() + 1, 0);
  for (std::size_t f = 0; f < firms.size(); ++f) held[f] = m.offers[f].alive ? 1 : 0;
  const auto weights = weights_by_traits(seg_ps.data(), seg_vw.data(), seg_ps.size());
  marketing::StepTables noticing;  // after attach: the SIMD paths need the awareness table
  noticing.build(ctx_c);
  Pass pass(ctx_c, Rng::unit_bound(mech::talk_probability(p.talk_rate, m.amp)), held.data(), weights.data(),
            &noticing, count_work, dead_firm_held(), firms.size());
  tbb::parallel_deterministic_reduce(tbb::blocked_range<std::uint32_t>(0, n, kGrain), pass,
                                     tbb::simple_partitioner());
  stats = std::move(pass.st);
}

}  // namespace missionsim
