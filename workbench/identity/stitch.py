"""Identity stitching: give every touchpoint and conversion a stable ``person_id``.

:func:`stitch` builds the identity graph (:mod:`workbench.identity.graph`:
co-occurring identifiers and identity links, with blocked values and
per-type limits), takes its connected components as people, and writes
``person_id`` / ``account_id`` / ``is_internal`` onto the touchpoints and
conversions, the ``identities`` table, a ``people`` table and diagnostics
(:mod:`workbench.identity.diagnostics`).

Identifier priority
-------------------
``IdentityConfig.priority`` (default :data:`workbench.schema.ID_TYPES`:
crm_contact_id, user_id, email, phone, device_id, anonymous_id, click ids)
is used in three places:

* the **anchor** of a person, which names it, is its identifier of the
  highest-priority type, and among those the smallest value (code-point order);
* a row whose identifiers ended in different people (because one of them is
  shared and lost its edges) belongs to the person of its highest-priority
  non-shared identifier;
* with ``previous``, which earlier person id a merged person keeps (below).

Stable ids
----------
``person_id = "p_" + sha256("<anchor type>:<anchor value>")[:16]``: a function
of the component's content only, so the same input always gives the same ids
and adding data that does not touch a person leaves its id unchanged. When new
data adds a higher-priority identifier to a person, or merges two people, the
anchor (and so the id) may change. Pass the previous run's ``identities`` as
``previous`` to keep ids: a person whose identifiers had ids before keeps the
id of its best previously-known identifier (by the priority order above), so a
merge of two existing people keeps the id of the one holding the better
anchor and the other id is retired. If a previous person is split, the part
holding its best identifier keeps the id; the others get fresh ids.

People, accounts, known and internal
------------------------------------
* Rows without any usable identifier get a missing ``person_id``.
* A person's ``account_id`` is the ``crm_account_id`` it is linked to by the
  most observations (rows of touchpoints/conversions carrying both, and
  identity links); ties go to the smallest id. A row's ``account_id`` is its
  person's, or the row's own ``crm_account_id`` when the person has none.
* A person is **known** when it has an identifier of a type in
  :data:`~workbench.identity.graph.KNOWN_ID_TYPES` (crm_contact_id, user_id,
  email, phone), i.e. more than anonymous cookies, devices and click ids.
* A person is **internal** when any of its identifiers is an internal e-mail,
  was seen in a row with a test id or internal e-mail, or was linked to a test
  id. Rows get ``is_internal`` = their person's flag (or their own, when they
  have no person), so test and employee traffic can be filtered out.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.config import IdentityConfig
from workbench.errors import ValidationError
from workbench.identity.graph import (
    ACCOUNT_ID_TYPE,
    KNOWN_ID_TYPES,
    IdentityGraph,
    build_graph,
)
from workbench.intcodes import bincount, hex_strings, take_strings
from workbench.schema import ACCOUNT_ID, IDENTITIES, PERSON_ID

__all__ = ["PEOPLE_COLUMNS", "StitchResult", "person_ids_for", "stitch"]

#: Columns of :attr:`StitchResult.people`.
PEOPLE_COLUMNS: tuple[str, ...] = (
    PERSON_ID,
    ACCOUNT_ID,
    "anchor_type",
    "anchor_value",
    "identifiers",
    "touchpoints",
    "conversions",
    "is_known",
    "is_internal",
    "is_shared",
)
IS_INTERNAL = "is_internal"


@dataclass
class StitchResult:
    """What :func:`stitch` returns.

    Attributes
    ----------
    touchpoints, conversions
        The inputs with ``person_id``, ``account_id`` (string, may be missing)
        and ``is_internal`` (bool) columns set. ``person_id`` is a pandas
        ``Categorical``: its categories are the person ids (``string``, one per
        person, in the order of ``people``) and its codes the component numbers
        (``-1``: no person), so later stages group by integer codes without
        per-row strings. The stored tables hold plain strings
        (:func:`workbench.intcodes.categorical_strings`, applied where
        :func:`workbench.prepare.write_prepared` writes).
    identities
        :data:`workbench.schema.IDENTITIES`: one row per identifier kept
        (shared ones included, each as its own person).
    people
        One row per person, columns :data:`PEOPLE_COLUMNS`.
    diagnostics
        Tidy frames by name; see :func:`workbench.identity.diagnostics.diagnostics`.
    """

    touchpoints: pd.DataFrame
    conversions: pd.DataFrame
    identities: pd.DataFrame
    people: pd.DataFrame
    diagnostics: dict[str, pd.DataFrame] = field(default_factory=dict)


def _strings(values: pa.Array | pa.ChunkedArray) -> pd.Series:
    """A pandas ``string`` Series over a pyarrow string array (no Python objects)."""
    if values.type != pa.large_string() and values.type != pa.string():
        values = values.cast(pa.large_string())
    return pd.Series(pd.arrays.ArrowStringArray(values))


def _take(ids: pa.Array | pa.ChunkedArray, codes: np.ndarray) -> pd.Series:
    """``ids[codes]`` as a string Series, missing where ``codes < 0`` (``take_strings``)."""
    if len(ids) == 0:
        return pd.Series(pd.NA, index=range(len(codes)), dtype="string")
    return _strings(take_strings(ids, codes))


def _person_codes(codes: np.ndarray, dtype: pd.CategoricalDtype, index: pd.Index) -> pd.Series:
    """The ``person_id`` column: ``Categorical`` over the person ids, coded by component.

    Parameters
    ----------
    codes
        Component of every row (``-1``: no person).
    dtype
        ``CategoricalDtype`` whose categories are the person ids in component order.
    index
        Index of the table the column goes to.
    """
    # the codes are component numbers (or -1), in range by construction
    coded = pd.Categorical.from_codes(codes, dtype=dtype, validate=False)
    return pd.Series(coded, index=index, name=PERSON_ID)


def _unique_categories(ids: pa.Array) -> pd.CategoricalDtype:
    """``CategoricalDtype`` over person ids known to be distinct (``stitch`` made sure).

    pandas would check the uniqueness again by turning every id into a Python
    string and hashing it (at 10M rows the slowest step of stitching); stitching
    has checked it in Arrow already.
    """
    categories = pd.Index(_strings(ids))
    fast = getattr(pd.CategoricalDtype, "_from_fastpath", None)  # pandas 2.2 and 3.x
    return fast(categories, ordered=False) if fast else pd.CategoricalDtype(categories)


def person_ids_for(types: np.ndarray | pd.Series, values: np.ndarray | pd.Series) -> np.ndarray:
    """Person ids for anchors: ``"p_" + sha256("<type>:<value>")[:16]``.

    Parameters
    ----------
    types, values
        Aligned anchor identifier types and values.

    Returns
    -------
    numpy.ndarray
        Object array of str.
    """
    ids = _person_id_array(_arrow(types), _arrow(values))
    return np.asarray(ids.to_numpy(zero_copy_only=False), dtype=object)


def _arrow(values: np.ndarray | pd.Series | list) -> pa.Array:
    """Strings as an Arrow ``large_string`` array."""
    if isinstance(values, pd.Series):
        values = values.array
    return pa.array(values, type=pa.large_string(), from_pandas=True)


def _person_id_array(types: pa.Array, values: pa.Array) -> pa.Array:
    """:func:`person_ids_for` as an Arrow ``large_string`` array."""
    return _hex_ids(_id_heads(types, values))


def _id_heads(types: pa.Array, values: pa.Array) -> np.ndarray:
    """The first :data:`_ID_BYTES` bytes of ``sha256("<type>:<value>")``, one row per key.

    The keys are joined in Arrow and hashed by ``map`` over the bytes (the one
    per-person step left is OpenSSL's SHA-256 itself).
    """
    n = len(types)
    keys = pc.binary_join_element_wise(types, values, pa.scalar(":", pa.large_string())).cast(
        pa.large_binary()
    )
    sha256 = _small_sha256  # a list comprehension: measured ~25% faster than chained map()
    digests = b"".join([sha256(key).digest() for key in keys.to_pylist()])
    head = np.frombuffer(digests, dtype=np.uint8).reshape(n, 32)[:, :_ID_BYTES]
    return np.ascontiguousarray(head)


def _distinct_heads(head: np.ndarray) -> bool:
    """Whether the ids of :func:`_id_heads` rows are all different (integer compare)."""
    if head.shape[1] > 8:
        return len(np.unique(head, axis=0)) == len(head)
    padded = np.zeros((len(head), 8), dtype=np.uint8)
    padded[:, : head.shape[1]] = head
    return bool(pd.Index(padded.view(np.uint64).ravel()).is_unique)


def _hex_ids(head: np.ndarray) -> pa.Array:
    """``"p_"`` + the hex digits of each row of ``head`` (:func:`~workbench.intcodes.hex_strings`)."""
    return hex_strings(b"p_", head)


def _builtin_sha256() -> Callable[[bytes], Any]:
    """CPython's own SHA-256 (``_sha256``, or ``_sha2`` from 3.12), else ``hashlib``'s.

    The same digests; for keys of a few dozen bytes the built-in one is ~30% faster
    than OpenSSL's, whose per-object setup and digest copy cost more than the hashing.
    """
    for module in ("_sha2", "_sha256"):
        try:
            return importlib.import_module(module).sha256
        except (ImportError, AttributeError):
            continue
    return hashlib.sha256


_small_sha256 = _builtin_sha256()

#: Bytes of the SHA-256 digest a person id keeps (16 hex digits).
_ID_BYTES = 8


def _best_nodes(nodes: np.ndarray, groups: np.ndarray, n_groups: int, graph: IdentityGraph):
    """Per group, the best of ``nodes`` (highest-priority type, then smallest value).

    Returns an array of length ``n_groups`` with a node id or ``-1``. Node ids
    are ordered by type priority, so the type is settled with integer minima;
    strings are compared (ranked in Arrow) only where a group has several
    candidates of its best type.
    """
    best = np.full(n_groups, -1, dtype=np.int64)
    if len(nodes) == 0:
        return best
    big = np.iinfo(np.int64).max
    first = np.full(n_groups, big, dtype=np.int64)
    np.minimum.at(first, groups, nodes)
    has = first < big
    best_type = np.full(n_groups, -1, dtype=np.int64)
    best_type[has] = graph.node_type[first[has]]
    cand = graph.node_type[nodes] == best_type[groups]
    cnodes, cgroups = nodes[cand], groups[cand]
    counts = np.bincount(cgroups, minlength=n_groups)
    best[has] = first[has]
    multi = counts[cgroups] > 1
    if multi.any():
        mnodes, mgroups = cnodes[multi], cgroups[multi]
        top = _first_of_groups(mgroups, _string_rank(graph.node_value_array(mnodes)))
        best[mgroups[top]] = mnodes[top]
    return best


def _string_rank(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Rank of each string in code-point (UTF-8 byte) order; equal strings keep their order."""
    order = pc.sort_indices(values).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


def _first_of_groups(groups: np.ndarray, *keys: np.ndarray) -> np.ndarray:
    """Position of the first element of each group when sorted by ``keys`` (ascending)."""
    order = np.lexsort((*reversed(keys), groups))
    sorted_groups = groups[order]
    return order[np.r_[True, sorted_groups[1:] != sorted_groups[:-1]]]


def _gather(values: np.ndarray, index: np.ndarray, fill) -> np.ndarray:
    """``values[index]`` with ``fill`` where ``index < 0`` (one gather)."""
    return np.append(values, np.asarray([fill], dtype=values.dtype))[index]


def _row_components(graph: IdentityGraph, name: str, n_rows: int) -> np.ndarray:
    """Component of each row: its highest-priority non-shared identifier, else any.

    A row's non-shared identifiers are joined by the row's own edges, so they all
    name the same component: any of them will do, and the most common type is
    looked up first (one gather over the table); the rows it misses take the
    next types. Only rows whose identifiers are all shared go by priority.
    """
    nodes_by_type = graph.row_nodes.get(name, {})
    present_types = [t for t in graph.types if t in nodes_by_type]
    present = [nodes_by_type[t] for t in present_types]
    comp = np.full(n_rows, -1, dtype=np.int32) if not present else np.zeros(0, dtype=np.int32)
    # a trailing -1 makes ``lookup[-1]`` (no identifier) give -1 in a single gather;
    # int32 components: half the bytes per row, and the Categorical's own code type
    labels = graph.labels.astype(np.int32 if graph.n_components < 2**31 - 1 else np.int64)
    none = np.asarray([-1], dtype=labels.dtype)  # (a bare -1 would widen the lookups to int64)
    lookups = [np.append(np.where(graph.shared, none, labels), none)]
    if graph.shared.any():
        lookups.append(np.append(labels, none))
    kept = graph.row_kept.get(name, {})

    def rows_with(t: str) -> int:
        return kept[t] if t in kept else int(np.count_nonzero(nodes_by_type[t] >= 0))

    by_rows = [nodes_by_type[t] for t in sorted(present_types, key=rows_with, reverse=True)]
    todo: np.ndarray | None = None  # None: every row
    for lookup, order in zip(lookups, (by_rows, present), strict=False):
        for nodes in order:
            if todo is None:
                comp = lookup[nodes]
                todo = np.flatnonzero(comp < 0)
                continue
            if not len(todo):
                return comp
            found = lookup[nodes[todo]]
            hit = found >= 0
            comp[todo[hit]] = found[hit]
            todo = todo[~hit]
    return comp


def _previous_ids(
    graph: IdentityGraph, previous: pd.DataFrame, fresh: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Apply ``previous`` ids; returns (ids per component, inherited flag)."""
    missing = [c for c in ("id_type", "id_value", PERSON_ID) if c not in previous.columns]
    if missing:
        raise ValidationError(
            f"previous identities: missing column(s) {', '.join(missing)}; expected the "
            "identities table of an earlier run (id_type, id_value, person_id)",
            context="stitching",
        )
    prev = previous.dropna(subset=["id_type", "id_value", PERSON_ID])
    pid_codes, pid_values = pd.factorize(prev[PERSON_ID].astype("string"))
    node_pid = np.full(graph.n_nodes, -1, dtype=np.int64)
    ptypes = prev["id_type"].astype("string").to_numpy()
    pvalues = prev["id_value"].astype("string")
    for i, id_type in enumerate(graph.types):
        sel = ptypes == id_type
        if not sel.any():
            continue
        pos = pd.Index(graph.values[i]).get_indexer(pvalues[sel])
        ok = pos >= 0
        node_pid[pos[ok] + graph.offsets[i]] = pid_codes[sel][ok]
    nodes = np.flatnonzero(node_pid >= 0)
    ids = fresh.copy()
    inherited = np.zeros(graph.n_components, dtype=bool)
    if len(nodes) == 0:
        return ids, inherited
    best = _best_nodes(nodes, graph.labels[nodes], graph.n_components, graph)
    comps = np.flatnonzero(best >= 0)
    claim = node_pid[best[comps]]
    # a previous person split in several components: the one holding its best node keeps it
    keeper = _best_nodes(best[comps], claim, len(pid_values), graph)
    wins = keeper[claim] == best[comps]
    ids[comps[wins]] = np.asarray(pid_values, dtype=object)[claim[wins]]
    inherited[comps[wins]] = True
    return ids, inherited


def _dedupe_ids(
    ids: np.ndarray, inherited: np.ndarray, types: pa.Array, values: pa.Array
) -> np.ndarray:
    """Re-hash fresh ids that collide with an inherited one (rare; deterministic salt)."""
    salt = 0
    while True:
        dup = pd.Series(ids).duplicated(keep=False).to_numpy() & ~inherited
        if not dup.any():
            return ids
        salt += 1
        where = pa.array(np.flatnonzero(dup))
        salted = pc.binary_join_element_wise(
            values.take(where),
            pa.scalar(f"#{salt}", pa.large_string()),
            pa.scalar("", pa.large_string()),
        )
        fresh = _person_id_array(types.take(where), salted)
        ids[dup] = fresh.to_numpy(zero_copy_only=False)


def _accounts(graph: IdentityGraph, row_comps: dict[str, np.ndarray]) -> np.ndarray:
    """Account code per component: most observations, then smallest account id."""
    n_acct = len(graph.accounts)
    out = np.full(graph.n_components, -1, dtype=np.int64)
    if n_acct == 0:
        return out
    comp_parts, acct_parts = [], []
    for name, comps in row_comps.items():
        acct = graph.row_accounts[name]
        both = (comps >= 0) & (acct >= 0)
        comp_parts.append(comps[both])
        acct_parts.append(acct[both])
    nodes, acct = graph.link_accounts
    comp_parts.append(graph.labels[nodes])
    acct_parts.append(acct)
    comp = np.concatenate(comp_parts)
    acct = np.concatenate(acct_parts)
    if len(comp) == 0:
        return out
    keys, counts = np.unique(comp * np.int64(n_acct) + acct, return_counts=True)
    comp, acct = keys // n_acct, keys % n_acct
    rank = _string_rank(pa.array(graph.accounts.array, type=pa.large_string()))
    top = _first_of_groups(comp, -counts, rank[acct])
    out[comp[top]] = acct[top]
    return out


def stitch(
    touchpoints: pd.DataFrame,
    conversions: pd.DataFrame,
    identity_links: pd.DataFrame | None,
    config: IdentityConfig | None = None,
    previous: pd.DataFrame | None = None,
    components=None,
) -> StitchResult:
    """Resolve identities into people (see the module docstring for every rule).

    Parameters
    ----------
    touchpoints, conversions
        Canonical tables; identifier columns (:data:`workbench.schema.ID_TYPES`
        and ``crm_account_id``) are optional, missing where absent.
    identity_links
        Canonical identity links, or ``None``.
    config
        Merge protection (blocked values, test ids, internal domains, limits,
        priority, max component size); ``None`` uses the defaults.
    previous
        The ``identities`` table of an earlier run (``id_type``, ``id_value``,
        ``person_id``): people keep their earlier ids.
    components
        Connected-components function for the graph (another engine's); ``None``
        uses scipy (see :func:`workbench.identity.graph.build_graph`).

    Returns
    -------
    StitchResult

    Raises
    ------
    ValidationError
        When ``identity_links`` or ``previous`` lack their columns.
    """
    from workbench.identity.diagnostics import diagnostics

    config = config or IdentityConfig()
    tables = {"touchpoints": touchpoints, "conversions": conversions}
    graph = build_graph(tables, identity_links, config, components=components)
    n_comp = graph.n_components

    # people: anchors and stable ids
    all_nodes = np.arange(graph.n_nodes, dtype=np.int64)
    anchor = _best_nodes(all_nodes, graph.labels, n_comp, graph)
    type_names = pa.array(list(graph.types), type=pa.large_string())
    anchor_type = type_names.take(pa.array(graph.node_type[anchor].astype(np.int64)))
    anchor_value = graph.node_value_array(anchor).combine_chunks()
    head = _id_heads(anchor_type, anchor_value)
    id_array = _hex_ids(head)
    # fresh ids are distinct unless two anchors' hashes collide (their 8 bytes as integers)
    if (previous is not None and len(previous)) or not _distinct_heads(head):
        ids = np.asarray(id_array.to_numpy(zero_copy_only=False), dtype=object)
        inherited = np.zeros(n_comp, dtype=bool)
        if previous is not None and len(previous):
            ids, inherited = _previous_ids(graph, previous, ids)
        ids = _dedupe_ids(ids, inherited, anchor_type, anchor_value)
        id_array = pa.array(ids, type=pa.large_string())  # distinct now (_dedupe_ids)
    person_dtype = _unique_categories(id_array)

    row_comps = {name: _row_components(graph, name, len(t)) for name, t in tables.items()}
    graph.row_nodes.clear()  # the per-row node codes are done with: release them before the outputs
    acct_code = _accounts(graph, row_comps)
    if len(graph.accounts) < np.iinfo(np.int32).max:  # 4-byte codes: the per-row gathers halve
        acct_code = acct_code.astype(np.int32)
    acct_values = pa.array(graph.accounts.array, type=pa.large_string())

    known_types = np.isin(np.asarray(graph.types), KNOWN_ID_TYPES)
    node_known = known_types[graph.node_type] if graph.n_nodes else np.zeros(0, dtype=bool)
    is_known = np.bincount(graph.labels[node_known], minlength=n_comp) > 0
    is_internal = np.bincount(graph.labels[graph.internal], minlength=n_comp) > 0
    is_shared = np.bincount(graph.labels[graph.shared], minlength=n_comp) > 0
    size = np.bincount(graph.labels, minlength=n_comp)

    outputs = {}
    row_counts = {}
    row_stats: dict[str, tuple[int, int, int]] = {}
    for name, frame in tables.items():
        comps = row_comps[name]
        own = graph.row_accounts[name]
        acct = _gather(acct_code, comps, -1)
        # the table has accounts of its own (no column: every code is -1)
        if ACCOUNT_ID_TYPE in frame.columns and own.max(initial=-1) >= 0:
            acct = np.where(acct >= 0, acct, own)
        internal = graph.row_internal[name].copy()
        if is_internal.any():  # else no row's person is internal: no gather
            internal |= _gather(is_internal, comps, False)
        out = frame.copy(deep=False)
        account = _take(acct_values, acct)
        account.index = frame.index
        out[PERSON_ID] = _person_codes(comps, person_dtype, frame.index)
        out[ACCOUNT_ID] = account
        out[IS_INTERNAL] = internal
        outputs[name] = out
        # code -1 (no person) counts in the slot dropped
        row_counts[name] = bincount(comps, n_comp + 1, shift=1)[1:]
        row_stats[name] = (
            len(comps),
            int(row_counts[name].sum()),
            int(row_counts[name][is_known].sum()),
        )

    people = pd.DataFrame(
        {
            PERSON_ID: _strings(id_array),
            ACCOUNT_ID: _take(acct_values, acct_code),
            "anchor_type": _strings(anchor_type),
            "anchor_value": _strings(anchor_value),
            "identifiers": size.astype(np.int64),
            "touchpoints": row_counts["touchpoints"].astype(np.int64),
            "conversions": row_counts["conversions"].astype(np.int64),
            "is_known": is_known,
            "is_internal": is_internal,
            "is_shared": is_shared,
        }
    )

    identities = pd.DataFrame(
        {
            "id_type": _strings(pc.take(type_names, pa.array(graph.node_type.astype(np.int64)))),
            "id_value": _strings(graph.value_array()),
            PERSON_ID: _take(id_array, graph.labels),
            ACCOUNT_ID: _take(acct_values, acct_code[graph.labels]),
        }
    )[IDENTITIES.names]

    diag = diagnostics(graph, people, row_stats, config)
    return StitchResult(
        touchpoints=outputs["touchpoints"],
        conversions=outputs["conversions"],
        identities=identities,
        people=people,
        diagnostics=diag,
    )
