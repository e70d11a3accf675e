"""Integer codes for the journey builder: units, labels and timestamps without copies.

:func:`unit_codes` turns the unit column (``person_id`` or ``account_id``) of the
touchpoints and the conversions into integer codes, with the rank of each unit
id in sorted order (the order journeys are listed in). A pandas ``Categorical``
column (what stitching hands over: categories are the person ids, codes the
person numbers, ``-1`` missing) is used as it is: only its categories are sorted
(not even that when they are sorted already), no per-row string is touched. Any
other column is dictionary-encoded in Arrow (:func:`workbench.intcodes.factorize_parts`).
Both give the same journeys for the same ids, so journeys and journey ids do not
depend on how the ids came in.

:func:`take_text` takes a column's values at the journeys' touches (a
categorical column through its codes), :func:`text_codes` codes such a cut
column (labels, channels); :func:`utc_us` reads tz-aware timestamps as int64
microseconds without the copies of ``fillna``/``tz_convert``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench._strhash import unified
from workbench.intcodes import factorize_parts

__all__ = [
    "RowSelection",
    "UnitCodes",
    "few_distinct",
    "take_coded",
    "take_text",
    "text_codes",
    "unit_codes",
    "utc_us",
]

_LARGE = pa.large_string()


def _strings(values: pd.Series | pd.Index) -> pa.Array:
    """Values as one Arrow large_string array (zero-copy for Arrow-backed strings)."""
    if not isinstance(values.dtype, pd.StringDtype):
        values = values.astype("string")
    arr = pa.array(values.array, type=_LARGE, from_pandas=True)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _own_codes(
    values: pd.Series, least: type[np.signedinteger] = np.int64
) -> tuple[np.ndarray, pa.Array] | None:
    """``(codes, categories)`` of a categorical column, ``None`` for any other dtype.

    The codes have at least the integer type ``least``: ``int32`` keeps the column's
    own ``int32`` codes as they are (no row-long copy), ``int64`` widens them.
    """
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return None
    codes = values.cat.codes.to_numpy()
    return codes.astype(np.promote_types(codes.dtype, least), copy=False), _strings(
        values.cat.categories
    )


def _plain_codes(values: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """``(codes, uniques)`` of a string column, dictionary-encoded in Arrow."""
    (codes,), uniques = factorize_parts([values])
    return codes, _strings(uniques)


class UnitCodes:
    """Touch and conversion unit codes, and the sort order of their unit ids.

    Attributes
    ----------
    touches, conversions : np.ndarray
        Code per row of each table (``int64``; the touches' may be a categorical
        column's own ``int32`` codes, read only); ``-1`` where the unit is missing.
    ids : pa.Array
        The unit ids (large_string); ``ids[code]`` is a row's unit id.
    rank : np.ndarray or None
        Position of each code's id in the (byte-wise) sorted ids; ``None`` when the
        ids are sorted already (the code is its rank).
    """

    def __init__(
        self,
        touches: np.ndarray,
        conversions: np.ndarray,
        ids: pa.Array,
        rank: np.ndarray | None = None,
    ) -> None:
        self.touches, self.conversions, self.ids, self.rank = touches, conversions, ids, rank

    def __len__(self) -> int:
        return len(self.ids)

    def sort_key(self, codes: np.ndarray) -> np.ndarray:
        """Keys that order ``codes`` (all ``>= 0``) by their unit ids."""
        return codes if self.rank is None else self.rank[codes]


def _merge(t: tuple[np.ndarray, pa.Array], c: tuple[np.ndarray, pa.Array]) -> UnitCodes:
    """Codes of two encodings into one dictionary (the two dictionaries, deduplicated)."""
    (t_codes, t_dict), (c_codes, c_dict) = t, c
    if t_dict.equals(c_dict):
        return UnitCodes(t_codes, c_codes, t_dict)
    names = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([t_dict, c_dict])))
    (mapped,), merged = factorize_parts([names])
    t_map, c_map = np.append(mapped[: len(t_dict)], -1), np.append(mapped[len(t_dict) :], -1)
    return UnitCodes(t_map[t_codes], c_map[c_codes], _strings(merged))


#: Widest ids (bytes) that :func:`_byte_order` sorts as integers.
_MAX_WORD_WIDTH = 64


def _byte_order(ids: pa.Array) -> np.ndarray:
    """``pc.array_sort_indices(ids)`` for distinct ids (byte-wise order).

    Ids of one byte length (``p_<hash>`` person ids, most account ids) are read as
    big-endian 64-bit words: one integer sort of the first word, then the ids that
    share it by the remaining words (4x faster than Arrow's string sort at 600k
    ids). Other ids are sorted by Arrow.
    """
    n = len(ids)
    if not pa.types.is_large_string(ids.type):  # (UnitCodes ids are large_string)
        return pc.array_sort_indices(ids).to_numpy()
    offsets = np.frombuffer(ids.buffers()[1], dtype=np.int64, count=n + 1, offset=ids.offset * 8)
    width = int(offsets[1] - offsets[0])
    fits = ids.null_count == 0 and 0 < width <= _MAX_WORD_WIDTH
    if not (fits and (np.diff(offsets) == width).all()):
        return pc.array_sort_indices(ids).to_numpy()
    raw = np.frombuffer(ids.buffers()[2], dtype=np.uint8, count=n * width, offset=int(offsets[0]))
    n_words = -(-width // 8)
    padded = np.zeros((n, n_words * 8), dtype=np.uint8)  # zero bytes after every id alike
    padded[:, :width] = raw.reshape(n, width)
    words = padded.view(">u8").astype(np.uint64)
    order = np.argsort(words[:, 0])
    first = words[order, 0]
    tie = np.r_[False, first[1:] == first[:-1]]
    if tie.any():  # ids sharing the first word: by the remaining words
        sub = np.flatnonzero(tie | np.r_[tie[1:], False])
        keys = [words[order[sub], j] for j in range(n_words - 1, -1, -1)]
        order[sub] = order[sub][np.lexsort(keys)]
    return order


def _ranked(codes: UnitCodes) -> UnitCodes:
    """The same codes with the rank of each id in the (byte-wise) sorted ids."""
    ids = codes.ids
    if len(ids) < 2 or pc.all(pc.less(ids[:-1], ids[1:])).as_py():  # sorted already
        return codes
    rank = np.empty(len(ids), dtype=np.int64)
    rank[_byte_order(ids)] = np.arange(len(ids))
    return UnitCodes(codes.touches, codes.conversions, ids, rank)


def unit_codes(touch_units: pd.Series, conversion_units: pd.Series) -> UnitCodes:
    """Unit codes of the touchpoints' and conversions' unit columns, and their id order.

    Parameters
    ----------
    touch_units, conversion_units
        The unit columns: pandas ``Categorical`` (codes used directly) or strings.

    Returns
    -------
    UnitCodes
        Codes per row (``-1`` missing) into the unit ids of both tables, with the
        ids' sort order.
    """
    t, c = _own_codes(touch_units, np.int32), _own_codes(conversion_units)
    if t is None and c is None:
        (t_codes, c_codes), uniques = factorize_parts([touch_units, conversion_units])
        return _ranked(UnitCodes(t_codes, c_codes, _strings(uniques)))
    return _ranked(_merge(t or _plain_codes(touch_units), c or _plain_codes(conversion_units)))


def take_text(values: pd.Series, rows: np.ndarray) -> pa.ChunkedArray:
    """``values`` at the positions ``rows`` as Arrow large_string (missing -> null).

    A categorical column is taken through its codes, so only the taken rows are
    turned into strings; any other column through Arrow's ``take`` on its strings.
    """
    own = _own_codes(values)
    if own is not None:
        codes, names = own
        picked = codes[rows]
        return pa.chunked_array([names.take(pa.array(picked, mask=picked < 0))])
    return _arrow_text(values).take(pa.array(rows))


def _arrow_text(values: pd.Series) -> pa.ChunkedArray:
    """A non-categorical column as an Arrow large_string chunked array (no copy when it is one)."""
    if not isinstance(values.dtype, pd.StringDtype):
        values = values.astype("string")
    arr = pa.array(values.array, type=_LARGE, from_pandas=True)
    return arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])


def _encode(arr: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """Arrow ``dictionary_encode`` chunk by chunk into one dictionary: codes (``-1`` missing), names."""
    chunks = [c for c in arr.chunks if len(c)]
    if not chunks:  # no rows: Arrow gives no chunk to take the dictionary from
        return np.zeros(0, dtype=np.int32), pa.array([], _LARGE)
    encoded = unified(pc.dictionary_encode(pa.chunked_array(chunks, type=_LARGE)))
    indices = pa.chunked_array([c.indices for c in encoded.chunks], type=encoded.type.index_type)
    if indices.null_count:
        indices = pc.fill_null(indices, -1)
    return indices.to_numpy(), encoded.chunk(0).dictionary


def _row_codes(values: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """``(codes, names)`` of a column: ``values[i] == names[codes[i]]``, ``-1`` missing.

    A categorical column gives its own codes and categories; any other column is
    dictionary-encoded in Arrow chunk by chunk (no copy of the strings) into one
    dictionary, as :func:`workbench.intcodes.factorize_parts` does. The codes keep
    their small integer type: no column-long ``int64`` copy.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(), _strings(values.cat.categories)
    return _encode(_arrow_text(values))


class RowSelection:
    """The distinct rows among ``rows`` (positions into a column of ``n`` rows), kept once.

    :func:`take_coded` of a column with few distinct values encodes only these rows
    (filtered in row order: sequential reads) when they are fewer than
    :data:`_SELECTIVE` of the column, instead of the whole column.
    """

    def __init__(self, rows: np.ndarray, n: int) -> None:
        self.rows, self.n = rows, n
        self.selective = len(rows) < _SELECTIVE * n
        self._used: np.ndarray | None = None
        self._parts: tuple[pa.Array, np.ndarray] | None = None

    def used(self) -> np.ndarray:
        """Whether each of the ``n`` rows is among ``rows`` (made once)."""
        if self._used is None:
            self._used = np.zeros(self.n, dtype=bool)
            self._used[self.rows] = True
        return self._used

    def parts(self) -> tuple[pa.Array, np.ndarray]:
        """The row mask (Arrow) and the kept rows (ascending), made once."""
        if self._parts is None:
            used = self.used()
            self._parts = pa.array(used), np.flatnonzero(used)
        return self._parts

    def at_rows(self, kept: np.ndarray, dtype: type[np.signedinteger]) -> np.ndarray:
        """``kept`` (one value per kept row, in row order) at each of ``rows``.

        The values are spread over a column-long array of ``dtype`` (small: ``int8``
        codes of 10M rows are 10 MB) and gathered at ``rows``: cheaper than ranking
        the kept rows (a column-long ``cumsum``) and gathering the ranks.
        """
        full = np.empty(self.n, dtype=dtype)
        full[self.parts()[1]] = kept
        return full[self.rows]

    def distinct(self) -> int:
        """How many distinct rows ``rows`` holds (no ranks computed for it)."""
        return int(np.count_nonzero(self.used()))


#: Share of a column's rows below which :func:`take_coded` encodes only the taken rows.
_SELECTIVE = 0.6


def take_coded(
    values: pd.Series, rows: np.ndarray, missing: str, selection: RowSelection | None = None
) -> tuple[pa.ChunkedArray, np.ndarray, list[str]]:
    """:func:`take_text` and codes of the taken values, for a column of few distinct values.

    The column is dictionary-encoded once in Arrow (only the rows taken, when they are
    few: ``selection``, the :class:`RowSelection` of ``rows``, shared between columns)
    and the strings at ``rows`` are taken from the (small) dictionary by the codes: for
    channels or touch types cheaper than taking strings at scattered rows and hashing
    them again.

    Returns
    -------
    text : pa.ChunkedArray
        As :func:`take_text`.
    codes : np.ndarray
        ``int64`` per taken value, index into ``names``; missing values get ``len(names) - 1``.
    names : list of str
        The distinct values of the column (of the taken rows only when ``selection``
        is selective; some may not be taken), then ``missing``.
    """
    selection = selection or RowSelection(rows, len(values))
    if selection.selective and not isinstance(values.dtype, pd.CategoricalDtype):
        kept_codes, names = _encode(_arrow_text(values).filter(selection.parts()[0]))
        picked = selection.at_rows(kept_codes, _code_type(len(names)))
    else:
        all_codes, names = _row_codes(values)
        picked = all_codes[rows]
    gone = picked < 0
    text = names.take(pa.array(picked, mask=gone if gone.any() else None))
    codes = picked.astype(np.int64)  # a copy of ``picked`` (or of a column's own codes)
    if gone.any():
        codes[gone] = len(names)
    return pa.chunked_array([text]), codes, [*names.to_pylist(), missing]


#: Rows sampled by :func:`few_distinct`, and the most distinct values it calls few.
_SAMPLE_ROWS = 2048
_FEW_VALUES = 64


def few_distinct(values: pd.Series, rows: np.ndarray) -> bool:
    """Whether :func:`take_coded` is the cheaper way to take a string column at ``rows``.

    True when evenly spaced ``rows`` (at most :data:`_SAMPLE_ROWS`) hold at most
    :data:`_FEW_VALUES` distinct values: then the strings are taken from a small
    dictionary (10M touchpoints, 3M rows taken: ~0.12 s per column of a few dozen
    values against ~0.2 s for Arrow's ``take`` of the column's strings). False for a
    categorical column (:func:`take_text` takes it through its codes) and no rows.
    Either way the strings taken are the same; only the cost differs.
    """
    if not len(rows) or isinstance(values.dtype, pd.CategoricalDtype):
        return False
    step = max(1, len(rows) // _SAMPLE_ROWS)
    sample = _arrow_text(values).take(pa.array(rows[::step][:_SAMPLE_ROWS]))
    return int(pc.count_distinct(sample, mode="all").as_py()) <= _FEW_VALUES


def _code_type(n_names: int) -> type[np.signedinteger]:
    """The smallest signed integer type that holds codes ``-1 .. n_names - 1``."""
    for kind in (np.int8, np.int16, np.int32):
        if n_names <= np.iinfo(kind).max:
            return kind
    return np.int64


def text_codes(values: pa.ChunkedArray | pa.Array, missing: str) -> tuple[np.ndarray, list[str]]:
    """Codes and names of an Arrow string column; missing values get the last code.

    Returns
    -------
    codes : np.ndarray
        ``int64`` per value: index into ``names``; a missing value gets ``len(names) - 1``.
    names : list of str
        The distinct values in first-appearance order, then ``missing``.
    """
    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    encoded = pc.dictionary_encode(arr)
    names = encoded.dictionary.to_pylist()
    codes = pc.fill_null(encoded.indices, len(names)).to_numpy(zero_copy_only=False)
    return codes.astype(np.int64, copy=False), [*names, missing]


def utc_us(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Tz-aware timestamps as int64 microseconds (UTC) and the missing mask.

    The values are read from the column's own buffer (a tz-aware column stores
    UTC), converted to microseconds only when stored in another unit; missing
    values read 0.
    """
    raw = values.to_numpy(dtype=f"datetime64[{values.dtype.unit}]")  # UTC, no copy
    missing = np.isnat(raw)
    us = raw.astype("datetime64[us]", copy=False).view(np.int64)
    return (np.where(missing, 0, us) if missing.any() else us), missing
