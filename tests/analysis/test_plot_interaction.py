"""plot_sweep's interaction figure (--x, --by, --facet, --at), tick labels and legends.

Figures are drawn with matplotlib's Agg backend and checked by their content:
lines, their values, tick texts, titles and legend texts. Sweeps are a real
collected grid (scenarios/sweeps/tiny-grid.toml) whose numbers are replaced
with h5py where a test needs known values, and the same sweep with outcomes
over time in the agreed schema (conftest.add_time_resolved).
"""

import shutil

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy import stats  # noqa: E402

from analysis.plot_sweep import (DPI, Interaction, Outcome, fig_interaction,  # noqa: E402
                                 fig_outcome_vs_parameters, figure_size,
                                 format_values, pixel_size)
from analysis.sweep import load_dataset, load_sweep  # noqa: E402
from conftest import _reseal, add_time_resolved, plot_sweep_cmd, png_size  # noqa: E402

KIND, TALK = "network.kind", "word_of_mouth.talk_rate"
THIRDS = {0.1: 0.2, 0.3: 1.0 / 3.0, 0.5: 0.5}


@pytest.fixture(scope="module")
def known(grid_sweep, tmp_path_factory):
    """tiny-grid with talk rates 0.2, 1/3, 0.5 and known success and shareholder shares."""
    target = tmp_path_factory.mktemp("known") / "grid"
    shutil.copytree(grid_sweep, target)
    with h5py.File(target / "sweep.h5", "r+") as f:
        names = [n.decode() if isinstance(n, bytes) else n for n in f["parameters/name"][()]]
        j = names.index(TALK)
        value = f["parameters/value"][()]
        text = f["parameters/text"][()].astype(object)
        for i in range(value.shape[0]):
            value[i, j] = THIRDS[round(float(value[i, j]), 6)]
            text[i, j] = repr(value[i, j])
        f["parameters/value"][...] = value
        del f["parameters/text"]
        f.create_dataset("parameters/text", data=text, dtype=h5py.string_dtype())
        f["parameters/text"].attrs.create("units", "", dtype=h5py.string_dtype())
        f["parameters/text"].attrs.create("long_name", "TOML text", dtype=h5py.string_dtype())
        strategies = [n.decode() if isinstance(n, bytes) else n
                      for n in f["outcomes/strategy/name"][()]]
        share = f["outcomes/strategy/share"][()]
        point = f["runs/point"][()]
        rep = f["runs/replicate"][()]
        # success: 1 % per point plus a replicate spread; shareholder: 2 %.
        share[:, strategies.index("success")] = 0.01 * point + 0.002 * rep ** 2
        share[:, strategies.index("shareholder")] = 0.02
        f["outcomes/strategy/share"][...] = share
        for name in ("outcomes/time", "outcomes_t", "outcomes/derived"):  # collect's K = 1 copies
            if name in f:
                del f[name]
        _reseal(f)
    return target


@pytest.fixture(scope="module")
def over_time(grid_sweep, tmp_path_factory):
    """tiny-grid (12 steps) with outcomes at t = 4, 8, 12 and a derived difference."""
    target = tmp_path_factory.mktemp("over_time") / "grid"
    shutil.copytree(grid_sweep, target)
    strategies = load_sweep(target).attrs["strategies"]
    s, h = strategies.index("success"), strategies.index("shareholder")
    diff = ("share[success] - share[shareholder]",
            lambda made: made["share"][:, :, s] - made["share"][:, :, h])
    return add_time_resolved(target, [4, 8, 12], per_time={"success_minus_shareholder": diff})


def _draw(path, outcome, x, by=None, facet=None, at=None):
    df = load_sweep(path)
    ds = load_dataset(path, probe=False)
    out = Outcome(df, outcome, ds)
    spec = Interaction(df, ds, out, x, by, facet, at)
    fig = plt.figure(figsize=figure_size("interaction", df, out, spec.layout(df)), dpi=DPI,
                     layout="constrained")
    fig_interaction(df, fig, out, spec)
    fig.canvas.draw()
    return df, ds, fig


def _data_lines(ax):
    return [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 1 and ln.get_label()[0] != "_"]


def _legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_one_line_per_level_with_the_ci_across_replicates(known):
    df, ds, fig = _draw(known, "share[success] - share[shareholder]", "talk_rate", by=KIND)
    ax = fig.axes[0]
    lines = _data_lines(ax)
    assert [ln.get_label() for ln in lines] == ["barabasi-albert", "erdos-renyi", "watts-strogatz"]
    # Readable ticks: 1/3 as 0.33, the axis labelled with the key.
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.2", "0.33", "0.5"]
    assert ax.get_xlabel().startswith(TALK)
    # Each point: the mean over the 4 replicates of one design point, in percentage points.
    rep = np.arange(4)
    spread = 100 * 0.002 * rep ** 2
    half = stats.t.ppf(0.975, 3) * spread.std(ddof=1) / 2.0
    for b, line in enumerate(lines):
        kind = line.get_label()
        points = sorted(set(df.loc[df[KIND] == kind, "point"]))
        want = [100 * (0.01 * p - 0.02) + spread.mean() for p in points]
        np.testing.assert_allclose(line.get_ydata(), want, atol=1e-12)
        np.testing.assert_allclose(line.get_xdata(), [0.2, 1 / 3, 0.5])
    bands = [c for c in ax.collections if c.get_paths()]
    assert len(bands) == 3
    ys = bands[0].get_paths()[0].vertices[:, 1]
    first = _data_lines(ax)[0].get_ydata()[0]
    assert ys.max() == pytest.approx(lines[2].get_ydata().max() + half) or \
        np.isclose(ys, first + half).any()
    texts = _legend_texts(ax)
    assert texts[:3] == ["barabasi-albert", "erdos-renyi", "watts-strogatz"]
    assert "95 % t interval of the mean over the 4 runs at each design point" in \
        texts[3].replace("\n", " ")
    assert "pooled" not in texts[3]
    assert ax.get_legend().get_title().get_text() == KIND
    assert "percentage points" in ax.get_ylabel()
    plt.close(fig)


def test_pooled_cells_say_so(known):
    df, ds, fig = _draw(known, "success:share", "talk_rate")
    ax = fig.axes[0]
    assert len(_data_lines(ax)) == 1
    band = _legend_texts(ax)[-1].replace("\n", " ")
    assert "over the 12 runs in each cell (pooled over network.kind)" in band
    plt.close(fig)


def test_panels_per_time_and_facets(over_time):
    df, ds, fig = _draw(over_time, "success_minus_shareholder", "talk_rate", by=KIND, at=[4, 12])
    axes = [a for a in fig.axes if a.get_title()]
    assert [a.get_title() for a in axes] == ["t = 4", "t = 12 (final step)"]
    for ax, t in zip(axes, (4, 12)):
        lines = _data_lines(ax)
        assert len(lines) == 3
        d = (ds.share.sel(strategy="success") - ds.share.sel(strategy="shareholder")).sel(time=t)
        kinds = ds[KIND].values
        for line in lines:
            member = kinds == line.get_label()
            want = [100 * float(d[member & np.isclose(ds[TALK].values, v)].mean()) for v in (0.1, 0.3, 0.5)]
            np.testing.assert_allclose(line.get_ydata(), want, atol=1e-12)
    plt.close(fig)
    # The expression gives the same lines as the derived outcome.
    _, _, fig2 = _draw(over_time, "share[success] - share[shareholder]", "talk_rate", by=KIND,
                       at=[4, 12])
    a2 = [a for a in fig2.axes if a.get_title()]
    _, _, fig = _draw(over_time, "success_minus_shareholder", "talk_rate", by=KIND, at=[4, 12])
    a1 = [a for a in fig.axes if a.get_title()]
    for x, y in zip(a1, a2):
        for l1, l2 in zip(_data_lines(x), _data_lines(y)):
            np.testing.assert_allclose(l1.get_ydata(), l2.get_ydata(), atol=1e-12)
    plt.close(fig)
    plt.close(fig2)
    df, ds, fig = _draw(over_time, "success:share", "talk_rate", facet=KIND, at=[8])
    titles = [a.get_title() for a in fig.axes if a.get_title()]
    assert titles == [f"t = 8, {KIND} = {k}" for k in ("barabasi-albert", "erdos-renyi",
                                                       "watts-strogatz")]
    plt.close(fig)


def test_against_time(over_time):
    df, ds, fig = _draw(over_time, "success:share", "time", by=KIND)
    ax = fig.axes[0]
    lines = _data_lines(ax)
    assert len(lines) == 3 and ax.get_xlabel() == "time [months]"
    np.testing.assert_array_equal(lines[0].get_xdata(), [4, 8, 12])
    member = ds[KIND].values == lines[0].get_label()
    want = 100 * ds.share.sel(strategy="success").values[member].mean(axis=0)
    np.testing.assert_allclose(lines[0].get_ydata(), want)
    assert "pooled over word_of_mouth.talk_rate" in _legend_texts(ax)[-1].replace("\n", " ")
    plt.close(fig)


def test_final_step_sweep_takes_the_difference_of_final_shares(known, tmp_path):
    """Without /outcomes/time the expression is computed from /outcomes/strategy/share."""
    df, ds, fig = _draw(known, "share[success] - share[shareholder]", "talk_rate", by=KIND)
    assert ds.attrs["time_resolved"] is False
    assert fig.axes[0].get_title() == "t = 12 (final step)"
    plt.close(fig)
    out = tmp_path / "fig.png"
    proc = plot_sweep_cmd(known, "-o", out, "--outcome", "share[success] - share[shareholder]",
                          "--x", "talk_rate", "--by", KIND)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(out)]
    df = load_sweep(known)
    assert png_size(out) == pixel_size("interaction", df, None, (1, 1))
    proc = plot_sweep_cmd(known, "-o", tmp_path / "x.png", "--outcome", "share[success] - "
                          "share[shareholder]", "--x", "talk_rate", "--at", "120")
    assert proc.returncode == 2 and "final step only" in proc.stderr and \
        "[outcomes] table" in proc.stderr, proc.stderr


def test_cli_two_times_writes_two_panels(over_time, tmp_path):
    out = tmp_path / "two.png"
    proc = plot_sweep_cmd(over_time, "-o", out, "--outcome", "success_minus_shareholder",
                          "--x", "talk_rate", "--by", KIND, "--at", "4", "12")
    assert proc.returncode == 0, proc.stderr
    assert png_size(out) == pixel_size("interaction", load_sweep(over_time), None, (2, 1))


@pytest.mark.parametrize("args, message", [
    (["--x", "nope"], "--x: 'nope' is not a parameter"),
    (["--by", KIND], "--by and --facet go with --x"),
    (["--x", "talk_rate", "--by", KIND, "--outcome", "share"], "give one column"),
    (["--x", "time"], "needs outcomes at several times"),
    (["--x", "talk_rate", "--outcome", "share[nobody] - share[success]"], "no strategy 'nobody'"),
    (["--x", "talk_rate", "--at", "3"], "--at 3: outcomes were taken at t = 12"),
])
def test_bad_interaction_options(known, tmp_path, capsys, args, message):
    from analysis.plot_sweep import main

    assert main([str(known), "-o", str(tmp_path / "f.png"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith("plot_sweep: error: ") and err.count("\n") == 1, err
    assert not (tmp_path / "f.png").exists()


def test_format_values():
    assert format_values([0.2, 1 / 3, 0.5]) == ["0.2", "0.33", "0.5"]
    assert format_values([0.005, 0.0123, 0.05]) == ["0.005", "0.0123", "0.05"]
    assert format_values([1.0, 2.0, 12000.0]) == ["1", "2", "12000"]
    assert format_values([0.3333, 0.3334]) == ["0.3333", "0.3334"]
    assert format_values(["erdos-renyi", True]) == ["erdos-renyi", "true"]


def test_parameter_panels_use_readable_ticks_and_say_what_bands_are(known):
    df = load_sweep(known)
    out = Outcome(df, "success:share")
    fig = plt.figure(figsize=figure_size("outcome_vs_parameters", df, out), dpi=DPI,
                     layout="constrained")
    fig_outcome_vs_parameters(df, fig, out)
    fig.canvas.draw()
    talk = [a for a in fig.axes if a.get_xlabel().startswith(TALK)][0]
    assert [t.get_text() for t in talk.get_xticklabels()] == ["0.2", "0.33", "0.5"]
    legend = [a.get_legend() for a in fig.axes if a.get_legend()][0]
    texts = " ".join(t.get_text() for t in legend.get_texts())
    assert "pooled over the other parameters" in texts
    assert "95 % t interval over its 4 replicates" in texts
    plt.close(fig)


def test_parameter_figures_at_a_chosen_time(over_time, tmp_path):
    df = load_sweep(over_time)
    ds = load_dataset(over_time)
    out = Outcome(df, "success:share", ds)
    at4 = out.at(df, 4, final=12)
    np.testing.assert_array_equal(at4["success:share"], ds.share.sel(strategy="success",
                                                                     time=4).values)
    assert not np.array_equal(at4["success:share"], df["success:share"])
    assert out.title.endswith("at t = 4") and "final" not in out.ylabel
    proc = plot_sweep_cmd(over_time, "-o", tmp_path / "f", "--outcome", "success:share",
                          "--at", "4", "--only", "outcome_vs_parameters")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(tmp_path / "f" / "outcome_vs_parameters.png")]
