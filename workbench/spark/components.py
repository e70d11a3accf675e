"""Connected components of the identity graph, computed by Spark (large-star / small-star).

The merge protection (blocked values, per-type limits, priority) is decided by
the same code as in the local engine (:func:`workbench.identity.graph.build_graph`);
this module only replaces scipy's ``connected_components`` over the kept edges,
so the people and their ids come out the same.

Algorithm
---------
Kiveris et al., *Connected Components in MapReduce and Beyond* (SoCC 2014).
Edges are integer node pairs. One round is a **large-star** step (every node
links its larger neighbours to the smallest node of its neighbourhood) and a
**small-star** step (every node links itself and its smaller neighbours to the
smallest of them). The rounds stop when the edges form stars: every node points
to exactly one centre and no centre points anywhere; the centre is then the
smallest node of its component. It needs O(log² n) rounds in theory and a
handful on identity graphs (see ``docs/scale-out.md`` for the measured counts).
Each round's edges are checkpointed (``localCheckpoint``, or ``checkpoint``
when the context has a checkpoint dir) so the lineage stays short.

Components are numbered like scipy numbers them (by their smallest node id).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["SparkComponents", "large_star", "small_star", "star_components"]

#: Rounds after which the iteration gives up (it never needs that many).
MAX_ROUNDS = 100


def large_star(edges: Any) -> Any:
    """One large-star step over ``edges`` (``u, v``; any orientation)."""
    from pyspark.sql import functions as F

    both = edges.select("u", "v").union(edges.select(F.col("v").alias("u"), F.col("u").alias("v")))
    low = both.groupBy("u").agg(F.min("v").alias("n")).select("u", F.least("n", "u").alias("m"))
    out = both.join(low, "u").where(F.col("v") > F.col("u"))
    return out.select(F.col("v").alias("u"), F.col("m").alias("v")).distinct()


def small_star(edges: Any) -> Any:
    """One small-star step over ``edges`` (``u, v``; any orientation)."""
    from pyspark.sql import functions as F

    hi = F.greatest("u", "v").alias("u")
    lo = F.least("u", "v").alias("v")
    down = edges.select(hi, lo).where(F.col("u") != F.col("v"))
    low = down.groupBy("u").agg(F.min("v").alias("m"))
    joined = down.join(low, "u")
    leaves = joined.select(F.col("v").alias("u"), F.col("m").alias("v"))
    centres = low.select("u", F.col("m").alias("v"))
    out = leaves.union(centres).where(F.col("u") != F.col("v"))
    return out.distinct()


def _is_stars(edges: Any) -> bool:
    """Whether every ``u`` has one ``v`` and no ``v`` is itself a ``u`` (a forest of stars).

    One Spark job: per node, its distinct out-neighbours and whether it is a centre.
    """
    from pyspark.sql import functions as F

    out = edges.select("u", "v", F.lit(False).alias("centre"))
    into = edges.select(
        F.col("v").alias("u"), F.lit(None).cast("long").alias("v"), F.lit(True).alias("centre")
    )
    nodes = (
        out.union(into)
        .groupBy("u")
        .agg(F.countDistinct("v").alias("n"), F.max("centre").alias("centre"))
    )
    bad = nodes.where((F.col("n") > 1) | ((F.col("n") > 0) & F.col("centre")))
    return bad.limit(1).count() == 0


def _checkpoint(frame: Any) -> Any:
    if frame.sparkSession.sparkContext.getCheckpointDir():
        return frame.checkpoint(eager=True)
    return frame.localCheckpoint(eager=True)


def star_components(spark: Any, a: np.ndarray, b: np.ndarray) -> tuple[pd.DataFrame, int]:
    """Run large-star / small-star rounds over the edges ``a[i] - b[i]``.

    Returns
    -------
    (DataFrame, int)
        ``u, v``: every node that is not the smallest of its component (``u``)
        with that smallest node (``v``); and the number of rounds.
    """
    pairs = pd.DataFrame({"u": np.asarray(a, dtype=np.int64), "v": np.asarray(b, dtype=np.int64)})
    edges = _checkpoint(spark.createDataFrame(pairs, "u long, v long"))
    rounds = 0
    while True:
        rounds += 1
        if rounds > MAX_ROUNDS:
            raise RuntimeError(f"connected components did not converge in {MAX_ROUNDS} rounds")
        edges = _checkpoint(small_star(large_star(edges)))
        if _is_stars(edges):
            break
    return edges.toPandas(), rounds


class SparkComponents:
    """``components(a, b, n_nodes) -> (labels, n_components)`` computed by Spark.

    Plugs into :func:`workbench.identity.graph.build_graph` (through
    :class:`workbench.prepare.Steps`); ``rounds`` holds the number of
    large-star / small-star rounds of the last call.
    """

    def __init__(self, spark: Any) -> None:
        self.spark = spark
        self.rounds = 0

    def __call__(self, a: np.ndarray, b: np.ndarray, n_nodes: int) -> tuple[np.ndarray, int]:
        """Labels numbered by each component's smallest node (as scipy numbers them)."""
        root = np.arange(n_nodes, dtype=np.int64)
        self.rounds = 0
        if len(a):
            stars, self.rounds = star_components(self.spark, a, b)
            root[stars["u"].to_numpy(np.int64)] = stars["v"].to_numpy(np.int64)
        # roots are component minima: rank them in node order
        is_root = root == np.arange(n_nodes)
        rank = np.cumsum(is_root) - 1
        return rank[root].astype(np.int64), int(is_root.sum())
