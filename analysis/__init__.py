"""missionsim analysis: read trajectory files and sweeps, draw figures, Sobol indices.

    from analysis import load_run
    ds = load_run("out/baseline.h5")
    ds.share.plot.line(x="time")

    from analysis import load_sweep, sweep_run
    df = load_sweep("out/lhs")          # one row per run
    ds = sweep_run(df.loc[0])           # that run's trajectories
"""

from .readers import (FORMAT, FORMAT_VERSION, TrajectoryError, by_strategy, load_run,
                      scenario_value, segment_shares, strategy_at, strategies_in_run)
from .sweep import SweepError, load_sweep, sweep_firms, sweep_run, sweep_runs

__all__ = ["FORMAT", "FORMAT_VERSION", "TrajectoryError", "SweepError", "by_strategy", "load_run",
           "load_sweep", "scenario_value", "segment_shares", "strategy_at", "strategies_in_run", "sweep_firms",
           "sweep_run", "sweep_runs"]
