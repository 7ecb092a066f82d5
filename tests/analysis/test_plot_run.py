"""python3 -m analysis.plot_run: every figure as a PNG of the expected size, clear errors."""

import numpy as np
import pytest
from matplotlib.image import imread

from analysis.plot_run import FIGURES, pixel_size
from analysis.style import BUILTIN_COLOURS, strategy_colour
from conftest import copy_with, plot_run_cmd, png_size, truncated_copy


def test_every_figure_written_at_its_size(run_file, tmp_path):
    out = tmp_path / "figures"
    proc = plot_run_cmd(run_file, "-o", out)
    assert proc.returncode == 0, proc.stderr
    printed = proc.stdout.split()
    assert sorted(printed) == sorted(str(out / f"{name}.png") for name in FIGURES)
    for name in FIGURES:
        path = out / f"{name}.png"
        assert path.stat().st_size > 10_000, name
        assert png_size(path) == pixel_size(name), name
        rgb = (imread(path)[..., :3] * 255).astype(np.uint32)
        packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
        # Drawn, not blank: many distinct colours, not one background.
        assert np.unique(packed).size > 50, name


@pytest.mark.parametrize("damage", ["truncated", "version", "missing"])
def test_bad_file_is_one_line_and_exit_2(run_file, tmp_path, damage):
    if damage == "truncated":
        bad = truncated_copy(run_file, tmp_path / "bad.h5")
    elif damage == "version":
        bad = copy_with(run_file, tmp_path / "bad.h5", lambda f: f.attrs.modify("format_version", 99))
    else:
        bad = tmp_path / "absent.h5"
    proc = plot_run_cmd(bad, "-o", tmp_path / "fig")
    assert proc.returncode == 2
    assert proc.stderr.startswith("plot_run: error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert not (tmp_path / "fig").exists() or not any((tmp_path / "fig").iterdir())


def test_incomplete_run_needs_the_flag(run_file, tmp_path):
    partial = copy_with(run_file, tmp_path / "x.h5.partial", lambda f: f.attrs.modify("complete", 0))
    assert plot_run_cmd(partial, "-o", tmp_path / "a").returncode == 2
    proc = plot_run_cmd(partial, "-o", tmp_path / "b", "--allow-incomplete", "--only", "overview")
    assert proc.returncode == 0, proc.stderr
    assert png_size(tmp_path / "b" / "overview.png") == pixel_size("overview")


def test_strategy_colours_are_fixed_and_distinct():
    assert strategy_colour("success") == BUILTIN_COLOURS["success"]
    assert len(set(BUILTIN_COLOURS.values())) == 6
    custom = strategy_colour("my-custom-mission")
    assert custom == strategy_colour("my-custom-mission")
    assert custom not in BUILTIN_COLOURS.values()


def test_kano_figure_without_questionnaire(run_file, tmp_path):
    """Files without /market/kano_better, kano_worse still get the Kano figure."""
    def drop(f):
        del f["market/kano_better"]
        del f["market/kano_worse"]
    old = copy_with(run_file, tmp_path / "old.h5", drop, reseal=True)
    proc = plot_run_cmd(old, "-o", tmp_path / "k", "--only", "kano_maturity")
    assert proc.returncode == 0, proc.stderr
    assert png_size(tmp_path / "k" / "kano_maturity.png") == pixel_size("kano_maturity")


@pytest.mark.parametrize("allow", [False, True])
def test_damaged_file_is_one_line_and_exit_2(run_file, tmp_path, allow):
    """A name clash in a damaged file (KeyError: 'share' before), complete or an unverified .partial."""
    def clash(f):
        f["market/share"] = f["market/hhi"][()]
        if allow:
            f.attrs.modify("complete", 0)
    name = "bad.h5.partial" if allow else "bad.h5"
    bad = copy_with(run_file, tmp_path / name, clash)
    args = [bad, "-o", tmp_path / "fig"] + (["--allow-incomplete"] if allow else [])
    proc = plot_run_cmd(*args)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("plot_run: error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert "damaged" in proc.stderr


# --- figure content (Agg, in process) ----------------------------------------------------


def _draw(name, ds):
    import matplotlib.pyplot as plt

    from analysis.plot_run import DPI

    fig = plt.figure(figsize=FIGURES[name][1], dpi=DPI, layout="constrained")
    FIGURES[name][0](ds, fig)
    fig.canvas.draw()
    return fig


def test_kano_plane_keeps_everything_inside_its_axes(run_file):
    """Panel (b): paths at Better = 1 or |Worse| = 1 whole, no text outside the axes."""
    import matplotlib.pyplot as plt

    from analysis.readers import load_run

    ds = load_run(run_file)
    assert np.isfinite(ds["kano_better"].values).any()
    fig = _draw("kano_maturity", ds)
    renderer = fig.canvas.get_renderer()
    plane = [a for a in fig.axes if a.get_title().startswith("(b)")][0]
    box = plane.get_window_extent(renderer)
    for text in plane.texts:
        t = text.get_window_extent(renderer)
        assert box.x0 <= t.x0 and t.x1 <= box.x1 and box.y0 <= t.y0 and t.y1 <= box.y1, \
            text.get_text()
    legend = plane.get_legend().get_window_extent(renderer)
    assert box.x0 <= legend.x0 and legend.x1 <= box.x1 and box.y0 <= legend.y0
    (x0, x1), (y0, y1) = plane.get_xlim(), plane.get_ylim()
    for line in plane.get_lines():
        x = np.asarray(line.get_xdata(), dtype=float)
        y = np.asarray(line.get_ydata(), dtype=float)
        if x.size and line.get_marker() not in (None, "None", ""):
            # A marker at the edge of the plane is drawn whole: the limits leave a margin.
            assert (x > x0 + 0.03).all() and (x < x1 - 0.03).all(), line
            assert (y > y0 + 0.03).all() and (y < y1 - 0.03).all(), line
    plt.close(fig)


def test_retention_panel_shows_smoothed_churn(run_file):
    import matplotlib.pyplot as plt
    import xarray as xr

    from analysis.plot_run import CHURN_WINDOW, churn_by_strategy
    from analysis.readers import load_run

    # Two firms of one strategy keep 90 % and 80 % of last month's 100 and 300 customers.
    n = 40
    ds = xr.Dataset(
        {"retention": (("time", "firm"), np.tile([0.9, 0.8], (n, 1))),
         "customers": (("time", "firm"), np.tile([100.0, 300.0], (n, 1))),
         "alive": (("time", "firm"), np.ones((n, 2), dtype=np.int8)),
         "strategy_id": (("time", "firm"), np.zeros((n, 2), dtype=np.int32))},
        coords={"time": np.arange(n), "firm": ["a", "b"], "strategy": ("firm", ["s", "s"])},
        attrs={"strategy_names": ["s"]})
    churn = churn_by_strategy(ds).sel(strategy="s").values
    assert np.isnan(churn[0])  # no customers last month at t = 0
    np.testing.assert_allclose(churn[1:], 100.0 * (0.1 * 100 + 0.2 * 300) / 400)
    # A month of heavy churn moves the mean by a twelfth of its excess, for 12 months.
    ds["retention"][20, 0] = 0.0
    bump = churn_by_strategy(ds).sel(strategy="s").values
    np.testing.assert_allclose(bump[20:20 + CHURN_WINDOW],
                               100.0 * (70 * CHURN_WINDOW + 90) / (400 * CHURN_WINDOW))
    np.testing.assert_allclose(bump[:20], churn[:20])
    np.testing.assert_allclose(bump[20 + CHURN_WINDOW:], churn[20 + CHURN_WINDOW:])

    run = load_run(run_file)
    fig = _draw("service_profit_chain", run)
    panel = [a for a in fig.axes if a.get_title().startswith("3.")][0]
    assert "%" in panel.get_ylabel() and f"{CHURN_WINDOW}-month" in panel.get_title()
    want = churn_by_strategy(run)
    lines = [ln for ln in panel.get_lines() if ln.get_label() in want.strategy.values]
    assert lines
    for line in lines:
        np.testing.assert_allclose(line.get_ydata(), want.sel(strategy=line.get_label()).values)
    plt.close(fig)


def test_overview_cash_panel_is_solid_and_the_legend_names_the_dashes(tmp_path):
    """Dashes in the overview mean success s in (c) only, also with two firms of a strategy."""
    import subprocess

    import matplotlib.pyplot as plt

    from analysis.readers import load_run
    from conftest import REPO, SCENARIO, missionsim_cli

    out = tmp_path / "two.h5"
    subprocess.run([missionsim_cli(), "run", str(SCENARIO), "-o", str(out), "--quiet", "--set",
                    "firms.0.count=2"], check=True, cwd=REPO, timeout=600)
    ds = load_run(out)
    fig = _draw("overview", ds)
    cash = [a for a in fig.axes if a.get_title().startswith("(d)")][0]
    firm_lines = [ln for ln in cash.get_lines() if len(ln.get_xdata()) > 2]
    assert len(firm_lines) >= 4 and list(ds.strategy.values[:2]) == ["shareholder"] * 2
    assert {ln.get_linestyle() for ln in firm_lines} == {"-"}
    legend = [a.get_legend() for a in fig.axes if a.get_legend() is not None][-1]
    texts = [t.get_text() for t in legend.get_texts()]
    assert "(c) satisfaction S" in texts and "(c) success s" in texts
    plt.close(fig)
