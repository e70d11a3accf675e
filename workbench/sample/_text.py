"""Vectorized text helpers: identifiers, timestamps and CSV appends (no per-row Python)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "append_csv",
    "clock_12h",
    "cond",
    "frame",
    "local_us",
    "money_text",
    "random_tokens",
    "replace_text",
    "scramble",
    "ts_text",
    "uuid_like",
    "zpad",
]

_B64URL = np.frombuffer(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", dtype=np.uint8
)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_MONTHS = np.array(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
)


def frame(data: object, **kwargs: object) -> pd.DataFrame:
    """``pd.DataFrame`` that keeps text columns as NumPy object arrays.

    pandas 3 would store them as Arrow strings, and every ``to_numpy()`` of the
    generator's hot path would convert them back; object columns are zero-copy.
    """
    if isinstance(data, dict):
        data = {
            k: pd.Series(v, dtype=object)
            if isinstance(v, np.ndarray) and v.dtype.kind in "OU"
            else v
            for k, v in data.items()
        }
    return pd.DataFrame(data, **kwargs)


def scramble(index: np.ndarray, bits: int, salt: int = 0) -> np.ndarray:
    """Bijective pseudo-random map of ``0 .. 2**bits - 1`` onto itself.

    Two rounds of an odd multiplier and xor-shift modulo ``2**bits``: distinct
    inputs give distinct outputs, so identifiers derived from it never collide.
    """
    mask = np.uint64((1 << bits) - 1)
    x = (np.asarray(index, dtype=np.uint64) + np.uint64(salt)) & mask
    for mult in (0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9):
        x = (x * np.uint64(mult | 1)) & mask
        x ^= x >> np.uint64(max(bits // 2, 1))
    return x.astype(np.int64)


def _from_codes(codes: np.ndarray, alphabet: np.ndarray) -> np.ndarray:
    chars = alphabet[codes].astype(np.uint32)
    width = codes.shape[1]
    return np.ascontiguousarray(chars).view(f"<U{width}").ravel()


def random_tokens(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    """``n`` random URL-safe base64 tokens of ``length`` characters."""
    if n == 0:
        return np.array([], dtype=f"<U{length}")
    return _from_codes(rng.integers(0, 64, size=(n, length)), _B64URL)


def uuid_like(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random lower-case UUID-4-shaped strings (``8-4-4-4-12`` hex digits)."""
    if n == 0:
        return np.array([], dtype="<U36")
    codes = rng.integers(0, 16, size=(n, 36))
    codes[:, 14] = 4
    chars = _HEX[codes].astype(np.uint32)
    chars[:, [8, 13, 18, 23]] = ord("-")
    return np.ascontiguousarray(chars).view("<U36").ravel()


def replace_text(values: np.ndarray, old: str, new: str) -> np.ndarray:
    """``np.char.replace`` that also accepts empty arrays."""
    values = np.asarray(values, dtype=str)
    return np.char.replace(values, old, new) if values.size else values


def zpad(values: np.ndarray, width: int) -> np.ndarray:
    """Integers as zero-padded decimal strings."""
    text = np.asarray(values, dtype=np.int64).astype(str)
    return np.char.zfill(text, width) if text.size else text


def cond(mask: np.ndarray, yes: np.ndarray | str, no: np.ndarray | str = "") -> np.ndarray:
    """Element-wise ``yes if mask else no`` returning an object array of strings."""
    return np.where(mask, yes, no).astype(object)


def money_text(values: np.ndarray) -> np.ndarray:
    """Amounts as ``"1234.50"`` text (object array), formatting each distinct value once."""
    uniq, inv = np.unique(np.asarray(values, dtype=float), return_inverse=True)
    return np.char.mod("%.2f", uniq).astype(object)[inv.ravel()]


def local_us(us: np.ndarray, tz: str) -> np.ndarray:
    """UTC microseconds -> naive local wall-clock microseconds in ``tz``."""
    idx = pd.DatetimeIndex(pd.to_datetime(np.asarray(us, dtype=np.int64), unit="us", utc=True))
    local = idx.tz_convert(tz).tz_localize(None)
    return local.as_unit("us").asi8


def ts_text(us: np.ndarray, unit: str = "s") -> np.ndarray:
    """Microseconds -> ``YYYY-MM-DD HH:MM[:SS]`` text (``unit`` ``"m"`` or ``"s"``)."""
    arr = np.asarray(us, dtype=np.int64).astype("datetime64[us]").astype(f"datetime64[{unit}]")
    return replace_text(np.datetime_as_string(arr, unit=unit), "T", " ")


def clock_12h(us: np.ndarray) -> np.ndarray:
    """Microseconds -> Zoom's ``Nov 28, 2026 10:02:13 AM`` text."""
    us = np.asarray(us, dtype=np.int64)
    day = us.astype("datetime64[us]").astype("datetime64[D]")
    month = day.astype("datetime64[M]")
    year = month.astype("datetime64[Y]").astype(np.int64) + 1970
    mon = month.astype(np.int64) % 12
    dom = (day - month).astype(np.int64) + 1
    sec = (us // 1_000_000) % 86_400
    hour, minute, second = sec // 3600, (sec // 60) % 60, sec % 60
    h12 = np.where(hour % 12 == 0, 12, hour % 12)
    ampm = np.where(hour < 12, " AM", " PM")
    parts = (
        _MONTHS[mon].astype(object)
        + " "
        + zpad(dom, 2).astype(object)
        + ", "
        + year.astype(str).astype(object)
        + " "
        + zpad(h12, 2).astype(object)
        + ":"
        + zpad(minute, 2).astype(object)
        + ":"
        + zpad(second, 2).astype(object)
        + ampm.astype(object)
    )
    return parts.astype(str)


def _csv_column(values: pd.Series, sep: str) -> pa.Array:
    """One CSV column as text, quoted only where needed (like pandas / the exporting tools)."""
    arr = values.to_numpy()
    if arr.dtype == bool:
        text = pa.array(np.where(arr, "true", "false"))
    elif arr.dtype.kind in "iuf":
        text = pa.array(arr).cast(pa.string())
    else:
        text = pa.array(arr, type=pa.string(), from_pandas=True).fill_null("")
    special = pc.match_substring_regex(text, f'["\\n\\r{sep}]')
    if pc.any(special).as_py():
        quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
        text = pc.if_else(special, quoted, text)
    return text


def append_csv(
    path: Path,
    frame: pd.DataFrame,
    *,
    header: bool,
    preamble: str = "",
    sep: str = ",",
) -> int:
    r"""Append ``frame`` to a UTF-8 CSV (creating it with ``preamble`` + header if asked).

    Text is assembled with Arrow string kernels (fast for millions of rows);
    fields are quoted only when they contain the separator, a quote or a line
    break; booleans are written ``true`` / ``false``; line endings are ``\\n``.
    Returns the number of data rows written.
    """
    mode = "w" if header else "a"
    with open(path, mode + "b") as fh:
        if header:
            names = [f'"{c}"' if any(x in c for x in f'"{sep}') else c for c in frame.columns]
            fh.write((preamble + sep.join(names) + "\n").encode("utf-8"))
        if len(frame) == 0:
            return 0
        cols = [_csv_column(frame[c], sep) for c in frame.columns]
        lines = pc.binary_join_element_wise(*cols, sep)
        lines = pc.binary_join_element_wise(lines, "\n", "")
        if lines.type != pa.large_string():
            lines = lines.cast(pa.large_string())
        offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)
        offsets = offsets[lines.offset : lines.offset + len(lines) + 1]
        fh.write(memoryview(lines.buffers()[2])[int(offsets[0]) : int(offsets[-1])])
    return len(frame)
