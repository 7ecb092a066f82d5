"""`make experiments QUICK=1` as a smoke test, and the verdict rule of docs/EXPERIMENTS.md.

The quick run (3 replicates, 1,000 customers, 36 steps) writes to a temporary
directory; the document it writes must hold all eight claims, each with its
paired effects, 95% intervals and verdicts, and every verdict in it must be the
one the printed interval gives. The verdict function is also fed synthetic
numbers whose answer is known.
"""

import hashlib
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from analysis.experiments import claims
from analysis.experiments.claims import CONTRADICTED, NO_EFFECT, NOT_MEASURED, SUPPORTED, verdict

REPO = Path(__file__).resolve().parents[2]
NUM = r"[+-]\d+\.\d+"
INTERVAL = re.compile(rf"({NUM}) \[({NUM}), ({NUM})\]")
VERDICTS = (SUPPORTED, CONTRADICTED, NO_EFFECT, NOT_MEASURED)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


@pytest.fixture(scope="module")
def quick_doc(tmp_path_factory):
    cli = os.environ.get("MISSIONSIM_CLI")
    if not cli or not os.access(cli, os.X_OK):
        pytest.fail("MISSIONSIM_CLI must name the built missionsim (ctest sets it)")
    out = tmp_path_factory.mktemp("experiments")
    record = REPO / "docs" / "EXPERIMENTS.md"
    before = _digest(record)
    cmd = ["make", "-s", "experiments", "QUICK=1", "NOBUILD=1", f"CLI={cli}", f"OUT={out}", "JOBS=2"]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}"
    assert _digest(record) == before, "the quick run must not write docs/EXPERIMENTS.md"
    doc = out / "EXPERIMENTS.md"
    assert doc.exists()
    return out, doc.read_text()


def _sections(text):
    parts = re.split(r"(?m)^## ", text)
    return {p.split(":", 1)[0]: p for p in parts[1:] if re.match(r"C\d:", p)}


def test_quick_document_has_every_claim_with_intervals_and_verdicts(quick_doc):
    out, text = quick_doc
    assert "QUICK RUN" in text
    sections = _sections(text)
    assert sorted(sections) == [f"C{i}" for i in range(1, 9)]
    for claim, body in sections.items():
        for label in ("**Claim.**", "**Question.**", "**Design**", "**Effect**", "**Verdict.**", "**Source.**"):
            assert label in body, f"{claim}: no {label}"
        rows = [line for line in body.splitlines()
                if line.startswith("| ") and INTERVAL.search(line) and line.rstrip(" |").endswith(VERDICTS)]
        assert len(rows) >= 2, f"{claim}: fewer than two horizons with an interval and a verdict"
        fig = re.search(r"!\[C\d\]\(([^)]+)\)", body).group(1)
        png = out / fig
        assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{claim}: no figure {png}"
        line = next(line for line in body.splitlines() if line.startswith("**Verdict.**"))
        assert any(f"**{v}**" in line for v in VERDICTS), line
    # The summary table: a row per claim and condition.
    summary = text.split("## Summary", 1)[1].split("\n## ", 1)[0]
    assert {re.match(r"\| (C\d) ", r).group(1) for r in summary.splitlines() if re.match(r"\| C\d ", r)} == \
        {f"C{i}" for i in range(1, 9)}


def test_every_verdict_in_the_document_follows_its_interval(quick_doc):
    _, text = quick_doc
    checked = 0
    for claim, body in _sections(text).items():
        expected = 1 if "the claim predicts > 0" in body else -1 if "the claim predicts < 0" in body else 0
        assert expected, f"{claim}: the predicted sign is not stated"
        table = body.split("**Effect**", 1)[1].split("**Verdict.**", 1)[0]
        for line in table.splitlines():
            m = INTERVAL.search(line)
            if not m or not line.startswith("| "):
                continue
            low, high = float(m.group(2)), float(m.group(3))
            stated = line.rstrip(" |").rsplit("|", 1)[1].strip()
            # The document rounds; an interval touching 0 after rounding is not judged here.
            if low != 0 and high != 0:
                assert stated == verdict(low, high, expected), f"{claim}: {line}"
                checked += 1
    assert checked >= 8


@pytest.mark.parametrize("low, high, expected, want", [
    (0.1, 0.3, 1, SUPPORTED), (0.1, 0.3, -1, CONTRADICTED),
    (-0.3, -0.1, -1, SUPPORTED), (-0.3, -0.1, 1, CONTRADICTED),
    (-0.1, 0.2, 1, NO_EFFECT), (-0.1, 0.2, -1, NO_EFFECT),
    (0.0, 0.0, 1, NO_EFFECT), (0.0, 0.5, 1, NO_EFFECT), (-0.5, 0.0, -1, NO_EFFECT),
    (1e-12, 2e-12, 1, SUPPORTED), (float("nan"), 1.0, 1, NOT_MEASURED),
])
def test_verdict_of_an_interval(low, high, expected, want):
    assert verdict(low, high, expected) == want


def test_verdict_rejects_a_claim_without_a_sign_or_an_inverted_interval():
    with pytest.raises(ValueError):
        verdict(0.1, 0.2, 0)
    with pytest.raises(ValueError):
        verdict(0.3, 0.1, 1)


def test_synthetic_paired_numbers_give_the_known_verdicts():
    rng = np.random.default_rng(5)
    control = rng.normal(0.5, 0.2, size=(20, 11))  # 20 replicates, steps 0..10
    noise = rng.normal(0.0, 0.01, size=control.shape)
    shift = np.linspace(0, 0.1, 11)  # no effect at first, a clear one at the end
    cases = {"up": control + shift + noise, "down": control - shift + noise, "same": control.copy()}
    got = {k: claims.cells_at((control, v), (0, 10), k) for k, v in cases.items()}
    assert [verdict(c.low, c.high, 1) for c in got["up"]] == [NO_EFFECT, SUPPORTED]
    assert [verdict(c.low, c.high, -1) for c in got["up"]] == [NO_EFFECT, CONTRADICTED]
    assert [verdict(c.low, c.high, -1) for c in got["down"]] == [NO_EFFECT, SUPPORTED]
    assert [verdict(c.low, c.high, 1) for c in got["same"]] == [NO_EFFECT, NO_EFFECT]
    up = got["up"][1]
    assert up.n == 20 and abs(up.effect - 0.1) < 0.01 and up.low < 0.1 < up.high


def test_summary_sentence_names_each_verdict_where_it_holds():
    cells = [("A", 120, SUPPORTED), ("A", 240, SUPPORTED), ("B", 120, NO_EFFECT), ("B", 240, CONTRADICTED)]
    s = claims.summarise(cells, True)
    assert s.startswith("**supported** with A at t = 120 and t = 240")
    assert "**contradicted** with B at t = 240" in s and "**no detectable effect** with B at t = 120" in s
    assert claims.summarise([("", 120, NO_EFFECT), ("", 240, NO_EFFECT)], False) == \
        "**no detectable effect** at t = 120 and t = 240."
