"""missionsim analysis: read trajectory files and sweeps, draw figures, Sobol indices.

    from analysis import load_run
    ds = load_run("out/baseline.h5")
    ds.share.plot.line(x="time")

    from analysis import load_sweep, sweep_run
    df = load_sweep("out/lhs")          # one row per run
    ds = sweep_run(df.loc[0])           # that run's trajectories

    from analysis import load_dataset, strategy_table, summarise
    ds = load_dataset("out/lhs")        # run x time x strategy/firm, parameters on run
    summarise(strategy_table(ds), "share", ["choice.churn_base", "time", "strategy"])
"""

from .readers import (FORMAT, FORMAT_VERSION, TrajectoryError, by_strategy, load_run,
                      scenario_value, segment_shares, strategy_at, strategies_in_run)
from .sweep import (SweepError, bootstrap_ci, evaluate_outcome, first_time, firm_table,
                    load_dataset, load_sweep, mean_ci, run_table, strategy_table, summarise,
                    survival_time, sweep_events, sweep_firms, sweep_run, sweep_runs,
                    time_share_exceeds, time_to_adoption)

__all__ = ["FORMAT", "FORMAT_VERSION", "TrajectoryError", "SweepError", "bootstrap_ci",
           "by_strategy", "evaluate_outcome", "first_time", "firm_table", "load_dataset",
           "load_run", "load_sweep", "mean_ci", "run_table", "scenario_value", "segment_shares",
           "strategy_at", "strategies_in_run", "strategy_table", "summarise", "survival_time",
           "sweep_events", "sweep_firms", "sweep_run", "sweep_runs", "time_share_exceeds",
           "time_to_adoption"]
