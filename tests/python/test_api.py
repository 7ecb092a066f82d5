"""The Python API (python/missionsim over the built _missionsim): stepping, views, output, errors."""

import os

import h5py
import numpy as np
import pytest

import _missionsim
import missionsim
from analysis.readers import TrajectoryError, load_run
from testlib import h5_differences


def test_the_built_module_is_imported():
    # The module of this build tree, never an installed copy.
    here = os.path.dirname(os.path.abspath(_missionsim.__file__))
    assert here in [os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(":") if p]
    assert "site-packages" not in here and "dist-packages" not in here


def test_run_to_hdf5_equals_the_cli_bit_for_bit(cli, tiny, tmp_path):
    a, b = tmp_path / "cli.h5", tmp_path / "py.h5"
    proc = cli("run", tiny, "-o", a, "--set", "customers.count=400", "--seed", "11", "--quiet")
    assert proc.returncode == 0, proc.stderr
    sim = missionsim.Simulation.from_file(tiny, overrides={"customers.count": 400}, seed=11)
    assert sim.run(output=b) == str(b)
    assert h5_differences(a, b) == []
    # With the CLI's creation time the two files are the same bytes.
    with h5py.File(a, "r") as f:
        created = f.attrs["created_utc"]
        created = created.decode() if isinstance(created, bytes) else str(created)
    c = tmp_path / "py2.h5"
    missionsim.Simulation.from_file(tiny, overrides={"customers.count": 400}, seed=11).run(output=c,
                                                                                        created_utc=created)
    assert a.read_bytes() == c.read_bytes()


def test_stepping_observables_match_the_trajectory(cli, tiny, tmp_path):
    out = tmp_path / "t.h5"
    assert cli("run", tiny, "-o", out, "--quiet").returncode == 0
    ds = load_run(out)
    sim = missionsim.Simulation.from_file(tiny)
    assert sim.t == 0 and sim.steps == ds.sizes["time"] - 1
    for t in range(sim.steps + 1):
        if t:
            sim.step()
        assert sim.t == t
        obs = sim.observables()
        assert obs["time"] == t
        for name in ("customers", "share", "price", "cash", "satisfaction", "success", "nps", "alive"):
            np.testing.assert_array_equal(obs[name], ds[name].values[t], err_msg=f"{name} at t={t}")
        for name in ("adopters", "hhi", "churn_rate", "success_weight", "expectation_mean"):
            np.testing.assert_array_equal(obs[name], ds[name].values[t], err_msg=f"{name} at t={t}")
    assert list(ds.firm.values) == sim.firm_names


def test_from_dict_and_toml_equal_from_file(tiny):
    import tomllib
    text = tiny.read_text()
    runs = [missionsim.Simulation.from_file(tiny, seed=3),
            missionsim.Simulation.from_toml(text, seed=3),
            missionsim.Simulation.from_dict(tomllib.loads(text), seed=3)]
    for sim in runs:
        sim.run(steps=5)
    ref = runs[0].observables()
    for sim in runs[1:]:
        assert sim.scenario_toml == runs[0].scenario_toml
        for k, v in sim.observables().items():
            np.testing.assert_array_equal(v, ref[k], err_msg=k)


def test_customer_views_are_zero_copy_read_only_and_expire(tiny):
    sim = missionsim.Simulation.from_file(tiny)
    sim.run(steps=3)
    view = sim.customers()
    firm = view.firm
    assert firm.dtype == np.uint16 and firm.shape == (sim.population,)
    assert not firm.flags.owndata and firm.base is not None and not firm.flags.writeable
    again = sim.customers().firm
    # Both views alias the engine's one buffer: no copy was made.
    assert firm.__array_interface__["data"][0] == again.__array_interface__["data"][0]
    assert np.shares_memory(firm, again)
    with pytest.raises(ValueError):
        firm[0] = 1
    # The view is the state the observables summarise.
    counts = np.bincount(firm[firm != 0xFFFF], minlength=len(sim.firm_names))
    np.testing.assert_array_equal(counts, sim.observables()["customers"])
    assert view.consider.shape[0] == sim.population and view.consider.base is not None
    assert view.valid
    sim.step()
    assert not view.valid
    with pytest.raises(missionsim.StaleViewError, match="valid until the next step"):
        view.satisfaction
    fresh = sim.customers()
    np.testing.assert_array_equal(np.bincount(fresh.firm[fresh.firm != 0xFFFF], minlength=len(sim.firm_names)),
                                  sim.observables()["customers"])


def test_network_in_csr_form(tiny):
    sim = missionsim.Simulation.from_file(tiny)
    net = sim.network()
    n = sim.population
    assert not net.complete and net.size == n
    assert net.offsets.shape == (n + 1,) and net.offsets[0] == 0 and net.offsets[-1] == len(net.neighbours)
    assert not net.neighbours.flags.owndata and not net.neighbours.flags.writeable
    # Undirected: j is a neighbour of i exactly when i is one of j.
    rows = np.repeat(np.arange(n), np.diff(net.offsets))
    edges = set(zip(rows.tolist(), net.neighbours.tolist()))
    assert edges and all((j, i) in edges for i, j in edges)
    complete = missionsim.Simulation.from_file(tiny, overrides={"network.kind": "complete"}).network()
    assert complete.complete and len(complete.neighbours) == 0


def test_bad_scenario_raises_the_cli_message(cli, tmp_path, tiny):
    bad = tmp_path / "bad.toml"
    bad.write_text(tiny.read_text().replace("count = 500", "count = -5"))
    proc = cli("validate", bad)
    assert proc.returncode != 0
    with pytest.raises(missionsim.ScenarioError) as err:
        missionsim.Simulation.from_file(bad)
    message = str(err.value)
    assert f"{bad}:" in message and "customers.count" in message
    assert message in proc.stderr
    with pytest.raises(missionsim.ScenarioError, match="run.steps"):
        missionsim.Simulation.from_file(tiny, overrides={"run.steps": 0})
    with pytest.raises(missionsim.ScenarioError, match="missing.toml"):
        missionsim.Simulation.from_file(tmp_path / "missing.toml")


def test_reporter_dataset_in_the_file_and_in_load_run(tiny, tmp_path):
    sim = missionsim.Simulation.from_file(tiny)

    def top_share(s):
        return s.observables()["share"].max()

    def sat_quartiles(s):
        c = s.customers()
        sat = c.satisfaction[c.firm != 0xFFFF]
        return np.quantile(sat, [0.25, 0.5, 0.75]) if sat.size else np.full(3, np.nan)

    sim.add_reporter("top_share", top_share, units="1", long_name="largest market share")
    sim.add_reporter("sat_quartiles", sat_quartiles, every=4)
    out = sim.run(output=tmp_path / "r.h5")
    with h5py.File(out, "r") as f:
        d = f["custom/top_share"]
        assert d.shape == (sim.steps + 1,) and d.attrs["every"] == 1 and d.attrs["first_step"] == 0
        assert f["custom/sat_quartiles"].shape == (sim.steps // 4 + 1, 3)
    ds = load_run(out)  # verifies the content digest, /custom included
    np.testing.assert_array_equal(ds["custom_top_share"].values, sim.reported("top_share"))
    np.testing.assert_array_equal(ds["custom_top_share"].values, ds["share"].max("firm").values)
    q = ds["custom_sat_quartiles"]
    assert q.dims == ("time", "custom_sat_quartiles_column")
    np.testing.assert_array_equal(q.values[::4], sim.reported("sat_quartiles"))
    assert np.isnan(q.values[1]).all()
    # The digest covers /custom: a changed reporter value is caught.
    with h5py.File(out, "r+") as f:
        f["custom/top_share"][3] = 0.5
    with pytest.raises(TrajectoryError):
        load_run(out)


def test_callback_error_stops_the_run_and_keeps_the_partial(tiny, tmp_path):
    sim = missionsim.Simulation.from_file(tiny)

    def callback(s):
        if s.t == 3:
            raise KeyError("boom")

    out = tmp_path / "cb.h5"
    with pytest.raises(KeyError) as err:
        sim.run(output=out, callback=callback)
    assert any("step 3" in note and "cb.h5.partial" in note for note in err.value.__notes__)
    assert not out.exists()
    with h5py.File(str(out) + ".partial", "r") as f:
        assert f.attrs["complete"] == 0 and f["time"].shape == (4,)


def test_reporter_error_names_the_reporter_and_step(tiny, tmp_path):
    sim = missionsim.Simulation.from_file(tiny)
    sim.add_reporter("fragile", lambda s: 1.0 / (s.t - 2))
    sim.open_output(tmp_path / "rep.h5")
    with pytest.raises(missionsim.ReporterError, match=r"(?s)reporter 'fragile' failed at step 2.*ZeroDivision"):
        sim.run()
    assert (tmp_path / "rep.h5.partial").exists() and not (tmp_path / "rep.h5").exists()


def test_finish_refuses_an_unfinished_run(tiny, tmp_path):
    sim = missionsim.Simulation.from_file(tiny)
    sim.open_output(tmp_path / "x.h5")
    sim.run(steps=2)
    with pytest.raises(RuntimeError, match="2 of 24 steps"):
        sim.finish_output()
    late = missionsim.Simulation.from_file(tiny)
    late.step()
    with pytest.raises(RuntimeError, match="before the first step"):
        late.open_output(tmp_path / "y.h5")
