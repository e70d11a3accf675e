"""Merge protection for the identity graph: blocked values and per-type link limits.

:mod:`workbench.identity.graph` applies these rules while it builds the graph.

The rules, as Segment Unify and RudderStack have them:

* **Blocked values** never become nodes: the placeholders of
  :data:`workbench.identifiers.DEFAULT_BLOCKED_VALUES` and all-zero ids
  (reason ``placeholder``), the configured ``blocked_values``
  (``blocked_value``) and ``test_ids`` (``test_id``); all compared
  case-insensitively, in clear text and in their normalized, hashed form
  (``test@example.com`` also blocks its SHA-256 e-mail digest, a phone
  number its E.164 digest), so they work on hashed data. A test id also
  marks its rows, and the identifiers linked to it, as internal.
  ``test_ids`` may be glob patterns (``TEST-*``, ``qa_*``, ``*@example.com``):
  patterns match clear-text values; a pattern ``*@domain`` (any local part)
  also matches hashed e-mails through the ``email_domain`` column the readers
  keep (the e-mail's domain, taken before hashing).
* **Internal e-mail domains** mark e-mails of those domains (and
  sub-domains) internal when the address is seen in clear text, and so
  are rows whose ``email_domain`` column holds such a domain, and the hashed
  e-mails seen on those rows.
* **Limits**: ``limits[T][O] = n`` allows an identifier of type ``T`` to
  be linked directly (same row or same link) to at most ``n`` distinct
  identifiers of type ``O``. An identifier over a limit is **shared**:
  all its edges are dropped, so it merges nobody, and it is reported.
  Limits are checked once on the direct edges (no cascading).
  :data:`DEFAULT_LIMITS` apply unless the configuration sets the same
  ``T``/``O`` pair.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.config import IdentityConfig
from workbench.identifiers import DEFAULT_BLOCKED_VALUES, normalize_phone, sha256_hex
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


_GLOB = re.compile(r"[*?\[]")


def _hashed_forms(values: set[str], phone_region: str) -> set[str]:
    """The SHA-256 forms the readers store for e-mail- and phone-like ``values``."""
    out = {sha256_hex(v) for v in values if "@" in v}
    phones = [v for v in values if "@" not in v and re.fullmatch(r"\+?[\d\s().\-]{7,}", v)]
    if phones:
        hashed = normalize_phone(pd.Series(phones, dtype="string"), default_region=phone_region)
        out |= {h for h in hashed.dropna()}
    return out


def _pattern(globs: list[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(fnmatch.translate(g) for g in globs)) if globs else None


@dataclass
class Blocklist:
    """Values that never become nodes, test ids and internal e-mail domains.

    ``test_patterns`` match clear-text values; ``test_domains`` match the
    ``email_domain`` column; ``test_hashes`` / ``internal_hashes`` are hashed
    e-mails found on such rows by :meth:`with_rows`.
    """

    placeholders: frozenset[str]
    blocked: frozenset[str]
    test_ids: frozenset[str]
    internal_domains: tuple[str, ...]
    test_patterns: re.Pattern[str] | None = None
    test_domains: re.Pattern[str] | None = None
    internal_hashes: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls, config: IdentityConfig, *, phone_region: str = "US") -> Blocklist:
        """The blocklist of an ``[identity]`` section (test ids, internal domains)."""
        given = {str(v).strip().lower() for v in config.test_ids}
        globs = sorted(v for v in given if _GLOB.search(v))
        tests = given - set(globs)
        blocked = {str(v).strip().lower() for v in config.blocked_values}
        domains = sorted(g.split("@", 1)[1] for g in globs if re.fullmatch(r"\*@[^@]+", g))
        return cls(
            placeholders=frozenset(v.lower() for v in DEFAULT_BLOCKED_VALUES),
            blocked=frozenset(blocked | _hashed_forms(blocked, phone_region)),
            test_ids=frozenset(tests | _hashed_forms(tests, phone_region)),
            internal_domains=tuple(d.lower().lstrip("@") for d in config.internal_email_domains),
            test_patterns=_pattern(globs),
            test_domains=_pattern(domains),
        )

    def is_test(self, low: pd.Series, hashed_low: pd.Series) -> np.ndarray:
        """Values that are test ids: listed (clear or hashed) or matching a pattern.

        ``low``: the trimmed values lower-cased; ``hashed_low``: the same after
        e-mail normalization (hashing), lower-cased.
        """
        out = low.isin(self.test_ids).to_numpy(dtype=bool, copy=True)
        if hashed_low is not low:
            out |= hashed_low.isin(self.test_ids).to_numpy(dtype=bool)
        if self.test_patterns is not None:
            out |= low.str.fullmatch(self.test_patterns.pattern).fillna(False).to_numpy(bool)
        return out

    def with_rows(self, frames: list[pd.DataFrame]) -> Blocklist:
        """Add the hashed e-mails of rows whose ``email_domain`` is a test or internal domain."""
        tests, internal = set(), set()
        for frame in frames:
            if "email_domain" not in frame.columns or "email" not in frame.columns:
                continue
            # match the distinct domains once, then gather per row
            codes, uniques = pd.factorize(frame["email_domain"].astype("string"))
            domain = pd.Series(uniques, dtype="string").str.strip().str.lower()
            email = frame["email"].astype("string").str.strip().str.lower()
            if self.test_domains is not None:
                hit = domain.str.fullmatch(self.test_domains.pattern).fillna(False)
                rows = np.append(hit.to_numpy(bool), False)[codes]
                tests |= set(email[rows].dropna())
            rows = np.append(self.is_internal_domain(domain), False)[codes]
            internal |= set(email[rows].dropna())
        return dataclasses.replace(
            self,
            test_ids=self.test_ids | frozenset(tests),
            internal_hashes=self.internal_hashes | frozenset(internal),
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
    """Mark identifiers linked to more distinct identifiers of a type than allowed.

    The edges between two types are picked out once for both directions (``T -> O``
    and ``O -> T`` limits); per limit, only nodes with more edges than the limit,
    and (limits of one or more) more than one distinct partner, have their
    distinct partners counted (:func:`_over_limit`).
    """
    shared = np.zeros(n_nodes, dtype=bool)
    rows: list[pd.DataFrame] = []
    if len(a) == 0:
        return shared, pd.DataFrame()
    k = len(types)
    pair = node_type[a].astype(np.int32) * k + node_type[b]
    present = np.bincount(pair, minlength=k * k)  # edges per type pair: absent pairs cost nothing
    index = {t: i for i, t in enumerate(types)}
    between: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
    for id_type, inner in sorted(limits.items()):
        for other, limit in sorted(inner.items()):
            if id_type not in index or other not in index or id_type == other:
                continue
            t, o = index[id_type], index[other]
            if not (present[t * k + o] or present[o * k + t]):
                continue
            if (t, o) not in between:  # the edges of the two types, type-t side first
                fwd = pair == t * k + o
                rev = pair == o * k + t
                x = np.concatenate([a[fwd], b[rev]]).astype(np.int64, copy=False)
                y = np.concatenate([b[fwd], a[rev]]).astype(np.int64, copy=False)
                between[(t, o)], between[(o, t)] = (x, y), (y, x)
            over, linked = _over_limit(*between[(t, o)], limit)
            if len(over):
                shared[over] = True
                rows.append(
                    pd.DataFrame(
                        {
                            "node": over,
                            "id_type": id_type,
                            "other_type": other,
                            "linked": linked,
                            "limit": np.int64(limit),
                            "block": np.int64(len(rows)),  # one block per limit, in order
                        }
                    )
                )
    if not rows:
        return shared, pd.DataFrame()
    detail = pd.concat(rows, ignore_index=True)
    detail["id_type"] = detail["id_type"].astype("string")
    detail["other_type"] = detail["other_type"].astype("string")
    return shared, detail


def _over_limit(x: np.ndarray, y: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes ``x`` with edges to more than ``limit`` distinct ``y``, ascending; their counts.

    Only some nodes have their distinct partners counted (``pd.unique`` of their
    edges): for a limit of one or more, not a node whose edges all lead to one
    partner (a partner per node is scattered, any of its own, and compared with
    every edge's), so with a limit of one the rest are over it and only their
    counts are left to take; for a larger limit, not a node with at most
    ``limit`` edges (repeats included) either.
    """
    none = np.zeros(0, dtype=np.int64)
    if len(x) == 0:
        return none, none
    lo = int(x.min())
    local = x - lo  # node ids from 0: arrays over the nodes present, not all nodes
    size = int(local.max()) + 1
    if limit >= 1:
        partner = np.empty(size, dtype=y.dtype)  # read only where written
        partner[local] = y  # one of each node's own partners (whichever write lands)
        several = np.zeros(size, dtype=bool)
        several[local[y != partner[local]]] = True  # a second distinct partner
        keep = several[local]
        local, y = local[keep], y[keep]
    if limit != 1 and len(local):
        cand = np.bincount(local, minlength=size)[local] > limit
        local, y = local[cand], y[cand]
    if len(local) == 0:
        return none, none
    span = np.int64(int(y.max()) + 1)
    distinct = pd.unique(local * span + y) // span
    counts = np.bincount(distinct, minlength=size)  # distinct partners per node
    over = np.flatnonzero(counts > limit)
    return (over + lo).astype(np.int64), counts[over].astype(np.int64)
