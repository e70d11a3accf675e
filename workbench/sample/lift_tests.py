"""Simulated lift tests of the sample: ``_truth/experiments.csv``.

For two paid channels the causal model runs a randomized holdout, as a platform
conversion-lift study would: each causal unit is assigned to the holdout with
probability :data:`HOLDOUT_SHARE` (its own seeded stream, so the rest of the sample
is unchanged). A held-out unit converts only if it would have converted without the
channel (the common-random-numbers outcome the truth uses); an exposed unit converts
as it did. The incremental conversions of the whole population are estimated from
the difference in conversion rates, with a 95 % normal-approximation interval, so the
estimate carries the sampling noise of a real test. The file has the columns of
:data:`workbench.attribution.calibration.EXPERIMENT_COLUMNS`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from workbench.sample._text import ts_text
from workbench.sample.vocab import CHANNELS

__all__ = ["HOLDOUT_SHARE", "TESTED_CHANNELS", "LiftTests"]

#: Channels with a simulated lift test.
TESTED_CHANNELS: tuple[str, ...] = ("Paid Search - Generic", "Paid Social - Meta")
#: Share of units held out of each tested channel.
HOLDOUT_SHARE = 0.3
_Z95 = 1.959964


class LiftTests:
    """Accumulate holdout outcomes per chunk; write the experiments at the end."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng([seed, 424_242])
        self.cols = [CHANNELS.index(c) for c in TESTED_CHANNELS]
        # per tested channel: [units exposed, conversions exposed, units held out, conv held out]
        self.counts = np.zeros((len(self.cols), 4))
        self.first_us: int | None = None
        self.last_us: int | None = None

    def add_chunk(self, converted: np.ndarray, lost: np.ndarray, conv_us: np.ndarray) -> None:
        """One chunk: ``converted`` per unit, ``lost`` (units x channels), conversion times."""
        for k, c in enumerate(self.cols):
            held = self.rng.random(len(converted)) < HOLDOUT_SHARE
            outcome = converted & ~(held & lost[:, c])
            self.counts[k] += [
                (~held).sum(),
                outcome[~held].sum(),
                held.sum(),
                outcome[held].sum(),
            ]
        times = conv_us[converted & (conv_us >= 0)]
        if len(times):
            lo, hi = int(times.min()), int(times.max())
            self.first_us = lo if self.first_us is None else min(self.first_us, lo)
            self.last_us = hi if self.last_us is None else max(self.last_us, hi)

    def frame(self) -> pd.DataFrame:
        """The experiments (one row per tested channel)."""
        n_exp, c_exp, n_hold, c_hold = self.counts.T
        n = n_exp + n_hold
        p1 = np.divide(c_exp, n_exp, out=np.zeros_like(c_exp), where=n_exp > 0)
        p0 = np.divide(c_hold, n_hold, out=np.zeros_like(c_hold), where=n_hold > 0)
        se = np.sqrt(
            np.divide(p1 * (1 - p1), n_exp, out=np.zeros_like(p1), where=n_exp > 0)
            + np.divide(p0 * (1 - p0), n_hold, out=np.zeros_like(p0), where=n_hold > 0)
        )
        inc = (p1 - p0) * n
        day = 86_400 * 1_000_000
        start = (self.first_us or 0) // day * day
        end = ((self.last_us or 0) // day + 1) * day
        return pd.DataFrame(
            {
                "name": [f"holdout {c}" for c in TESTED_CHANNELS],
                "channel": list(TESTED_CHANNELS),
                "platform": "",
                "start": ts_text(np.full(len(inc), start), unit="m"),
                "end": ts_text(np.full(len(inc), end), unit="m"),
                "incremental": np.round(np.maximum(inc, 0), 1),
                "low": np.round(np.maximum(inc - _Z95 * se * n, 0), 1),
                "high": np.round(np.maximum(inc + _Z95 * se * n, 0), 1),
            }
        )

    def write(self, folder: Path) -> int:
        """Write ``experiments.csv`` into ``folder``; return the rows written."""
        table = self.frame()
        path = folder / "experiments.csv"
        tmp = path.with_name(f".{path.name}.tmp")
        table.to_csv(tmp, index=False)
        tmp.replace(path)
        return len(table)
