"""Exact, vectorized operations on integer sequences stored in CSR layout."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "group_sequences",
    "join_paths",
    "sequence_keys",
]


def sequence_keys(mat: np.ndarray, base: int) -> np.ndarray:
    """One sortable key per row of an integer matrix with entries in ``[0, base - 1)``.

    Rows are equal exactly when their keys are equal: an int64 polynomial key when it
    cannot overflow, otherwise the raw bytes of the row (numpy void).
    """
    n, width = mat.shape
    if width == 0:
        return np.zeros(n, dtype=np.int64)
    if width * math.log2(base) < 62:
        key = np.zeros(n, dtype=np.int64)
        for j in range(width):
            key = key * base + (mat[:, j].astype(np.int64) + 1)
        return key
    raw = np.ascontiguousarray(mat, dtype=np.int32)
    return raw.view(np.dtype((np.void, 4 * width))).ravel()


def group_sequences(
    codes: np.ndarray, offsets: np.ndarray, n_symbols: int
) -> tuple[np.ndarray, np.ndarray]:
    """Exact grouping of identical integer sequences (no hashing, no per-path loop).

    Parameters
    ----------
    codes, offsets
        Sequences in CSR layout, symbols in ``[0, n_symbols)``.
    n_symbols
        Number of distinct symbols.

    Returns
    -------
    inverse
        Group id of every sequence.
    representative
        For every group, the index of one sequence in it.
    """
    lengths = np.diff(offsets)
    n = len(lengths)
    inverse = np.empty(n, dtype=np.int64)
    if n == 0:
        return inverse, np.empty(0, dtype=np.int64)
    order = np.argsort(lengths, kind="stable")
    sorted_len = lengths[order]
    cuts = np.flatnonzero(np.diff(sorted_len)) + 1
    bounds = np.concatenate([[0], cuts, [n]])
    reps, next_id = [], 0
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        idx = order[lo:hi]
        width = int(sorted_len[lo])
        mat = codes[offsets[idx][:, None] + np.arange(width)]
        _, first, inv = np.unique(
            sequence_keys(mat, n_symbols + 1), return_index=True, return_inverse=True
        )
        inverse[idx] = inv.ravel() + next_id
        reps.append(idx[first])
        next_id += len(first)
    return inverse, np.concatenate(reps)


def join_paths(names: np.ndarray, offsets: np.ndarray, sep: str) -> np.ndarray:
    """Path strings from token names in CSR layout (vectorized through pyarrow)."""
    lists = pa.ListArray.from_arrays(pa.array(offsets, pa.int64()), pa.array(names, pa.string()))
    return np.asarray(pc.binary_join(lists, sep).to_numpy(zero_copy_only=False), dtype=object)
