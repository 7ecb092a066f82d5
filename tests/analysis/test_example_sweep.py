"""The shipped example scenarios/sweeps/synergy-vs-philanthropy.toml and its plot_sweep command.

Its [outcomes] tables need time-resolved sweep outcomes; here they are cut
off and the sweep shrunk (24 months, 300 customers, 2 replicates) so the
current engine runs it; plot_sweep then draws synergy minus philanthropy
from the final-step /outcomes/strategy/share.
"""

import re
import subprocess
import tomllib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from analysis.plot_sweep import (DPI, Interaction, Outcome, fig_interaction,  # noqa: E402
                                 figure_size, pixel_size)
from analysis.sweep import load_dataset, load_sweep  # noqa: E402
from conftest import REPO, SWEEPS, missionsim_cli, plot_sweep_cmd, png_size, run_sweep  # noqa: E402

EXAMPLE = SWEEPS / "synergy-vs-philanthropy.toml"
IMITATION, VALUES = "innovation.imitation_speed", "customers.segments.0.values_share"
DIFF = "share[synergy] - share[philanthropy]"


def _without_outcomes(text):
    """The example without its [outcomes] tables (the last part of the file)."""
    head, sep, _ = text.partition("# Outcomes over time")
    assert sep, "the example's [outcomes] tables are expected at its end"
    return head


def test_example_is_the_documented_design():
    spec = tomllib.loads(EXAMPLE.read_text())
    assert spec["sweep"]["design"] == "grid" and spec["sweep"]["replicates"] >= 10
    keys = [p["key"] for p in spec["parameters"]]
    assert keys == [IMITATION, VALUES]
    assert 0.33 in spec["parameters"][1]["levels"]
    assert spec["outcomes"]["at"] == [120, 240]
    assert spec["outcomes"]["derived"] == {"synergy_minus_philanthropy": DIFF}
    assert spec["base"]["run"]["steps"] >= 240
    strategies = {f["strategy"] for f in spec["base"]["firms"]}
    assert {"synergy", "philanthropy"} <= strategies


def test_example_plans_with_this_engine(tmp_path):
    """Apart from [outcomes], the file is a valid sweep: 5 x 3 points x 10 replicates."""
    cut = tmp_path / "example.toml"
    cut.write_text(_without_outcomes(EXAMPLE.read_text()))
    proc = subprocess.run([missionsim_cli(), "sweep", "plan", str(cut)], capture_output=True,
                          text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "design grid, 15 points x 10 replicates = 150 runs" in proc.stdout


@pytest.fixture(scope="module")
def small_example(tmp_path_factory):
    text = _without_outcomes(EXAMPLE.read_text())
    text = re.sub(r"(?m)^replicates = \d+", 'replicates = 2\nset = ["run.steps=24", '
                  '"customers.count=300"]', text, count=1)
    base = tmp_path_factory.mktemp("example")
    path = base / "small.toml"
    path.write_text(text)
    return run_sweep(path, base / "out")


def test_difference_from_final_step_shares(small_example):
    df = load_sweep(small_example)
    ds = load_dataset(small_example)
    assert not ds.attrs["time_resolved"] and ds.time.values.tolist() == [24]
    outcome = Outcome(df, DIFF, ds)
    spec = Interaction(df, ds, outcome, "imitation_speed", "values_share")
    assert (spec.x, spec.by, spec.pooled) == (IMITATION, VALUES, [])
    fig = plt.figure(figsize=figure_size("interaction", df, outcome, spec.layout(df)), dpi=DPI,
                     layout="constrained")
    fig_interaction(df, fig, outcome, spec)
    fig.canvas.draw()
    ax = fig.axes[0]
    lines = [ln for ln in ax.get_lines() if ln.get_label() in ("0.2", "0.33", "0.5")]
    assert [ln.get_label() for ln in lines] == ["0.2", "0.33", "0.5"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.05", "0.1", "0.2", "0.4", "0.8"]
    assert ax.get_xscale() == "log"
    diff = 100 * (df["synergy:share"] - df["philanthropy:share"])
    for line in lines:
        member = np.isclose(df[VALUES], float(line.get_label()))
        want = [diff[member & np.isclose(df[IMITATION], x)].mean() for x in line.get_xdata()]
        np.testing.assert_allclose(line.get_ydata(), want, atol=1e-12)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "over the 2 runs at each design point" in legend[-1].replace("\n", " ")
    assert ax.get_legend().get_title().get_text() == VALUES
    assert "percentage points" in ax.get_ylabel()
    # The long keys in the title are wrapped, not cut at the figure's edges.
    renderer = fig.canvas.get_renderer()
    for text in [fig._suptitle, ax.get_legend()] + ax.texts:
        box = text.get_window_extent(renderer)
        assert 0 <= box.x0 and box.x1 <= fig.bbox.x1 and box.y1 <= fig.bbox.y1, text
    plt.close(fig)


def test_the_readme_command_on_final_step_outcomes(small_example, tmp_path):
    out = tmp_path / "synergy-vs-philanthropy.png"
    proc = plot_sweep_cmd(small_example, "-o", out, "--outcome", DIFF, "--x", "imitation_speed",
                          "--by", "values_share")
    assert proc.returncode == 0, proc.stderr
    assert png_size(out) == pixel_size("interaction", load_sweep(small_example), None, (1, 1))
    # The derived outcome and t = 120, 240 need the sweep's [outcomes] tables: a clear refusal.
    proc = plot_sweep_cmd(small_example, "-o", out, "--outcome", "synergy_minus_philanthropy",
                          "--x", "imitation_speed", "--by", "values_share", "--at", "120", "240")
    assert proc.returncode == 2 and "unknown outcome 'synergy_minus_philanthropy'" in proc.stderr
