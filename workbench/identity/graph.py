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
from workbench.identity.encode import encode_values
from workbench.identity.rules import (
    BLOCK_REASONS,
    DEFAULT_LIMITS,
    Blocklist,
    apply_limits,
    effective_limits,
)
from workbench.intcodes import concat_strings, factorize_strings
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

#: The identifier column that names a CRM account (not a person identifier).
ACCOUNT_ID_TYPE = "crm_account_id"

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


def _as_string(values: pd.Series) -> pd.Series:
    return values if isinstance(values.dtype, pd.StringDtype) else values.astype("string")


def _kind_codes(types: pd.Series, kinds: tuple[str, ...]) -> np.ndarray:
    """Position of each link side's type in ``kinds`` (``-1``: unknown or missing)."""
    given = pa.array(types.array, type=pa.large_string())
    found = pc.index_in(given, value_set=pa.array(kinds, type=pa.large_string()))
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def _by_kind(values: pd.Series, kind: np.ndarray, n_kinds: int) -> list[pd.Series]:
    """``values[kind == k]`` for each ``k < n_kinds``, rows in order (``kind`` -1: none).

    One gather of the rows sorted by kind (a stable sort keeps their order), then a
    slice per kind, instead of a gather per kind.
    """
    order = np.argsort(kind, kind="stable")
    ends = np.cumsum(np.bincount(kind + 1, minlength=n_kinds + 1))
    ordered = values.iloc[order]
    return [ordered.iloc[ends[k] : ends[k + 1]] for k in range(n_kinds)]


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
    n_links = len(links)

    offsets = [0]
    values: list[pd.Series] = []
    internal_parts: list[np.ndarray] = []
    occurrence_parts: list[np.ndarray] = []
    row_nodes: dict[str, dict[str, np.ndarray]] = {name: {} for name in tables}
    row_kept: dict[str, dict[str, int]] = {name: {} for name in tables}
    row_internal = {name: np.zeros(len(t), dtype=bool) for name, t in tables.items()}
    link_a = np.full(n_links, -1, dtype=np.int64)
    link_b = np.full(n_links, -1, dtype=np.int64)
    link_test = np.zeros(n_links, dtype=bool)
    blocked_rows: list[tuple[str, str, str, int, int]] = []

    kinds = (*types, ACCOUNT_ID_TYPE)
    kind_a, kind_b = (_kind_codes(t, kinds) for t in (type_a, type_b))
    values_a = _by_kind(links["id_value_a"], kind_a, len(kinds))
    values_b = _by_kind(links["id_value_b"], kind_b, len(kinds))
    for k, id_type in enumerate(kinds):
        names = [n for n, t in tables.items() if id_type in t.columns]
        sel_a, sel_b = kind_a == k, kind_b == k
        parts = [tables[n][id_type] for n in names]
        parts += [values_a[k], values_b[k]]
        base = offsets[-1] if id_type != ACCOUNT_ID_TYPE else 0
        enc = encode_values(parts, id_type, block, base)
        blocked_rows += [(id_type, r, "", n, rows) for r, n, rows in enc.blocked]
        for i, n in enumerate(names):
            for flags in (enc.test_rows[i], enc.internal_rows[i]):
                if flags is not None:
                    row_internal[n] |= flags
        if enc.test_rows[-2] is not None:
            link_test[sel_a] |= enc.test_rows[-2]
        if enc.test_rows[-1] is not None:
            link_test[sel_b] |= enc.test_rows[-1]
        if id_type == ACCOUNT_ID_TYPE:
            accounts = enc.values
            row_accounts = {n: enc.codes[i] for i, n in enumerate(names)}
            acct_a, acct_b = enc.codes[-2], enc.codes[-1]
            continue
        for i, n in enumerate(names):
            if enc.kept_rows[i]:
                row_nodes[n][id_type] = enc.codes[i]
                row_kept[n][id_type] = enc.kept_rows[i]
        link_a[sel_a] = enc.codes[-2]
        link_b[sel_b] = enc.codes[-1]
        values.append(enc.values)
        internal_parts.append(enc.internal)
        occurrence_parts.append(enc.occurrences)
        offsets.append(base + len(enc.values))
    for name, t in tables.items():
        row_accounts.setdefault(name, np.full(len(t), -1, dtype=np.int32))
        if "email_domain" in t.columns:
            row_internal[name] |= block.is_internal_domain(t["email_domain"])

    n_nodes = offsets[-1]
    offsets_arr = np.asarray(offsets, dtype=np.int64)
    node_type = np.repeat(np.arange(len(types), dtype=np.int16), np.diff(offsets_arr))
    internal = np.concatenate(internal_parts) if internal_parts else np.zeros(0, dtype=bool)

    known = set(kinds)
    if ((kind_a < 0) | (kind_b < 0)).any():
        bad = pd.concat([type_a[~type_a.isin(known)], type_b[~type_b.isin(known)]])
        for t, n in bad.fillna("(missing)").value_counts().sort_index().items():
            blocked_rows.append((str(t), "unknown_id_type", "", 0, int(n)))

    # account links: one side a person identifier, the other an account
    la_acct = type_a.eq(ACCOUNT_ID_TYPE).fillna(False).to_numpy(dtype=bool)
    lb_acct = type_b.eq(ACCOUNT_ID_TYPE).fillna(False).to_numpy(dtype=bool)
    acc_a = np.full(n_links, -1, dtype=np.int64)
    acc_b = np.full(n_links, -1, dtype=np.int64)
    acc_a[la_acct], acc_b[lb_acct] = acct_a, acct_b
    link_node = np.concatenate([link_a[lb_acct], link_b[la_acct]])
    link_acct = np.concatenate([acc_b[lb_acct], acc_a[la_acct]])
    keep = (link_node >= 0) & (link_acct >= 0)
    link_accounts = (link_node[keep], link_acct[keep])

    # internal identifiers: all identifiers in an internal row or linked to a test id
    for name in tables:
        flag = row_internal[name]
        if flag.any():
            for nodes in row_nodes[name].values():
                hit = nodes[flag]
                internal[hit[hit >= 0]] = True
    for a, b in ((link_a, link_b), (link_b, link_a)):
        hit = b[link_test & (a < 0)]
        internal[hit[hit >= 0]] = True

    # edges
    ea, eb = [], []
    for name in tables:
        cols = list(row_nodes[name].values())
        kept = [row_kept[name][t] for t in row_nodes[name]]
        rows: list[np.ndarray | None] = [None] * len(cols)  # rows holding each column's node
        for i in range(len(cols)):
            for j in range(i + 1, len(cols)):
                # the rows holding both, found from the sparser column's rows (row order)
                s, d = (i, j) if kept[i] <= kept[j] else (j, i)
                if rows[s] is None:
                    rows[s] = np.flatnonzero(cols[s] >= 0)
                at = rows[s]
                at = at[cols[d][at] >= 0]
                ea.append(cols[i][at])
                eb.append(cols[j][at])
    both = (link_a >= 0) & (link_b >= 0) & (link_a != link_b)
    # the rows' edges are int32 while the node ids fit: the links' too, so no edge array widens
    edge_dtype = np.int32 if offsets[-1] < np.iinfo(np.int32).max else np.int64
    ea.append(link_a[both].astype(edge_dtype))
    eb.append(link_b[both].astype(edge_dtype))
    a = np.concatenate(ea) if ea else np.zeros(0, dtype=np.int64)
    b = np.concatenate(eb) if eb else np.zeros(0, dtype=np.int64)

    occurrences = (
        np.concatenate(occurrence_parts) if occurrence_parts else np.zeros(0, dtype=np.int64)
    )

    all_values = concat_strings(values)
    shared, shared_detail = apply_limits(a, b, node_type, types, effective_limits(config), n_nodes)
    keep = ~(shared[a] | shared[b])
    n_dropped = int((~keep).sum())
    a, b = a[keep], b[keep]
    if len(shared_detail):
        shared_detail["rows"] = occurrences[shared_detail["node"].to_numpy()]
        sv = pc.take(all_values, pa.array(shared_detail["node"].to_numpy(dtype=np.int64)))
        shared_detail.insert(1, "id_value", pd.arrays.ArrowStringArray(sv))
        # one block of distinct nodes per limit, in (id_type, other_type) order
        block = shared_detail["block"].to_numpy()
        identifiers = np.bincount(block)
        rows = np.bincount(block, weights=shared_detail["rows"].to_numpy(dtype=np.float64))
        starts = np.r_[0, np.cumsum(identifiers)[:-1]]
        for i in np.flatnonzero(identifiers):
            first = shared_detail.iloc[starts[i]]
            detail = f"linked to more than {first['limit']} {first['other_type']}"
            blocked_rows.append(
                (first["id_type"], "over_limit", detail, int(identifiers[i]), int(rows[i]))
            )
        shared_detail = shared_detail[list(_SHARED_COLUMNS)].reset_index(drop=True)
    else:
        shared_detail = _empty_shared()

    labels, n_comp = (components or _components)(a, b, n_nodes)
    used = both & ~(shared[np.maximum(link_a, 0)] | shared[np.maximum(link_b, 0)])
    used |= ((link_a >= 0) & (acc_b >= 0)) | ((link_b >= 0) & (acc_a >= 0))
    if "link_type" in links.columns:
        link_types = _as_string(links["link_type"]).fillna("(missing)")
    else:
        link_types = pd.Series("(missing)", index=links.index, dtype="string")
    link_table = _link_table(pd.DataFrame({"link_type": link_types.array}), used)
    side_a, side_b = (
        pc.fill_null(pa.array(t.array, type=pa.large_string()), "(missing)")
        for t in (type_a, type_b)
    )
    swap = pc.greater(side_a, side_b)
    by_types = pd.DataFrame(
        {
            "link_type": link_types.array,
            "id_type_a": pd.arrays.ArrowStringArray(pc.if_else(swap, side_b, side_a)),
            "id_type_b": pd.arrays.ArrowStringArray(pc.if_else(swap, side_a, side_b)),
        }
    )
    link_id_types = _link_table(by_types, used)

    return IdentityGraph(
        types=types,
        offsets=offsets_arr,
        values=values,
        labels=labels,
        n_components=n_comp,
        shared=shared,
        internal=internal,
        occurrences=occurrences,
        row_nodes=row_nodes,
        row_internal=row_internal,
        row_accounts=row_accounts,
        accounts=accounts,
        link_accounts=link_accounts,
        blocked=_blocked_frame(blocked_rows),
        shared_detail=shared_detail,
        links=link_table,
        link_id_types=link_id_types,
        n_edges=len(a),
        n_edges_dropped=n_dropped,
        node_type=node_type,
        all_values=all_values,
        row_kept=row_kept,
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


#: Columns of :attr:`IdentityGraph.shared_detail`.
_SHARED_COLUMNS = ("id_type", "id_value", "other_type", "linked", "limit", "rows")


def _empty_shared() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id_type": pd.Series(dtype="string"),
            "id_value": pd.Series(dtype="string"),
            "other_type": pd.Series(dtype="string"),
            "linked": pd.Series(dtype="int64"),
            "limit": pd.Series(dtype="int64"),
            "rows": pd.Series(dtype="int64"),
        }
    )


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


def _link_table(keys: pd.DataFrame | None, used: np.ndarray | None) -> pd.DataFrame:
    """``<key columns>, links, used``: link counts per distinct key (sorted; missing keys dropped).

    A sorted groupby done with integer codes (``factorize(sort=True)`` per column,
    combined, ``bincount``), without pandas' groupby overhead.
    """
    if keys is None:
        keys = pd.DataFrame({"link_type": pd.Series(dtype="string")})
        used = np.zeros(0, dtype=bool)
    names = list(keys.columns)
    coded = [_sorted_codes(keys[n]) for n in names]
    codes = [c for c, _ in coded]
    uniques = [u for _, u in coded]
    ok = np.logical_and.reduce([c >= 0 for c in codes]) if len(keys) else np.zeros(0, bool)
    sizes = tuple(max(len(u), 1) for u in uniques)
    combined = np.ravel_multi_index([c[ok] for c in codes], sizes)
    weights = np.asarray(used, dtype=np.float64)[ok]
    cells = int(np.prod(sizes))
    if cells <= max(4 * len(combined), 1 << 16):  # few key combinations: count them directly
        links = np.bincount(combined, minlength=cells)
        used_n = np.bincount(combined, weights, minlength=cells)
        present = np.flatnonzero(links)
        links, used_n = links[present], used_n[present]
    else:
        present, inverse = np.unique(combined, return_inverse=True)
        links = np.bincount(inverse, minlength=len(present))
        used_n = np.bincount(inverse, weights, minlength=len(present))
    at = np.unravel_index(present, sizes)
    columns = {n: uniques[i][at[i]] for i, n in enumerate(names)}
    return pd.DataFrame(
        {**columns, "links": links.astype(np.int64), "used": used_n.astype(np.int64)}
    )


def _sorted_codes(values: pd.Series) -> tuple[np.ndarray, pd.arrays.ArrowStringArray]:
    """``pd.factorize(values, sort=True)`` with the hashing and sorting done in Arrow.

    Uniques in code-point order (Arrow sorts UTF-8 bytes, the same order); ``-1``
    where missing.
    """
    codes, uniques = factorize_strings(values)
    names = pa.array(uniques.array, type=pa.large_string())
    order = pc.sort_indices(names).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    codes = np.append(rank, -1)[codes]  # -1 (missing) picks the appended -1
    return codes, pd.arrays.ArrowStringArray(names.take(pa.array(order)))
