"""The identity graph: identifiers as integer nodes, co-occurrences as edges.

This module turns the identifier columns of the touchpoints and conversions
tables and the identity links into a graph and cuts it into connected
components; :mod:`workbench.identity.stitch` turns components into people.

Nodes
    One node per ``(id_type, id_value)`` for the person identifier types
    (:data:`workbench.schema.ID_TYPES`). ``crm_account_id`` is not a node: an
    account groups many people, so it is recorded next to the graph and only
    used to give people an ``account_id``. Values are compared exactly after
    trimming white space; raw e-mail addresses (containing ``@``) are
    normalized and hashed with :func:`workbench.identifiers.normalize_email`
    so they meet the hashed ones.
Edges
    Every pair of identifiers in the same row of touchpoints / conversions,
    and every identity link.

Merge protection
    Blocked values, internal e-mail domains and per-type link limits: see
    :mod:`workbench.identity.rules`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components

from workbench.config import IdentityConfig
from workbench.errors import ValidationError
from workbench.identity._graph_parts import (
    ACCOUNT_ID_TYPE,
    _account_links,
    _as_string,
    _edges,
    _encode_identifiers,
    _kind_codes,
    _link_table,
    _link_tables,
    _mark_internal,
    _shared_table,
    _unknown_types,
)
from workbench.identity.rules import (
    BLOCK_REASONS,
    DEFAULT_LIMITS,
    Blocklist,
    apply_limits,
    effective_limits,
)
from workbench.intcodes import concat_strings
from workbench.schema import ID_TYPES

__all__ = [
    "ACCOUNT_ID_TYPE",
    "BLOCK_REASONS",
    "DEFAULT_LIMITS",
    "KNOWN_ID_TYPES",
    "IdentityGraph",
    "build_graph",
    "effective_limits",
    "effective_priority",
]

#: Identifier types that make a person "known" (more than an anonymous cookie/device/click).
KNOWN_ID_TYPES: tuple[str, ...] = ("crm_contact_id", "user_id", "email", "phone")

_LINK_COLUMNS = ("id_type_a", "id_value_a", "id_type_b", "id_value_b")


def effective_priority(config: IdentityConfig) -> tuple[str, ...]:
    """``config.priority`` followed by any identifier types it leaves out (schema order)."""
    given = tuple(t for t in dict.fromkeys(config.priority) if t in ID_TYPES)
    return given + tuple(t for t in ID_TYPES if t not in given)


@dataclass
class IdentityGraph:
    """Identifiers as integer nodes, their components, and what was held back.

    Node ids are grouped by type in priority order: the nodes of
    ``types[i]`` are ``offsets[i] .. offsets[i + 1] - 1``, so a smaller node
    id never has a lower-priority type.

    Attributes
    ----------
    types
        Identifier types in priority order.
    offsets
        Start of each type's node ids (length ``len(types) + 1``).
    values
        Per type, the identifier values of its nodes (string arrays).
    labels
        Connected component of every node.
    n_components
        Number of components (people).
    shared
        Whether a node was over a limit (its edges were dropped).
    internal
        Whether a node is an internal/test identifier.
    occurrences
        Rows (touchpoints, conversions, links) each node appears in.
    row_nodes
        Per table name, per type, the node of every row (``-1`` when absent;
        ``int32`` while the node ids fit). :func:`~workbench.identity.stitch.stitch`
        empties it once every row has its component.
    row_kept
        Per table name, per type in ``row_nodes``, how many rows have a node.
    row_internal
        Per table name, whether each row carries a test id or internal e-mail.
    row_accounts
        Per table name, the account code of every row (``-1`` when absent).
    accounts
        Account id values (codes index into it).
    link_accounts
        ``(node, account code)`` pairs from identity links.
    blocked
        ``id_type, reason, detail, identifiers, rows``: what merges nobody.
    shared_detail
        ``id_type, id_value, other_type, linked, limit, rows``: each shared identifier.
    links
        ``link_type, links, used``: identity links by type, and how many became edges
        (or person-account links).
    link_id_types
        ``link_type, id_type_a, id_type_b, links, used``: the same counts per link
        type and pair of identifier types (``a`` and ``b`` sorted by name).
    n_edges, n_edges_dropped
        Edges kept for the components, and dropped because of shared identifiers.
    """

    types: tuple[str, ...]
    offsets: np.ndarray
    values: list[pd.Series]
    labels: np.ndarray
    n_components: int
    shared: np.ndarray
    internal: np.ndarray
    occurrences: np.ndarray
    row_nodes: dict[str, dict[str, np.ndarray]]
    row_internal: dict[str, np.ndarray]
    row_accounts: dict[str, np.ndarray]
    accounts: pd.Series
    link_accounts: tuple[np.ndarray, np.ndarray]
    blocked: pd.DataFrame
    shared_detail: pd.DataFrame
    links: pd.DataFrame
    n_edges: int = 0
    n_edges_dropped: int = 0
    node_type: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int16))
    link_id_types: pd.DataFrame = field(default_factory=lambda: _link_table(None, None))
    all_values: pa.ChunkedArray | None = None
    row_kept: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def n_nodes(self) -> int:
        """Number of identifiers (nodes)."""
        return int(self.offsets[-1])

    def value_array(self) -> pa.ChunkedArray:
        """Every node's identifier value in node order (Arrow ``large_string``)."""
        if self.all_values is None:
            self.all_values = concat_strings(self.values)
        return self.all_values

    def node_value_array(self, nodes: np.ndarray) -> pa.ChunkedArray:
        """Identifier values of ``nodes`` as Arrow strings (one C++ gather)."""
        return pc.take(self.value_array(), pa.array(np.asarray(nodes, dtype=np.int64)))

    def node_values(self, nodes: np.ndarray) -> np.ndarray:
        """Identifier values of ``nodes`` (object array of str)."""
        taken = self.node_value_array(nodes)
        return np.asarray(taken.to_numpy(zero_copy_only=False), dtype=object)


# --- graph ------------------------------------------------------------------
def _link_emails(links: pd.DataFrame | None) -> pd.DataFrame:
    """``email`` / ``email_domain`` of the identity links whose side a or b is an e-mail."""
    if links is None or "email_domain" not in links.columns:
        return pd.DataFrame()
    parts = []
    for side in ("a", "b"):
        is_email = links[f"id_type_{side}"].astype("string").str.strip().str.lower() == "email"
        sel = is_email.fillna(False).to_numpy(bool)
        parts.append(
            pd.DataFrame(
                {
                    "email": links[f"id_value_{side}"][sel],
                    "email_domain": links["email_domain"][sel],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _check_links(links: pd.DataFrame) -> None:
    missing = [c for c in _LINK_COLUMNS if c not in links.columns]
    if missing:
        raise ValidationError(
            f"identity_links: missing column(s) {', '.join(missing)}; expected columns "
            + ", ".join(_LINK_COLUMNS)
            + ", link_type (see workbench.schema.IDENTITY_LINKS)",
            context="stitching",
        )


def build_graph(
    tables: Mapping[str, pd.DataFrame],
    links: pd.DataFrame | None,
    config: IdentityConfig | None = None,
    *,
    components: Callable[[np.ndarray, np.ndarray, int], tuple[np.ndarray, int]] | None = None,
) -> IdentityGraph:
    """Encode identifiers, build edges, apply merge protection, find components.

    Parameters
    ----------
    tables
        Wide tables by name (``touchpoints``, ``conversions``) whose columns
        include identifier types; absent identifier columns count as missing.
    links
        Identity links (``id_type_a, id_value_a, id_type_b, id_value_b,
        link_type``) or ``None``.
    config
        Merge protection settings; ``None`` means defaults.
    components
        ``components(a, b, n_nodes) -> (labels, n_components)`` over the kept
        edges; ``None`` uses scipy. Another engine's function must number the
        components as scipy does (by their smallest node id), so that people
        and their ids come out the same.

    Returns
    -------
    IdentityGraph
    """
    config = config or IdentityConfig()
    block = Blocklist.from_config(config, phone_region=config.phone_region)
    block = block.with_rows([*tables.values(), _link_emails(links)])
    types = effective_priority(config)
    if links is None:
        links = pd.DataFrame({c: pd.Series(dtype="string") for c in (*_LINK_COLUMNS, "link_type")})
    _check_links(links)
    type_a = _as_string(links["id_type_a"]).str.strip().str.lower()
    type_b = _as_string(links["id_type_b"]).str.strip().str.lower()

    # nodes: every identifier type's values (rows and link sides), accounts last
    kinds = (*types, ACCOUNT_ID_TYPE)
    kind_a, kind_b = (_kind_codes(t, kinds) for t in (type_a, type_b))
    enc = _encode_identifiers(tables, links, kinds, kind_a, kind_b, block)
    n_nodes = enc.offsets[-1]
    offsets_arr = np.asarray(enc.offsets, dtype=np.int64)
    node_type = np.repeat(np.arange(len(types), dtype=np.int16), np.diff(offsets_arr))
    enc.blocked_rows += _unknown_types(type_a, type_b, kind_a, kind_b, kinds)
    link_accounts, acc_a, acc_b = _account_links(type_a, type_b, enc)
    _mark_internal(enc)

    # edges, merge protection (limits), components
    a, b, both = _edges(enc.row_nodes, enc.row_kept, enc.link_a, enc.link_b, n_nodes)
    all_values = concat_strings(enc.values)
    shared, shared_detail = apply_limits(a, b, node_type, types, effective_limits(config), n_nodes)
    keep = ~(shared[a] | shared[b])
    n_dropped = int((~keep).sum())
    a, b = a[keep], b[keep]
    del keep
    shared_detail = _shared_table(shared_detail, enc.occurrences, all_values, enc.blocked_rows)
    labels, n_comp = (components or _components)(a, b, n_nodes)

    # identity link counts: which links became edges or person-account links
    link_a, link_b = enc.link_a, enc.link_b
    used = both & ~(shared[np.maximum(link_a, 0)] | shared[np.maximum(link_b, 0)])
    used |= ((link_a >= 0) & (acc_b >= 0)) | ((link_b >= 0) & (acc_a >= 0))
    link_table, link_id_types = _link_tables(links, type_a, type_b, used)

    return IdentityGraph(
        types=types,
        offsets=offsets_arr,
        values=enc.values,
        labels=labels,
        n_components=n_comp,
        shared=shared,
        internal=enc.internal,
        occurrences=enc.occurrences,
        row_nodes=enc.row_nodes,
        row_internal=enc.row_internal,
        row_accounts=enc.row_accounts,
        accounts=enc.accounts,
        link_accounts=link_accounts,
        blocked=_blocked_frame(enc.blocked_rows),
        shared_detail=shared_detail,
        links=link_table,
        link_id_types=link_id_types,
        n_edges=len(a),
        n_edges_dropped=n_dropped,
        node_type=node_type,
        all_values=all_values,
        row_kept=enc.row_kept,
    )


def _components(a: np.ndarray, b: np.ndarray, n_nodes: int) -> tuple[np.ndarray, int]:
    if n_nodes == 0:
        return np.zeros(0, dtype=np.int64), 0
    index_dtype = np.int32 if n_nodes < 2**31 - 1 else np.int64
    graph = csr_array(
        (
            np.ones(len(a), dtype=np.int8),
            (a.astype(index_dtype, copy=False), b.astype(index_dtype, copy=False)),
        ),
        shape=(n_nodes, n_nodes),
    )
    n_comp, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64), int(n_comp)


def _blocked_frame(rows: list[tuple[str, str, str, int, int]]) -> pd.DataFrame:
    order = {r: i for i, r in enumerate(BLOCK_REASONS)}
    rows = sorted(rows, key=lambda r: (r[0], order.get(r[1], len(order)), r[2]))
    columns = list(zip(*rows, strict=True)) if rows else [()] * 5
    return pd.DataFrame(
        {
            "id_type": pd.array(columns[0], dtype="string"),
            "reason": pd.array(columns[1], dtype="string"),
            "detail": pd.array(columns[2], dtype="string"),
            "identifiers": np.asarray(columns[3], dtype=np.int64),
            "rows": np.asarray(columns[4], dtype=np.int64),
        }
    )
