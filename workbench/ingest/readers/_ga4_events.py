"""Load GA4 BigQuery exports (NDJSON or Parquet) into one flat frame, one row per event.

The nested ``event_params`` list is flattened with pyarrow compute (no Python
loop per event): the list is exploded once, the wanted keys are filtered, and
each key becomes a column. A parameter's value is whichever slot is filled,
coalesced in the order ``string_value``, ``int_value``, ``double_value``,
``float_value`` for text (so ``ga_session_id`` reads the same whether it was
exported as an int or a string) and ``double_value``, ``float_value``,
``int_value``, ``string_value`` for numbers.

Files are parsed in parallel in batches of consecutive files (about 64 MB; a
large file alone): the files of a batch in one pyarrow call (see
:mod:`workbench.ingest.readers._jsonl_batch`; rows keep their file and line),
and each batch is reduced to the flat columns once, in its worker thread, so
the nested tables never pile up and many small daily files cost no more than
one big file; pandas work happens once for all files, on text columns that keep
the batches' chunks (one per batch; only the few columns later taken from are joined,
inside pyarrow's take, and filters work chunk by chunk).

Identifier parameters (the reader's ``options.identifiers``) are read the same
way from ``event_params`` and, only when some are configured, from
``user_properties`` (same list-of-key/value layout): each configured key ``k``
becomes the text columns ``ident_param.k`` and ``ident_user.k``.
``session_traffic_source_last_click`` (newer exports) is read into
``last_click.<record>.<field>`` columns (see :data:`LAST_CLICK`).

Exports differ in how they write numbers (``bq extract`` writes INT64 values as
JSON strings, other tools as numbers, and some samples even write
``"ecommerce": "null"``); :data:`MODES` lists the schemas tried, see
:mod:`workbench.ingest.readers._jsonl`.
"""

from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from workbench.ingest.quarantine import Quarantine
from workbench.ingest.readers._common import clean_ids
from workbench.ingest.readers._jsonl import (
    PARSE_POOL,
    JsonLines,
    Mode,
    arrow_column,
    as_number,
    as_text,
    find_duplicates,
    null_strings_fix,
    quarantine_duplicates,
    quote_numbers_fix,
)
from workbench.ingest.readers._jsonl_batch import read_json_batch
from workbench.schema import SOURCE_FILE, SOURCE_ROW, TS
from workbench.timestamps import parse_unix

__all__ = [
    "EVENT_HASH",
    "LAST_CLICK",
    "MODES",
    "NUMBER_PARAMS",
    "TEXT_PARAMS",
    "drop_repeated_events",
    "event_columns",
    "events_frame",
    "load_events",
    "modes",
]

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
#: ``session_traffic_source_last_click`` records and fields read (all text).
LAST_CLICK: dict[str, tuple[str, ...]] = {
    "manual_campaign": ("campaign_name", "source", "medium"),
    "google_ads_campaign": ("campaign_name",),
    "cross_channel_campaign": ("campaign_name", "source", "medium", "default_channel_group"),
}
_TEXT_TOP = ("event_name", "user_id", "user_pseudo_id", "platform")
#: Column holding each event line's hash (repeats are judged by it; the Spark reader shares it).
EVENT_HASH = "_line_hash"
_SLOTS = ("string_value", "int_value", "double_value", "float_value")
#: JSON files are parsed and reduced to their columns in batches of about this size
#: (consecutive files), in parallel: per-file column work dominates for small daily files.
_BATCH_BYTES = 64 << 20


def _schema(ints: pa.DataType, floats: pa.DataType, user_properties: bool) -> pa.Schema:
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
    last_click = [(r, pa.struct([(f, pa.string()) for f in sub])) for r, sub in LAST_CLICK.items()]
    fields.append(("session_traffic_source_last_click", pa.struct(last_click)))
    if user_properties:
        fields.append(("user_properties", fields[2][1]))
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


@functools.cache
def modes(user_properties: bool = False) -> tuple[Mode, ...]:
    """Parse modes, most common first.

    Numbers as numbers; INT64 as strings (``bq extract``); the same two with ``"null"`` strings fixed; everything as text.

    ``user_properties`` adds that list to the schema (only parsed when needed).
    """
    up = user_properties
    return (
        Mode(_schema(pa.int64(), pa.float64(), up)),
        Mode(_schema(pa.string(), pa.float64(), up)),
        Mode(_schema(pa.int64(), pa.float64(), up), null_strings_fix),
        Mode(_schema(pa.string(), pa.float64(), up), null_strings_fix),
        Mode(_schema(pa.string(), pa.string(), up), quote_numbers_fix(_NUMERIC_KEYS)),
    )


#: The parse modes without ``user_properties`` (see :func:`modes`).
MODES: tuple[Mode, ...] = modes(False)


def _slot(value: pa.Array, name: str) -> pa.Array | None:
    if value.type.get_field_index(name) < 0:
        return None
    arr = pc.struct_field(value, name)
    return None if pa.types.is_null(arr.type) else arr


def _first_per_event(parents: np.ndarray, n: int) -> pa.Array:
    """Take-indices (null where absent) of the first of ``parents`` (sorted) for each event."""
    pos = np.full(n, -1, dtype=np.int64)
    if len(parents):
        first = np.flatnonzero(np.r_[True, parents[1:] != parents[:-1]])
        pos[parents[first]] = first
    return pa.array(pos, mask=pos < 0)


#: One event column: text as an Arrow string array, numbers as float64.
_Column = pa.Array | pa.ChunkedArray | np.ndarray


def _text(arr: pa.Array | pa.ChunkedArray | None, n: int) -> pa.Array | pa.ChunkedArray:
    """An Arrow column as ``string`` (numbers formatted; all missing if ``arr`` is None)."""
    if arr is None or pa.types.is_null(arr.type):
        return pa.nulls(n, pa.string())
    if not pa.types.is_string(arr.type):
        arr = pc.cast(arr, pa.string())
    return arr


def _number(arr: pa.Array | pa.ChunkedArray | None, n: int) -> np.ndarray:
    """:func:`workbench.ingest.readers._jsonl.as_number`, as a float64 array."""
    return as_number(arr, n).to_numpy(dtype="float64")


def _micros(arr: pa.Array | pa.ChunkedArray | None, n: int) -> np.ndarray:
    """``event_timestamp`` as float64 microseconds since 1970.

    BigQuery exports it as INT64 microseconds; a Parquet file converted by
    another tool may hold a ``timestamp`` column instead (naive = UTC), which
    is read as its instant, not quarantined as unparseable.
    """
    if arr is not None and pa.types.is_timestamp(arr.type):
        arr = pc.cast(pc.cast(arr, pa.timestamp("us", arr.type.tz), safe=False), pa.int64())
    return _number(arr, n)


def _is_key_value_list(column_type: pa.DataType) -> bool:
    """Whether ``column_type`` is a list of ``{key: string, ...}`` structs.

    A Parquet file written from rows whose list is always empty stores
    ``list<null>`` (e.g. ``user_properties`` of a web stream that sets none):
    such a column holds no keys at all.
    """
    if not (pa.types.is_list(column_type) or pa.types.is_large_list(column_type)):
        return False
    entry = column_type.value_type
    if not pa.types.is_struct(entry) or entry.get_field_index("key") < 0:
        return False
    key = entry.field(entry.get_field_index("key")).type
    return bool(pa.types.is_string(key) or pa.types.is_large_string(key))


def _key_values(
    table: pa.Table, column: str, n: int, text_keys: tuple[str, ...], number_keys: tuple[str, ...]
) -> dict[str, _Column]:
    """One column per wanted key of a key/value list (first occurrence in the event wins).

    ``column`` is ``event_params`` or ``user_properties``. Only the wanted keys
    are kept after the list is exploded, so the rest of the work is on a few
    values per event. Keys absent from every event give all-missing columns.
    """
    out: dict[str, _Column] = {key: _text(None, n) for key in text_keys}
    out.update({key: _number(None, n) for key in number_keys})
    col = table.column(column) if column in table.column_names else None
    if col is None or not _is_key_value_list(col.type):
        return out
    # chunk by chunk (parent indices count from the first chunk); only the few wanted
    # values are copied into one array: joining the whole list first cost a fresh
    # copy of most of the table (page faults), more than the rest of the work
    # (allocated from the parse's pool, see _jsonl.PARSE_POOL)
    pool = PARSE_POOL
    flat = pc.list_flatten(col, memory_pool=pool)
    keys = pc.struct_field(flat, "key", memory_pool=pool)
    # each entry's key as its place among the wanted keys (-1: not wanted), in numpy;
    # only the value slots are filtered in Arrow (the keys and parents need no copy)
    wanted = text_keys + number_keys
    place = pc.index_in(keys, value_set=pa.array(wanted, type=pa.string()), memory_pool=pool)
    codes = pc.fill_null(place, -1).to_numpy()
    sel = codes >= 0
    codes = codes[sel]
    parent_np = pc.list_parent_indices(col, memory_pool=pool).to_numpy()[sel]
    mask = pa.array(sel)
    value = pc.struct_field(flat, "value") if flat.type.get_field_index("value") >= 0 else None
    if value is not None and pa.types.is_struct(value.type):
        slots = {s: _slot(value, s) for s in _SLOTS}
        slots = {
            s: None if a is None else pc.filter(a, mask, memory_pool=pool).combine_chunks(pool)
            for s, a in slots.items()
        }
    else:
        slots = dict.fromkeys(_SLOTS)
    texts = [
        s if pa.types.is_string(s.type) else pc.cast(s, pa.string())
        for s in (slots[k] for k in ("string_value", "int_value", "double_value", "float_value"))
        if s is not None
    ]
    text = pc.coalesce(*texts, memory_pool=pool) if texts else None
    for key in wanted:
        hit = np.flatnonzero(codes == wanted.index(key))
        if not len(hit):
            continue
        take = pc.take(pa.array(hit), _first_per_event(parent_np[hit], n))
        if key in text_keys:
            out[key] = _text(pc.take(text, take, memory_pool=pool) if text is not None else None, n)
            continue
        number = out[key]
        for name in ("double_value", "float_value", "int_value", "string_value"):
            if slots[name] is not None:
                number = np.where(np.isnan(number), _number(pc.take(slots[name], take), n), number)
        out[key] = number
    return out


def _params(table: pa.Table, n: int, identifiers: tuple[str, ...]) -> dict[str, _Column]:
    """The wanted event parameters and identifier keys.

    Identifier keys of ``event_params`` and ``user_properties`` (see the module docstring for the column names).
    """
    extra = tuple(k for k in identifiers if k not in TEXT_PARAMS)
    found = _key_values(table, "event_params", n, TEXT_PARAMS + extra, NUMBER_PARAMS)
    out: dict[str, _Column] = {key: found[key] for key in TEXT_PARAMS}
    out.update({f"param_{key}": found[key] for key in NUMBER_PARAMS})
    if identifiers:
        props = _key_values(table, "user_properties", n, identifiers, ())
        for key in identifiers:
            out[f"ident_param.{key}"] = found[key]
            out[f"ident_user.{key}"] = props[key]
    return out


def event_columns(table: pa.Table, identifiers: tuple[str, ...] = ()) -> dict[str, _Column]:
    """The event columns of one parsed table, still in Arrow (text) or numpy (numbers).

    Pure Arrow/numpy work, so files are reduced to these few columns in the
    worker threads and the big nested tables are dropped early.
    """
    n = table.num_rows
    data: dict[str, _Column] = {
        "event_timestamp": _micros(arrow_column(table, ("event_timestamp",)), n)
    }
    for name in _TEXT_TOP:
        data[name] = _text(arrow_column(table, (name,)), n)
    for name, subs in _STRUCTS.items():
        for sub in subs:
            data[f"{name}.{sub}"] = _text(arrow_column(table, (name, sub)), n)
    data["purchase_revenue"] = _number(arrow_column(table, ("ecommerce", "purchase_revenue")), n)
    data["ecommerce_transaction_id"] = _text(
        arrow_column(table, ("ecommerce", "transaction_id")), n
    )
    for record, subs in LAST_CLICK.items():
        for sub in subs:
            path = ("session_traffic_source_last_click", record, sub)
            data[f"last_click.{record}.{sub}"] = _text(arrow_column(table, path), n)
    data.update(_params(table, n, identifiers))
    return data


def events_frame(
    parts: list[dict[str, _Column]],
    files: np.ndarray | pa.Array,
    rows: np.ndarray,
    *,
    clean: bool = True,
) -> pd.DataFrame:
    """One row per event from the :func:`event_columns` of one or more tables, in order.

    ``files``: each row's file name (numpy, or an Arrow string array: no Python
    string per row). ``clean=False`` when the parts' ``user_id`` and ``user_pseudo_id`` are already
    cleaned (:func:`_clean_id_columns`).
    """
    data: dict[str, pd.Series] = {
        SOURCE_FILE: pd.Series(files, dtype="string"),
        SOURCE_ROW: pd.Series(rows, dtype="int64"),
    }
    texts = {}
    for name in parts[0]:
        chunks = [p[name] for p in parts]
        if not isinstance(chunks[0], np.ndarray):
            arrays = [c for chunk in chunks for c in getattr(chunk, "chunks", [chunk])]
            kind = pa.large_string() if all(a.type == pa.large_string() for a in arrays) else None
            # the batches' chunks are kept as they are: joining every column here
            # (fresh memory, page faults) cost more than the takes that need it:
            # pyarrow's take joins a chunked column's chunks itself (about the cost
            # of one join per take), filters work chunk by chunk, and most columns
            # are only filtered, or taken from once (a per-chunk take was no faster
            # with one chunk per batch)
            texts[name] = pa.chunked_array(arrays, type=kind or pa.string())
    for name in parts[0]:
        chunks = [p[name] for p in parts]
        if isinstance(chunks[0], np.ndarray):
            numbers = pd.Series(np.concatenate(chunks), dtype="float64")
            if name == "event_timestamp":
                data[TS] = parse_unix(numbers).reset_index(drop=True)
                data[name] = numbers  # kept for the unit check (readers/_guards.py)
            else:
                data[name] = numbers
        else:
            data[name] = as_text(texts[name], len(files))
    frame = pd.DataFrame(data)
    for name in _ID_COLUMNS if clean else ():
        frame[name] = clean_ids(frame[name])
    return frame


#: The event columns with placeholders blanked (:func:`~workbench.ingest.readers._common.clean_ids`).
_ID_COLUMNS = ("user_id", "user_pseudo_id")


def _clean_id_columns(columns: dict[str, _Column]) -> dict[str, _Column]:
    """``columns`` with placeholder ids blanked, as :func:`events_frame` would blank them.

    Value by value, so each batch does it in its worker thread, not the one thread after.
    """
    out = dict(columns)
    for name in _ID_COLUMNS:
        cleaned = clean_ids(as_text(columns[name], len(columns["event_timestamp"])))
        out[name] = pa.array(cleaned.array, type=pa.large_string())
    return out


def _read_parquet(
    path: Path, file: str, identifiers: tuple[str, ...]
) -> tuple[pd.DataFrame, dict[str, object]]:
    wanted = ["event_timestamp", "event_name", "event_params", *_TEXT_TOP[1:], "ecommerce"]
    wanted += [*_STRUCTS, "session_traffic_source_last_click"]
    wanted += ["user_properties"] if identifiers else []
    present = set(pq.read_schema(path).names)
    table = pq.read_table(path, columns=[c for c in dict.fromkeys(wanted) if c in present])
    rows = np.arange(1, table.num_rows + 1)
    frame = events_frame([event_columns(table, identifiers)], np.full(table.num_rows, file), rows)
    # a Parquet "duplicate" is a row identical in every field read
    frame[EVENT_HASH] = pd.util.hash_pandas_object(
        frame.drop(columns=[SOURCE_FILE, SOURCE_ROW]), index=False
    ).to_numpy()
    return frame, {"file": file, "rows": len(frame), "malformed": 0}


def _one_chunk(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """``column`` as one array (allocated from :data:`~workbench.ingest.readers._jsonl.PARSE_POOL`)."""
    if isinstance(column, pa.ChunkedArray) and column.num_chunks != 1:
        return column.combine_chunks(memory_pool=PARSE_POOL)
    return column


def _read_batch(
    batch: list[tuple[Path, str]], source: str, identifiers: tuple[str, ...]
) -> tuple[list[tuple[JsonLines, Quarantine]], dict[str, _Column]]:
    """Parse a batch of files and reduce them to their event columns (in a worker thread).

    The files are parsed in one call where they can be (see
    :mod:`workbench.ingest.readers._jsonl_batch`) and flattened once for the
    whole batch; each file gets its own quarantine. ``identifiers``: the
    identifier keys to read (see :func:`load_events`).
    """
    table, done = read_json_batch(batch, modes=modes(bool(identifiers)), source=source)
    columns = event_columns(table, identifiers)
    del table
    # pandas keeps text as large_string: cast here, in parallel, not in the one thread
    # after; one chunk per batch (struct fields come in the parse's pieces, hundreds of
    # them over a long export, which made every later take of the rows slow)
    large = {
        k: pc.cast(_one_chunk(v), pa.large_string(), memory_pool=PARSE_POOL)
        for k, v in columns.items()
        if not isinstance(v, np.ndarray)
    }
    return done, _clean_id_columns({**columns, **large})


def _batches(files: list[tuple[Path, str]]) -> list[list[tuple[Path, str]]]:
    """Consecutive files grouped to about :data:`_BATCH_BYTES` each (a large file alone)."""
    batches: list[list[tuple[Path, str]]] = []
    size = _BATCH_BYTES
    for path, file in files:
        if size >= _BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append((path, file))
        size += path.stat().st_size
    return batches


def load_events(
    paths: list[tuple[Path, str]],
    quarantine: Quarantine,
    source: str,
    *,
    identifiers: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """Read every file (``(path, name)`` pairs) into one flat event frame.

    ``*.parquet`` files are read with pyarrow.parquet, everything else as
    (optionally gzipped) JSON lines. Repeated events (identical lines, or
    Parquet rows identical in every field read), within a file or across
    files, are quarantined as ``"duplicate event"``. Returns the events and
    per-file counts. ``identifiers``: parameter / user property keys read as
    ``ident_param.<key>`` and ``ident_user.<key>`` text columns.
    """
    frames, infos = [], []
    json_files = [(p, f) for p, f in paths if p.suffix.lower() != ".parquet"]
    batches = _batches(json_files)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        done = list(pool.map(lambda batch: _read_batch(batch, source, identifiers), batches))
    parts = [columns for _, columns in done]
    by_file = {
        file: result
        for batch, (results, _) in zip(batches, done, strict=True)
        for (_, file), result in zip(batch, results, strict=True)
    }
    del done
    kept: list[tuple[str, np.ndarray, np.ndarray]] = []
    for path, file in paths:
        if path.suffix.lower() == ".parquet":
            frame, info = _read_parquet(path, file, identifiers)
            frames.append(frame)
        else:
            lines, own = by_file.pop(file)
            quarantine.extend(own)  # file order; the table is built once, at the end
            kept.append((file, lines.rows, lines.hashes))
            info = {
                "file": file,
                "rows": lines.lines,
                "duplicates": lines.duplicates,
                "malformed": lines.malformed,
            }
        infos.append(info)
    if kept or not frames:
        # one frame for all JSON files
        clean = not parts  # the batches' ids are cleaned (_read_batch)
        parts = parts or [event_columns(MODES[0].schema.empty_table(), identifiers)]
        counts = [len(rows) for _, rows, _ in kept]
        names = pa.array([f for f, _, _ in kept], type=pa.large_string())
        files = names.take(pa.array(np.repeat(np.arange(len(kept)), counts)))
        rows = np.concatenate([r for _, r, _ in kept] or [np.zeros(0, dtype=np.int64)])
        frame = events_frame(parts, files, rows, clean=clean)
        frame[EVENT_HASH] = np.concatenate(
            [h for _, _, h in kept] or [np.zeros(0, dtype=np.uint64)]
        )
        frames.insert(0, frame)
        del parts
    events = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return drop_repeated_events(events, infos, quarantine, source), infos


def drop_repeated_events(
    events: pd.DataFrame,
    infos: list[dict[str, object]],
    quarantine: Quarantine,
    source: str,
) -> pd.DataFrame:
    """``events`` without repeats (same line hash as an earlier event, across files).

    Each repeat is quarantined as ``"duplicate event"``; ``infos`` (per file)
    get the repeats added to their ``duplicates``
    (:func:`~workbench.ingest.readers._jsonl.find_duplicates` finds them).
    """
    hashes = events[EVENT_HASH].to_numpy()
    if not pd.Series(hashes).duplicated().any():  # the usual case: nothing to copy or name
        for info in infos:
            info["duplicates"] = int(info.get("duplicates", 0))
        return events.drop(columns=EVENT_HASH).reset_index(drop=True)
    files = events[SOURCE_FILE].to_numpy(dtype=object)
    rows = events[SOURCE_ROW].to_numpy()
    dup, values = find_duplicates(hashes, rows, files)
    quarantine_duplicates(quarantine, files[dup], rows[dup], values, source=source)
    repeats = events.loc[dup, SOURCE_FILE].value_counts()
    for info in infos:
        info["duplicates"] = int(info.get("duplicates", 0)) + int(repeats.get(info["file"], 0))
    return events.loc[~dup].drop(columns=EVENT_HASH).reset_index(drop=True)
