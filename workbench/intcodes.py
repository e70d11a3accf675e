"""Integer codes for string columns, computed in Arrow instead of pandas.

:func:`factorize_strings` is a drop-in for ``pd.factorize`` on a string
column: the same codes (first appearance order, ``-1`` where missing) and the
same uniques, but the hashing runs in Arrow's C++ ``dictionary_encode`` on the
column's own buffers, without materialising Python strings (issue 16: pandas
string factorize was a quarter of the end-to-end time).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench._strhash import factorize_hashed, filled_codes, unified, use_hashes


def _arrow_strings(values: pd.Series) -> pa.ChunkedArray:
    """The column as an Arrow large_string ``ChunkedArray`` (zero-copy for Arrow strings)."""
    if not isinstance(values.dtype, pd.StringDtype):
        values = values.astype("string")
    arr = pa.array(values.array, type=pa.large_string(), from_pandas=True)
    return arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])


def concat_strings(parts: Sequence[pd.Series]) -> pa.ChunkedArray:
    """Concatenate string columns into one Arrow ``large_string`` array (no Python objects)."""
    chunks = [c for part in parts for c in _arrow_strings(part).chunks]
    return pa.chunked_array(chunks, type=pa.large_string())


def factorize_strings(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Codes and uniques of a string column, like ``pd.factorize``.

    Parameters
    ----------
    values : pd.Series
        Strings (any pandas string or object dtype); missing values get ``-1``.

    Returns
    -------
    codes : np.ndarray
        ``int64`` per row: index into ``uniques`` in first-appearance order, ``-1`` if missing.
    uniques : pd.Series
        The distinct non-missing values, ``string`` dtype.
    """
    data = _arrow_strings(values)
    if len(data) == 0 or data.num_chunks == 0:
        return np.zeros(len(values), dtype=np.int64), pd.Series([], dtype="string")
    encoded = unified(pc.dictionary_encode(data))
    dictionary = encoded.chunk(0).dictionary if encoded.num_chunks else pa.array([], pa.string())
    indices = pa.chunked_array([c.indices for c in encoded.chunks], type=encoded.type.index_type)
    codes = pc.fill_null(indices, -1).to_numpy().astype(np.int64, copy=False)
    uniques = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([dictionary])), dtype="string")
    return codes, uniques.astype("string")


def factorize_parts(
    parts: list[pd.Series], *, missing_last: bool = False
) -> tuple[list[np.ndarray], pd.Series]:
    """Codes of several string columns into one set of uniques, in one hash pass.

    The same as :func:`factorize_strings` of the columns concatenated (first
    appearance across ``parts`` in order), with the codes split back per part.

    Parameters
    ----------
    parts : list of pd.Series
        String columns.
    missing_last : bool
        Code missing values ``len(uniques)`` instead of ``-1`` (non-negative codes
        go straight into ``np.bincount``).

    Returns
    -------
    codes : list of np.ndarray
        ``int64`` per row of each part, ``-1`` (or ``len(uniques)``) where missing.
    uniques : pd.Series
        The distinct non-missing values, ``string`` dtype.
    """
    codes, bounds, uniques, _ = _factorize_flat(parts, missing_last)
    assert isinstance(codes, np.ndarray)  # scattered
    return [codes[bounds[i] : bounds[i + 1]] for i in range(len(parts))], uniques


class SparseCodes(NamedTuple):
    """Codes of a mostly-missing column: which rows hold a value, and those rows' codes.

    ``codes[i]`` belongs to the ``i``-th ``True`` of ``present`` (the full per-row
    codes would be ``missing`` where not ``present`` and ``codes`` scattered in).
    """

    present: np.ndarray  # bool per row
    codes: np.ndarray  # int32 per present row


def factorize_parts_counted(
    parts: list[pd.Series], *, sparse: bool = False
) -> tuple[list[np.ndarray | SparseCodes], pd.Series, np.ndarray]:
    """:func:`factorize_parts` with ``missing_last=True``, and the rows of each code.

    Parameters
    ----------
    parts : list of pd.Series
        String columns.
    sparse : bool
        When the columns are mostly missing (:func:`dictionary_codes` encodes them
        without their nulls), give each part as :class:`SparseCodes` instead of
        per-row codes: a caller mapping the codes to something else scatters once,
        not twice.

    Returns
    -------
    codes, uniques
        As :func:`factorize_parts` (missing values coded ``len(uniques)``), but the
        codes are ``int32``.
    counts : np.ndarray
        Rows of all parts per code, length ``len(uniques) + 1`` (the last: missing);
        one count over the codes of every part at once.
    """
    codes, bounds, uniques, counts = _factorize_flat(parts, True, wide=False, scatter=not sparse)
    if counts is None:
        assert isinstance(codes, np.ndarray)
        counts = bincount(codes, len(uniques) + 1)
    if isinstance(codes, SparseCodes):
        taken = np.cumsum(
            [0]
            + [
                np.count_nonzero(codes.present[bounds[i] : bounds[i + 1]])
                for i in range(len(parts))
            ]
        )
        split: list[np.ndarray | SparseCodes] = [
            SparseCodes(
                codes.present[bounds[i] : bounds[i + 1]], codes.codes[taken[i] : taken[i + 1]]
            )
            for i in range(len(parts))
        ]
        return split, uniques, counts
    return [codes[bounds[i] : bounds[i + 1]] for i in range(len(parts))], uniques, counts


def bincount(codes: np.ndarray, n: int, shift: int = 0, block: int = 1 << 20) -> np.ndarray:
    """``np.bincount(codes + shift, minlength=n)`` a block at a time.

    ``np.bincount`` first copies ``int32`` codes to ``int64``: by blocks the copy
    stays small (10M codes: 0.09 s against 0.13 s), and so does the shifted copy
    (``shift=1`` counts codes from ``-1``, "none", in slot 0).
    """
    if len(codes) <= block:
        return np.bincount(codes + shift if shift else codes, minlength=n)
    counts = np.zeros(n, dtype=np.int64)
    for start in range(0, len(codes), block):
        part = codes[start : start + block]
        counts += np.bincount(part + shift if shift else part, minlength=n)
    return counts


def _factorize_flat(
    parts: list[pd.Series], missing_last: bool, wide: bool = True, scatter: bool = True
) -> tuple[np.ndarray | SparseCodes, np.ndarray, pd.Series, np.ndarray | None]:
    """Codes of the parts end to end, the parts' bounds in them, the uniques, and counts.

    The counts (rows per code, then missing rows) come when they were cheap to
    take on the way (a mostly-null column's: :func:`dictionary_codes`), else ``None``.

    The codes are ``int64``, or with ``wide=False`` Arrow's ``int32`` (no copy).
    Dense columns of millions of values (:func:`workbench._strhash.use_hashes`) are
    coded by 64-bit hashes of the strings factorized as integers
    (:func:`workbench._strhash.factorize_hashed`: the same codes and uniques, checked
    by a second hash; on 10M anonymous ids 1.2-1.9 s of CPU against 2.0-2.5 s for
    ``dictionary_encode``); others, or on a detected hash collision, by Arrow's
    ``dictionary_encode``.
    """
    bounds = np.cumsum([0] + [len(p) for p in parts])
    chunks = [c for part in parts for c in _arrow_strings(part).chunks if len(c)]
    if not chunks:  # no rows (Arrow then gives no chunk to take the dictionary from)
        return np.zeros(bounds[-1], dtype=np.int64), bounds, pd.Series([], dtype="string"), None
    data = pa.chunked_array(chunks, type=pa.large_string())
    hashed, counts = None, None
    codes: np.ndarray | SparseCodes
    if use_hashes(len(data) - data.null_count, len(data)):
        hashed = factorize_hashed(data, None if missing_last else -1)
    if hashed is not None:
        codes, dictionary = hashed
    else:  # Arrow's exact codes (the same codes, by comparing strings)
        codes, dictionary, counts = dictionary_codes(data, missing_last, scatter=scatter)
    if wide and isinstance(codes, np.ndarray):
        codes = codes.astype(np.int64, copy=False)
    uniques = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([dictionary])), dtype="string")
    return codes, bounds, uniques, counts


#: A column with more than this share of nulls is encoded without them (:func:`dictionary_codes`).
SPARSE_NULLS = 0.5


def dictionary_codes(
    data: pa.ChunkedArray, missing_last: bool, *, scatter: bool = True
) -> tuple[np.ndarray | SparseCodes, pa.Array, np.ndarray | None]:
    """Arrow's ``dictionary_encode`` codes (``int32``; missing: -1 or ``len(dictionary)``).

    Also the lean stitching baseline's (``benchmarks/bench_stitching.py``) for its
    sparse identifier types.

    A mostly-null column (identifiers seen on few rows) is encoded without its
    nulls and the codes put back in place: the same codes (the filter keeps the
    order) in about half the time (user ids on 13% of 10M rows: 0.27 s of CPU
    against 0.55 s); its counts per code (then missing rows) are then counted on the
    non-null rows only, else they are ``None``. With ``scatter=False`` such a column's
    codes come as :class:`SparseCodes` (not put back in place).
    """
    sparse = data.null_count > SPARSE_NULLS * len(data)
    valid = pc.is_valid(data) if sparse else None
    encoded = pc.dictionary_encode(data if valid is None else data.filter(valid))
    encoded = unified(encoded)
    dictionary = encoded.chunk(0).dictionary if encoded.num_chunks else pa.array([], data.type)
    indices = pa.chunked_array([c.indices for c in encoded.chunks], type=pa.int32())
    fill = len(dictionary) if missing_last else -1
    if valid is None:
        return filled_codes(indices, fill), dictionary, None
    present = indices.to_numpy()
    counts = np.bincount(present, minlength=len(dictionary) + 1)
    counts[len(dictionary)] = data.null_count
    rows = valid.to_numpy(zero_copy_only=False)
    if not scatter:  # the caller scatters what it maps the codes to
        return SparseCodes(rows, present), dictionary, counts
    codes = np.full(len(data), fill, dtype=np.int32)
    codes[np.flatnonzero(rows)] = present  # by positions: ~2x faster than a boolean mask
    return codes, dictionary, counts


def take_strings(
    values: pa.Array | pa.ChunkedArray, codes: np.ndarray
) -> pa.Array | pa.ChunkedArray:
    """``pc.take(values, codes)`` of a string array, null where ``codes < 0``.

    Two common cases are spelled with numpy, giving the same Arrow array: every code
    present and every string of one byte length (person ids: a gather of fixed-size
    rows, :func:`_take_fixed`), and few codes present (accounts per row,
    :func:`_take_sparse`); otherwise Arrow's ``take``.

    Parameters
    ----------
    values : pa.Array or pa.ChunkedArray
        Strings (``large_string`` for the numpy cases).
    codes : np.ndarray
        Integer position in ``values`` of every output row, ``-1`` for a null.

    Returns
    -------
    pa.Array or pa.ChunkedArray
        One row per code.
    """
    valid = codes >= 0
    n_valid = int(np.count_nonzero(valid))
    if n_valid == len(codes) or n_valid * 4 < len(codes):
        flat = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
        if flat.type == pa.large_string() and not flat.null_count:
            if n_valid < len(codes):
                return _take_sparse(flat, codes, valid, n_valid)
            width = _one_width(flat)
            if width:
                return _take_fixed(flat, codes, width)
    small = len(values) < np.iinfo(np.int32).max  # 4-byte indices: half the bytes to move
    idx = pa.array(
        codes.astype(np.int32, copy=False) if small else codes,
        mask=None if n_valid == len(codes) else ~valid,
    )
    return pc.take(values, idx)


def _offsets(ids: pa.Array) -> np.ndarray:
    """The ``int64`` offsets of a ``large_string`` array (``len + 1`` of them)."""
    return np.frombuffer(
        ids.buffers()[1], dtype=np.int64, count=len(ids) + 1, offset=8 * ids.offset
    )


def _one_width(ids: pa.Array) -> int:
    """The byte length shared by every string of ``ids``, or 0 (lengths differ, or empty)."""
    widths = np.diff(_offsets(ids))
    if not len(widths) or widths[0] == 0:
        return 0
    return int(widths[0]) if widths.min() == widths.max() else 0


def _new_array(n: int, dtype: type[np.generic]) -> tuple[pa.Buffer, np.ndarray]:
    """A writable numpy array of ``n`` items and an Arrow buffer over it (no copy).

    numpy asks for huge pages on large arrays; Arrow's system pool (the one
    :mod:`workbench` selects) maps fresh small pages on every large allocation:
    writing 10M int64 offsets took ~47 ms of CPU in an Arrow buffer against ~9 ms in
    a numpy array (2026-12-04, mostly page faults).
    """
    values = np.empty(n, dtype=dtype)
    return pa.py_buffer(values), values


def _take_fixed(ids: pa.Array, codes: np.ndarray, width: int) -> pa.Array:
    """``pc.take(ids, codes)`` for strings of one byte length and no missing code.

    The rows are gathered as numpy ``V<width>`` items (at 10M rows the person ids of
    the identities: ~17 ms against ~30 ms for Arrow's ``take``).
    """
    offsets = _offsets(ids)
    data = np.frombuffer(ids.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    data_buf, rows = _new_array(len(codes) * width, np.uint8)
    np.take(data.view(f"V{width}"), codes, out=rows.view(f"V{width}"))
    return _fixed_width(data_buf, len(codes), width)


def _fixed_width(data: pa.Buffer, n: int, width: int) -> pa.Array:
    """``n`` strings of ``width`` bytes each, end to end in ``data``, as Arrow large_string."""
    bounds_buf, bounds = _new_array(n + 1, np.int64)
    bounds[:] = np.arange(0, (n + 1) * width, width, dtype=np.int64)
    return pa.Array.from_buffers(pa.large_string(), n, [None, bounds_buf, data])


def fixed_width_strings(values: np.ndarray) -> pa.Array:
    """A numpy fixed-width bytes array (``S<k>``, ASCII, no NUL) as Arrow large_string.

    The bytes become the string buffer as they are (no copy); the offsets step by ``k``.
    ``np.repeat`` of the numpy array and then this is a much cheaper ``take`` of ids.
    """
    data = np.ascontiguousarray(values)
    return _fixed_width(pa.py_buffer(data), len(values), values.dtype.itemsize)


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
#: The two hex digits of every byte value, as the bytes of one little-endian uint16.
_HEX_PAIRS = np.array([int(_HEX[i >> 4]) | int(_HEX[i & 15]) << 8 for i in range(256)], "<u2")


def hex_strings(prefix: bytes, digests: np.ndarray) -> pa.Array:
    """``prefix`` + the lowercase hex digits of each row of ``digests`` (``uint8``, 2-D).

    The ids of stitching (``p_``) and of journeys (``j``), spelled with numpy: one
    lookup per byte gives both its digits. Returns the rows as Arrow large_string.
    """
    n, k = digests.shape
    width = len(prefix) + 2 * k
    text = np.empty((n, width), dtype=np.uint8)
    text[:, : len(prefix)] = np.frombuffer(prefix, dtype=np.uint8)
    text[:, len(prefix) :] = _HEX_PAIRS[digests].view(np.uint8).reshape(n, 2 * k)
    return fixed_width_strings(text.reshape(-1).view(f"S{width}"))


def _take_sparse(ids: pa.Array, codes: np.ndarray, valid: np.ndarray, n_valid: int) -> pa.Array:
    """``pc.take(ids, codes)`` (null where ``codes < 0``) when few codes are present.

    Arrow gathers the present rows only; the offsets of all rows and the validity
    bitmap are made with numpy: the present rows' lengths written at their
    positions into zeros, then one running sum (10M rows, 5% with an account:
    ~39 ms against ~54 ms for a running sum of every row's gathered length, and
    ~80 ms for Arrow's ``take``).
    """
    n = len(codes)
    rows = np.flatnonzero(valid)
    present = codes[rows]
    bounds_buf, bounds = _new_array(n + 1, np.int64)
    bounds.fill(0)
    bounds[rows + 1] = np.diff(_offsets(ids))[present]
    np.cumsum(bounds, out=bounds)
    taken = pc.take(ids, pa.array(present))
    first = int(_offsets(taken)[0])
    data = taken.buffers()[2]
    if data is None:
        data = pa.py_buffer(b"")
    elif first:
        data = data.slice(first)
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(
        pa.large_string(), n, [bitmap, bounds_buf, data], null_count=n - n_valid
    )


def categorical_strings(values: pd.Series) -> pd.Series:
    """A ``Categorical`` column of strings as a plain ``string`` Series (other columns as is).

    The categories are gathered by the codes (:func:`take_strings`, no Python
    strings), so the result is the Arrow-backed ``string`` column the
    codes stand for, missing where the code is ``-1``. Used at the edges where
    coded columns (the stitched ``person_id``) leave memory: the stored tables
    hold plain strings.

    Parameters
    ----------
    values : pd.Series
        Any column; only a ``Categorical`` one is converted.

    Returns
    -------
    pd.Series
        Same index and name.
    """
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return values
    categories = values.cat.categories
    if len(categories) == 0:
        return pd.Series(pd.NA, index=values.index, name=values.name, dtype="string")
    names = _arrow_strings(pd.Series(categories.array))
    codes = values.cat.codes.to_numpy()
    taken = take_strings(names, codes)
    return pd.Series(pd.arrays.ArrowStringArray(taken), index=values.index, name=values.name)


def with_plain_strings(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """``frame`` with a ``Categorical`` ``column`` turned into strings (:func:`categorical_strings`).

    The same frame when the column is absent or not categorical; otherwise a
    shallow copy with that one column replaced.
    """
    if column not in frame.columns or not isinstance(frame[column].dtype, pd.CategoricalDtype):
        return frame
    return frame.assign(**{column: categorical_strings(frame[column])})
