"""One colour per strategy, the same in every figure of every run.

The six built-ins have fixed colours from the Okabe-Ito colour-blind-safe
palette; any other (scenario-defined) strategy gets a colour from a second
palette chosen by a hash of its name, so it too keeps its colour across runs.
"""

from __future__ import annotations

import hashlib

BUILTIN_COLOURS = {
    "shareholder": "#D55E00",   # vermillion
    "satisfaction": "#56B4E9",  # sky blue
    "success": "#009E73",       # bluish green
    "synergy": "#CC79A7",       # reddish purple
    "philanthropy": "#E69F00",  # orange
    "nonprofit": "#0072B2",     # blue
}
# For scenario-defined strategies: distinct from the built-ins above.
FALLBACK_COLOURS = (
    "#882255", "#44AA99", "#999933", "#332288", "#AA4499", "#117733", "#661100", "#6699CC",
    "#888888", "#DDCC77",
)
EMPTY_COLOUR = "#BBBBBB"  # entrant slot not yet filled

LINESTYLES = ("-", "--", ":", "-.")  # firms sharing a strategy

DPI = 120


def strategy_colour(name: str) -> str:
    """The colour of strategy ``name`` in every figure."""
    if name in BUILTIN_COLOURS:
        return BUILTIN_COLOURS[name]
    if not name:
        return EMPTY_COLOUR
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return FALLBACK_COLOURS[int.from_bytes(digest[:4], "little") % len(FALLBACK_COLOURS)]
