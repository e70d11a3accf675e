"""Common result shapes of the attribution models.

Every model returns the same long frame, :data:`CREDIT_COLUMNS`
(``model, channel, conversions, value``: credited conversions and credited value), one
row per (model, channel), channels without credit included with 0. Models that credit
individual touches also return :data:`TOUCH_CREDIT_COLUMNS`
(``journey_id, position, channel, model, credit, value_credit``) for every touch of every
converting path: ``credit`` sums to the path's conversions (1 for a journey) and
``value_credit`` to its value.

Internally a model is *prepared* once from :class:`~workbench.attribution.inputs.Paths`
(everything that does not depend on the per-path weights) and then evaluated for
weights; the bootstrap re-evaluates prepared models with resampled weights.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Protocol

import numpy as np
import pandas as pd
import scipy.sparse as sp

from workbench.attribution.inputs import POSITION, Paths
from workbench.schema import CHANNEL, JOURNEY_ID

__all__ = [
    "CREDIT_COLUMNS",
    "TOUCH_CREDIT_COLUMNS",
    "AttributionResult",
    "Prepared",
    "ShareModel",
    "converting",
    "credits_frame",
    "model_channels",
]

CREDIT_COLUMNS: tuple[str, ...] = ("model", CHANNEL, "conversions", "value")
TOUCH_CREDIT_COLUMNS: tuple[str, ...] = (
    JOURNEY_ID,
    POSITION,
    CHANNEL,
    "model",
    "credit",
    "value_credit",
)


@dataclasses.dataclass(frozen=True)
class AttributionResult:
    """Output of one model.

    Attributes
    ----------
    model
        Model name as in the registry (``"markov:2"``, ...).
    credits
        Long frame with :data:`CREDIT_COLUMNS`.
    touch_credits
        Frame with :data:`TOUCH_CREDIT_COLUMNS`, or ``None`` for channel-level models.
    details
        Model-specific frames (Markov ``transition_matrix`` and ``removal_effects``,
        Shapley ``std_error`` / ``by_position``, fractribution ``paths``).
    """

    model: str
    credits: pd.DataFrame
    touch_credits: pd.DataFrame | None = None
    details: Mapping[str, pd.DataFrame] = dataclasses.field(default_factory=dict)


class Prepared(Protocol):
    """A model prepared on a set of paths, evaluated for per-path weights."""

    channels: tuple[str, ...]

    def channel_credits(
        self, conversions: np.ndarray, nulls: np.ndarray, value: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Credited conversions and value per channel for these per-path weights."""
        ...

    def touch_credits(self, model: str) -> pd.DataFrame | None:
        """Per-touch credits for the paths' own weights, or ``None``."""
        ...

    def details(self) -> dict[str, pd.DataFrame]:
        """Model-specific extra frames for the paths' own weights."""
        ...


def model_channels(prepared: Prepared, paths: Paths) -> tuple[str, ...]:
    """The channels ``prepared.channel_credits`` returns credit for, in order.

    The paths' channels, then any the model adds itself (the incrementality model's
    ``(baseline)``, declared as ``extra_channels``).
    """
    return (*paths.channels, *getattr(prepared, "extra_channels", ()))


def credits_frame(
    model: str, channels: tuple[str, ...], conversions: np.ndarray, value: np.ndarray
) -> pd.DataFrame:
    """The long credit frame of one model."""
    return pd.DataFrame(
        {
            "model": pd.Series([model] * len(channels), dtype="str"),
            CHANNEL: pd.Series(list(channels), dtype="str"),
            "conversions": np.asarray(conversions, dtype=np.float64),
            "value": np.asarray(value, dtype=np.float64),
        }
    )


def converting(paths: Paths) -> tuple[Paths, np.ndarray]:
    """The converting paths and their indices in ``paths`` (cached on ``paths``)."""
    return paths.converting


class ShareModel:
    """Credit by fixed shares per touch of the converting paths.

    Parameters
    ----------
    sub
        The converting paths.
    path_index
        Index of each path of ``sub`` in the full paths (weights arrive full length).
    shares
        Share of every touch of ``sub`` (sums to 1 within each path), or, with
        ``entry_touch``, of those touches only (all others get 0).
    entry_touch, entry_path
        Touch index (into ``sub``) and path index of each share, when sparse (first,
        last, last non-direct: one touch per path).
    extra
        Extra detail frames.
    """

    def __init__(
        self,
        sub: Paths,
        path_index: np.ndarray,
        shares: np.ndarray,
        entry_touch: np.ndarray | None = None,
        entry_path: np.ndarray | None = None,
        extra: dict[str, pd.DataFrame] | None = None,
    ) -> None:
        self.sub = sub
        self.path_index = path_index
        self.shares = shares
        self.channels = sub.channels
        self._touch = entry_touch
        self._path = entry_path
        self._extra = extra or {}

    @property
    def entry_path(self) -> np.ndarray:
        """Path (of ``sub``) of every share."""
        return self.sub.path_of_touch if self._path is None else self._path

    @property
    def entry_codes(self) -> np.ndarray:
        """Channel code of every share."""
        return self.sub.codes if self._touch is None else self.sub.codes[self._touch]

    def _per_sub(self, weights: np.ndarray) -> np.ndarray:
        if len(self.path_index) == len(weights):  # every path converts: identity
            return weights
        return weights[self.path_index]

    def channel_credits(
        self, conversions: np.ndarray, nulls: np.ndarray, value: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Credited conversions and value per channel."""
        n = self.sub.n_channels
        codes, path = self.entry_codes, self.entry_path
        conv = self._per_sub(conversions)
        if conv.size and conv.min() == 1.0 and conv.max() == 1.0:  # journeys: one each
            c = np.bincount(codes, weights=self.shares, minlength=n)
        else:
            c = np.bincount(codes, weights=self.shares * conv[path], minlength=n)
        v = np.bincount(codes, weights=self.shares * self._per_sub(value)[path], minlength=n)
        return c, v

    def share_matrix(self) -> sp.csr_matrix:
        """Sparse (converting paths x channels) matrix of channel shares per path."""
        return sp.csr_matrix(
            (self.shares, (self.entry_path, self.entry_codes)),
            shape=(self.sub.n_paths, self.sub.n_channels),
        )

    def dense_shares(self) -> np.ndarray:
        """Share of every touch of ``sub``."""
        if self._touch is None:
            return self.shares
        out = np.zeros(len(self.sub.codes))
        out[self._touch] = self.shares
        return out

    def touch_credits(self, model: str) -> pd.DataFrame:
        """Per-touch credits for the paths' own weights."""
        sub = self.sub
        pt = sub.path_of_touch
        shares = self.dense_shares()
        n = len(sub.codes)
        return pd.DataFrame(
            {
                JOURNEY_ID: sub.ids[pt],
                POSITION: sub.positions,
                CHANNEL: pd.Series(sub.channel_names(sub.codes), dtype="str"),
                "model": pd.Series([model] * n, dtype="str"),
                "credit": shares * sub.conversions[pt],
                "value_credit": shares * sub.value[pt],
            }
        )

    def details(self) -> dict[str, pd.DataFrame]:
        """Extra frames given at construction."""
        return dict(self._extra)
