"""Load GA4 BigQuery exports (NDJSON or Parquet) into one flat frame, one row per event.

The nested ``event_params`` list is flattened with pyarrow compute (no Python
loop per event): the list is exploded once, the wanted keys are filtered, and
each key becomes a column. A parameter's value is whichever slot is filled,
coalesced in the order ``string_value``, ``int_value``, ``double_value``,
``float_value`` for text (so ``ga_session_id`` reads the same whether it was
exported as an int or a string) and ``double_value``, ``float_value``,
``int_value``, ``string_value`` for numbers.

Exports differ in how they write numbers (``bq extract`` writes INT64 values as
JSON strings, other tools as numbers, and some samples even write
``"ecommerce": "null"``); :data:`MODES` lists the schemas tried, see
:mod:`workbench.readers._jsonl`.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from workbench.quarantine import Quarantine
from workbench.readers._common import clean_ids
from workbench.readers._jsonl import (
    JsonLines,
    Mode,
    as_number,
    as_text,
    mark_duplicates,
    null_strings_fix,
    number_column,
    quote_numbers_fix,
    read_json_lines,
    text_column,
)
from workbench.schema import SOURCE_FILE, SOURCE_ROW, TS
from workbench.timestamps import parse_unix

__all__ = ["MODES", "NUMBER_PARAMS", "TEXT_PARAMS", "load_events"]

#: Event parameters read as text (one column each, named like the key).
TEXT_PARAMS: tuple[str, ...] = (
    "ga_session_id",
    "page_location",
    "firebase_screen_class",
    "source",
    "medium",
    "campaign",
    "currency",
    "transaction_id",
)
#: Event parameters read as numbers (column ``param_<key>``).
NUMBER_PARAMS: tuple[str, ...] = ("value",)

_STRUCTS: dict[str, tuple[str, ...]] = {
    "traffic_source": ("name", "medium", "source"),
    "collected_traffic_source": (
        "manual_campaign_name",
        "manual_source",
        "manual_medium",
        "gclid",
    ),
    "device": ("category",),
}
_TEXT_TOP = ("event_name", "user_id", "user_pseudo_id", "platform")
_HASH = "_line_hash"
_SLOTS = ("string_value", "int_value", "double_value", "float_value")


def _schema(ints: pa.DataType, floats: pa.DataType) -> pa.Schema:
    value = pa.struct(
        [
            ("string_value", pa.string()),
            ("int_value", ints),
            ("float_value", floats),
            ("double_value", floats),
        ]
    )
    fields = [
        ("event_timestamp", ints),
        ("event_name", pa.string()),
        ("event_params", pa.list_(pa.struct([("key", pa.string()), ("value", value)]))),
        ("user_id", pa.string()),
        ("user_pseudo_id", pa.string()),
        ("platform", pa.string()),
        ("ecommerce", pa.struct([("purchase_revenue", floats), ("transaction_id", pa.string())])),
    ]
    fields += [(name, pa.struct([(f, pa.string()) for f in sub])) for name, sub in _STRUCTS.items()]
    return pa.schema(fields)


_NUMERIC_KEYS = (
    "event_timestamp",
    "int_value",
    "float_value",
    "double_value",
    "purchase_revenue",
    "user_id",
    "user_pseudo_id",
)

#: Parse modes, most common first: numbers as numbers; INT64 as strings (``bq
#: extract``); the same two with ``"null"`` strings fixed; everything as text.
MODES: tuple[Mode, ...] = (
    Mode(_schema(pa.int64(), pa.float64())),
    Mode(_schema(pa.string(), pa.float64())),
    Mode(_schema(pa.int64(), pa.float64()), null_strings_fix),
    Mode(_schema(pa.string(), pa.float64()), null_strings_fix),
    Mode(_schema(pa.string(), pa.string()), quote_numbers_fix(_NUMERIC_KEYS)),
)


def _slot(value: pa.Array, name: str) -> pa.Array | None:
    if value.type.get_field_index(name) < 0:
        return None
    arr = pc.struct_field(value, name)
    return None if pa.types.is_null(arr.type) else arr


def _params(table: pa.Table, n: int) -> dict[str, pd.Series]:
    """One column per wanted parameter key (first occurrence in the event wins)."""
    out: dict[str, pd.Series] = {key: as_text(None, n) for key in TEXT_PARAMS}
    out.update({f"param_{key}": as_number(None, n) for key in NUMBER_PARAMS})
    col = table.column("event_params") if "event_params" in table.column_names else None
    if col is None or not (pa.types.is_list(col.type) or pa.types.is_large_list(col.type)):
        return out
    arr = col.combine_chunks()
    flat = pc.list_flatten(arr)
    parent = pc.list_parent_indices(arr)
    keys = pc.struct_field(flat, "key")
    sel = pc.is_in(keys, value_set=pa.array(TEXT_PARAMS + NUMBER_PARAMS))
    flat, parent, keys = flat.filter(sel), parent.filter(sel), keys.filter(sel)
    if pa.types.is_struct(flat.type) and flat.type.get_field_index("value") >= 0:
        value = pc.struct_field(flat, "value")
        slots = {s: _slot(value, s) for s in _SLOTS}
    else:
        slots = dict.fromkeys(_SLOTS)
    texts = [
        s if pa.types.is_string(s.type) else pc.cast(s, pa.string())
        for s in (slots[k] for k in ("string_value", "int_value", "double_value", "float_value"))
        if s is not None
    ]
    text = pc.coalesce(*texts) if texts else None
    parent_np = parent.to_numpy()
    encoded = pc.dictionary_encode(keys)
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    names = encoded.dictionary.to_pylist()
    for key in TEXT_PARAMS + NUMBER_PARAMS:
        if key not in names:
            continue
        hit = np.flatnonzero(codes == names.index(key))
        first_parent, first_pos = np.unique(parent_np[hit], return_index=True)
        pos = np.full(n, -1, dtype=np.int64)
        pos[first_parent] = hit[first_pos]
        take = pa.array(pos, mask=pos < 0)
        if key in TEXT_PARAMS:
            out[key] = as_text(pc.take(text, take) if text is not None else None, n)
            continue
        series = out[f"param_{key}"]
        for name in ("double_value", "float_value", "int_value", "string_value"):
            if slots[name] is not None:
                series = series.fillna(as_number(pc.take(slots[name], take), n))
        out[f"param_{key}"] = series
    return out


def _flatten(table: pa.Table, files: np.ndarray, rows: np.ndarray) -> pd.DataFrame:
    """One row per event; ``files`` and ``rows`` give each row's file name and line."""
    n = table.num_rows
    data: dict[str, pd.Series] = {
        SOURCE_FILE: pd.Series(files, dtype="string"),
        SOURCE_ROW: pd.Series(rows, dtype="int64"),
        TS: parse_unix(number_column(table, ("event_timestamp",), n)).reset_index(drop=True),
    }
    for name in _TEXT_TOP:
        data[name] = text_column(table, (name,), n)
    for name, subs in _STRUCTS.items():
        for sub in subs:
            data[f"{name}.{sub}"] = text_column(table, (name, sub), n)
    data["purchase_revenue"] = number_column(table, ("ecommerce", "purchase_revenue"), n)
    data["ecommerce_transaction_id"] = text_column(table, ("ecommerce", "transaction_id"), n)
    data.update(_params(table, n))
    frame = pd.DataFrame(data)
    for name in ("user_id", "user_pseudo_id"):
        frame[name] = clean_ids(frame[name])
    return frame


def _read_parquet(path: Path, file: str) -> tuple[pd.DataFrame, dict[str, object]]:
    wanted = ["event_timestamp", "event_name", "event_params", *_TEXT_TOP[1:], "ecommerce"]
    wanted += list(_STRUCTS)
    present = set(pq.read_schema(path).names)
    table = pq.read_table(path, columns=[c for c in dict.fromkeys(wanted) if c in present])
    frame = _flatten(table, np.full(table.num_rows, file), np.arange(1, table.num_rows + 1))
    # a Parquet "duplicate" is a row identical in every field read
    frame[_HASH] = pd.util.hash_pandas_object(
        frame.drop(columns=[SOURCE_FILE, SOURCE_ROW]), index=False
    ).to_numpy()
    return frame, {"file": file, "rows": len(frame), "malformed": 0}


def _read_json(path: Path, file: str, source: str) -> tuple[JsonLines, Quarantine]:
    own = Quarantine()
    return read_json_lines(path, modes=MODES, quarantine=own, source=source, file=file), own


def load_events(
    paths: list[tuple[Path, str]], quarantine: Quarantine, source: str
) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """Read every file (``(path, name)`` pairs) into one flat event frame.

    ``*.parquet`` files are read with pyarrow.parquet, everything else as
    (optionally gzipped) JSON lines. Repeated events (identical lines, or
    Parquet rows identical in every field read), within a file or across
    files, are quarantined as ``"duplicate event"``. Returns the events and
    per-file counts.
    """
    frames, infos = [], []
    parsed: list[tuple[pa.Table, str, np.ndarray, np.ndarray]] = []
    json_files = [(p, f) for p, f in paths if p.suffix.lower() != ".parquet"]
    # files are parsed in parallel, each into its own quarantine (merged in file order)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        done = dict(
            zip(
                [f for _, f in json_files],
                pool.map(lambda pf: _read_json(pf[0], pf[1], source), json_files),
                strict=True,
            )
        )
    for path, file in paths:
        if path.suffix.lower() == ".parquet":
            frame, info = _read_parquet(path, file)
            frames.append(frame)
        else:
            lines, own = done[file]
            quarantine.extend(own.to_frame())
            parsed.append((lines.table, file, lines.rows, lines.hashes))
            info = {
                "file": file,
                "rows": lines.lines,
                "duplicates": lines.duplicates,
                "malformed": lines.malformed,
            }
        infos.append(info)
    if parsed or not frames:
        # flatten all JSON files at once: per-file pandas work dominates for daily files
        tables = [p[0] for p in parsed] or [MODES[0].schema.empty_table()]
        if len({t.schema for t in tables}) > 1:
            tables = [t.cast(MODES[-1].schema) for t in tables]
        counts = [p[0].num_rows for p in parsed]
        files = np.repeat(np.array([p[1] for p in parsed], dtype=object), counts)
        rows = np.concatenate([p[2] for p in parsed] or [np.zeros(0, dtype=np.int64)])
        frame = _flatten(pa.concat_tables(tables), files, rows)
        frame[_HASH] = np.concatenate([p[3] for p in parsed] or [np.zeros(0, dtype=np.uint64)])
        frames.insert(0, frame)
    events = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    dup = mark_duplicates(
        events[_HASH].to_numpy(),
        events[SOURCE_ROW].to_numpy(),
        events[SOURCE_FILE].to_numpy(dtype=object),
        quarantine,
        source=source,
    )
    repeats = events.loc[dup, SOURCE_FILE].value_counts()
    for info in infos:
        info["duplicates"] = int(info.get("duplicates", 0)) + int(repeats.get(info["file"], 0))
    events = events.loc[~dup].drop(columns=_HASH).reset_index(drop=True)
    return events, infos
