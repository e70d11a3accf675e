"""64-bit hashes of Arrow strings, and a factorize of dense string columns built on them.

Arrow's ``dictionary_encode`` keeps every distinct string in its hash table and
compares bytes on each probe. For a column of millions of identifiers it is
faster to hash the strings to integers with numpy and factorize the integers
(issue 16); :mod:`workbench.intcodes` does so for dense columns
(:func:`use_hashes`), and the lean stitching baseline
(``benchmarks/bench_stitching.py``) hashes the same way.

* :func:`hash_strings`: a 64-bit hash of every string, computed with numpy
  straight from the Arrow buffers (no Python strings). A block of rows is laid
  out as a zero-padded byte matrix (one boolean-mask assignment of the block's
  bytes), read as little-endian 8-byte words, and mixed column by column (the
  length first, then a multiply-xorshift per word, then ``splitmix64``'s
  finalizer). Blocks hold about :data:`BLOCK_BYTES` so the temporaries stay in
  the CPU cache;
* :func:`hash_lanes`: that hash and a second, independent one (other constants,
  additive mixing, ``murmur3``'s finalizer) from the same pass over the bytes;
* :func:`factorize_hashed`: the codes and uniques of Arrow's
  ``dictionary_encode`` (first-appearance order), by ``dictionary_encode`` of
  the first hash as integers; the second hash must then be the same on every row
  of a code (one gather and compare), else two different strings shared the
  first hash and ``None`` comes back (the caller then factorizes the strings
  themselves). Two different strings get the same code only if both 64-bit
  hashes collide, odds about ``n**2 / 2**129`` among ``n`` distinct strings.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "BLOCK_BYTES",
    "HASH_DENSITY",
    "HASH_MIN_ROWS",
    "factorize_hashed",
    "filled_codes",
    "hash_lanes",
    "hash_strings",
    "unified",
    "use_hashes",
]

#: Bytes of padded strings laid out at a time.
BLOCK_BYTES = 1 << 20
#: Rows whose codes are checked at a time.
BLOCK_ROWS = 1 << 18

#: Columns with at least :data:`HASH_MIN_ROWS` values, on more than :data:`HASH_DENSITY`
#: of their rows, are factorized by hashes (:func:`use_hashes`). Measured on the
#: stitching benchmark's identifiers (CPU, 2 cores): on 10M anonymous ids hashing +
#: integer codes take about half of ``dictionary_encode``'s time; at 1M rows, or on
#: sparse columns, ``dictionary_encode`` is as fast or faster.
HASH_DENSITY = 0.5
HASH_MIN_ROWS = 4_000_000

_K_LEN = np.uint64(0x9E3779B97F4A7C15)
_K_WORD = np.uint64(0xBF58476D1CE4E5B9)
_K_FINAL = np.uint64(0x94D049BB133111EB)
# the second lane's constants (murmur3's fmix64 and two odd 64-bit primes)
_K2_LEN = np.uint64(0xC2B2AE3D27D4EB4F)
_K2_WORD = np.uint64(0x9FB21C651E98DF25)
_K2_FIN1 = np.uint64(0xFF51AFD7ED558CCD)
_K2_FIN2 = np.uint64(0xC4CEB9FE1A85EC53)


def use_hashes(present: int, rows: int) -> bool:
    """Whether a column of ``rows`` rows, ``present`` of them non-null, is factorized by hashes."""
    return present > max(HASH_DENSITY * rows, HASH_MIN_ROWS)


def _chunks(values: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return list(values.chunks) if isinstance(values, pa.ChunkedArray) else [values]


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

    A row's slot is hashed whatever its validity (a null row is usually an empty slot).
    """
    offsets, data = _offsets(chunk), _data(chunk)
    n = len(offsets) - 1
    i = 0
    while i < n:  # lengths a block at a time: no row-long temporary
        width = max(int(np.diff(offsets[i : i + 1025]).max()), 1)
        j = min(n, i + max(BLOCK_BYTES // width, 1024))
        size = np.diff(offsets[i : j + 1])
        longest = int(size.max())
        width = (longest + 7) // 8 * 8 or 8
        matrix = np.zeros((j - i, width), dtype=np.uint8)
        block = data[offsets[i] : offsets[j]]
        filled = size == longest
        n_filled = int(np.count_nonzero(filled))
        if longest and n_filled + int(np.count_nonzero(size == 0)) == len(size):
            # one length (ids often have one), or none (nulls): rows copied whole
            strings = block.reshape(n_filled, longest)
            if n_filled == len(size):
                matrix[:, :longest] = strings
            else:
                matrix[filled, :longest] = strings
        else:
            matrix[np.arange(width, dtype=np.int32) < size[:, None]] = block
        yield i, size, matrix.view("<u8")
        i = j


def _hash_block(size: np.ndarray, words: np.ndarray, out: np.ndarray, out2: np.ndarray | None):
    """Both lanes' hashes of a block of rows (the second only when ``out2`` is given).

    A row mixes its own ``ceil(size / 8)`` words only, so its hash does not depend
    on the block's width (the longest row): a word is mixed into every row (no
    mask) while every non-empty row has it, and empty rows are set to the hash of
    ``""`` at the end.
    """
    n_words = (size + 7) // 8
    empty = size == 0
    least = int(n_words.min(initial=words.shape[1], where=~empty))
    h1 = out
    np.multiply(size.astype(np.uint64) + np.uint64(1), _K_LEN, out=h1)  # "" hashes to non-zero
    lanes: list[tuple[np.ndarray, np.uint64, np.uint64]] = [(h1, _K_WORD, np.uint64(31))]
    if out2 is not None:
        np.multiply(size.astype(np.uint64) + np.uint64(3), _K2_LEN, out=out2)
        lanes.append((out2, _K2_WORD, np.uint64(29)))
    tmp = np.empty(len(h1), dtype=np.uint64)
    for k in range(words.shape[1]):
        word = words[:, k]
        mask = True if k < least else n_words > k  # padding (zero words) is never mixed
        # lane 1 xors the word in, lane 2 adds it: zero padding leaves both unchanged
        np.bitwise_xor(h1, word, out=h1)
        if out2 is not None:
            np.add(out2, word, out=out2)
        for h, k_word, shift in lanes:
            np.multiply(h, k_word, out=h, where=mask)
            np.right_shift(h, shift, out=tmp, where=mask)
            np.bitwise_xor(h, tmp, out=h, where=mask)
    _finish(h1, out2, tmp)
    if empty.any():
        e1, e2 = _EMPTY
        h1[empty] = e1
        if out2 is not None:
            out2[empty] = e2


def _finish(h1: np.ndarray, h2: np.ndarray | None, tmp: np.ndarray) -> None:
    """The lanes' finalizers: ``splitmix64``'s for lane 1, ``murmur3``'s fmix64 for lane 2."""
    np.right_shift(h1, np.uint64(30), out=tmp)
    h1 ^= tmp
    h1 *= _K_FINAL
    np.right_shift(h1, np.uint64(27), out=tmp)
    h1 ^= tmp
    if h2 is None:
        return
    for k in (_K2_FIN1, _K2_FIN2):
        np.right_shift(h2, np.uint64(33), out=tmp)
        h2 ^= tmp
        h2 *= k
    np.right_shift(h2, np.uint64(33), out=tmp)
    h2 ^= tmp


def _empty_hashes() -> tuple[np.uint64, np.uint64]:
    """Both lanes' hashes of ``""`` (no word mixed)."""
    h1 = np.array([_K_LEN], dtype=np.uint64)
    h2 = np.array([3], dtype=np.uint64) * _K2_LEN
    _finish(h1, h2, np.empty(1, dtype=np.uint64))
    return h1[0], h2[0]


_EMPTY = _empty_hashes()


def hash_strings(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """64-bit hashes of the strings of an Arrow string array.

    Parameters
    ----------
    values : pa.Array or pa.ChunkedArray
        ``string`` or ``large_string`` (``binary`` works too).

    Returns
    -------
    np.ndarray
        ``uint64`` per row. Equal strings get equal hashes, different strings almost
        always different ones; a null row gets the hash of its slot's bytes (of
        ``""`` when the slot is empty, the usual case).
    """
    return _hash(values, second=False)[0]


def hash_lanes(values: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`hash_strings` and a second, independent 64-bit hash of every row, in one pass."""
    first, second = _hash(values, second=True)
    assert second is not None
    return first, second


def _hash(values: pa.Array | pa.ChunkedArray, second: bool) -> tuple[np.ndarray, np.ndarray | None]:
    out = np.empty(len(values), dtype=np.uint64)
    out2 = np.empty(len(values), dtype=np.uint64) if second else None
    base = 0
    for chunk in _chunks(values):
        for i, size, words in _words(chunk):
            rows = slice(base + i, base + i + len(size))
            _hash_block(size, words, out[rows], None if out2 is None else out2[rows])
        base += len(chunk)
    return out, out2


def _buffers(array: pa.Array) -> tuple[int, int, list[int | None]]:
    """An array's length, offset and buffer addresses: equal ones mean the same data."""
    return len(array), array.offset, [b.address if b is not None else None for b in array.buffers()]


def unified(encoded: pa.ChunkedArray) -> pa.ChunkedArray:
    """``encoded.unify_dictionaries()``, skipped when the chunks hold one dictionary already.

    ``pc.dictionary_encode`` of a ``ChunkedArray`` hashes every chunk into one memo
    table and gives each chunk that final dictionary (the same buffers): unifying
    then only compares them, ~0.14 s of CPU on 10M anonymous ids' hashes. Checked,
    not assumed: chunks whose dictionaries are not the same buffers are unified.
    """
    chunks = encoded.chunks
    if len(chunks) > 1:
        first = _buffers(chunks[0].dictionary)
        if any(_buffers(c.dictionary) != first for c in chunks[1:]):
            return encoded.unify_dictionaries()
    return encoded


def _checked_first_rows(
    codes: np.ndarray, second: np.ndarray, n: int, null: int | None
) -> np.ndarray | None:
    """First row of each code, checking that the second hash is constant per code.

    ``codes`` are numbered in first-appearance order (``null``: the code of null
    rows, -1 or ``n``; ``None``: no null rows). One pass, a block of
    :data:`BLOCK_ROWS` rows at a time: a code above every code before it starts
    there and its second hash becomes the code's reference; every row's second hash
    is then compared with its code's (null rows, whose slots may hold any bytes,
    compare 0 with the reference 0 that code -1 or ``n`` picks). ``None`` when a
    code holds two second hashes: two different strings shared the first.
    """
    reference = np.empty(n + 1, dtype=np.uint64)
    reference.fill(0)  # (written in order: np.zeros' lazily mapped pages fault at random)
    parts = []
    top = -1
    for at in range(0, len(codes), BLOCK_ROWS):
        block = codes[at : at + BLOCK_ROWS]
        lane = second[at : at + BLOCK_ROWS]
        ranked = block
        if null is not None:
            absent = block == null
            lane = np.where(absent, np.uint64(0), lane)
            if null != -1:
                ranked = np.where(absent, -1, block)
        running = np.maximum.accumulate(ranked)
        np.maximum(running, top, out=running)
        new = np.empty(len(block), dtype=bool)
        new[0] = ranked[0] > top
        np.greater(ranked[1:], running[:-1], out=new[1:])
        first = np.flatnonzero(new)
        reference[ranked[first]] = lane[first]
        if not np.array_equal(reference[block], lane):
            return None
        parts.append(first + at)
        top = int(running[-1])
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


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


def _as_integers(chunk: pa.Array, hashes: np.ndarray) -> pa.Array:
    """``hashes`` as an Arrow ``int64`` array, null where ``chunk`` is (its own bitmap)."""
    ints = hashes.view(np.int64)
    if not chunk.null_count:
        return pa.array(ints)
    if chunk.offset % 8 == 0:  # the chunk's validity bitmap, from its first byte
        bitmap = chunk.buffers()[0].slice(chunk.offset // 8)
        return pa.Array.from_buffers(
            pa.int64(), len(chunk), [bitmap, pa.py_buffer(ints)], null_count=chunk.null_count
        )
    return pa.array(ints, mask=pc.is_null(chunk).to_numpy(zero_copy_only=False))


#: Results above this many bytes are built in numpy (:func:`filled_codes`): glibc maps
#: fresh pages for every allocation above 32 MiB (its largest mmap threshold), which
#: Arrow's system pool then faults in one small page at a time.
FRESH_PAGES_BYTES = 32 << 20


def filled_codes(indices: pa.ChunkedArray, fill: int) -> np.ndarray:
    """``pc.fill_null(indices, fill).to_numpy()`` for ``int32`` indices.

    Above :data:`FRESH_PAGES_BYTES` the result is built in numpy, which asks for huge
    pages (10M indices, 3% null: ~14 ms of CPU against ~25 ms); below, Arrow's pool
    reuses its memory and ``fill_null`` is the faster (1M: ~0.45 ms against ~0.85 ms).
    """
    if 4 * len(indices) <= FRESH_PAGES_BYTES:
        return pc.fill_null(indices, fill).to_numpy()
    out = np.empty(len(indices), dtype=np.int32)
    at = 0
    for chunk in indices.chunks:
        n, start = len(chunk), chunk.offset
        if n:
            data = np.frombuffer(chunk.buffers()[1], dtype=np.int32, count=start + n)
            out[at : at + n] = data[start:]
        if chunk.null_count:
            bits = np.frombuffer(chunk.buffers()[0], dtype=np.uint8)
            valid = np.unpackbits(bits, count=start + n, bitorder="little")[start:].view(bool)
            np.copyto(out[at : at + n], np.int32(fill), where=~valid)
        at += n
    return out


def factorize_hashed(
    values: pa.ChunkedArray, missing: int | None = None
) -> tuple[np.ndarray, pa.Array] | None:
    """Arrow's ``dictionary_encode`` codes and dictionary of strings, by their hashes.

    Parameters
    ----------
    values : pa.ChunkedArray
        ``string`` or ``large_string``.
    missing : int, optional
        Code of a null row; ``None``: ``len(uniques)``.

    Returns
    -------
    (codes, uniques) or None
        ``codes``: ``int32`` per row, the index of its string in ``uniques`` (first
        appearance order, as ``dictionary_encode`` numbers them); ``uniques``: the
        distinct strings (an Arrow array of the type of ``values``). ``None`` when
        two different strings share the first hash (the second differs within a
        code): the caller must factorize exactly instead.
    """
    chunks = [c for c in values.chunks if len(c)]
    if not chunks:
        return np.zeros(0, dtype=np.int32), pa.array([], type=values.type)
    first, second = hash_lanes(pa.chunked_array(chunks, type=values.type))
    bounds = np.cumsum([0] + [len(c) for c in chunks])
    ints = [_as_integers(c, first[bounds[i] : bounds[i + 1]]) for i, c in enumerate(chunks)]
    del first
    encoded = unified(pc.dictionary_encode(pa.chunked_array(ints, type=pa.int64())))
    n = len(encoded.chunk(0).dictionary) if encoded.num_chunks else 0
    indices = pa.chunked_array([c.indices for c in encoded.chunks], type=pa.int32())
    del ints, encoded
    has_nulls = any(c.null_count for c in chunks)
    fill = n if missing is None else missing
    if has_nulls and fill not in (-1, n):  # a code of a string, or past the reference
        fill = -1
    codes = filled_codes(indices, fill)
    starts = _checked_first_rows(codes, second, n, fill if has_nulls else None)
    if starts is None:
        return None
    del second
    final = n if missing is None else missing
    if has_nulls and final != fill:
        codes = filled_codes(indices, final)
    uniques = _take_rows(chunks, starts, values.type)
    return codes, uniques
