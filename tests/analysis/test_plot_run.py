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
