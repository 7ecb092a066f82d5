"""missionsim from Python: drive the engine, write strategies and reporters, explore.

    import missionsim
    sim = missionsim.Simulation.from_file("scenarios/baseline.toml", overrides={"customers.count": 2000})
    sim.run(callback=lambda s: print(s.t, s.observables()["hhi"]))

The engine is the same C++ library as the ``missionsim`` command (the
extension module ``_missionsim``); this package adds scenario loading from
files, TOML text or dicts, Python strategies and reporters. Names of
observables are those of docs/OUTPUT.md. See python/README.md for the rules
(view lifetime, strategy calls, the /custom group).
"""
from __future__ import annotations

import json
import math
import os
import traceback
from collections import namedtuple

import numpy as np

import _missionsim as _core
from _missionsim import Allocation, FirmView, MarketView, ScenarioError  # noqa: F401

__all__ = ["Simulation", "Strategy", "Allocation", "FirmView", "MarketView", "ScenarioError", "StrategyError",
           "ReporterError", "StaleViewError", "register_strategy", "registered_strategies", "to_toml"]


class StrategyError(RuntimeError):
    """A Python strategy raised: the message names the strategy, firm and step, with the traceback."""


class ReporterError(RuntimeError):
    """A reporter raised: the message names the reporter and step, with the traceback."""


class StaleViewError(RuntimeError):
    """A customer view was used after the simulation stepped on."""


_core._set_strategy_error(StrategyError)


# ----------------------------------------------------------------------------
# Strategies


class Strategy:
    """A mission strategy whose firm-level decisions are Python methods.

    Subclass it and override ``price(firm, market) -> float`` and/or
    ``allocate(firm, market) -> Allocation | dict``; a method not overridden
    keeps the built-in rule of the parameter set. ``base`` names that
    parameter set (a built-in, or a ``[[strategies]]`` entry of the
    scenario), which also fixes what the engine does outside the decisions
    (investment rate, payout, grants, ...). One instance serves every firm of
    the strategy in one simulation: keep per-firm state keyed by
    ``firm.firm`` (the slot index). Calls come once per live firm per step, in
    slot order, on the thread that called ``step()``; customers never call
    into Python.
    """

    base = "shareholder"

    def __init__(self, params: dict):
        self.params = params  # the resolved parameter set (StrategyParams as a dict)

    def price(self, firm: FirmView, market: MarketView) -> float:  # pragma: no cover - never called
        raise NotImplementedError

    def allocate(self, firm: FirmView, market: MarketView):  # pragma: no cover - never called
        raise NotImplementedError


_registry: dict[str, type] = {}


def register_strategy(name: str, cls: type, base: str | None = None) -> None:
    """Make ``name`` usable as a strategy in scenarios run from Python (``[[firms]] strategy = name``).

    ``base``: the parameter set it starts from (default ``cls.base``). When the
    scenario does not define ``name`` in ``[[strategies]]`` itself, the entry
    ``[[strategies]] name = name, base = base`` is added to it (and so appears
    in the trajectory's /scenario).
    """
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise TypeError(f"register_strategy: {cls!r} is not a subclass of missionsim.Strategy")
    if name in _core.builtin_strategy_names():
        raise ValueError(f"register_strategy: '{name}' is a built-in strategy; choose another name")
    if base is not None:
        cls = type(cls.__name__, (cls,), {"base": base})
    _registry[name] = cls


def registered_strategies() -> dict:
    return dict(_registry)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} {value!r} as a TOML value")


def to_toml(scenario: dict) -> str:
    """A scenario dict (as tomllib reads one) as TOML text."""
    lines: list[str] = []

    def is_table_array(v):
        return isinstance(v, list) and v and all(isinstance(x, dict) for x in v)

    def emit(table: dict, prefix: str):
        for key, value in table.items():
            if not isinstance(value, dict) and not is_table_array(value):
                lines.append(f"{key} = {_toml_value(value)}")
        for key, value in table.items():
            path = f"{prefix}.{key}" if prefix else key
            if isinstance(value, dict):
                lines.append(f"\n[{path}]")
                emit(value, path)
            elif is_table_array(value):
                for item in value:
                    lines.append(f"\n[[{path}]]")
                    emit(item, path)

    emit(scenario, "")
    return "\n".join(lines).lstrip("\n") + "\n"


def _override_strings(overrides, seed) -> list[str]:
    out = [f"{k}={_toml_value(v)}" for k, v in (overrides or {}).items()]
    if seed is not None:  # last, as the CLI's --seed
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        out.append(f"run.seed={int(seed)}")
    return out


def _referenced_strategies(text: str, overrides: list[str]) -> tuple[set, set]:
    """Strategy names the scenario uses (firms, entry mix) and those it defines."""
    import tomllib
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return set(), set()  # the engine's reader reports it, with file and line
    used = {f.get("strategy") for f in doc.get("firms", []) if isinstance(f, dict)}
    economics = doc.get("economics", {})
    if isinstance(economics, dict) and isinstance(economics.get("entry_mix"), list):
        used |= set(economics["entry_mix"])
    for o in overrides:  # --set firms.0.strategy="x"
        value = o.split("=", 1)[1].strip()
        used |= {s.strip().strip('"') for s in value.strip("[]").split(",")}
    defined = {s.get("name") for s in doc.get("strategies", []) if isinstance(s, dict)}
    return used, defined


# ----------------------------------------------------------------------------
# Views

NetworkCSR = namedtuple("NetworkCSR", "complete size offsets neighbours")
NetworkCSR.__doc__ = ("The network in CSR form: neighbours of i are neighbours[offsets[i]:offsets[i+1]]; "
                      "both arrays empty when complete (mean-field mixing). Read-only views, valid for the "
                      "simulation's life.")


class CustomerView:
    """Read-only, zero-copy numpy views of the customer arrays at one step.

    Attributes: firm (uint16, 0xFFFF = none), voice, tenure, expectation,
    satisfaction, success, difficulty, effort, traits, consider [n, K],
    reputation [n, K]. The arrays alias the engine's buffers, which the next
    step() overwrites (the firm and voice buffers swap). The rule: a view is
    valid until the next step. Reading an attribute of this object after a
    step raises StaleViewError; an array already taken from it is not
    checked and then shows later (possibly half-written) state: copy it
    (``np.array(view.firm)``) to keep it.
    """

    def __init__(self, sim: "Simulation"):
        object.__setattr__(self, "_sim", sim)
        object.__setattr__(self, "_generation", sim._core.generation)
        object.__setattr__(self, "_arrays", sim._core.customer_arrays())
        object.__setattr__(self, "step", sim.t)

    @property
    def valid(self) -> bool:
        return self._sim._core.generation == self._generation

    def __getattr__(self, name):
        arrays = object.__getattribute__(self, "_arrays")
        if name not in arrays:
            raise AttributeError(f"customers have no array '{name}' (have: {', '.join(arrays)})")
        if not self.valid:
            raise StaleViewError(f"customer view of step {self.step} used at step {self._sim.t}: views are "
                                 "valid until the next step; take a new one with sim.customers()")
        return arrays[name]

    def __setattr__(self, name, value):
        raise AttributeError("customer views are read-only")

    def __dir__(self):
        return list(object.__getattribute__(self, "_arrays")) + ["valid", "step"]

    def keys(self):
        return list(self._arrays)


# ----------------------------------------------------------------------------
# The simulation


class _Reporter:
    def __init__(self, name, fn, every, attrs):
        self.name, self.fn, self.every, self.attrs = name, fn, every, attrs
        self.first_step = None
        self.rows: list = []


class Simulation:
    """One run. Build it with from_file, from_toml or from_dict."""

    def __init__(self, params, threads=None, strategies=None):
        policies = dict(_registry)
        policies.update(strategies or {})
        self._policy_classes = policies
        self._policies_made: list = []  # the policy objects of this run, in creation order
        self._core = _core.Simulation(params, threads, self._make_policy if policies else None)
        self._reporters: dict[str, _Reporter] = {}
        self._output = None
        self._run_reporters()

    def _make_policy(self, name, params):
        cls = self._policy_classes.get(name)
        if cls is None:
            return None
        obj = cls(params)
        self._policies_made.append(obj)
        return (obj, type(obj).price is not Strategy.price, type(obj).allocate is not Strategy.allocate)

    @staticmethod
    def _prepare(text, overrides, seed, strategies):
        sets = _override_strings(overrides, seed)
        extra = ""
        known = dict(_registry)
        known.update(strategies or {})
        if known and text is not None:
            used, defined = _referenced_strategies(text, sets)
            for name in sorted(used & set(known) - defined):
                extra += f'\n[[strategies]]\nname = {json.dumps(name)}\nbase = {json.dumps(known[name].base)}\n'
        return sets, extra

    @classmethod
    def from_file(cls, path, overrides=None, seed=None, threads=None, strategies=None) -> "Simulation":
        """Read a scenario file as ``missionsim run PATH --set k=v ... --seed S`` does.

        ``overrides``: {"customers.count": 2000, ...}; ``strategies``: {name:
        Strategy subclass} for this run (added to the registered ones).
        Raises ScenarioError with the CLI's message (file:line:column: key ...).
        """
        path = os.fspath(path)
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            text = None  # the engine's reader reports it as the CLI does
        sets, extra = cls._prepare(text, overrides, seed, strategies)
        params = _core.load(path, None, path, extra, sets)
        return cls(params, threads, strategies)

    @classmethod
    def from_toml(cls, text: str, overrides=None, seed=None, threads=None, strategies=None,
                  source="<string>") -> "Simulation":
        sets, extra = cls._prepare(text, overrides, seed, strategies)
        params = _core.load(None, text, source, extra, sets)
        return cls(params, threads, strategies)

    @classmethod
    def from_dict(cls, scenario: dict, overrides=None, seed=None, threads=None, strategies=None,
                  source="<dict>") -> "Simulation":
        return cls.from_toml(to_toml(scenario), overrides, seed, threads, strategies, source)

    # -- facts
    @property
    def t(self) -> int:
        """Steps done so far."""
        return self._core.t

    @property
    def steps(self) -> int:
        """Steps the scenario plans (run.steps)."""
        return self._core.steps

    @property
    def seed(self) -> int:
        return self._core.seed

    @property
    def firm_names(self) -> list:
        return self._core.firm_names

    @property
    def firm_strategies(self) -> list:
        return self._core.firm_strategies

    @property
    def strategy_names(self) -> list:
        return self._core.strategy_names

    @property
    def policies(self) -> list:
        """The Python strategy objects of this run (one per Python strategy used), in creation order."""
        return list(self._policies_made)

    @property
    def population(self) -> int:
        return self._core.population

    @property
    def scenario_toml(self) -> str:
        """The resolved scenario, as written to /scenario."""
        return self._core.scenario_toml

    def observables(self) -> dict:
        """Firm-level ([F] arrays) and market-level values of the current step, named as in docs/OUTPUT.md."""
        return self._core.observables()

    def customers(self) -> CustomerView:
        """Zero-copy read-only views of the customer arrays, valid until the next step."""
        return CustomerView(self)

    def network(self) -> NetworkCSR:
        return NetworkCSR(*self._core.network_csr())

    # -- reporters
    def add_reporter(self, name: str, fn, every: int = 1, units: str = "", long_name: str = ""):
        """Record ``fn(sim)`` (a number or a fixed-length 1-D array) at every ``every``-th step.

        Rows are taken at the steps t (from now on, t = now included) with t %
        every == 0 and written, when the trajectory finishes, to the dataset
        /custom/<name> [rows] or [rows, width] float64 with attributes every,
        first_step, units, long_name (python/README.md).
        """
        if name in self._reporters:
            raise ValueError(f"reporter '{name}' exists")
        if "/" in name or not name:
            raise ValueError(f"reporter name '{name}' must be non-empty and contain no '/'")
        if every < 1:
            raise ValueError(f"every must be at least 1, got {every}")
        self._reporters[name] = _Reporter(name, fn, int(every), {"units": units, "long_name": long_name})
        self._run_reporters(only=name)

    def reported(self, name: str) -> np.ndarray:
        """The rows a reporter has recorded so far."""
        return np.asarray(self._reporters[name].rows, dtype=float)

    def _run_reporters(self, only=None):
        t = self.t
        for r in self._reporters.values():
            if (only and r.name != only) or t % r.every:
                continue
            try:
                value = np.asarray(r.fn(self), dtype=float)
                if value.ndim > 1:
                    raise ValueError(f"a reporter returns a number or a 1-D array, got shape {value.shape}")
                if r.rows and value.shape != np.shape(r.rows[0]):
                    raise ValueError(f"shape {value.shape} differs from the first row's {np.shape(r.rows[0])}")
            except Exception as err:
                partial = self._core.abandon_output() if self._output else ""
                self._output = None
                self._core.fail()
                raise ReporterError(f"reporter '{r.name}' failed at step {t}:\n{traceback.format_exc()}"
                                    + (f"partial trajectory kept in {partial}" if partial else "")) from err
            if r.first_step is None:
                r.first_step = t
            r.rows.append(value)

    # -- stepping
    def step(self) -> None:
        """Advance one step (appending a row to the trajectory when an output is open), then run reporters."""
        try:
            self._core.step()
        except Exception as err:
            if self._output:
                err.add_note(f"missionsim: partial trajectory kept in {self._output}.partial")
                self._output = None
            raise
        self._run_reporters()

    def run(self, steps=None, callback=None, output=None, created_utc=None):
        """Step ``steps`` times (default: to the scenario's run.steps), calling ``callback(sim)`` after each.

        With ``output``, write the trajectory as ``missionsim run -o output``
        does (must start at t = 0; the file is finished when the run reaches
        run.steps); returns the path. An exception (in a strategy, a reporter
        or the callback) stops the run and keeps ``output.partial``.
        """
        if output is not None:
            self.open_output(output, created_utc)
        n = self.steps - self.t if steps is None else int(steps)
        try:
            for _ in range(n):
                self.step()
                if callback is not None:
                    callback(self)
        except BaseException as err:
            if self._output:
                partial = self.abandon_output()
                if isinstance(err, Exception):
                    err.add_note(f"missionsim: run stopped at step {self.t}; partial trajectory kept in {partial}")
            raise
        if self._output and self.t == self.steps:
            return self.finish_output()
        return None

    # -- output
    def open_output(self, path, created_utc=None) -> None:
        """Create ``path.partial`` and write the t = 0 row (before the first step)."""
        path = os.fspath(path)
        parent = os.path.dirname(path)
        if parent:
            os.makedirs(parent, exist_ok=True)
        self._core.open_output(path, created_utc or "")
        self._output = path

    def finish_output(self) -> str:
        """Write /custom, complete = 1 and the content digest, rename to the final path; returns it."""
        for r in self._reporters.values():
            if r.first_step is None:
                continue
            attrs = dict(r.attrs, every=r.every, first_step=r.first_step)
            self._core.write_custom(r.name, np.asarray(r.rows, dtype=float), attrs)
        path = self._core.finish_output()
        self._output = None
        return path

    def abandon_output(self) -> str:
        """Stop writing; the trajectory stays ``<path>.partial`` with complete = 0. Returns that path."""
        self._output = None
        return self._core.abandon_output()
