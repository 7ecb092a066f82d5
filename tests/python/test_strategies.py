"""Strategies written in Python: exact mirror of a built-in, a conditional policy, threads, errors."""

import h5py
import numpy as np
import pytest

import missionsim
from missionsim.examples import BuiltinRules, ImpactAfterBreakEven
from testlib import h5_differences

# The tiny scenario with one firm following "mirror", a scenario-defined
# strategy on the shareholder parameters: the CLI runs it with the C++ rule,
# Python runs it with the class below.
MIRROR_EXTRA = """
[[strategies]]
name = "mirror"
base = "shareholder"

[[firms]]
strategy = "mirror"
"""


class PyShareholder(missionsim.Strategy):
    """The shareholder rules (Eq. 63 profit-maximising price, Eq. 37 and 64 allocation), in Python."""

    def __init__(self, params):
        super().__init__(params)
        self.calls = 0

    def price(self, firm, market):
        self.calls += 1
        alpha = max(market.mean_price_sensitivity, 1e-9)
        s = min(max(firm.share_of_adopters, 0.0), 0.95)
        return firm.unit_cost + market.logit_scale / (alpha * (1.0 - s))

    def allocate(self, firm, market):
        p = self.params
        a = missionsim.Allocation(rd=p["share_rd"], imitation=p["share_imitation"], service=p["share_service"],
                                  enablement=p["share_enablement"], cocreation=p["share_cocreation"],
                                  marketing=p["share_marketing"])
        if firm.profit < 0 and p["loss_cut"] > 0:
            a.rd *= 1.0 - p["loss_cut"]
            a.imitation *= 1.0 - p["loss_cut"]
        return a


@pytest.fixture
def mirror_scenario(tiny, tmp_path):
    path = tmp_path / "mirror.toml"
    path.write_text(tiny.read_text() + MIRROR_EXTRA)
    return path


def test_python_mirror_of_a_builtin_reproduces_its_trajectory(cli, mirror_scenario, tmp_path):
    a = tmp_path / "cli.h5"
    assert cli("run", mirror_scenario, "-o", a, "--quiet").returncode == 0
    sim = missionsim.Simulation.from_file(mirror_scenario, strategies={"mirror": PyShareholder})
    b = sim.run(output=tmp_path / "py.h5")
    assert h5_differences(a, b) == []
    with h5py.File(a, "r") as f:
        live_firm_steps = int(f["firms/alive"][1:, 3].sum())
    # One price call per step the firm was alive: the Python rule was used, not the C++ one.
    (policy,) = sim.policies
    assert policy.calls == live_firm_steps > 0


def test_conditional_strategy_changes_outcomes(cli, mirror_scenario, tmp_path):
    # The tiny market cannot cover the default fixed cost (1000/step): no firm would ever break even.
    base = tmp_path / "base.h5"
    assert cli("run", mirror_scenario, "-o", base, "--quiet", "--set", "economics.fixed_cost=5").returncode == 0
    sim = missionsim.Simulation.from_file(mirror_scenario, overrides={"economics.fixed_cost": 5.0},
                                          strategies={"mirror": ImpactAfterBreakEven})
    cond = sim.run(output=tmp_path / "cond.h5")
    (policy,) = sim.policies
    assert policy.switched, "no firm broke even: the test scenario does not exercise the switch"
    switch = min(policy.switched.values())
    with h5py.File(base, "r") as a, h5py.File(cond, "r") as b:
        # The same run up to the step of the switch (its decisions show in that step's row), different after.
        for name in ("firms/cash", "firms/success", "firms/customers"):
            np.testing.assert_array_equal(a[name][:switch], b[name][:switch], err_msg=name)
        assert not np.array_equal(a["firms/success"][switch:], b["firms/success"][switch:])


def test_all_builtin_rules_in_python_reproduce_the_builtins(cli, tiny, tmp_path):
    # Every firm of the tiny scenario on a Python transcription of its built-in's rules.
    text = tiny.read_text()
    names = ("shareholder", "satisfaction", "success")
    for n in names:
        text = text.replace(f'strategy = "{n}"', f'strategy = "py_{n}"\nname = "{n}"')
        text += f'\n[[strategies]]\nname = "py_{n}"\nbase = "{n}"\n'
    path = tmp_path / "rules.toml"
    path.write_text(text)
    a = tmp_path / "cli.h5"
    assert cli("run", path, "-o", a, "--quiet").returncode == 0
    sim = missionsim.Simulation.from_file(path, strategies={f"py_{n}": BuiltinRules for n in names})
    assert len(sim.policies) == 3
    assert h5_differences(a, sim.run(output=tmp_path / "py.h5")) == []


def test_python_strategy_is_deterministic_across_threads(mirror_scenario, tmp_path):
    paths = []
    for threads in (1, 4):
        sim = missionsim.Simulation.from_file(mirror_scenario, threads=threads,
                                              overrides={"economics.fixed_cost": 5.0},
                                              strategies={"mirror": ImpactAfterBreakEven})
        paths.append(sim.run(output=tmp_path / f"t{threads}.h5"))
    assert h5_differences(*paths) == []


def test_registered_name_usable_in_a_scenario(tiny, tmp_path):
    missionsim.register_strategy("py_break_even", ImpactAfterBreakEven)
    try:
        path = tmp_path / "reg.toml"
        path.write_text(tiny.read_text() + '\n[[firms]]\nstrategy = "py_break_even"\n')
        sim = missionsim.Simulation.from_file(path, overrides={"economics.fixed_cost": 5.0})
        assert "py_break_even" in sim.strategy_names
        assert 'name = "py_break_even"' in sim.scenario_toml
        sim.run()
        assert isinstance(sim.policies[0], ImpactAfterBreakEven) and sim.policies[0].switched
    finally:
        missionsim._registry.pop("py_break_even")
    with pytest.raises(missionsim.ScenarioError, match="py_break_even"):
        missionsim.Simulation.from_file(path)


class Faulty(PyShareholder):
    def price(self, firm, market):
        if firm.step == 5:
            return self.helper(firm)
        return super().price(firm, market)

    def helper(self, firm):
        return {}[firm.firm]


def test_exception_in_a_strategy_names_firm_and_step_and_keeps_the_partial(mirror_scenario, tmp_path):
    sim = missionsim.Simulation.from_file(mirror_scenario, strategies={"mirror": Faulty})
    out = tmp_path / "f.h5"
    with pytest.raises(missionsim.StrategyError) as err:
        sim.run(output=out)
    msg = str(err.value)
    assert "strategy 'mirror' failed in price() for firm 'mirror' (slot 3) at step 5" in msg
    assert "Traceback" in msg and "in helper" in msg and "KeyError" in msg
    assert not out.exists()
    with h5py.File(str(out) + ".partial", "r") as f:
        assert f.attrs["complete"] == 0 and f["time"][-1] == 4
    with pytest.raises(RuntimeError, match="stopped on an error"):
        sim.step()
    # The interpreter carries on.
    assert missionsim.Simulation.from_file(mirror_scenario).run(steps=2) is None


def test_bad_return_value_is_an_error_not_a_crash(mirror_scenario):
    class BadAlloc(missionsim.Strategy):
        def allocate(self, firm, market):
            return {"research": 1.0}

    sim = missionsim.Simulation.from_file(mirror_scenario, strategies={"mirror": BadAlloc})
    with pytest.raises(missionsim.StrategyError, match="unknown share 'research'"):
        sim.step()

    class BadPrice(missionsim.Strategy):
        def price(self, firm, market):
            return "cheap"

    sim = missionsim.Simulation.from_file(mirror_scenario, strategies={"mirror": BadPrice})
    with pytest.raises(missionsim.StrategyError, match="must return a number"):
        sim.step()
