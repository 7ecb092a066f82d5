// The scenario key registry (see registry.hpp). Ranges, units and meanings
// follow the trailing comments of core/params.hpp; M-numbers and equations
// refer to docs/MODEL.md.
#include "scenario/registry.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <type_traits>

namespace missionsim::scenario {

namespace {

// One row per key. MEMBER is a path below the owner (e.g. era.t0); its text
// goes into the docs as the C++ name.
#define MS_FIELD(OWNER, KEY, MEMBER, RANGE, UNIT, DOC, ...)                                     \
  Field<OWNER> {                                                                                \
    KEY, #MEMBER, [](OWNER& o) -> ValueRef { return &o.MEMBER; }, RANGE, UNIT, DOC, __VA_ARGS__ \
  }
#define P(KEY, MEMBER, RANGE, UNIT, DOC) MS_FIELD(Params, KEY, MEMBER, RANGE, UNIT, DOC, 0)
#define MECH(KEY, DOC) P(#KEY, mechanisms.KEY, unbounded(), "", DOC)

constexpr double kSeedMax = 9223372036854775807.0;  // TOML integers are int64
constexpr Range kRateRange{0.0, 1.0, true, false};  // (0, 1]: a rate of 0 would freeze a stock

// The two schedules share their keys; only their meaning and ranges differ.
#define SCHEDULE(S, LEVEL_RANGE, LEVEL_UNIT)                                                            \
  P("kind", S.kind, unbounded(), "",                                                                    \
    "time path: constant (start), linear (start to end over t0..t1), logistic (midpoint t0, steepness " \
    "rate), "                                                                                           \
    "step (end from t0 on), endogenous (era only: follows what customers value, speed rate)"),          \
      P("start", S.start, LEVEL_RANGE, LEVEL_UNIT, "value before the change"),                          \
      P("end", S.end, LEVEL_RANGE, LEVEL_UNIT, "value after the change"),                               \
      P("t0", S.t0, closed(0, 1e6), "step",                                                             \
        "step where the change starts (linear, step) or its midpoint (logistic)"),                      \
      P("t1", S.t1, closed(0, 1e6), "step",                                                             \
        "step where a linear change ends; >= t0 when kind = \"linear\""),                               \
      P("rate", S.rate, positive(), "1/step",                                                           \
        "logistic steepness, or endogenous adjustment speed (<= 1 when endogenous)")

std::vector<Section> make_sections() {
  return {
      {"run",
       "Identification and length of the run.",
       {
           P("name", name, unbounded(), "", "scenario name, written into the output"),
           P("steps", steps, closed(1, 100000), "step", "number of steps (months) to simulate"),
           P("seed", seed, closed(0, kSeedMax), "", "master seed of the counter-based random generator"),
       }},
      {"mechanisms",
       "Switches for the mechanisms of docs/MODEL.md; each can be turned off to isolate the others.",
       {
           MECH(adoption, "M1 Bass adoption"),
           MECH(kano, "M2 Kano attribute lifecycle (maturity moves)"),
           MECH(expectations, "M3 adaptive expectations (E moves)"),
           MECH(success, "M4 customer success and co-creation"),
           MECH(era, "M5 era shift (w follows its schedule; off: w = era.start)"),
           MECH(churn, "M6 reconsideration and switching of adopters"),
           MECH(word_of_mouth, "M7 referrals and warnings over the network"),
           MECH(economics, "M8 bankruptcy and entry (accounting always runs)"),
           MECH(innovation, "M9 R&D and imitation"),
           MECH(employees, "M10 engagement dynamics"),
           MECH(social, "M11 embedded impact, philanthropy, harm"),
           MECH(society, "M12 grants to nonprofits"),
           MECH(adaptation, "M13 strategy imitation between firms"),
       }},
      {"customers",
       "The customer population. Segments are given as [[customers.segments]] (below).",
       {
           P("count", customers, closed(1, 1e8), "customers", "population size"),
           P("initial_adopted", initial_adopted, closed(0, 1), "", "fraction already customers at t = 0"),
           P("initial_expectation", initial_expectation, closed(0, 1), "",
             "mean expectation E at t = 0 (M3)"),
           P("expectation_spread", expectation_spread, closed(0, 1), "",
             "width of the uniform spread of E around its mean at t = 0 (clamped to [0, 1])"),
           P("consideration_size", consideration_size, closed(1, 8), "firms",
             "firms a customer can hold in mind (all live firms when choice.full_awareness)"),
       }},
      {"network",
       "The social network word of mouth travels over (M7).",
       {
           P("kind", network.kind, unbounded(), "", "network model"),
           P("mean_degree", network.mean_degree, closed(2, 1000), "neighbours",
             "mean number of neighbours; an even integer for watts-strogatz; < customers.count; ignored by "
             "complete"),
           P("rewire", network.rewire, closed(0, 1), "", "Watts-Strogatz rewiring probability"),
       }},
      {"market",
       "Product attributes and their Kano lifecycle (M2).",
       {
           P("attributes", attributes, closed(1, 32), "", "attributes offered at start"),
           P("latent_attributes", latent_attributes, closed(0, 32), "",
             "attributes discoverable by R&D (M9); attributes + latent_attributes <= 32"),
           P("kano_beta", kano_beta, closed(0, 100), "",
             "weight beta_a of an attribute discovered by R&D in the Kano value; original attributes weigh 1 "
             "(M2, M9)"),
           P("initial_maturity", initial_maturity, closed(0, 1), "",
             "Kano maturity of offered attributes at t = 0"),
           P("maturity_rate", maturity_rate, closed(0, 1), "1/step",
             "smoothing of maturity toward coverage (M2)"),
           P("initial_capability", initial_capability, closed(0, 1), "",
             "mean firm capability on offered attributes"),
           P("capability_spread", capability_spread, closed(0, 1), "",
             "uniform +- spread of initial capabilities"),
           P("kano_respondents", kano_respondents, closed(0, 100000), "respondents",
             "panel size of the virtual Kano questionnaire (/market/kano_better, kano_worse); 0 turns it "
             "off"),
           P("kano_noise", kano_noise, closed(0, 0.24), "",
             "half-width of a respondent's uniform taste noise on the felt Kano value (below the 0.25 answer "
             "threshold)"),
       }},
      {"needs",
       "Model v2 demand side, part B (docs/MODEL.md 7.19): asymmetric Kano value and heterogeneous needs; "
       "both off by default (v1).",
       {
           P("kano_asymmetric", needs.kano_asymmetric, unbounded(), "",
             "Eq. B1: asymmetric Kano value, reward 2(1 - m) for capability above the maturity m, penalty 2m "
             "below it (attractive -> one-dimensional -> must-be as m rises)"),
           P("heterogeneous", needs.heterogeneous, unbounded(), "",
             "Eq. B2-B4: each customer's performance from segment importance weights, an individual taste "
             "per attribute and an individual fit with each firm"),
           P("segment_contrast", needs.segment_contrast, closed(0, 1), "",
             "segment importance weight of an attribute: 1 + contrast * (2u - 1), u drawn per segment and "
             "attribute (Eq. B2)"),
           P("taste_spread", needs.taste_spread, closed(0, 1), "",
             "customer importance multiplier of an attribute: 1 + spread * (2u - 1) (Eq. B2)"),
           P("fit_spread", needs.fit_spread, closed(0, 1), "",
             "standard deviation of a customer's fit with a firm's product, added to its value (Eq. B3)"),
       }},
      {"adoption",
       "Bass adoption (M1).",
       {
           P("p", bass_p, closed(0, 1), "1/step", "innovation coefficient (Sultan, Farley & Lehmann 1990)"),
           P("q", bass_q, closed(0, 1), "1/step", "imitation coefficient"),
           P("marketing_lift", marketing_lift, closed(0, 10), "",
             "extra innovation per unit of marketing reach (M1)"),
           P("contact_cost", contact_cost, positive(), "money/contact",
             "marketing spend that reaches one customer once"),
       }},
      {"expectations",
       "Adaptive expectations and satisfaction (M3).",
       {
           P("lambda", expectation_lambda, closed(0, 1), "1/step",
             "adaptation speed lambda of expectations (M3)"),
           P("satisfaction_bias", satisfaction_bias, closed(-20, 20), "",
             "satisfaction intercept: S = logistic(bias) when P = E = 0.5 (M3)"),
           P("disconfirmation_gain", disconfirmation_gain, closed(0, 100), "",
             "satisfaction slope on P - E (M3)"),
           P("performance_gain", performance_gain, closed(0, 100), "", "satisfaction slope on P (M3)"),
           P("service_weight", service_weight, closed(0, 1), "",
             "weight of service quality in performance P (M3, M10)"),
       }},
      {"success",
       "Customer success and co-creation (M4).",
       {
           P("smoothing", success_smoothing, closed(0, 1), "1/step",
             "speed at which realised success follows the flow (M4)"),
           P("enablement_scale", enablement_scale, positive(), "money/customer",
             "enablement spend per customer giving half the effect"),
           P("effort_weight", effort_weight, closed(0, 10), "",
             "contribution of own effort to progress (M4)"),
           P("cocreation_rate", cocreation_rate, closed(0, 10), "",
             "platform value created per contributing customer"),
           P("cocreation_decay", cocreation_decay, closed(0, 1), "1/step", "decay of the co-creation stock"),
       }},
      {"era",
       "Era shift (M5): the weight w(t) customers put on success rather than satisfaction.",
       {SCHEDULE(era, closed(0, 1), "")}},
      {"amplification",
       "Social-media amplification a(t) of word of mouth (a schedule like era; endogenous not allowed).",
       {SCHEDULE(amplification, closed(0, 100), "")}},
      {"choice",
       "Reconsideration, switching and firm choice (M6).",
       {
           P("logit_scale", logit_scale, positive(), "",
             "mu, the scale of the logit choice among firms (M6); <= 5e4 x the mean price_sensitivity when a "
             "firm prices by profit-max"),
           P("switching_cost", switching_cost, closed(0, 10), "utility", "utility bonus of the incumbent"),
           P("churn_base", churn_base, closed(0, 1), "1/step",
             "reconsideration hazard of a satisfied customer"),
           P("churn_dissatisfaction", churn_dissatisfaction, closed(0, 1), "1/step",
             "extra hazard per unit of shortfall 1 - x of the experience value x"),
           P("exit_share", exit_share, closed(0, 1), "",
             "share of reconsidering customers who leave the category instead of choosing"),
           P("reputation_weight", reputation_weight, closed(0, 10), "utility",
             "utility per unit of heard reputation"),
           P("full_awareness", full_awareness, unbounded(), "", "every customer knows every live firm"),
           P("incumbent_by_experience", incumbent_by_experience, unbounded(), "",
             "incumbent judged by own S and s (otherwise by reputation like the others)"),
       }},
      {"word_of_mouth",
       "Referrals and warnings over the network (M7).",
       {
           P("talk_rate", talk_rate, closed(0, 1), "1/step",
             "chance per step of a conversation with one neighbour"),
           P("refer_prob", refer_prob, closed(0, 1), "",
             "promoters who actually refer (Kumar et al. 2007: 30-33%)"),
           P("warn_prob", warn_prob, closed(0, 1), "", "detractors who warn"),
           P("reputation_decay", reputation_decay, closed(0, 1), "1/step", "decay of heard reputation"),
       }},
      {"success_expectations",
       "Success expectations and the emergent era (model v2 part C, Eq. C1-C4); off: v1.",
       {
           P("enabled", success_expectations.enabled, unbounded(), "",
             "customers hold a success expectation and their own success weight (replaces the [era] "
             "schedule as the weight customers use)"),
           P("own_rate", success_expectations.own_rate, closed(0, 1), "1/step",
             "speed of the success expectation toward own success (Eq. C1)"),
           P("story_rate", success_expectations.story_rate, closed(0, 1), "1/story",
             "speed of the success expectation toward a neighbour's success heard in a conversation (Eq. "
             "C2)"),
           P("ratchet_rate", success_expectations.ratchet_rate, closed(0, 100), "1/step",
             "rise of the success weight per unit of gap between expected and own success beyond the "
             "tolerance (Eq. C3)"),
           P("tolerance", success_expectations.tolerance, closed(0, 1), "",
             "zone of tolerance: a gap up to this leaves the success weight unchanged (Eq. C3)"),
           P("initial", success_expectations.initial, closed(0, 1), "", "success expectation at t = 0"),
           P("adjust_stories", success_expectations.adjust_stories, unbounded(), "",
             "a heard story counts as what the neighbour's provider would achieve for the listener: the "
             "neighbour's success translated to the listener's goal difficulty and own effort (Eq. C2', C7)"),
           P("onboarding", success_expectations.onboarding, closed(0, 1000), "steps",
             "steps with a provider before the gap ratchets the success weight: a customer still in its "
             "provider's onboarding does not yet judge its success (Eq. C3'); 0: from the first step"),
           P("judged", success_expectations.judged, unbounded(), "",
             "success enters the experience value (voice, reconsideration) as a satisfaction with success "
             "judged against the success expectation, in Eq. 21's form (Eq. C8)"),
       }},
      {"wom_content",
       "Word of mouth that drives adoption (model v2 part C, Eq. C5-C6); off: Bass hazard only.",
       {
           P("enabled", wom_content.enabled, unbounded(), "",
             "a referral or warning heard this step changes a non-adopter's adoption hazard"),
           P("referral_lift", wom_content.referral_lift, closed(0, 1), "",
             "share of the remaining adoption probability 1 - h a referral adds (Eq. C5)"),
           P("warning_ratio", wom_content.warning_ratio, closed(0, 100), "",
             "a warning removes warning_ratio * referral_lift of the adoption probability h (Eq. C6)"),
           P("negative", wom_content.negative, unbounded(), "", "warnings lower the adoption hazard"),
       }},
      {"incidents",
       "Service failures (critical incidents) and their recovery (docs/MODEL.md 7.26, Eq. F1-F2); off: no "
       "failure draw.",
       {
           P("enabled", incidents.enabled, unbounded(), "",
             "a served customer meets a service failure with probability rate per step, which lowers its "
             "satisfaction this step (and, with cumulative satisfaction, in the steps after)"),
           P("rate", incidents.rate, closed(0, 1), "1/step",
             "probability per step that a served customer meets a service failure (Eq. F1)"),
           P("severity", incidents.severity, closed(0, 1), "",
             "share of satisfaction an unrecovered failure takes (Eq. F2)"),
           P("recovery", incidents.recovery, closed(0, 1), "",
             "share of the loss that a firm with service quality 1 recovers; the loss is severity * (1 - "
             "recovery * service quality) (Eq. F2)"),
       }},
      {"harm_cost",
       "Harm that costs the firm through its stakeholders (docs/MODEL.md 7.22, Eq. H1-H2); off: the v1 "
       "values score, clamped at +-5.",
       {
           P("enabled", harm_cost.enabled, unbounded(), "",
             "values-driven customers' penalty grows with harm without a clamp and society charges the harm "
             "stock"),
           P("values_penalty", harm_cost.values_penalty, closed(0, 100), "utility",
             "values score lost per unit of log1p(harm per customer / values_scale) (Eq. H1)"),
           P("values_scale", harm_cost.values_scale, positive(), "harm",
             "harm per customer at which the values penalty is values_penalty * ln 2 (Eq. H1)"),
           P("cost_per_harm", harm_cost.cost_per_harm, closed(0, 1e6), "money/harm/step",
             "regulatory and reputation cost the firm pays each step per unit of its harm stock (Eq. H2)"),
       }},
      {"cocreation_network",
       "Co-creation with network effects (docs/MODEL.md 7.22, Eq. H3); off: the v1 co-creation stock fed by "
       "the mean contribution per customer (Eq. 24).",
       {
           P("enabled", cocreation_network.enabled, unbounded(), "",
             "the co-creation stock grows with the firm's total contribution (number and effort of "
             "contributors), saturating"),
           P("scale", cocreation_network.scale, positive(), "",
             "total contribution (effort * success summed over customers) per member of the population at "
             "which the network value reaches 1 - 1/e (Eq. H3)"),
           P("support_scale", cocreation_network.support_scale, positive(), "progress/step",
             "enablement plus co-creation stock at which a customer's own effort is half as productive as it "
             "can be (Eq. H4)"),
           P("self_productivity", cocreation_network.self_productivity, closed(0, 1), "",
             "productivity of own effort at a firm with no enablement and no platform (Eq. H4); 1: effort "
             "adds to progress whatever the firm, as in Eq. 25"),
       }},
      {"people",
       "Engagement that is paid for (docs/MODEL.md 7.24, Eq. E1-E6); off: v1 (Eq. 48: purpose raises "
       "engagement at no cost; the service-profit chain acts within a step).",
       {
           P("enabled", people.enabled, unbounded(), "",
             "people investment (the service budget share plus each strategy's people_investment per "
             "customer) sets engagement, purpose multiplies its effect, metric pressure raises output and "
             "erodes engagement, and engagement reaches satisfaction through lagged stocks"),
           P("investment_gain", people.investment_gain, closed(0, 1), "",
             "engagement target per unit of people investment intensity (Eq. E2)"),
           P("purpose_multiplier", people.purpose_multiplier, closed(0, 10), "",
             "relative rise of the investment's effect on engagement per unit of purpose (Eq. E2)"),
           P("purpose_alone", people.purpose_alone, closed(0, 1), "",
             "engagement target per unit of purpose without any investment: its bounded effect (Eq. E2)"),
           P("pressure_erosion", people.pressure_erosion, closed(0, 1), "",
             "engagement target lost per unit of metric pressure (Eq. E2)"),
           P("crowding_out", people.crowding_out, closed(0, 1), "",
             "share of the purpose multiplier removed per unit of metric pressure (Eq. E2; Frey & Jegen "
             "2001)"),
           P("pressure_output", people.pressure_output, closed(0, 1), "",
             "share of the base serving cost saved at once per unit of metric pressure (Eq. E4)"),
           P("quality_rate", people.quality_rate, kRateRange, "1/step",
             "speed at which service quality follows engagement (Eq. E3)"),
           P("satisfaction_rate", people.satisfaction_rate, kRateRange, "1/step",
             "speed at which a continuing customer's cumulative satisfaction follows this step's judgement "
             "(Eq. E5)"),
       }},
      {"economics",
       "Accounting, bankruptcy and entry (M8).",
       {
           P("initial_cash", initial_cash, closed(0, 1e12), "money", "cash of each firm at t = 0"),
           P("fixed_cost", fixed_cost, closed(0, 1e12), "money/step", "fixed cost of each firm"),
           P("serve_cost", serve_cost, closed(0, 1e6), "money/customer/step", "base serving cost"),
           P("enablement_cost", enablement_cost, closed(0, 1e6), "money/customer/step",
             "extra serving cost per unit of enablement intensity"),
           P("impact_cost", impact_cost, closed(0, 1e6), "money/impact",
             "cost of one unit of embedded impact"),
           P("bankrupt_after", bankrupt_after, closed(1, 1000), "step",
             "consecutive steps with cash < 0 before exit"),
           P("entry_rate", entry_rate, closed(0, 1), "1/step", "probability of an entrant per step"),
           P("max_entrants", max_entrants, closed(0, 1000), "firms",
             "firm slots reserved for entrants; firms + max_entrants <= 1000"),
           P("entry_mix", entry_mix, unbounded(), "",
             "strategies entrants draw from (built-in or [[strategies]] names; empty: the initial firms' "
             "strategies)"),
       }},
      {"innovation",
       "R&D and imitation (M9).",
       {
           P("rd_efficiency", rd_efficiency, closed(0, 1), "",
             "capability gained per unit of R&D intensity (M9)"),
           P("discovery_rate", discovery_rate, closed(0, 1), "",
             "chance per unit of R&D intensity of finding a latent attribute"),
           P("imitation_speed", imitation_speed, closed(0, 1), "",
             "fraction of the gap to the leader closed per unit of imitation intensity"),
           P("imitation_lag", imitation_lag, closed(0, 120), "step",
             "steps before a rival's capability can be copied"),
           P("spend_scale", spend_scale, positive(), "money/customer",
             "spend per customer at which an investment reaches half effect"),
       }},
      {"employees",
       "Employee engagement (M10).",
       {
           P("initial", engagement_initial, closed(0, 1), "", "engagement at t = 0"),
           P("speed", engagement_speed, closed(0, 1), "1/step",
             "speed at which engagement follows its target"),
           P("productivity", engagement_productivity, closed(0, 1), "",
             "serving cost saved at full engagement"),
           P("volatility", engagement_volatility, closed(0, 1), "1/step",
             "standard deviation of the firm's engagement shock per step (events outside the model)"),
       }},
      {"social",
       "Embedded impact, philanthropy and harm (M11).",
       {
           P("philanthropy_efficiency", philanthropy_efficiency, closed(0, 10), "impact/money",
             "impact per money donated"),
           P("harm_per_cost", harm_per_cost, closed(0, 10), "harm/money",
             "harm per money of externalised cost"),
           P("harm_decay", harm_decay, closed(0, 1), "1/step", "decay of the harm stock"),
           P("impact_visibility", impact_visibility, closed(0, 10), "",
             "how strongly values-driven customers see impact in their choice (M11)"),
           P("philanthropy_visibility", philanthropy_visibility, closed(0, 10), "",
             "visibility of donations relative to embedded impact"),
       }},
      {"society",
       "Grants to grant-funded firms (M12).",
       {
           P("grant_per_impact", grant_per_impact, closed(0, 1e6), "money/impact",
             "grant paid per unit of impact delivered; with grant_pool, the most paid per unit (Eq. S2)"),
           P("grant_pool", grant_pool, unbounded(), "",
             "society's grants come from a finite pool per step, shared among grant-funded firms in "
             "proportion to their measured impact (docs/MODEL.md 7.21, Eq. S1-S3); off = v1 (Eq. 54)"),
           P("grant_pool_per_customer", grant_pool_per_customer, closed(0, 1e6), "money/customer/step",
             "grant pool per customer of the population per step when grant_pool (Eq. S1)"),
           P("grant_pool_growth", grant_pool_growth, closed(0, 1e3), "customer/impact",
             "growth of the pool with the impact all firms delivered per customer in the previous step "
             "(Eq. S1)"),
           P("nonprofit_clients", nonprofit_clients, unbounded(), "",
             "grant-funded firms serve only the segments marked nonprofit_client, and no more clients than "
             "their share of the pool funds (docs/MODEL.md 7.21, Eq. S4-S6); needs grant_pool and "
             "demand.outside_option"),
       }},
      {"cost_per_impact",
       "Comparable cost per unit of impact across embedded, donated and nonprofit impact (docs/MODEL.md "
       "7.23, "
       "Eq. S8-S9); off: v1 (economics.impact_cost per customer served, social.philanthropy_efficiency). "
       "The visibility of donated against embedded impact is social.philanthropy_visibility.",
       {
           P("enabled", cost_per_impact.enabled, unbounded(), "",
             "impact costs the same kind of money per unit whatever its channel: embedded and nonprofit "
             "impact are paid per unit delivered, donations buy impact at donated per unit"),
           P("embedded", cost_per_impact.embedded, closed(0, 1e6), "money/impact",
             "cost of one unit of impact embedded in a (not grant-funded) firm's product (Eq. S8)"),
           P("donated", cost_per_impact.donated, (Range{0.0, 1e6, true, false}), "money/impact",
             "money donated per unit of philanthropic impact (Eq. S9)"),
           P("nonprofit", cost_per_impact.nonprofit, closed(0, 1e6), "money/impact",
             "cost of one unit of impact a grant-funded firm delivers (Eq. S8)"),
       }},
      {"demand",
       "Outside option, continuous marketing and money per customer (docs/MODEL.md 7.20, Eq. A1-A7); every "
       "switch is off by default (v1 behaviour).",
       {
           P("outside_option", outside_option, unbounded(), "",
             "every choice includes buying nothing (Berry 1994): customers may stay out or leave, firms "
             "priced "
             "above a segment's reservation_price are not bought, profit-max prices are capped (Eq. A1-A3)"),
           P("outside_utility", outside_utility, closed(-10, 10), "utility",
             "utility u0 of buying nothing (Eq. A1)"),
           P("continuous_marketing", continuous_marketing, unbounded(), "",
             "an adopter who knows no firm picks by marketing reach only with probability min(1, total "
             "reach), else uniformly: a negligible reach decides nothing (Eq. A4)"),
           P("continuous_budget", continuous_budget, unbounded(), "",
             "the launch budget (a 24th of the cash, at most of the starting cash) holds until revenue "
             "exceeds it: no cliff at the first sale (Eq. A5)"),
           P("scale_money", scale_money, unbounded(), "",
             "economics.initial_cash and economics.fixed_cost are stated for demand.reference_customers "
             "customers and scaled by customers.count / reference_customers (Eq. A6)"),
           P("reference_customers", reference_customers, closed(1, 1e8), "customers",
             "population the money amounts are stated for when scale_money; the scaled initial_cash and "
             "fixed_cost must stay <= 1e12"),
       }},
      {"adaptation",
       "Strategy imitation between firms (M13).",
       {
           P("rate", adaptation_rate, closed(0, 1), "1/step",
             "chance per step a firm compares itself with a rival"),
           P("sensitivity", adaptation_sensitivity, closed(0, 1000), "",
             "Fermi-rule sensitivity to the fitness gap (the profit-margin gap with fitness = \"margin\")"),
           P("fitness", adaptation_fitness, unbounded(), "",
             "what a firm compares with its rival's: margin (last step's profit margin, Eq. 55), "
             "customer-equity (symmetric growth of customer equity over the window, Eq. D1-D2) or cash "
             "(symmetric growth of cash over the window, Eq. D2-D3)"),
           P("window", adaptation_window, closed(1, 1200), "step",
             "steps over which customer-equity and cash fitness measure growth (Eq. D2)"),
           P("discount_rate", adaptation_discount, closed(0, 1), "1/step",
             "discount rate of future margins in customer equity (Eq. D1)"),
       }},
  };
}

#undef SCHEDULE
#undef MECH
#undef P

#define SEG(KEY, RANGE, UNIT, DOC, ...) MS_FIELD(Segment, #KEY, KEY, RANGE, UNIT, DOC, __VA_ARGS__)
#define STRAT(KEY, RANGE, UNIT, DOC, ...) MS_FIELD(StrategyParams, #KEY, KEY, RANGE, UNIT, DOC, __VA_ARGS__)
#define FIRM(KEY, RANGE, UNIT, DOC, ...) MS_FIELD(FirmGroup, #KEY, KEY, RANGE, UNIT, DOC, __VA_ARGS__)
#define EVENT(KEY, RANGE, UNIT, DOC, ...) MS_FIELD(Event, #KEY, KEY, RANGE, UNIT, DOC, __VA_ARGS__)

std::vector<Field<Segment>> make_segment_fields() {
  return {
      SEG(name, unbounded(), "", "segment name (unique)", kNonEmpty),
      SEG(share, closed(0, 1), "", "fraction of customers; the shares of all segments sum to 1", 0),
      SEG(price_sensitivity, closed(0, 10), "1/money", "utility lost per money unit of price", 0),
      SEG(effort_mean, closed(0, 1), "", "mean own effort toward the goal", 0),
      SEG(difficulty_mean, closed(0.01, 100), "progress/step", "mean goal difficulty (success scale)", 0),
      SEG(values_share, closed(0, 1), "", "share who weigh a firm's values (Unilever 2017: 33%)", 0),
      SEG(values_weight, closed(0, 100), "utility", "weight on impact minus harm for those", 0),
      SEG(kano_shift, closed(-1, 1), "",
          "added to an attribute's maturity in this segment's Kano value (needs.heterogeneous and "
          "needs.kano_asymmetric; > 0 takes attributes for granted sooner, Eq. B1)",
          0),
      SEG(reservation_price, closed(0, 1e6), "money/customer/step",
          "willingness to pay; with demand.outside_option a firm priced above it is not bought (Eq. A2)", 0),
      SEG(nonprofit_client, unbounded(), "",
          "with society.nonprofit_clients: the segment is the nonprofits' clients (people who cannot pay the "
          "market price); only its members can choose a grant-funded firm (Eq. S6)",
          0),
  };
}

std::vector<Field<StrategyParams>> make_strategy_fields() {
  return {
      STRAT(name, unbounded(), "", "strategy name, unique, not a built-in's", kRequired | kNonEmpty),
      STRAT(pricing, unbounded(), "", "pricing rule (MODEL.md, pricing rules)", 0),
      STRAT(price, closed(0, 1e6), "money/customer/step", "base monthly price", 0),
      STRAT(value_premium, closed(0, 10), "",
            "value pricing: price rises by this fraction per unit of relative value", 0),
      STRAT(invest_rate, closed(0, 1), "", "share of revenue reinvested each step", 0),
      STRAT(share_rd, closed(0, 1), "", "budget share for R&D (M9); the six shares sum to <= 1", 0),
      STRAT(share_imitation, closed(0, 1), "", "budget share for imitation", 0),
      STRAT(share_service, closed(0, 1), "", "budget share for people: training, staffing (M10)", 0),
      STRAT(share_enablement, closed(0, 1), "", "budget share for customer-success enablement (M4)", 0),
      STRAT(share_cocreation, closed(0, 1), "", "budget share for the co-creation platform (M4)", 0),
      STRAT(share_marketing, closed(0, 1), "", "budget share for marketing (M1)", 0),
      STRAT(impact_per_customer, closed(0, 10), "impact/customer/step",
            "embedded social impact per customer served", 0),
      STRAT(philanthropy_rate, closed(0, 1), "", "share of positive profit donated", 0),
      STRAT(payout_rate, closed(0, 1), "",
            "share of positive profit paid to shareholders; philanthropy_rate + payout_rate <= 1", 0),
      STRAT(cost_cutting, closed(0, 1), "", "share of serving cost externalised as harm", 0),
      STRAT(metric_pressure, closed(0, 1), "", "extrinsic metric pressure on employees", 0),
      STRAT(purpose, closed(0, 1), "", "mission purpose perceived by employees", 0),
      STRAT(people_investment, closed(0, 1e6), "money/customer/step",
            "wages, training and tools paid per customer served; only with people.enabled (Eq. E1, E6)", 0),
      STRAT(grant_funded, unbounded(), "", "receives society's grants (M12)", 0),
      STRAT(loss_cut, closed(0, 1), "",
            "share of R&D and imitation spending cut in a step after a loss (Eq. 64; shareholder 0.5)", 0),
  };
}

std::vector<Field<FirmGroup>> make_firm_fields() {
  return {
      FIRM(strategy, unbounded(), "", "a built-in or [[strategies]] name", kRequired | kNonEmpty),
      FIRM(count, closed(1, 1000), "firms", "number of firms in the group", 0),
      FIRM(name, unbounded(), "",
           "firm name, or prefix for a group (name-1, name-2, ...); unique; default: the strategy name",
           kNonEmpty),
  };
}

std::vector<Field<Event>> make_event_fields() {
  return {
      EVENT(step, closed(1, 100000), "step", "step at whose start the capability changes; <= run.steps",
            kRequired),
      EVENT(firm, unbounded(), "",
            "an expanded firm name: a group \"x\" with count 3 gives x-1, x-2, x-3; a single firm keeps its "
            "name",
            kRequired | kNonEmpty),
      EVENT(attribute, closed(-1, 31), "",
            "attribute index, < market.attributes + market.latent_attributes; -1: every attribute offered at "
            "that step",
            0),
      EVENT(capability, closed(0, 1), "", "the firm's new capability on the attribute (M9 state)", kRequired),
  };
}

#undef SEG
#undef STRAT
#undef FIRM
#undef EVENT
#undef MS_FIELD

constexpr EnumName<ScheduleKind> kScheduleKinds[] = {
    {"constant", ScheduleKind::Constant},     {"linear", ScheduleKind::Linear},
    {"logistic", ScheduleKind::Logistic},     {"step", ScheduleKind::Step},
    {"endogenous", ScheduleKind::Endogenous},
};
constexpr EnumName<NetworkKind> kNetworkKinds[] = {
    {"complete", NetworkKind::Complete},
    {"erdos-renyi", NetworkKind::ErdosRenyi},
    {"watts-strogatz", NetworkKind::WattsStrogatz},
    {"barabasi-albert", NetworkKind::BarabasiAlbert},
};
constexpr EnumName<PricingRule> kPricingRules[] = {
    {"fixed", PricingRule::Fixed},           {"market", PricingRule::Market},
    {"value", PricingRule::Value},           {"profit-max", PricingRule::ProfitMax},
    {"subsidised", PricingRule::Subsidised},
};
constexpr EnumName<AdaptationFitness> kAdaptationFitness[] = {
    {"margin", AdaptationFitness::Margin},
    {"customer-equity", AdaptationFitness::CustomerEquity},
    {"cash", AdaptationFitness::Cash},
};

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

std::string format_bound(double x) {
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  if (x == kSeedMax) return "9223372036854775807";
  if (x == std::floor(x) && std::fabs(x) <= 1e9) return std::to_string(static_cast<long long>(x));
  return format_double(x);
}

template <class E>
std::string enum_text(E value) {
  for (const auto& e : enum_names(static_cast<const E*>(nullptr)))
    if (e.value == value) return std::string(e.name);
  return "?";
}

template <class E>
std::vector<std::string> choices_of(const E* e) {
  std::vector<std::string> out;
  for (const auto& n : enum_names(e)) out.emplace_back(n.name);
  return out;
}

}  // namespace

const std::vector<Section>& sections() {
  static const std::vector<Section> s = make_sections();
  return s;
}
const std::vector<Field<Segment>>& segment_fields() {
  static const std::vector<Field<Segment>> f = make_segment_fields();
  return f;
}
const std::vector<Field<StrategyParams>>& strategy_fields() {
  static const std::vector<Field<StrategyParams>> f = make_strategy_fields();
  return f;
}
const std::vector<Field<FirmGroup>>& firm_fields() {
  static const std::vector<Field<FirmGroup>> f = make_firm_fields();
  return f;
}

const std::vector<Field<Event>>& event_fields() {
  static const std::vector<Field<Event>> f = make_event_fields();
  return f;
}

std::span<const EnumName<ScheduleKind>> enum_names(const ScheduleKind*) { return kScheduleKinds; }
std::span<const EnumName<NetworkKind>> enum_names(const NetworkKind*) { return kNetworkKinds; }
std::span<const EnumName<PricingRule>> enum_names(const PricingRule*) { return kPricingRules; }
std::span<const EnumName<AdaptationFitness>> enum_names(const AdaptationFitness*) {
  return kAdaptationFitness;
}

bool Range::contains(double x) const {
  if (std::isnan(x)) return false;
  if (lo_open ? !(x > lo) : !(x >= lo)) return false;
  if (hi_open ? !(x < hi) : !(x <= hi)) return false;
  return true;
}

std::string Range::text() const {
  bool has_lo = !std::isinf(lo), has_hi = !std::isinf(hi);
  if (has_lo && has_hi)
    return std::string(lo_open ? "(" : "[") + format_bound(lo) + ", " + format_bound(hi) +
           (hi_open ? ")" : "]");
  if (has_lo) return std::string(lo_open ? "> " : ">= ") + format_bound(lo);
  if (has_hi) return std::string(hi_open ? "< " : "<= ") + format_bound(hi);
  return "any";
}

std::string format_double(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  std::string s(buf, ec == std::errc{} ? end : buf);
  // TOML needs a '.' or an exponent to read a float back as a float.
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

std::string quote_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(u));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string quote_short(std::string_view s, std::size_t max) {
  if (s.size() <= max) return quote_string(s);
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  std::string q = quote_string(s.substr(0, cut));
  q.insert(q.size() - 1, "...");
  return q + " (" + std::to_string(s.size()) + " bytes)";
}

std::string clip(std::string_view s, std::size_t max) {
  const std::string q = quote_short(s, max);
  const std::size_t close = q.rfind('"');
  return q.substr(1, close - 1) + q.substr(close + 1);
}

bool has_control_character(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

std::string toml_value_text(const ValueRef& ref) {
  return std::visit(Overloaded{
                        [](bool* v) { return std::string(*v ? "true" : "false"); },
                        [](int* v) { return std::to_string(*v); },
                        [](std::int64_t* v) { return std::to_string(*v); },
                        [](std::uint64_t* v) { return std::to_string(*v); },
                        [](double* v) { return format_double(*v); },
                        [](std::string* v) { return quote_string(*v); },
                        [](std::vector<std::string>* v) {
                          std::string s = "[";
                          for (std::size_t i = 0; i < v->size(); ++i)
                            s += (i ? ", " : "") + quote_string((*v)[i]);
                          return s + "]";
                        },
                        [](auto* e) { return quote_string(enum_text(*e)); },
                    },
                    ref);
}

std::string type_text(const ValueRef& ref) {
  return std::visit(Overloaded{
                        [](bool*) { return std::string("boolean"); },
                        [](int*) { return std::string("integer"); },
                        [](std::int64_t*) { return std::string("integer"); },
                        [](std::uint64_t*) { return std::string("integer"); },
                        [](double*) { return std::string("float"); },
                        [](std::string*) { return std::string("string"); },
                        [](std::vector<std::string>*) { return std::string("array of strings"); },
                        [](auto*) { return std::string("string"); },
                    },
                    ref);
}

std::vector<std::string> enum_choices(const ValueRef& ref) {
  return std::visit(Overloaded{
                        [](ScheduleKind* e) { return choices_of(e); },
                        [](NetworkKind* e) { return choices_of(e); },
                        [](PricingRule* e) { return choices_of(e); },
                        [](AdaptationFitness* e) { return choices_of(e); },
                        [](auto*) { return std::vector<std::string>{}; },
                    },
                    ref);
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i)
    for (std::size_t j = 1; j <= m; ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[n][m];
}

std::string nearest(std::string_view word, const std::vector<std::string>& candidates) {
  if (word.size() > 200) return {};  // garbage keys: not worth comparing
  std::string best;
  std::size_t best_d = std::string::npos;
  for (const auto& c : candidates) {
    std::size_t d = edit_distance(word, c);
    if (d < best_d) best_d = d, best = c;
  }
  // A likely typo: a third of the letters wrong at most, and not a total rewrite.
  std::size_t limit = std::max<std::size_t>(1, (word.size() + 2) / 3);
  if (!best.empty() && best_d <= limit && best_d < std::max(word.size(), best.size())) return best;
  // An abbreviation: "erdos" for "erdos-renyi", if only one candidate starts so.
  std::string prefixed;
  if (word.size() >= 3)
    for (const auto& c : candidates)
      if (c.rfind(word, 0) == 0) {
        if (!prefixed.empty()) return {};
        prefixed = c;
      }
  return prefixed;
}

}  // namespace missionsim::scenario
