"""python3 -m analysis.plot_sweep on real sweeps: PNGs of the expected size, clear errors."""

import csv

import numpy as np
import pytest
from matplotlib.image import imread

from analysis.plot_sweep import DPI, Outcome, fig_sobol, figure_size, pixel_size
from analysis.sweep import load_sweep
from conftest import plot_sweep_cmd, png_size


def _check_pngs(out, names, df, outcome):
    for name in names:
        path = out / f"{name}.png"
        assert path.stat().st_size > 10_000, name
        assert png_size(path) == pixel_size(name, df, outcome), name
        rgb = (imread(path)[..., :3] * 255).astype(np.uint32)
        packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
        assert np.unique(packed).size > 50, f"{name} looks blank"


def test_lhs_figures(lhs_sweep, tmp_path):
    out = tmp_path / "fig"
    proc = plot_sweep_cmd(lhs_sweep, "-o", out)
    assert proc.returncode == 0, proc.stderr
    names = ["outcome_vs_parameters", "winner_heatmap", "share_over_time"]
    assert proc.stdout.split() == [str(out / f"{n}.png") for n in names]
    assert "not sobol" in proc.stderr
    df = load_sweep(lhs_sweep)
    _check_pngs(out, names, df, Outcome(df, "share"))


def test_sobol_figures_and_indices(sobol_sweep, tmp_path):
    out = tmp_path / "fig"
    proc = plot_sweep_cmd(sobol_sweep / "sweep.h5", "-o", out, "--outcome", "market:hhi",
                          "--pair", "talk_rate", "economics.bankrupt_after")
    assert proc.returncode == 0, proc.stderr
    written = proc.stdout.split()
    assert str(out / "sobol_indices.png") in written and str(out / "sobol_indices.csv") in written
    df = load_sweep(sobol_sweep)
    _check_pngs(out, ["outcome_vs_parameters", "winner_heatmap", "share_over_time",
                      "sobol_indices"], df, Outcome(df, "market:hhi"))
    with open(out / "sobol_indices.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["parameter"] for r in rows] == df.attrs["parameters"]
    assert all(r["outcome"] == "market:hhi" and r["N"] == "64" for r in rows)


def test_grid_with_string_levels(grid_sweep, tmp_path):
    out = tmp_path / "fig"
    proc = plot_sweep_cmd(grid_sweep, "-o", out, "--only", "outcome_vs_parameters",
                          "winner_heatmap", "--outcome", "success")
    assert proc.returncode == 0, proc.stderr
    df = load_sweep(grid_sweep)
    _check_pngs(out, ["outcome_vs_parameters", "winner_heatmap"], df, Outcome(df, "success"))


@pytest.mark.parametrize("case", ["absent", "not-a-sweep", "uncollected", "version"])
def test_bad_directory_is_one_line_and_exit_2(lhs_sweep, tmp_path, case):
    import shutil

    import h5py

    target = tmp_path / "d"
    if case == "not-a-sweep":
        target.mkdir()
    elif case == "uncollected":
        shutil.copytree(lhs_sweep, target)
        (target / "sweep.h5").unlink()
    elif case == "version":
        shutil.copytree(lhs_sweep, target)
        with h5py.File(target / "sweep.h5", "r+") as f:
            f.attrs.modify("format_version", 7)
    proc = plot_sweep_cmd(target, "-o", tmp_path / "fig")
    assert proc.returncode == 2
    assert proc.stderr.startswith("plot_sweep: error: ") and proc.stderr.count("\n") == 1, \
        proc.stderr
    assert not (tmp_path / "fig").exists()


@pytest.mark.parametrize("args, message", [
    (["--outcome", "nonsense"], "unknown outcome 'nonsense'"),
    (["--pair", "choice.churn_base", "nope"], "'nope' is not a parameter"),
])
def test_bad_options_are_one_line_and_exit_2(lhs_sweep, tmp_path, args, message):
    proc = plot_sweep_cmd(lhs_sweep, "-o", tmp_path / "fig", *args)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert proc.stderr.count("\n") == 1


def test_sobol_legend_inside_the_figure(sobol_sweep):
    """With replicates (the widest legend) and one panel, the legend fits the figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = load_sweep(sobol_sweep)
    df.attrs["replicates"] = 2  # adds the seed-noise entry: the widest legend
    for name in ("market:hhi", "share"):
        out = Outcome(df, name)
        fig = plt.figure(figsize=figure_size("sobol_indices", df, out), dpi=DPI,
                         layout="constrained")
        fig_sobol(df, fig, out)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        legends = [a.get_legend() for a in fig.axes if a.get_legend()]
        assert len(legends) == 1
        box = legends[0].get_window_extent(renderer)
        assert box.x0 >= 0 and box.x1 <= fig.bbox.x1 and box.y0 >= 0, (name, box)
        texts = [t.get_text() for t in legends[0].get_texts()]
        assert any("first order S1" in t for t in texts) and any("seed noise" in t for t in texts)
        for a in fig.axes:
            for t in a.texts:
                b = t.get_window_extent(renderer)
                assert b.x0 >= 0 and b.x1 <= fig.bbox.x1, t.get_text()
        plt.close(fig)
