"""missionsim analysis: read trajectory files, draw figures, Sobol indices.

    from analysis import load_run
    ds = load_run("out/baseline.h5")
    ds.share.plot.line(x="time")
"""

from .readers import (FORMAT, FORMAT_VERSION, TrajectoryError, by_strategy, load_run,
                      scenario_value, strategy_at, strategies_in_run)

__all__ = ["FORMAT", "FORMAT_VERSION", "TrajectoryError", "by_strategy", "load_run",
           "scenario_value", "strategy_at", "strategies_in_run"]
