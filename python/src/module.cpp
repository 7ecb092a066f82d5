// The extension module _missionsim: the engine's Simulation, its
// observables, zero-copy views of the customer arrays and the network, the
// HDF5 trajectory writer of `missionsim run`, and strategies whose decisions
// are Python callables. The user-facing API is the `missionsim` package
// (python/missionsim/), which wraps this module; docs in python/README.md.
#include <hdf5.h>
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <tbb/task_arena.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/simulation.hpp"
#include "output/hdf5_guard.hpp"
#include "output/run_file.hpp"
#include "output/sha256.hpp"
#include "output/trajectory_writer.hpp"
#include "scenario/input_file.hpp"
#include "scenario/scenario.hpp"
#include "strategies/strategy.hpp"

namespace py = pybind11;
using namespace missionsim;

namespace {

// A Python exception raised by a strategy's decision, with where it happened.
struct StrategyCallError : std::runtime_error {
  StrategyCallError(std::string what, std::string strategy, std::string method, int firm, int step)
      : std::runtime_error(std::move(what)),
        strategy(std::move(strategy)),
        method(std::move(method)),
        firm(firm),
        step(step) {}
  std::string strategy, method;
  int firm, step;
};

// The text of the current Python exception with its traceback; clears it.
std::string format_python_error(py::error_already_set& e) {
  try {
    py::list lines =
        py::module_::import("traceback").attr("format_exception")(e.type(), e.value(), e.trace());
    std::string text;
    for (auto line : lines) text += line.cast<std::string>();
    return text;
  } catch (...) {
    return e.what();
  }
}

// A strategy whose price and/or allocation are a Python object's methods.
// Called serially from plan_firms (one firm at a time, in slot order, on the
// thread that called step()), so results do not depend on the thread count.
class PyStrategy : public Strategy {
 public:
  PyStrategy(const StrategyParams& params, py::object policy, bool own_price, bool own_allocate)
      : Strategy(params), policy_(std::move(policy)), own_price_(own_price), own_allocate_(own_allocate) {}
  ~PyStrategy() override {
    py::gil_scoped_acquire gil;
    policy_ = py::object();
  }

  double price(const FirmView& firm, const MarketView& market) const override {
    if (!own_price_) return Strategy::price(firm, market);
    py::gil_scoped_acquire gil;
    try {
      return policy_.attr("price")(firm, market).cast<double>();
    } catch (py::error_already_set& e) {
      throw StrategyCallError(format_python_error(e), name(), "price", firm.firm, firm.step);
    } catch (const py::cast_error& e) {
      throw StrategyCallError(std::string("price() must return a number: ") + e.what(), name(), "price",
                              firm.firm, firm.step);
    }
  }

  Allocation allocate(const FirmView& firm, const MarketView& market) const override {
    if (!own_allocate_) return Strategy::allocate(firm, market);
    py::gil_scoped_acquire gil;
    try {
      py::object result = policy_.attr("allocate")(firm, market);
      if (py::isinstance<py::dict>(result)) {
        Allocation a{};
        for (auto [key, value] : result.cast<py::dict>()) {
          const auto k = key.cast<std::string>();
          const double v = value.cast<double>();
          if (k == "rd")
            a.rd = v;
          else if (k == "imitation")
            a.imitation = v;
          else if (k == "service")
            a.service = v;
          else if (k == "enablement")
            a.enablement = v;
          else if (k == "cocreation")
            a.cocreation = v;
          else if (k == "marketing")
            a.marketing = v;
          else
            throw StrategyCallError("allocate() returned an unknown share '" + k +
                                        "' (expected rd, imitation, service, enablement, cocreation, "
                                        "marketing)",
                                    name(), "allocate", firm.firm, firm.step);
        }
        return a;
      }
      return result.cast<Allocation>();
    } catch (py::error_already_set& e) {
      throw StrategyCallError(format_python_error(e), name(), "allocate", firm.firm, firm.step);
    } catch (const py::cast_error& e) {
      throw StrategyCallError(std::string("allocate() must return an Allocation or a dict: ") + e.what(),
                              name(), "allocate", firm.firm, firm.step);
    }
  }

 private:
  py::object policy_;
  bool own_price_, own_allocate_;
};

py::object g_strategy_error;  // missionsim.StrategyError, set by the package at import

// One run driven from Python: the Simulation, its thread arena, an optional
// trajectory writer and the generation counter of the customer views.
class PySimulation {
 public:
  // `policies(name)` returns (object, overrides price, overrides allocate) or None.
  PySimulation(const Params& params, std::optional<int> threads, py::object policies)
      : params_(params), policies_(std::move(policies)) {
    if (threads && *threads < 1) throw py::value_error("threads must be at least 1");
    arena_ = threads ? std::make_unique<tbb::task_arena>(*threads) : std::make_unique<tbb::task_arena>();
    StrategyFactory factory;
    if (!policies_.is_none()) {
      factory = [this](const StrategyParams& sp) -> std::unique_ptr<Strategy> {
        py::object entry = policies_(sp.name, params_dict(sp));
        if (entry.is_none()) return nullptr;
        auto t = entry.cast<py::tuple>();
        return std::make_unique<PyStrategy>(sp, t[0], t[1].cast<bool>(), t[2].cast<bool>());
      };
    }
    try {
      arena_->execute([&] { sim_ = std::make_unique<Simulation>(params_, factory); });
    } catch (const std::invalid_argument& e) {
      throw ScenarioError(std::string("scenario: ") + e.what());
    }
  }
  ~PySimulation() {
    if (writer_) {
      try {
        writer_->abandon();
      } catch (...) {
      }
    }
  }

  static py::dict params_dict(const StrategyParams& sp) {
    py::dict d;
    d["name"] = sp.name;
    switch (sp.pricing) {
      case PricingRule::Fixed:
        d["pricing"] = "fixed";
        break;
      case PricingRule::Subsidised:
        d["pricing"] = "subsidised";
        break;
      case PricingRule::Market:
        d["pricing"] = "market";
        break;
      case PricingRule::Value:
        d["pricing"] = "value";
        break;
      case PricingRule::ProfitMax:
        d["pricing"] = "profit-max";
        break;
    }
    d["price"] = sp.price;
    d["value_premium"] = sp.value_premium;
    d["invest_rate"] = sp.invest_rate;
    d["share_rd"] = sp.share_rd;
    d["share_imitation"] = sp.share_imitation;
    d["share_service"] = sp.share_service;
    d["share_enablement"] = sp.share_enablement;
    d["share_cocreation"] = sp.share_cocreation;
    d["share_marketing"] = sp.share_marketing;
    d["impact_per_customer"] = sp.impact_per_customer;
    d["philanthropy_rate"] = sp.philanthropy_rate;
    d["payout_rate"] = sp.payout_rate;
    d["cost_cutting"] = sp.cost_cutting;
    d["metric_pressure"] = sp.metric_pressure;
    d["purpose"] = sp.purpose;
    d["grant_funded"] = sp.grant_funded;
    d["loss_cut"] = sp.loss_cut;
    return d;
  }

  void step() {
    if (failed_) throw std::runtime_error("this simulation stopped on an error; create a new one");
    ++generation_;  // even a failed step may have written the customer buffers
    try {
      py::gil_scoped_release release;
      arena_->execute([&] { sim_->step(); });
    } catch (const StrategyCallError& e) {
      fail();
      const auto& names = sim_->info().firm_names;
      const std::string firm = e.firm >= 0 && static_cast<std::size_t>(e.firm) < names.size()
                                   ? "'" + names[e.firm] + "' (slot " + std::to_string(e.firm) + ")"
                                   : "slot " + std::to_string(e.firm);
      const std::string msg = "strategy '" + e.strategy + "' failed in " + e.method + "() for firm " + firm +
                              " at step " + std::to_string(e.step) + ":\n" + e.what();
      PyErr_SetString(g_strategy_error.ptr(), msg.c_str());
      throw py::error_already_set();
    } catch (...) {
      fail();
      throw;
    }
    if (writer_) {
      try {
        writer_->append(sim_->observables());
      } catch (...) {
        fail();
        throw;
      }
    }
  }

  // The run cannot continue: keep what the trajectory holds as <path>.partial.
  void fail() {
    failed_ = true;
    abandon_output();
  }

  void open_output(const std::string& path, const std::string& created_utc) {
    if (writer_) throw std::runtime_error("an output is already open: " + writer_->partial_path());
    if (sim_->time() != 0)
      throw std::runtime_error(
          "open_output() must come before the first step (the trajectory starts at t = 0)");
    Provenance prov = run_provenance(params_);
    if (!created_utc.empty()) prov.created_utc = created_utc;
    writer_ = std::make_unique<TrajectoryWriter>(path, sim_->info(), prov);
    writer_->append(sim_->observables());
  }

  // /custom/<name>: values [R] or [R, W] float64 with string and number attributes.
  void write_custom(const std::string& name,
                    py::array_t<double, py::array::c_style | py::array::forcecast> values, py::dict attrs) {
    if (!writer_) throw std::runtime_error("no output is open");
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
      throw py::value_error("reporter name '" + name + "' must be non-empty and contain no '/'");
    const missionsim::Hdf5Use in_hdf5;
    const hid_t file = static_cast<hid_t>(writer_->hdf5_file());
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    auto check = [&](herr_t status, const std::string& what) {
      if (status < 0) throw std::runtime_error("HDF5 trajectory '" + writer_->partial_path() + "': " + what);
    };
    auto close_later = [](hid_t id, herr_t (*close)(hid_t)) {
      return std::unique_ptr<void, std::function<void(void*)>>(reinterpret_cast<void*>(id),
                                                               [id, close](void*) { close(id); });
    };
    // Without modification times, as the writer does: identical runs give identical bytes.
    const hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    auto gcpl_guard = close_later(gcpl, H5Pclose);
    check(H5Pset_obj_track_times(gcpl, false), "cannot disable group time tracking");
    if (H5Lexists(file, "custom", H5P_DEFAULT) <= 0) {
      const hid_t g = H5Gcreate2(file, "custom", H5P_DEFAULT, gcpl, H5P_DEFAULT);
      check(g, "cannot create group /custom");
      H5Gclose(g);
    }
    const std::string path = "/custom/" + name;
    if (H5Lexists(file, path.c_str(), H5P_DEFAULT) > 0) throw py::value_error(path + " is already written");
    std::vector<hsize_t> dims(values.shape(), values.shape() + values.ndim());
    const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    check(space, "cannot create the dataspace of " + path);
    auto space_guard = close_later(space, H5Sclose);
    const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    auto dcpl_guard = close_later(dcpl, H5Pclose);
    check(H5Pset_obj_track_times(dcpl, false), "cannot disable dataset time tracking");
    const hid_t dset = H5Dcreate2(file, path.c_str(), H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    check(dset, "cannot create " + path);
    auto dset_guard = close_later(dset, H5Dclose);
    if (values.size() > 0)
      check(H5Dwrite(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
            "cannot write " + path);
    for (auto [key, value] : attrs) {
      const auto k = key.cast<std::string>();
      const hid_t scalar = H5Screate(H5S_SCALAR);
      auto scalar_guard = close_later(scalar, H5Sclose);
      hid_t attr;
      if (py::isinstance<py::str>(value)) {
        const hid_t type = H5Tcopy(H5T_C_S1);
        auto type_guard = close_later(type, H5Tclose);
        H5Tset_size(type, H5T_VARIABLE);
        H5Tset_cset(type, H5T_CSET_UTF8);
        attr = H5Acreate2(dset, k.c_str(), type, scalar, H5P_DEFAULT, H5P_DEFAULT);
        check(attr, "cannot create attribute " + k + " of " + path);
        const std::string text = value.cast<std::string>();
        const char* data = text.c_str();
        check(H5Awrite(attr, type, &data), "cannot write attribute " + k + " of " + path);
      } else if (py::isinstance<py::bool_>(value) || py::isinstance<py::int_>(value)) {
        const std::int64_t v = value.cast<std::int64_t>();
        attr = H5Acreate2(dset, k.c_str(), H5T_STD_I64LE, scalar, H5P_DEFAULT, H5P_DEFAULT);
        check(attr, "cannot create attribute " + k + " of " + path);
        check(H5Awrite(attr, H5T_NATIVE_INT64, &v), "cannot write attribute " + k + " of " + path);
      } else {
        const double v = value.cast<double>();
        attr = H5Acreate2(dset, k.c_str(), H5T_IEEE_F64LE, scalar, H5P_DEFAULT, H5P_DEFAULT);
        check(attr, "cannot create attribute " + k + " of " + path);
        check(H5Awrite(attr, H5T_NATIVE_DOUBLE, &v), "cannot write attribute " + k + " of " + path);
      }
      H5Aclose(attr);
    }
  }

  // complete = 1, content digest, rename: as `missionsim run` at its end.
  std::string finish_output() {
    if (!writer_) throw std::runtime_error("no output is open");
    if (sim_->time() != params_.steps)
      throw std::runtime_error("the run has done " + std::to_string(sim_->time()) + " of " +
                               std::to_string(params_.steps) +
                               " steps; a trajectory is complete only after all of them (abandon_output() "
                               "keeps the .partial)");
    std::unique_ptr<TrajectoryWriter> writer = std::move(writer_);
    writer->finish();
    return writer->final_path();
  }

  std::string abandon_output() {
    if (!writer_) return "";
    std::unique_ptr<TrajectoryWriter> writer = std::move(writer_);
    const std::string path = writer->partial_path();
    try {
      writer->abandon();
    } catch (...) {
    }
    return path;
  }

  int time() const { return sim_->time(); }
  std::uint64_t generation() const { return generation_; }
  bool failed() const { return failed_; }
  const Simulation& sim() const { return *sim_; }
  const Params& params() const { return params_; }

 private:
  Params params_;
  py::object policies_;
  std::unique_ptr<tbb::task_arena> arena_;
  std::unique_ptr<Simulation> sim_;
  std::unique_ptr<TrajectoryWriter> writer_;
  std::uint64_t generation_ = 0;
  bool failed_ = false;
};

template <class T>
py::array copy_array(const std::vector<T>& v) {
  return py::array_t<T>(static_cast<py::ssize_t>(v.size()), v.data());
}

// A read-only numpy array over `data` without a copy; `owner` keeps the memory alive.
template <class T>
py::array view_array(std::span<const T> data, py::handle owner, std::size_t columns = 1) {
  std::vector<py::ssize_t> shape{static_cast<py::ssize_t>(data.size() / columns)};
  std::vector<py::ssize_t> strides{static_cast<py::ssize_t>(sizeof(T) * columns)};
  if (columns > 1) {
    shape.push_back(static_cast<py::ssize_t>(columns));
    strides.push_back(sizeof(T));
  }
  py::array a(py::dtype::of<T>(), shape, strides, data.data(), owner);
  a.attr("flags").attr("writeable") = false;
  return a;
}

py::dict observables_dict(const Observables& o) {
  py::dict d;
  d["time"] = o.step;
  d["customers"] = copy_array(o.customers);
  d["share"] = copy_array(o.share);
  d["price"] = copy_array(o.price);
  d["revenue"] = copy_array(o.revenue);
  d["grants"] = copy_array(o.grants);
  d["costs"] = copy_array(o.costs);
  d["profit"] = copy_array(o.profit);
  d["payout"] = copy_array(o.payout);
  d["cash"] = copy_array(o.cash);
  d["satisfaction"] = copy_array(o.satisfaction);
  d["success"] = copy_array(o.success);
  d["nps"] = copy_array(o.nps);
  d["engagement"] = copy_array(o.engagement);
  d["social_impact"] = copy_array(o.social_impact);
  d["harm"] = copy_array(o.harm);
  d["retention"] = copy_array(o.retention);
  d["strategy_id"] = copy_array(o.strategy_id);
  d["alive"] = copy_array(o.alive);
  d["adopters"] = o.adopters;
  d["churn_rate"] = o.churn_rate;
  d["hhi"] = o.hhi;
  d["success_weight"] = o.success_weight;
  d["amplification"] = o.amplification;
  d["expectation_mean"] = o.expectation_mean;
  d["disconfirmation_mean"] = o.disconfirmation_mean;
  d["societal_value"] = o.societal_value;
  d["kano_maturity"] = copy_array(o.kano_maturity);
  d["kano_better"] = copy_array(o.kano_better);
  d["kano_worse"] = copy_array(o.kano_worse);
  return d;
}

// Reads the scenario as `missionsim run` does; `extra` (TOML appended after
// the file, e.g. [[strategies]] entries of Python strategies) is empty for a
// plain run, which then takes exactly the CLI's path.
Params load(const std::optional<std::string>& path, const std::optional<std::string>& text,
            const std::string& source, const std::string& extra, const std::vector<std::string>& overrides) {
  if (path) {
    if (extra.empty()) return load_scenario(*path, overrides);
    std::string content;
    try {
      content = scenario::read_input_file(*path, "scenario");
    } catch (const scenario::InputFileError& e) {
      throw ScenarioError(e.what());
    }
    return parse_scenario(content + "\n" + extra, *path, overrides);
  }
  return parse_scenario(*text + "\n" + extra, source, overrides);
}

}  // namespace

PYBIND11_MODULE(_missionsim, m) {
  m.doc() = "missionsim engine bindings; use the missionsim package";
  auto scenario_error = py::register_exception<ScenarioError>(m, "ScenarioError", PyExc_ValueError);
  (void)scenario_error;

  py::class_<Params>(m, "Params")
      .def_property_readonly("steps", [](const Params& p) { return p.steps; })
      .def_property_readonly("seed", [](const Params& p) { return p.seed; })
      .def_property_readonly("customers", [](const Params& p) { return p.customers; })
      .def("to_toml", [](const Params& p) { return to_toml(p); });

  m.def("load", &load, py::arg("path"), py::arg("text"), py::arg("source"), py::arg("extra"),
        py::arg("overrides"));
  m.def("_set_strategy_error", [](py::object type) { g_strategy_error = std::move(type); });
  m.def("builtin_strategy_names", &builtin_strategy_names);
  m.def("version", [] { return run_provenance(Params{}).missionsim_version; });

  py::class_<FirmView>(m, "FirmView", "One firm's facts from the previous step (strategies/strategy.hpp)")
      .def_readonly("customers", &FirmView::customers)
      .def_readonly("share_of_adopters", &FirmView::share_of_adopters)
      .def_readonly("value", &FirmView::value)
      .def_readonly("unit_cost", &FirmView::unit_cost)
      .def_readonly("revenue", &FirmView::revenue)
      .def_readonly("profit", &FirmView::profit)
      .def_readonly("cash", &FirmView::cash)
      .def_readonly("price", &FirmView::price)
      .def_readonly("firm", &FirmView::firm)
      .def_readonly("step", &FirmView::step);
  py::class_<MarketView>(m, "MarketView", "Market facts from the previous step (strategies/strategy.hpp)")
      .def_readonly("mean_price", &MarketView::mean_price)
      .def_readonly("mean_value", &MarketView::mean_value)
      .def_readonly("success_weight", &MarketView::success_weight)
      .def_readonly("mean_price_sensitivity", &MarketView::mean_price_sensitivity)
      .def_readonly("logit_scale", &MarketView::logit_scale);
  py::class_<Allocation>(m, "Allocation", "Shares of the investment budget (Eq. 37), sum <= 1")
      .def(py::init([](double rd, double imitation, double service, double enablement, double cocreation,
                       double marketing) {
             return Allocation{rd, imitation, service, enablement, cocreation, marketing};
           }),
           py::arg("rd") = 0.0, py::arg("imitation") = 0.0, py::arg("service") = 0.0,
           py::arg("enablement") = 0.0, py::arg("cocreation") = 0.0, py::arg("marketing") = 0.0)
      .def_readwrite("rd", &Allocation::rd)
      .def_readwrite("imitation", &Allocation::imitation)
      .def_readwrite("service", &Allocation::service)
      .def_readwrite("enablement", &Allocation::enablement)
      .def_readwrite("cocreation", &Allocation::cocreation)
      .def_readwrite("marketing", &Allocation::marketing)
      .def("__repr__", [](const Allocation& a) {
        return "Allocation(rd=" + std::to_string(a.rd) + ", imitation=" + std::to_string(a.imitation) +
               ", service=" + std::to_string(a.service) + ", enablement=" + std::to_string(a.enablement) +
               ", cocreation=" + std::to_string(a.cocreation) + ", marketing=" + std::to_string(a.marketing) +
               ")";
      });

  py::class_<PySimulation>(m, "Simulation")
      .def(py::init<const Params&, std::optional<int>, py::object>(), py::arg("params"),
           py::arg("threads") = py::none(), py::arg("policies") = py::none())
      .def("step", &PySimulation::step)
      .def_property_readonly("t", &PySimulation::time)
      .def_property_readonly("generation", &PySimulation::generation)
      .def_property_readonly("failed", &PySimulation::failed)
      .def_property_readonly("steps", [](const PySimulation& s) { return s.params().steps; })
      .def_property_readonly("seed", [](const PySimulation& s) { return s.params().seed; })
      .def_property_readonly("scenario_toml", [](const PySimulation& s) { return to_toml(s.params()); })
      .def_property_readonly("firm_names", [](const PySimulation& s) { return s.sim().info().firm_names; })
      .def_property_readonly("firm_strategies",
                             [](const PySimulation& s) { return s.sim().info().firm_strategies; })
      .def_property_readonly("strategy_names",
                             [](const PySimulation& s) { return s.sim().info().strategy_names; })
      .def_property_readonly("population", [](const PySimulation& s) { return s.sim().info().population; })
      .def("observables", [](const PySimulation& s) { return observables_dict(s.sim().observables()); })
      .def("customer_arrays",
           [](py::object self) {
             const auto& s = self.cast<const PySimulation&>();
             const CustomerArrays c = s.sim().customers();
             const auto k = static_cast<std::size_t>(c.consideration_slots);
             py::dict d;
             d["firm"] = view_array(c.firm, self);
             d["voice"] = view_array(c.voice, self);
             d["tenure"] = view_array(c.tenure, self);
             d["expectation"] = view_array(c.expectation, self);
             d["satisfaction"] = view_array(c.satisfaction, self);
             d["success"] = view_array(c.success, self);
             d["difficulty"] = view_array(c.difficulty, self);
             d["effort"] = view_array(c.effort, self);
             d["traits"] = view_array(c.traits, self);
             d["consider"] = view_array(c.consider, self, k);
             d["reputation"] = view_array(c.reputation, self, k);
             return d;
           })
      .def("network_csr",
           [](py::object self) {
             const auto& s = self.cast<const PySimulation&>();
             const NetworkCsr csr = s.sim().network();
             return py::make_tuple(csr.complete, csr.size, view_array(csr.offsets, self),
                                   view_array(csr.neighbours, self));
           })
      .def("open_output", &PySimulation::open_output, py::arg("path"), py::arg("created_utc") = "")
      .def("write_custom", &PySimulation::write_custom)
      .def("finish_output", &PySimulation::finish_output)
      .def("abandon_output", &PySimulation::abandon_output)
      .def("fail", &PySimulation::fail);
}
