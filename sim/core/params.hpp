// Model parameters: the resolved scenario as plain data.
//
// Every field has its default here; the scenario reader (sim/scenario) fills
// these structs from TOML and validates each value against the range given in
// its trailing comment. Equation numbers refer to docs/MODEL.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace missionsim {

// Exogenous or endogenous time path of a market-level quantity (Eq. 8; the endogenous era is Eq. 27).
enum class ScheduleKind { Constant, Linear, Logistic, Step, Endogenous };

struct Schedule {
  ScheduleKind kind = ScheduleKind::Constant;
  double start = 0.0;  // value before the change, 0..1
  double end = 0.0;    // value after the change, 0..1
  double t0 = 0.0;     // step where the change starts (linear, step) or midpoint (logistic) [step], >= 0
  double t1 = 0.0;     // step where a linear change ends [step], >= t0
  double rate = 0.1;   // logistic steepness, or endogenous adjustment speed [1/step], > 0

  bool operator==(const Schedule&) const = default;
};

enum class NetworkKind { Complete, ErdosRenyi, WattsStrogatz, BarabasiAlbert };

struct NetworkParams {
  NetworkKind kind = NetworkKind::WattsStrogatz;
  double mean_degree = 10.0;  // mean number of neighbours, 2..1000 (even for watts-strogatz)
  double rewire = 0.1;        // Watts-Strogatz rewiring probability, 0..1

  bool operator==(const NetworkParams&) const = default;
};

// Which mechanisms of docs/MODEL.md run. Each can be switched off to isolate
// the others (validation limits).
struct Mechanisms {
  bool adoption = true;       // M1 Bass adoption
  bool kano = true;           // M2 Kano attribute lifecycle (maturity moves)
  bool expectations = true;   // M3 adaptive expectations (E moves)
  bool success = true;        // M4 customer success and co-creation
  bool era = true;            // M5 era shift (w follows its schedule; off: w = era.start)
  bool churn = true;          // M6 reconsideration and switching of adopters
  bool word_of_mouth = true;  // M7 referrals and warnings over the network
  bool economics = true;      // M8 bankruptcy and entry (accounting always runs)
  bool innovation = true;     // M9 R&D and imitation
  bool employees = true;      // M10 engagement dynamics
  bool social = true;         // M11 embedded impact, philanthropy, harm
  bool society = true;        // M12 grants to nonprofits
  bool adaptation = false;    // M13 strategy imitation between firms

  bool operator==(const Mechanisms&) const = default;
};

enum class PricingRule { Fixed, Market, Value, ProfitMax, Subsidised };

// [adaptation] fitness: what a firm compares with its rival's before imitating (docs/MODEL.md 7.13, 7.25).
enum class AdaptationFitness {
  Margin,          // Eq. 55: last step's profit margin (v1)
  CustomerEquity,  // Eq. D1-D2: growth of customer equity over the window
  Cash,            // Eq. D2-D3: growth of cash over the window
};

// A mission strategy: how a firm prices and spends. Built-ins live in
// sim/strategies; scenarios can define more from the same fields.
struct StrategyParams {
  std::string name;
  PricingRule pricing = PricingRule::Market;
  double price = 10.0;  // base monthly price [money/customer/step], 0..1e6
  double value_premium =
      0.5;                   // value pricing: price rises by this fraction per unit of relative value, 0..10
  double invest_rate = 0.2;  // share of revenue reinvested each step, 0..1
  // Allocation of the investment budget (Eq. 37); each 0..1, sum <= 1.
  double share_rd = 0.3;
  double share_imitation = 0.2;
  double share_service = 0.2;     // people: training, staffing (M10)
  double share_enablement = 0.0;  // customer-success enablement (M4)
  double share_cocreation = 0.0;  // platform for customer contribution (C3)
  double share_marketing = 0.3;
  double impact_per_customer =
      0.0;                         // embedded social impact per customer served [impact/customer/step], 0..10
  double philanthropy_rate = 0.0;  // share of positive profit donated, 0..1
  double payout_rate = 0.0;        // share of positive profit paid to shareholders, 0..1
  double cost_cutting = 0.0;       // share of serving cost externalised as harm, 0..1
  double metric_pressure = 0.0;    // extrinsic metric pressure on employees, 0..1
  double purpose = 0.0;            // mission purpose perceived by employees, 0..1
  bool grant_funded = false;       // receives society's grants (M12)
  double loss_cut = 0.0;           // share of R&D and imitation cut in a step after a loss (Eq. 64), 0..1
  // [people] (docs/MODEL.md 7.24, Eq. E1, E6): wages, training and tools paid per customer served; used
  // only with people.enabled [money/customer/step], 0..1e6.
  double people_investment = 0.0;

  bool operator==(const StrategyParams&) const = default;
};

struct Segment {
  std::string name = "mainstream";
  double share = 1.0;               // fraction of customers, 0..1 (segments sum to 1)
  double price_sensitivity = 0.02;  // utility lost per money unit of price [1/money], 0..10
  double effort_mean = 0.5;         // mean own effort toward the goal, 0..1
  double difficulty_mean = 1.0;     // mean goal difficulty (success scale) [progress/step], 0.01..100
  double values_share = 0.33;       // share who weigh a firm's values (Unilever 2017: 33%), 0..1
  double values_weight = 1.0;       // weight on impact minus harm for those, 0..100
  // Demand (part A, Eq. A2): willingness to pay; with demand.outside_option a firm priced above it is
  // not bought [money/customer/step], 0..1e6.
  double reservation_price = 1e6;
  double kano_shift = 0.0;  // part B needs: added to an attribute's maturity in this segment's Kano value
                            // (Eq. B1; > 0 takes attributes for granted sooner), -1..1
  // Society (docs/MODEL.md 7.21, Eq. S4-S6): with society.nonprofit_clients the segment's members are the
  // nonprofits' clients (people who cannot pay the market price); nobody else can choose a grant-funded firm.
  bool nonprofit_client = false;

  bool operator==(const Segment&) const = default;
};

// Part B of model v2, demand side (docs/MODEL.md 7.19): asymmetric Kano value and heterogeneous needs.
// Both default off (v1 behaviour).
struct Needs {
  bool kano_asymmetric = false;   // Eq. B1: reward 2(1 - m), penalty 2m around the maturity m
  bool heterogeneous = false;     // Eq. B2-B4: segment importance weights, customer taste and fit
  double segment_contrast = 0.5;  // segment importance weight 1 + contrast * (2u - 1) per attribute, 0..1
  double taste_spread = 0.5;      // customer importance multiplier 1 + spread * (2u - 1) per attribute, 0..1
  double fit_spread = 0.1;        // sd of a customer's idiosyncratic fit with a firm's product, 0..1

  bool operator==(const Needs&) const = default;
};

struct FirmGroup {
  std::string name;      // firm name, or prefix for a group ("name-1", "name-2", ...)
  std::string strategy;  // a built-in or scenario-defined strategy name
  int count = 1;         // number of firms, 1..1000

  bool operator==(const FirmGroup&) const = default;
};

// A scheduled capability change (shocks, validation experiments): at the start
// of `step`, firm `firm` (an expanded firm name) gets capability `capability`
// on attribute `attribute`, or on every offered attribute when it is -1.
struct Event {
  int step = 1;             // [step], 1..steps
  std::string firm;         // firm name as in /firms/name
  int attribute = -1;       // attribute index, -1..31 (-1: every offered attribute)
  double capability = 0.5;  // new capability, 0..1

  bool operator==(const Event&) const = default;
};

// [success_expectations] (part C of model v2, docs/MODEL.md 7.17, Eq. C1-C4): customers hold an
// expectation of success and a weight on success of their own that ratchets with the gap between the
// success they hear of and the success they get. Off: v1 (one market weight w(t) from [era]).
struct SuccessExpectations {
  bool enabled = false;       // switch; off gives v1 results bit for bit
  double own_rate = 0.1;      // speed of the success expectation toward own success (Eq. C1), 0..1
  double story_rate = 0.1;    // speed toward a heard success story (Eq. C2), 0..1
  double ratchet_rate = 0.5;  // rise of the success weight per unit of gap beyond tolerance (Eq. C3), 0..100
  double tolerance = 0.1;     // zone of tolerance: gap that leaves the weight unchanged (Eq. C3), 0..1
  double initial = 0.0;       // success expectation at t = 0, 0..1
  bool adjust_stories = false;  // Eq. C2': a story is translated to the listener's difficulty and effort
  double onboarding = 0;        // Eq. C3': steps with a provider before the ratchet runs, 0..1000
  bool judged = false;  // Eq. C8: success enters the experience value judged against Es (Eq. 21's form)

  bool operator==(const SuccessExpectations&) const = default;
};

// [wom_content] (part C of model v2, docs/MODEL.md 7.18, Eq. C5-C6): a referral or a warning heard in a
// conversation changes a non-adopter's adoption hazard this step. Off: Bass hazard (Eq. 13) only.
struct WomContent {
  bool enabled = false;  // switch; off gives v1 results bit for bit
  double referral_lift =
      0.125;  // share of the headroom 1 - h a referral adds (Eq. C5; Keller Fay: 1 in 8), 0..1
  double warning_ratio = 2.0;  // a warning's proportional effect relative to a referral's (Eq. C6), 0..100
  bool negative = true;        // warnings lower the hazard (off: they do not)

  bool operator==(const WomContent&) const = default;
};

// [incidents] service failures (critical incidents) and their recovery (docs/MODEL.md 7.26, Eq. F1-F2): in a
// month a customer meets a failure with a small probability, which takes a share of its satisfaction that
// the firm's service quality recovers in part. Off: no draw, v1 satisfaction bit for bit.
struct Incidents {
  bool enabled = false;  // switch; off gives earlier results bit for bit
  double rate = 0.05;    // probability per step that a served customer meets a service failure (Eq. F1), 0..1
  double severity = 0.5;  // share of satisfaction an unrecovered failure takes (Eq. F2), 0..1
  double recovery = 0.5;  // share of the loss a firm with service quality 1 recovers (Eq. F2), 0..1

  bool operator==(const Incidents&) const = default;
};

// [harm_cost] harm that costs the firm through its stakeholders (docs/MODEL.md 7.22, Eq. H1-H2).
struct HarmCost {
  bool enabled = false;  // switch; off gives v1 results bit for bit (values score clamped at +-5)
  double values_penalty =
      1.0;  // utility lost per unit of log1p(harm per customer / values_scale) (Eq. H1), 0..100
  double values_scale = 1.0;   // harm per customer at which the penalty is values_penalty * ln 2 [harm], > 0
  double cost_per_harm = 0.5;  // societal (regulatory, reputation) cost per unit of harm stock (Eq. H2)
                               // [money/harm/step], 0..1e6

  bool operator==(const HarmCost&) const = default;
};

// [cocreation_network] co-creation with network effects (docs/MODEL.md 7.22, Eq. H3).
struct CocreationNetwork {
  bool enabled = false;  // switch; off gives v1 results bit for bit (mean contribution per customer, Eq. 24)
  double scale = 0.05;   // total contribution per member of the population at which the network value
                         // reaches 1 - 1/e (Eq. H3), > 0
  double support_scale = 0.25;     // enablement + co-creation stock at which own effort is half as productive
                                   // as it can be (Eq. H4) [progress/step], > 0
  double self_productivity = 0.0;  // productivity of own effort with no enablement or platform (Eq. H4),
                                   // 0..1; 1 gives Eq. 25's additive effort

  bool operator==(const CocreationNetwork&) const = default;
};

// [cost_per_impact] comparable cost per unit of impact across embedded, donated and nonprofit impact
// (docs/MODEL.md 7.23, Eq. S8-S9). Off: v1 (economics.impact_cost per customer served, Eq. 38;
// social.philanthropy_efficiency impact per money donated, Eq. 51).
struct CostPerImpact {
  bool enabled = false;    // switch; off gives v1 results bit for bit
  double embedded = 1.0;   // money per unit of impact embedded in a business's product (Eq. S8), 0..1e6
  double donated = 100.0;  // money donated per unit of philanthropic impact (Eq. S9), > 0
  double nonprofit = 1.0;  // money per unit of impact a grant-funded firm delivers (Eq. S8), 0..1e6

  bool operator==(const CostPerImpact&) const = default;
};

// [people] engagement that is paid for (docs/MODEL.md 7.24, Eq. E1-E6).
struct People {
  bool enabled = false;             // switch; off gives v1 results bit for bit (Eq. 48, 19, 21, 38)
  double investment_gain = 0.4;     // target per unit of investment intensity (Eq. E2), 0..1
  double purpose_multiplier = 1.0;  // rise of the investment's effect per unit of purpose (Eq. E2), 0..10
  double purpose_alone = 0.05;      // target per unit of purpose without investment (Eq. E2), 0..1
  double pressure_erosion = 0.4;    // target lost per unit of metric pressure (Eq. E2), 0..1
  double crowding_out = 1.0;        // share of the purpose multiplier removed per unit of pressure (E2), 0..1
  double pressure_output = 0.1;     // serving cost saved at once per unit of metric pressure (Eq. E4), 0..1
  double quality_rate = 0.25;       // speed of service quality toward engagement (Eq. E3) [1/step], (0, 1]
  double satisfaction_rate = 0.25;  // speed of cumulative satisfaction (Eq. E5) [1/step], (0, 1]

  bool operator==(const People&) const = default;
};

struct Params {
  // [run]
  std::string name = "scenario";
  int steps = 120;         // months, 1..100000
  std::uint64_t seed = 1;  // master seed of the counter-based generator

  Mechanisms mechanisms;

  // [customers]
  std::int64_t customers = 10000;    // population size, 1..100000000
  double initial_adopted = 0.0;      // fraction already customers at t = 0, 0..1
  double initial_expectation = 0.5;  // mean E at t = 0, 0..1
  double expectation_spread = 0.2;  // width of the uniform spread of E around the mean at t = 0 (Eq. 3), 0..1
  int consideration_size = 4;       // firms a customer can hold in mind, 1..8 (all firms when full_awareness)
  std::vector<Segment> segments{Segment{}};

  NetworkParams network;

  // [market]
  int attributes = 6;         // attributes offered at start, 1..32
  int latent_attributes = 2;  // attributes discoverable by R&D (M9), 0..32; attributes + latent <= 32
  double kano_beta = 1.0;     // weight beta_a of an attribute discovered by R&D; original attributes weigh 1
                              // (Eq. 15-16), 0..100
  double initial_maturity = 0.3;    // Kano maturity of offered attributes at t = 0, 0..1
  double maturity_rate = 0.05;      // smoothing of maturity toward coverage (Eq. 18) [1/step], 0..1
  double initial_capability = 0.4;  // mean firm capability on offered attributes, 0..1
  double capability_spread = 0.1;   // uniform +- spread of initial capabilities, 0..1
  int kano_respondents =
      400;  // virtual Kano questionnaire panel size (Eq. K1), 0..100000 (0: no questionnaire)
  double kano_noise =
      0.15;  // half-width of a respondent's uniform taste noise on the felt value (Eq. K1), 0..0.24

  Needs needs;  // [needs] (part B)

  // [adoption] (M1)
  // Sultan, Farley & Lehmann (1990) meta-analysis means, p = 0.03 and q = 0.38 per year, divided by 12 for
  // monthly steps.
  double bass_p = 0.0025;       // innovation coefficient [1/step], 0..1
  double bass_q = 0.032;        // imitation coefficient [1/step], 0..1
  double marketing_lift = 0.5;  // extra innovation per unit of marketing reach (Eq. 11), 0..10
  double contact_cost = 0.5;    // marketing spend that reaches one customer once [money/contact], > 0

  // [expectations] (M3)
  double expectation_lambda = 0.1;  // adaptation speed lambda (Eq. 20), 0..1
  double satisfaction_bias =
      1.5;  // satisfaction intercept: S = logistic(bias) when P = E = 0.5 (Eq. 21), -20..20
  double disconfirmation_gain = 4.0;  // satisfaction slope on P - E (Eq. 21), 0..100
  double performance_gain = 2.0;      // satisfaction slope on P (Eq. 21), 0..100
  double service_weight = 0.3;        // weight of service quality in P (Eq. 19), 0..1

  // [success] (M4)
  double success_smoothing = 0.3;  // speed at which realised success follows the flow (Eq. 26), 0..1
  double enablement_scale = 2.0;  // enablement spend per customer giving half the effect [money/customer], >0
  double effort_weight = 0.5;     // contribution of own effort to progress (Eq. 25), 0..10
  double cocreation_rate = 0.2;   // platform value created per contributing customer, 0..10
  double cocreation_decay = 0.05;  // decay of the co-creation stock [1/step], 0..1

  Schedule era{ScheduleKind::Logistic, 0.1, 0.6, 60.0, 0.0, 0.1};           // M5: w(t)
  Schedule amplification{ScheduleKind::Linear, 1.0, 3.0, 0.0, 120.0, 0.1};  // social-media amplification a(t)

  // [choice] (M6)
  double logit_scale = 0.1;     // mu in Eq. 31, > 0
  double switching_cost = 0.1;  // utility bonus of the incumbent, 0..10
  double churn_base = 0.01;     // monthly reconsideration hazard of a satisfied customer, 0..1
  double churn_dissatisfaction =
      0.1;  // extra hazard per unit of shortfall 1 - x of the experience value x (Eq. 28-29), 0..1
  double exit_share =
      0.1;  // share of reconsidering customers who leave the category instead of choosing, 0..1
  double reputation_weight = 0.1;       // utility per unit of heard reputation, 0..10
  bool full_awareness = false;          // every customer knows every live firm
  bool incumbent_by_experience = true;  // incumbent judged by own S and s (else by reputation like others)

  // [word_of_mouth] (M7)
  double talk_rate = 0.3;         // chance per step of a conversation with one neighbour, 0..1
  double refer_prob = 0.3;        // promoters who actually refer (Kumar et al. 2007: 30-33%), 0..1
  double warn_prob = 0.5;         // detractors who warn, 0..1
  double reputation_decay = 0.1;  // decay of heard reputation [1/step], 0..1

  // [economics] (M8)
  double initial_cash = 100000.0;  // [money], 0..1e12
  double fixed_cost = 1000.0;      // [money/step], 0..1e12
  double serve_cost = 4.0;         // base serving cost [money/customer/step], 0..1e6
  double enablement_cost =
      1.0;  // extra serving cost per unit of enablement intensity [money/customer/step], 0..1e6
  double impact_cost = 1.0;            // cost of one unit of embedded impact [money/impact], 0..1e6
  int bankrupt_after = 6;              // consecutive steps with cash < 0 before exit, 1..1000
  double entry_rate = 0.02;            // probability of an entrant per step, 0..1
  int max_entrants = 4;                // firm slots reserved for entrants, 0..1000
  std::vector<std::string> entry_mix;  // strategies entrants draw from (empty: the initial firms' strategies)

  // [innovation] (M9)
  double rd_efficiency = 0.02;   // capability gained per unit of R&D intensity (Eq. 46), 0..1
  double discovery_rate = 0.02;  // chance per unit of R&D intensity of finding a latent attribute, 0..1
  double imitation_speed =
      0.2;                // fraction of the gap to the leader closed per unit of imitation intensity, 0..1
  int imitation_lag = 6;  // steps before a rival's capability can be copied [step], 0..120
  double spend_scale =
      2.0;  // spend per customer at which an investment reaches half effect [money/customer], > 0

  // [employees] (M10)
  double engagement_initial = 0.5;       // 0..1
  double engagement_speed = 0.1;         // [1/step], 0..1
  double engagement_productivity = 0.3;  // serving cost saved at full engagement, 0..1
  double engagement_volatility = 0.0;    // sd of the firm's engagement shock per step (Eq. 49), 0..1

  // [social] (M11)
  double philanthropy_efficiency = 0.01;  // impact per money donated [impact/money], 0..10
  double harm_per_cost = 0.01;            // harm per money of externalised cost [harm/money], 0..10
  double harm_decay = 0.02;               // [1/step], 0..1
  double impact_visibility = 1.0;         // how strongly values-driven customers see impact (Eq. 53), 0..10
  double philanthropy_visibility = 0.3;   // visibility of donations relative to embedded impact, 0..10

  // [society] (M12)
  double grant_per_impact = 8.0;  // grant paid per unit of impact delivered [money/impact], 0..1e6
  // [society] finite grant pool (docs/MODEL.md 7.21, Eq. S1-S3); off by default (v1 behaviour).
  bool grant_pool = false;               // grants come from a pool per step shared by measured impact
  double grant_pool_per_customer = 0.5;  // pool per customer of the population [money/customer/step], 0..1e6
  double grant_pool_growth = 0.0;  // pool growth per unit of impact per customer last step (Eq. S1), 0..1e3
  // [society] nonprofits serve their own client segment within a capacity their share of the pool funds
  // (docs/MODEL.md 7.21, Eq. S4-S6); off by default. Needs grant_pool and demand.outside_option.
  bool nonprofit_clients = false;

  // [adaptation] (M13)
  double adaptation_rate = 0.05;        // chance per step a firm compares itself with a rival, 0..1
  double adaptation_sensitivity = 5.0;  // Fermi-rule sensitivity to the profit-margin gap, 0..1000
  // Long-run fitness (docs/MODEL.md 7.25, Eq. D1-D3); margin is v1 bit for bit.
  AdaptationFitness adaptation_fitness = AdaptationFitness::Margin;
  int adaptation_window = 12;         // steps over which a long-run fitness measures growth, 1..1200
  double adaptation_discount = 0.01;  // discount rate per step in customer equity (Eq. D1), 0..1

  SuccessExpectations success_expectations;  // part C, Eq. C1-C4
  WomContent wom_content;                    // part C, Eq. C5-C6
  Incidents incidents;                       // Eq. F1-F2
  HarmCost harm_cost;                        // Eq. H1-H2
  CocreationNetwork cocreation_network;      // Eq. H3
  CostPerImpact cost_per_impact;             // Eq. S8-S9
  People people;                             // Eq. E1-E6
  // [demand] outside option, continuous marketing, money per customer (docs/MODEL.md 7.20, Eq. A1-A7).
  // Every switch is off by default (v1 behaviour).
  bool outside_option = false;         // every choice includes "buy nothing" (Eq. A1-A3)
  double outside_utility = 0.0;        // utility u0 of buying nothing (Eq. A1), -10..10
  bool continuous_marketing = false;   // Eq. A4: the first choice is continuous in marketing reach
  bool continuous_budget = false;      // Eq. A5: the launch budget runs down with cash (no launch cliff)
  bool scale_money = false;            // Eq. A6: money amounts scaled by customers / reference_customers
  double reference_customers = 10000;  // population the money amounts are stated for, 1..1e8

  std::vector<StrategyParams> strategies;  // scenario-defined strategies (built-ins are implicit)
  std::vector<FirmGroup> firms;            // at least one
  std::vector<Event> events;               // [[events]], applied in plan order

  bool operator==(const Params&) const = default;
};

}  // namespace missionsim
