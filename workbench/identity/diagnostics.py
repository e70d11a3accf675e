"""Diagnostics of identity stitching, and scoring against a ground truth.

:func:`diagnostics` returns tidy frames with fixed columns (written by
``workbench prepare`` to ``data/processed/diagnostics/``):

``summary``
    ``metric, value`` (float): headline numbers, see :data:`SUMMARY_METRICS`.
``component_sizes``
    ``size, components``: how many people have ``size`` identifiers.
``identifiers_per_person``
    ``id_type, identifiers, people``: how many people have exactly
    ``identifiers`` identifiers of ``id_type`` (only ``identifiers >= 1``).
``largest_components``
    ``rank, person_id, identifiers, anchor_type, anchor_value, id_types,
    touchpoints, conversions, is_internal, alert``: the biggest people
    (:data:`LARGEST_N`); ``alert`` is true above ``identity.max_component_size``.
``blocked``
    ``id_type, reason, detail, identifiers, rows``: identifiers that merge
    nobody: reasons ``placeholder``, ``blocked_value``, ``test_id``,
    ``invalid`` (an unparseable e-mail), ``unknown_id_type`` (identity links
    with a type the workbench does not know; ``rows`` counts link sides) and
    ``over_limit`` (shared identifiers, ``detail`` names the limit).
``shared_identifiers``
    ``id_type, id_value, other_type, linked, limit, rows``: each shared
    identifier, how many identifiers of ``other_type`` it was linked to, the limit.
``links``
    ``link_type, links, used``: identity links by type and how many became edges (or
    person-account links; the rest had a blocked, missing or shared side).
``links_by_id_type``
    ``link_type, id_type_a, id_type_b, links, used``: the same per pair of
    identifier types (sorted within the pair), e.g. how many ``event_param``
    links joined an ``anonymous_id`` to an ``email`` and how many were used.

:func:`pairwise_scores` compares an ``identities`` table to a ground truth.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.config import IdentityConfig
from workbench.identity.graph import IdentityGraph
from workbench.schema import PERSON_ID

__all__ = ["LARGEST_N", "SUMMARY_METRICS", "diagnostics", "pairwise_scores"]

#: Rows of the ``largest_components`` frame.
LARGEST_N = 20

#: Metrics of the ``summary`` frame, in order.
SUMMARY_METRICS: tuple[str, ...] = (
    "touchpoints",
    "conversions",
    "identity_links",
    "identifiers",
    "people",
    "known_people",
    "internal_people",
    "people_with_account",
    "blocked_identifiers",
    "shared_identifiers",
    "edges",
    "edges_dropped",
    "largest_component",
    "max_component_size",
    "components_over_max",
    "touchpoints_with_person_share",
    "touchpoints_known_share",
    "conversions_with_person_share",
    "conversions_known_share",
)


def _share(part: float, whole: float) -> float:
    return float(part) / float(whole) if whole else 0.0


def diagnostics(
    graph: IdentityGraph,
    people: pd.DataFrame,
    rows: Mapping[str, tuple[int, int, int]],
    config: IdentityConfig,
) -> dict[str, pd.DataFrame]:
    """All stitching diagnostics as tidy frames (see the module docstring).

    Parameters
    ----------
    graph
        The identity graph :func:`workbench.identity.stitch.stitch` built.
    people
        Its people table (one row per component, in component order).
    rows
        For ``touchpoints`` and ``conversions``: (rows, rows with a person,
        rows whose person is known).
    config
        The identity settings used (for ``max_component_size``).
    """
    size = people["identifiers"].to_numpy()
    max_size = int(config.max_component_size)
    n_tp, tp_person, tp_known = rows["touchpoints"]
    n_cv, cv_person, cv_known = rows["conversions"]
    blocked = graph.blocked
    values = {
        "touchpoints": n_tp,
        "conversions": n_cv,
        "identity_links": int(graph.links["links"].sum()),
        "identifiers": graph.n_nodes,
        "people": len(people),
        "known_people": int(people["is_known"].sum()),
        "internal_people": int(people["is_internal"].sum()),
        "people_with_account": int(people["account_id"].notna().sum()),
        "blocked_identifiers": int(
            blocked.loc[
                ~blocked["reason"].isin(["over_limit", "unknown_id_type"]), "identifiers"
            ].sum()
        ),
        "shared_identifiers": int(graph.shared.sum()),
        "edges": graph.n_edges,
        "edges_dropped": graph.n_edges_dropped,
        "largest_component": int(size.max()) if len(size) else 0,
        "max_component_size": max_size,
        "components_over_max": int((size > max_size).sum()),
        "touchpoints_with_person_share": _share(tp_person, n_tp),
        "touchpoints_known_share": _share(tp_known, n_tp),
        "conversions_with_person_share": _share(cv_person, n_cv),
        "conversions_known_share": _share(cv_known, n_cv),
    }
    summary = pd.DataFrame(
        {
            "metric": pd.array(list(SUMMARY_METRICS), dtype="string"),
            "value": np.array([float(values[m]) for m in SUMMARY_METRICS]),
        }
    )
    return {
        "summary": summary,
        "component_sizes": _component_sizes(size),
        "identifiers_per_person": _identifiers_per_person(graph),
        "largest_components": _largest(graph, people, max_size),
        "blocked": blocked.copy(),
        "shared_identifiers": graph.shared_detail.copy(),
        "links": graph.links.copy(),
        "links_by_id_type": graph.link_id_types.copy(),
    }


def _component_sizes(size: np.ndarray) -> pd.DataFrame:
    counts = np.bincount(size) if len(size) else np.zeros(0, dtype=np.int64)
    sizes = np.flatnonzero(counts)
    return pd.DataFrame(
        {"size": sizes.astype(np.int64), "components": counts[sizes].astype(np.int64)}
    )


def _identifiers_per_person(graph: IdentityGraph) -> pd.DataFrame:
    types: list[str] = []
    identifiers: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    people: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    for i, id_type in enumerate(graph.types):
        # the nodes of a type are one contiguous block (node ids are grouped by type)
        labels = graph.labels[graph.offsets[i] : graph.offsets[i + 1]]
        if not len(labels):
            continue
        dist = np.bincount(np.bincount(labels, minlength=graph.n_components))
        n = np.flatnonzero(dist)
        n = n[n > 0]
        types += [id_type] * len(n)
        identifiers.append(n)
        people.append(dist[n])
    return pd.DataFrame(
        {
            "id_type": pd.array(types, dtype="string"),
            "identifiers": np.concatenate(identifiers).astype(np.int64),
            "people": np.concatenate(people).astype(np.int64),
        }
    )


_LARGEST_DTYPES = {
    "rank": "int64",
    PERSON_ID: "string",
    "identifiers": "int64",
    "anchor_type": "string",
    "anchor_value": "string",
    "id_types": "string",
    "touchpoints": "int64",
    "conversions": "int64",
    "is_internal": "bool",
    "alert": "bool",
}


def _largest(graph: IdentityGraph, people: pd.DataFrame, max_size: int) -> pd.DataFrame:
    size = people["identifiers"].to_numpy()
    n = min(LARGEST_N, len(size))
    if n == 0:
        return pd.DataFrame({c: pd.Series(dtype=d) for c, d in _LARGEST_DTYPES.items()})
    threshold = np.partition(size, len(size) - n)[len(size) - n]
    cand = np.flatnonzero(size >= threshold)
    # most identifiers first, then person id (code-point order, as Arrow sorts)
    ids = pa.array(people[PERSON_ID].array, type=pa.large_string()).take(pa.array(cand))
    by_id = np.empty(len(cand), dtype=np.int64)
    by_id[pc.sort_indices(ids).to_numpy()] = np.arange(len(cand))
    comps = cand[np.lexsort((by_id, -size[cand]))[:n]]
    top = people.iloc[comps]
    return pd.DataFrame(
        {
            "rank": np.arange(1, n + 1, dtype=np.int64),
            PERSON_ID: pd.array(top[PERSON_ID].to_numpy(), dtype="string"),
            "identifiers": size[comps].astype(np.int64),
            "anchor_type": pd.array(top["anchor_type"].to_numpy(), dtype="string"),
            "anchor_value": pd.array(top["anchor_value"].to_numpy(), dtype="string"),
            "id_types": pd.array(_type_mix(graph, comps), dtype="string"),
            "touchpoints": top["touchpoints"].to_numpy(dtype=np.int64),
            "conversions": top["conversions"].to_numpy(dtype=np.int64),
            "is_internal": top["is_internal"].to_numpy(dtype=bool),
            "alert": size[comps] > max_size,
        }
    )


def _type_mix(graph: IdentityGraph, comps: np.ndarray) -> list[str]:
    """Per component, ``"type=count; ..."`` of its identifiers in priority order."""
    k = len(graph.types)
    where = np.full(graph.n_components, -1, dtype=np.int64)
    where[comps] = np.arange(len(comps))
    pos = where[graph.labels]
    mine = pos >= 0
    counts = np.bincount(pos[mine] * k + graph.node_type[mine], minlength=len(comps) * k)
    counts = counts.reshape(len(comps), k)
    return ["; ".join(f"{graph.types[t]}={row[t]}" for t in np.flatnonzero(row)) for row in counts]


def pairwise_scores(
    identities: pd.DataFrame,
    truth: pd.DataFrame,
    *,
    on: tuple[str, ...] = ("id_type", "id_value"),
    person_col: str = PERSON_ID,
) -> dict[str, float]:
    """Pairwise precision and recall of stitched people against true people.

    Over the identifiers present in both tables (matched on ``on``), every
    pair of identifiers put in the same predicted person is a predicted pair;
    a pair in the same true person is a true pair.
    ``precision = correct pairs / predicted pairs`` and
    ``recall = correct pairs / true pairs`` (1.0 when there are no pairs).

    Parameters
    ----------
    identities
        Stitching output: ``id_type, id_value, person_id``.
    truth
        Ground truth with the same columns (values normalized like the data).
    on
        Columns identifying an identifier.
    person_col
        Person column in both tables.

    Returns
    -------
    dict
        ``precision``, ``recall``, ``f1``, ``correct_pairs``,
        ``predicted_pairs``, ``true_pairs``, ``identifiers_scored``,
        ``missing_in_prediction`` (truth identifiers not in ``identities``),
        ``missing_in_truth``.
    """
    cols = [*on, person_col]
    pred = identities[cols].dropna().drop_duplicates(list(on))
    true = truth[cols].dropna().drop_duplicates(list(on))
    both = pred.merge(true, on=list(on), how="inner", suffixes=("_pred", "_true"))
    p, t = f"{person_col}_pred", f"{person_col}_true"

    def pairs(counts: pd.Series) -> int:
        c = counts.to_numpy(dtype=np.int64)
        return int((c * (c - 1) // 2).sum())

    correct = pairs(both.groupby([p, t], sort=False).size())
    predicted = pairs(both.groupby(p, sort=False).size())
    true_pairs = pairs(both.groupby(t, sort=False).size())
    precision = correct / predicted if predicted else 1.0
    recall = correct / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "correct_pairs": float(correct),
        "predicted_pairs": float(predicted),
        "true_pairs": float(true_pairs),
        "identifiers_scored": float(len(both)),
        "missing_in_prediction": float(len(true) - len(both)),
        "missing_in_truth": float(len(pred) - len(both)),
    }
