"""The phases of :func:`workbench.identity.graph.build_graph` (private).

Encoding identifier values into nodes, account links, internal identifiers, row
and link edges, the shared-identifier table after the limits, and the identity
link counts. Each phase is a function so that ``build_graph`` reads as an outline;
arrays a phase needs only for itself are freed when it returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.identity.encode import encode_values
from workbench.identity.rules import Blocklist
from workbench.intcodes import factorize_strings

#: The identifier column that names a CRM account (not a person identifier).
ACCOUNT_ID_TYPE = "crm_account_id"

#: Columns of :attr:`IdentityGraph.shared_detail`.
_SHARED_COLUMNS = ("id_type", "id_value", "other_type", "linked", "limit", "rows")

#: A row of :attr:`IdentityGraph.blocked`: ``id_type, reason, detail, identifiers, rows``.
BlockedRow = tuple[str, str, str, int, int]


@dataclass
class Encoded:
    """Nodes and per-row / per-link node codes of every identifier type.

    Attributes
    ----------
    offsets
        Start of each type's node ids, then the number of nodes.
    values
        Per type, the identifier values of its nodes.
    internal
        Whether each node is an internal/test identifier (before rows and links
        spread it; :func:`_mark_internal`).
    occurrences
        Rows each node appears in.
    row_nodes, row_kept, row_internal, row_accounts
        As in :class:`~workbench.identity.graph.IdentityGraph`.
    accounts
        Account id values.
    link_a, link_b
        Node of each identity link's side a / b (``-1``: none).
    link_test
        Whether a link side is a test id.
    acct_a, acct_b
        Account codes of the links whose side a / b is an account.
    blocked_rows
        What merges nobody so far.
    """

    offsets: list[int]
    values: list[pd.Series]
    internal: np.ndarray
    occurrences: np.ndarray
    row_nodes: dict[str, dict[str, np.ndarray]]
    row_kept: dict[str, dict[str, int]]
    row_internal: dict[str, np.ndarray]
    row_accounts: dict[str, np.ndarray]
    accounts: pd.Series
    link_a: np.ndarray
    link_b: np.ndarray
    link_test: np.ndarray
    acct_a: np.ndarray
    acct_b: np.ndarray
    blocked_rows: list[BlockedRow]


def _encode_identifiers(
    tables: Mapping[str, pd.DataFrame],
    links: pd.DataFrame,
    kinds: tuple[str, ...],
    kind_a: np.ndarray,
    kind_b: np.ndarray,
    block: Blocklist,
) -> Encoded:
    """Encode every identifier type's values (rows and link sides) as nodes.

    Parameters
    ----------
    tables
        Wide tables by name.
    links
        Identity links (checked columns).
    kinds
        Identifier types in priority order, then :data:`ACCOUNT_ID_TYPE` (last).
    kind_a, kind_b
        Position of each link side's type in ``kinds`` (``-1``: unknown or missing).
    block
        Blocked values, test ids and internal domains.

    Returns
    -------
    Encoded
    """
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
    blocked_rows: list[BlockedRow] = []

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

    internal = np.concatenate(internal_parts) if internal_parts else np.zeros(0, dtype=bool)
    occurrences = (
        np.concatenate(occurrence_parts) if occurrence_parts else np.zeros(0, dtype=np.int64)
    )
    return Encoded(
        offsets=offsets,
        values=values,
        internal=internal,
        occurrences=occurrences,
        row_nodes=row_nodes,
        row_kept=row_kept,
        row_internal=row_internal,
        row_accounts=row_accounts,
        accounts=accounts,
        link_a=link_a,
        link_b=link_b,
        link_test=link_test,
        acct_a=acct_a,
        acct_b=acct_b,
        blocked_rows=blocked_rows,
    )


def _unknown_types(
    type_a: pd.Series,
    type_b: pd.Series,
    kind_a: np.ndarray,
    kind_b: np.ndarray,
    kinds: tuple[str, ...],
) -> list[BlockedRow]:
    """``unknown_id_type`` rows: link sides whose type is not in ``kinds`` (or missing).

    Parameters
    ----------
    type_a, type_b
        Cleaned (trimmed, lower-case) types of the links' sides.
    kind_a, kind_b
        Their positions in ``kinds`` (``-1``: unknown or missing).
    kinds
        Known identifier types.

    Returns
    -------
    list of tuple
        One row per unknown type (sorted), with the number of link sides.
    """
    blocked_rows: list[BlockedRow] = []
    known = set(kinds)
    if ((kind_a < 0) | (kind_b < 0)).any():
        bad = pd.concat([type_a[~type_a.isin(known)], type_b[~type_b.isin(known)]])
        for t, n in bad.fillna("(missing)").value_counts().sort_index().items():
            blocked_rows.append((str(t), "unknown_id_type", "", 0, int(n)))
    return blocked_rows


def _account_links(
    type_a: pd.Series, type_b: pd.Series, enc: Encoded
) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray, np.ndarray]:
    """Person-account links: one side a person identifier, the other an account.

    Parameters
    ----------
    type_a, type_b
        Cleaned types of the links' sides.
    enc
        The encoded identifiers (link nodes and account codes).

    Returns
    -------
    link_accounts : tuple of ndarray
        ``(node, account code)`` pairs.
    acc_a, acc_b : ndarray
        Account code of each link's side a / b (``-1``: not an account).
    """
    n_links = len(enc.link_a)
    la_acct = type_a.eq(ACCOUNT_ID_TYPE).fillna(False).to_numpy(dtype=bool)
    lb_acct = type_b.eq(ACCOUNT_ID_TYPE).fillna(False).to_numpy(dtype=bool)
    acc_a = np.full(n_links, -1, dtype=np.int64)
    acc_b = np.full(n_links, -1, dtype=np.int64)
    acc_a[la_acct], acc_b[lb_acct] = enc.acct_a, enc.acct_b
    link_node = np.concatenate([enc.link_a[lb_acct], enc.link_b[la_acct]])
    link_acct = np.concatenate([acc_b[lb_acct], acc_a[la_acct]])
    keep = (link_node >= 0) & (link_acct >= 0)
    return (link_node[keep], link_acct[keep]), acc_a, acc_b


def _mark_internal(enc: Encoded) -> None:
    """Flag (in ``enc.internal``) every identifier in an internal row or linked to a test id.

    Parameters
    ----------
    enc
        The encoded identifiers; ``enc.internal`` is updated in place.
    """
    internal = enc.internal
    for name, flag in enc.row_internal.items():
        if flag.any():
            for nodes in enc.row_nodes[name].values():
                hit = nodes[flag]
                internal[hit[hit >= 0]] = True
    for a, b in ((enc.link_a, enc.link_b), (enc.link_b, enc.link_a)):
        hit = b[enc.link_test & (a < 0)]
        internal[hit[hit >= 0]] = True


def _edges(
    row_nodes: dict[str, dict[str, np.ndarray]],
    row_kept: dict[str, dict[str, int]],
    link_a: np.ndarray,
    link_b: np.ndarray,
    n_nodes: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edges: every pair of nodes in the same row, then every identity link.

    Parameters
    ----------
    row_nodes, row_kept
        Per table, per type, the node of every row and how many rows have one.
    link_a, link_b
        Node of each link's side a / b (``-1``: none).
    n_nodes
        Number of nodes (edges are ``int32`` while node ids fit).

    Returns
    -------
    a, b : ndarray
        The edges' end nodes (tables in order, pairs of types in order, rows in
        order; then the links).
    both : ndarray
        Whether each link joins two different nodes (became an edge).
    """
    ea, eb = [], []
    for name in row_nodes:
        cols = list(row_nodes[name].values())
        kept = [row_kept[name][t] for t in row_nodes[name]]
        rows: list[np.ndarray | None] = [None] * len(cols)  # rows holding each column's node
        for i in range(len(cols)):
            for j in range(i + 1, len(cols)):
                # the rows holding both, found from the sparser column's rows (row order)
                s, d = (i, j) if kept[i] <= kept[j] else (j, i)
                at = rows[s]
                if at is None:
                    at = rows[s] = np.flatnonzero(cols[s] >= 0)
                at = at[cols[d][at] >= 0]
                ea.append(cols[i][at])
                eb.append(cols[j][at])
    both = (link_a >= 0) & (link_b >= 0) & (link_a != link_b)
    # the rows' edges are int32 while the node ids fit: the links' too, so no edge array widens
    edge_dtype = np.int32 if n_nodes < np.iinfo(np.int32).max else np.int64
    ea.append(link_a[both].astype(edge_dtype))
    eb.append(link_b[both].astype(edge_dtype))
    a = np.concatenate(ea) if ea else np.zeros(0, dtype=np.int64)
    b = np.concatenate(eb) if eb else np.zeros(0, dtype=np.int64)
    return a, b, both


def _shared_table(
    shared_detail: pd.DataFrame,
    occurrences: np.ndarray,
    all_values: pa.ChunkedArray,
    blocked_rows: list[BlockedRow],
) -> pd.DataFrame:
    """The shared identifiers' table, and an ``over_limit`` row per limit in ``blocked_rows``.

    Parameters
    ----------
    shared_detail
        :func:`~workbench.identity.rules.apply_limits`' detail (``node``, ``block``, ...).
    occurrences
        Rows each node appears in.
    all_values
        Every node's identifier value in node order.
    blocked_rows
        What merges nobody; the limits' rows are appended.

    Returns
    -------
    pandas.DataFrame
        ``id_type, id_value, other_type, linked, limit, rows``.
    """
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
        return shared_detail[list(_SHARED_COLUMNS)].reset_index(drop=True)
    return _empty_shared()


def _link_tables(
    links: pd.DataFrame,
    type_a: pd.Series,
    type_b: pd.Series,
    used: np.ndarray,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Identity link counts by link type, and by link type and pair of identifier types.

    Parameters
    ----------
    links
        Identity links.
    type_a, type_b
        Cleaned types of the links' sides.
    used
        Whether each link became an edge or a person-account link.

    Returns
    -------
    links : pandas.DataFrame
        ``link_type, links, used``.
    link_id_types : pandas.DataFrame
        ``link_type, id_type_a, id_type_b, links, used`` (``a`` and ``b`` sorted by name).
    """
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
    return link_table, _link_table(by_types, used)


# --- moved unchanged from graph.py -------------------------------------------
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
