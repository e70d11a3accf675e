"""64-bit hashes of Arrow strings, and an exact factorize built on them (benchmarks only).

Arrow's ``dictionary_encode`` keeps every distinct string in its hash table and
compares bytes on each probe. Hashing the strings to 64-bit integers with numpy
and factorizing the integers with pandas' integer hash table took 0.5 s + 0.9 s
of CPU on 10M anonymous ids (650,000 distinct) where ``dictionary_encode`` took
1.7-2.2 s (issue 16). ``benchmarks/bench_stitching.py`` uses :func:`hash_strings`
in its lean baseline (which may ignore collisions, and counts them); the project
must be exact, and :func:`factorize_hashed`, exact, was measured no faster than
``dictionary_encode`` (the string-by-string check costs what the hashing saved),
so :mod:`workbench.intcodes` keeps the dictionary codes.

* :func:`hash_strings`: a 64-bit hash of every string, computed with numpy
  straight from the Arrow buffers (no Python strings). A block of rows is laid
  out as a zero-padded byte matrix (one boolean-mask assignment of the block's
  bytes), read as little-endian 8-byte words, and mixed column by column (the
  length first, then a multiply-xorshift per word, then ``splitmix64``'s
  finalizer). Blocks hold about :data:`BLOCK_BYTES` so the temporaries stay in
  the CPU cache;
* :func:`factorize_hashed`: ``pd.factorize`` of the strings (codes in
  first-appearance order, ``-1`` where null, and the uniques), by factorizing the
  hashes; every string is then compared word by word with the first string of
  its hash group, so the result is exact, and ``None`` comes back when two
  different strings share a hash (the caller then factorizes the strings
  themselves; the odds are about ``n**2 / 2**65`` among ``n`` distinct strings).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["BLOCK_BYTES", "factorize_hashed", "hash_strings"]

#: Bytes of padded strings laid out at a time.
BLOCK_BYTES = 1 << 20

_K_LEN = np.uint64(0x9E3779B97F4A7C15)
_K_WORD = np.uint64(0xBF58476D1CE4E5B9)
_K_FINAL = np.uint64(0x94D049BB133111EB)
_NULL_HASH = np.uint64(0)


def _chunks(values: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return list(values.chunks) if isinstance(values, pa.ChunkedArray) else [values]


def _plain(chunk: pa.Array) -> pa.Array:
    """The chunk, with nulls dropped if a null slot holds bytes (allowed by Arrow, rare).

    Otherwise every null is an empty slot, and the rows' bytes are back to back.
    """
    if chunk.null_count == 0:
        return chunk
    offsets = _offsets(chunk)
    valid_bytes = pc.sum(pc.binary_length(chunk)).as_py() or 0
    return chunk if valid_bytes == offsets[-1] - offsets[0] else chunk.drop_null()


def _offsets(chunk: pa.Array) -> np.ndarray:
    """The chunk's offsets as ``int64`` (``n + 1`` of them)."""
    n = len(chunk)
    buf = chunk.buffers()[1]
    if buf is None:  # a null-typed or empty buffer
        return np.zeros(n + 1, dtype=np.int64)
    large = pa.types.is_large_string(chunk.type) or pa.types.is_large_binary(chunk.type)
    offsets = np.frombuffer(buf, dtype=np.int64 if large else np.int32, count=chunk.offset + n + 1)
    return offsets[chunk.offset :].astype(np.int64, copy=False)


def _data(chunk: pa.Array) -> np.ndarray:
    buf = chunk.buffers()[2] if chunk.type.num_buffers > 2 else None
    return np.zeros(0, dtype=np.uint8) if buf is None else np.frombuffer(buf, dtype=np.uint8)


def _words(chunk: pa.Array) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Per block of rows: its first row, lengths and zero-padded 8-byte words (rows x words).

    Null rows (empty slots) have length 0 and no words.
    """
    offsets, data = _offsets(chunk), _data(chunk)
    n = len(offsets) - 1
    lengths = np.diff(offsets)
    i = 0
    while i < n:
        width = max(int(lengths[i : i + 1024].max()), 1)
        j = min(n, i + max(BLOCK_BYTES // width, 1024))
        size = lengths[i:j]
        width = (int(size.max()) + 7) // 8 * 8 or 8
        matrix = np.zeros((j - i, width), dtype=np.uint8)
        matrix[np.arange(width, dtype=np.int32) < size[:, None]] = data[offsets[i] : offsets[j]]
        yield i, size, matrix.view("<u8")
        i = j


def _hash_block(size: np.ndarray, words: np.ndarray, out: np.ndarray) -> None:
    h = out
    np.multiply(size.astype(np.uint64) + np.uint64(1), _K_LEN, out=h)  # "" hashes to non-zero
    tmp = np.empty(len(h), dtype=np.uint64)
    for k in range(words.shape[1]):
        h ^= words[:, k]
        h *= _K_WORD
        np.right_shift(h, np.uint64(31), out=tmp)
        h ^= tmp
    np.right_shift(h, np.uint64(30), out=tmp)
    h ^= tmp
    h *= _K_FINAL
    np.right_shift(h, np.uint64(27), out=tmp)
    h ^= tmp


def hash_strings(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """64-bit hashes of the strings of an Arrow string array.

    Parameters
    ----------
    values : pa.Array or pa.ChunkedArray
        ``string`` or ``large_string`` (``binary`` works too) whose null slots are
        empty (the usual case; see :func:`factorize_hashed` for the others).

    Returns
    -------
    np.ndarray
        ``uint64`` per row. Equal strings get equal hashes, different strings almost
        always different ones; a null row gets the hash of ``""``.
    """
    out = np.empty(len(values), dtype=np.uint64)
    base = 0
    for chunk in _chunks(values):
        for i, size, words in _words(chunk):
            _hash_block(size, words, out[base + i : base + i + len(size)])
        base += len(chunk)
    return out


def _first_rows(codes: np.ndarray) -> np.ndarray:
    """Position of each code's first row (codes numbered in first-appearance order)."""
    running = np.maximum.accumulate(codes)
    new = np.empty(len(codes), dtype=bool)
    new[:1] = codes[:1] >= 0
    np.greater(codes[1:], running[:-1], out=new[1:])
    return np.flatnonzero(new)


def _same_as_uniques(chunks: list[pa.Array], codes: np.ndarray, uniques: pa.Array) -> bool:
    """Whether every row equals ``uniques[code]`` (a null row, code ``-1``: an empty slot).

    The rows are laid out as words again (keeping the hashing pass's words was
    measured slower: the memory they hold costs more than laying them out twice).
    """
    u_offsets, u_data = _offsets(uniques), _data(uniques)
    u_size = np.append(np.diff(u_offsets), 0)  # code -1 picks the appended empty string
    width = (int(u_size.max(initial=0)) + 7) // 8 * 8 or 8
    u_words = np.zeros((len(u_size), width), dtype=np.uint8)
    u_words[np.arange(width, dtype=np.int32) < u_size[:, None]] = u_data[
        u_offsets[0] : u_offsets[-1]
    ]
    u_words64 = u_words.view("<u8")
    base = 0
    for chunk in chunks:
        for i, size, words in _words(chunk):
            block = codes[base + i : base + i + len(size)]
            if not np.array_equal(size, u_size[block]):
                return False
            if not np.array_equal(words, u_words64[block, : words.shape[1]]):
                return False
        base += len(chunk)
    return True


def _null_mask(chunks: list[pa.Array]) -> np.ndarray | None:
    """Whether each row is null (``None`` when none is)."""
    if not any(c.null_count for c in chunks):
        return None
    return np.concatenate([pc.is_null(c).to_numpy(zero_copy_only=False) for c in chunks])


def _take_rows(chunks: list[pa.Array], rows: np.ndarray, kind: pa.DataType) -> pa.Array:
    """``rows`` (ascending positions over the chunks end to end), gathered chunk by chunk.

    (A take from a ``ChunkedArray`` would first copy all its chunks into one.)
    """
    bounds = np.cumsum([0] + [len(c) for c in chunks])
    cut = np.searchsorted(rows, bounds)
    parts = [
        chunk.take(pa.array(rows[cut[i] : cut[i + 1]] - bounds[i]))
        for i, chunk in enumerate(chunks)
        if cut[i + 1] > cut[i]
    ]
    return pa.concat_arrays(parts) if parts else pa.array([], type=kind)


def factorize_hashed(
    values: pa.Array | pa.ChunkedArray,
) -> tuple[np.ndarray, pa.Array] | None:
    """``pd.factorize`` of Arrow strings by their 64-bit hashes, checked exactly.

    Parameters
    ----------
    values : pa.Array or pa.ChunkedArray
        ``string`` or ``large_string``.

    Returns
    -------
    (codes, uniques) or None
        ``codes``: ``int64`` per row, the index of its string in ``uniques`` (first
        appearance order), ``-1`` where null; ``uniques``: the distinct strings
        (an Arrow array of the type of ``values``). ``None`` when two different
        strings share a hash: the caller must factorize exactly instead.
    """
    chunks = [_plain(c) for c in _chunks(values)]
    if sum(len(c) for c in chunks) != len(values):
        return None  # a null slot held bytes: exact factorize (rare)
    hashes = hash_strings(pa.chunked_array(chunks, type=values.type)).view(np.int64)
    null = _null_mask(chunks)
    if null is None:
        codes, _ = pd.factorize(hashes)
    else:  # the hashes as a masked integer array: nulls coded -1, no unique
        codes, _ = pd.factorize(pd.arrays.IntegerArray(hashes, null))
    del hashes, null
    uniques = _take_rows(chunks, _first_rows(codes), values.type)
    if not _same_as_uniques(chunks, codes, uniques):
        return None
    return codes, uniques
