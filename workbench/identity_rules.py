"""Merge protection for the identity graph: blocked values and per-type link limits.

:mod:`workbench.identity_graph` applies these rules while it builds the graph.

The rules, as Segment Unify and RudderStack have them:

* **Blocked values** never become nodes: the placeholders of
  :data:`workbench.identifiers.DEFAULT_BLOCKED_VALUES` and all-zero ids
  (reason ``placeholder``), the configured ``blocked_values``
  (``blocked_value``) and ``test_ids`` (``test_id``); all compared
  case-insensitively. A test id also marks its rows, and the identifiers
  linked to it, as internal. Test e-mails may be listed in clear text;
  they are hashed like the data.
* **Internal e-mail domains** mark e-mails of those domains (and
  sub-domains) internal when the address is seen in clear text, and so
  are rows whose optional ``email_domain`` column holds such a domain
  (hashed e-mails carry no domain).
* **Limits**: ``limits[T][O] = n`` allows an identifier of type ``T`` to
  be linked directly (same row or same link) to at most ``n`` distinct
  identifiers of type ``O``. An identifier over a limit is **shared**:
  all its edges are dropped, so it merges nobody, and it is reported.
  Limits are checked once on the direct edges (no cascading).
  :data:`DEFAULT_LIMITS` apply unless the configuration sets the same
  ``T``/``O`` pair.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.config import IdentityConfig
from workbench.identifiers import DEFAULT_BLOCKED_VALUES, sha256_hex
from workbench.schema import CLICK_ID_TYPES

__all__ = [
    "BLOCK_REASONS",
    "DEFAULT_LIMITS",
    "MAX_DEVICES_PER_USER",
    "REASON_CODE",
    "Blocklist",
    "apply_limits",
    "effective_limits",
]

#: Why an identifier merges nobody (``blocked`` diagnostics ``reason``).
BLOCK_REASONS: tuple[str, ...] = (
    "placeholder",
    "blocked_value",
    "test_id",
    "invalid",
    "unknown_id_type",
    "over_limit",
)

#: Devices (browser cookies, app installs) one logged-in user may join before the user id
#: is treated as shared (a junk or team login): generous for people who clear cookies or use
#: several browsers and phones, far below what a placeholder id collects.
MAX_DEVICES_PER_USER = 10

#: Limits applied unless the configuration overrides the same pair:
#: a browser cookie or device belongs to one logged-in user / CRM contact, a user id joins
#: at most :data:`MAX_DEVICES_PER_USER` devices, an e-mail or phone belongs to one CRM
#: contact and one product user, a click id to one browser.
DEFAULT_LIMITS: dict[str, dict[str, int]] = {
    "anonymous_id": {"user_id": 1, "crm_contact_id": 1},
    "user_id": {"anonymous_id": MAX_DEVICES_PER_USER, "device_id": MAX_DEVICES_PER_USER},
    "device_id": {"user_id": 1, "crm_contact_id": 1},
    "email": {"crm_contact_id": 1, "user_id": 1},
    "phone": {"crm_contact_id": 1},
    **{t: {"anonymous_id": 1} for t in CLICK_ID_TYPES},
}

#: Code of each reason in :data:`BLOCK_REASONS` (0 = kept).
REASON_CODE = {r: i + 1 for i, r in enumerate(BLOCK_REASONS)}


def effective_limits(config: IdentityConfig) -> dict[str, dict[str, int]]:
    """:data:`DEFAULT_LIMITS` updated pair by pair with ``config.limits``."""
    out = {t: dict(inner) for t, inner in DEFAULT_LIMITS.items()}
    for id_type, inner in config.limits.items():
        out.setdefault(id_type, {}).update(inner)
    return out


@dataclass
class Blocklist:
    """Values that never become nodes, test ids and internal e-mail domains."""

    placeholders: frozenset[str]
    blocked: frozenset[str]
    test_ids: frozenset[str]
    internal_domains: tuple[str, ...]

    @classmethod
    def from_config(cls, config: IdentityConfig) -> Blocklist:
        tests = {str(v).strip().lower() for v in config.test_ids}
        tests |= {sha256_hex(v) for v in tests if "@" in v}
        return cls(
            placeholders=frozenset(v.lower() for v in DEFAULT_BLOCKED_VALUES),
            blocked=frozenset(str(v).strip().lower() for v in config.blocked_values),
            test_ids=frozenset(tests),
            internal_domains=tuple(d.lower().lstrip("@") for d in config.internal_email_domains),
        )

    def is_internal_domain(self, domains: pd.Series) -> np.ndarray:
        """Domains equal to, or sub-domains of, an internal domain."""
        out = np.zeros(len(domains), dtype=bool)
        text = domains.astype("string").str.strip().str.lower()
        for d in self.internal_domains:
            out |= (text.eq(d) | text.str.endswith("." + d)).fillna(False).to_numpy(dtype=bool)
        return out


def apply_limits(
    a: np.ndarray,
    b: np.ndarray,
    node_type: np.ndarray,
    types: tuple[str, ...],
    limits: Mapping[str, Mapping[str, int]],
    n_nodes: int,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Mark identifiers linked to more distinct identifiers of a type than allowed."""
    shared = np.zeros(n_nodes, dtype=bool)
    rows: list[pd.DataFrame] = []
    if len(a) == 0:
        return shared, pd.DataFrame()
    k = len(types)
    pair = node_type[a].astype(np.int32) * k + node_type[b]
    index = {t: i for i, t in enumerate(types)}
    for id_type, inner in sorted(limits.items()):
        for other, limit in sorted(inner.items()):
            if id_type not in index or other not in index or id_type == other:
                continue
            t, o = index[id_type], index[other]
            fwd = pair == t * k + o
            rev = pair == o * k + t
            if not (fwd.any() or rev.any()):
                continue
            x = np.concatenate([a[fwd], b[rev]])
            y = np.concatenate([b[fwd], a[rev]])
            distinct = pd.unique(x * np.int64(n_nodes) + y) // np.int64(n_nodes)
            nodes, counts = np.unique(distinct, return_counts=True)
            over = counts > limit
            if over.any():
                shared[nodes[over]] = True
                rows.append(
                    pd.DataFrame(
                        {
                            "node": nodes[over],
                            "id_type": id_type,
                            "other_type": other,
                            "linked": counts[over].astype(np.int64),
                            "limit": np.int64(limit),
                        }
                    )
                )
    if not rows:
        return shared, pd.DataFrame()
    detail = pd.concat(rows, ignore_index=True)
    detail["id_type"] = detail["id_type"].astype("string")
    detail["other_type"] = detail["other_type"].astype("string")
    return shared, detail
