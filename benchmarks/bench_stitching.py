"""Benchmark identity stitching against a bare connected-components baseline.

Synthesizes touchpoints / conversions / identity links with a realistic
identifier structure (seeded), then times, in the same run and on the same
data:

* **baseline** (the leanest known one-process way): hash every identifier's
  Arrow string buffers to integer codes in C++ (``pyarrow.compute.dictionary_encode``
  over all columns of one identifier type at once; xxhash is not installed),
  build the row and link edges (each pair of identifier columns filtered to the
  rows holding both before concatenating, not all pairs concatenated and then
  filtered) and run ``scipy.sparse.csgraph.connected_components`` -- the least
  work any correct stitcher must do;
* **stitch**: :func:`workbench.identity.stitch.stitch` (blocking, limits, stable
  ids, accounts, output columns, identities, diagnostics).

Times are medians of ``--repeat`` rounds in which baseline and stitch run in
turns (order flipped each round) in the same process on the same data; the
printed ratio is the median of the per-round ratios stitch / baseline. Peak
memory is measured for each in a fresh interpreter that synthesizes the same
data (peak resident size, reset after synthesis, minus the resident size before
the run). Results go to
``benchmarks/results/bench_stitching.json`` (git-ignored).

Usage::

    python benchmarks/bench_stitching.py --rows 1000000 10000000
"""

from __future__ import annotations

import argparse
import gc
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from _common import (
    alternating,
    child_peak_mb,
    machine_facts,
    report_child_peak,
    results_path,
    write_result,
)
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components

from workbench.config import IdentityConfig
from workbench.identity.stitch import stitch

ID_COLUMNS = ("crm_contact_id", "user_id", "email", "anonymous_id", "gclid", "crm_account_id")


def _ids(prefix: str, numbers: np.ndarray, present: np.ndarray | None = None) -> pd.Series:
    """``prefix + number`` strings built in Arrow (missing where not ``present``)."""
    text = pc.cast(pa.array(numbers), pa.string())
    text = pc.binary_join_element_wise(prefix, text, "")
    if present is not None:
        text = pc.if_else(pa.array(present), text, pa.nulls(len(text), pa.string()))
    return pd.Series(pd.arrays.ArrowStringArray(text))


def synthesize(n_rows: int, seed: int = 7) -> dict[str, pd.DataFrame]:
    """Touchpoints, conversions and identity links for about ``n_rows / 25`` people.

    Every person has 1-4 browsers (GA-like anonymous ids); 40% log in
    (user_id on a third of their rows), 30% have an e-mail (e-mail touches,
    HubSpot-like links), 10% a CRM contact and account; 3% of rows are ad
    clicks with a unique gclid; 0.2% of browsers are shared devices on which
    2-5 users log in; 0.3% of user ids are the placeholder ``"null"``.
    """
    rng = np.random.default_rng(seed)
    n_people = max(n_rows // 25, 10)
    devices_per = rng.geometric(0.6, n_people).clip(1, 4)
    first_device = np.concatenate([[0], np.cumsum(devices_per)[:-1]])
    n_devices = int(devices_per.sum())
    logged = rng.random(n_people) < 0.4
    has_email = rng.random(n_people) < 0.3
    has_crm = has_email & (rng.random(n_people) < 0.33)

    person = rng.integers(0, n_people, n_rows)
    device = first_device[person] + rng.integers(0, 1 << 30, n_rows) % devices_per[person]
    is_email_touch = has_email[person] & (rng.random(n_rows) < 0.1)
    user_on_row = logged[person] & (rng.random(n_rows) < 0.33) & ~is_email_touch
    # shared devices: some logged-in rows happen on a kiosk browser
    kiosks = rng.integers(0, n_devices, max(n_devices // 500, 1))
    on_kiosk = user_on_row & (rng.random(n_rows) < 0.01)
    device = np.where(on_kiosk, kiosks[rng.integers(0, len(kiosks), n_rows)], device)
    gclid_row = ~is_email_touch & (rng.random(n_rows) < 0.03)
    placeholder = user_on_row & (rng.random(n_rows) < 0.003)

    user = _ids("u", person, user_on_row)
    user = user.mask(pd.Series(placeholder), "null")
    touchpoints = pd.DataFrame(
        {
            "ts": pd.Timestamp("2026-01-01", tz="UTC"),
            "touch_type": "session",
            "anonymous_id": _ids("GA1.", device * 7919 + 1_000_000_007, ~is_email_touch),
            "user_id": user,
            "email": _ids("h", person, is_email_touch),
            "gclid": _ids("Cj0", np.arange(n_rows), gclid_row),
        }
    )
    conv_rows = rng.choice(n_rows, max(n_rows // 100, 1), replace=False)
    cp = person[conv_rows]
    conversions = pd.DataFrame(
        {
            "ts": pd.Timestamp("2026-02-01", tz="UTC"),
            "conversion_type": "signup",
            "user_id": _ids("u", cp, logged[cp]),
            "anonymous_id": _ids("GA1.", first_device[cp] * 7919 + 1_000_000_007, ~logged[cp]),
            "crm_contact_id": _ids("c", cp, has_crm[cp]),
            "crm_account_id": _ids("acc", cp // 7, has_crm[cp]),
        }
    )
    pe = np.flatnonzero(has_email)
    pc_ = np.flatnonzero(has_crm)
    pl = np.flatnonzero(has_email & logged)
    a_type = ["email"] * len(pe) + ["user_id"] * len(pl) + ["crm_contact_id"] * len(pc_)
    b_type = ["crm_contact_id"] * len(pe) + ["email"] * len(pl) + ["crm_account_id"] * len(pc_)
    links = pd.DataFrame(
        {
            "id_type_a": pd.array(a_type, dtype="string"),
            "id_value_a": pd.concat(
                [_ids("h", pe), _ids("u", pl), _ids("c", pc_)], ignore_index=True
            ),
            "id_type_b": pd.array(b_type, dtype="string"),
            "id_value_b": pd.concat(
                [_ids("c", pe, has_crm[pe]), _ids("h", pl), _ids("acc", pc_ // 7)],
                ignore_index=True,
            ),
            "link_type": "crm_record",
        }
    )
    return {"touchpoints": touchpoints, "conversions": conversions, "links": links}


def _arrow(values: pd.Series) -> list[pa.Array]:
    """The Arrow chunks of a string column (zero-copy for Arrow-backed strings)."""
    arr = getattr(values.array, "_pa_array", None)
    if arr is None:
        arr = pa.chunked_array([pa.array(values.astype("string"), type=pa.string())])
    return [c.cast(pa.string()) for c in arr.chunks]


def baseline(data: dict[str, pd.DataFrame]) -> int:
    """Leanest known stitcher: integer codes hashed in Arrow, connected components.

    Per identifier type, the Arrow chunks of every column holding it
    (touchpoints, conversions, link sides) are dictionary-encoded in one C++
    hash pass (exact integer codes, no Python strings, no pandas
    string factorize), offset per type into one node space, and the row and
    link edges go into a CSR matrix for
    ``scipy.sparse.csgraph.connected_components``. No cleaning, blocking,
    limits or output ids: the floor any stitcher must pay.
    """
    tp, cv, ln = data["touchpoints"], data["conversions"], data["links"]
    types = [t for t in ID_COLUMNS if t != "crm_account_id"]
    ta, tb = ln["id_type_a"].to_numpy(), ln["id_type_b"].to_numpy()
    link_a = np.full(len(ln), -1, dtype=np.int64)
    link_b = np.full(len(ln), -1, dtype=np.int64)
    row_nodes: dict[str, list[np.ndarray]] = {"tp": [], "cv": []}
    offset = 0
    for t in types:
        sa, sb = ta == t, tb == t
        parts = {"tp": tp.get(t), "cv": cv.get(t)}
        parts = {k: v for k, v in parts.items() if v is not None}
        parts["a"] = ln["id_value_a"][sa]
        parts["b"] = ln["id_value_b"][sb]
        chunks = {k: _arrow(v) for k, v in parts.items()}
        enc = pc.dictionary_encode(pa.chunked_array([c for cs in chunks.values() for c in cs]))
        enc = enc.unify_dictionaries()
        idx = pa.chunked_array([c.indices for c in enc.chunks], type=enc.type.index_type)
        codes = pc.fill_null(idx, -1).to_numpy().astype(np.int64)
        n_unique = len(enc.chunk(0).dictionary) if enc.num_chunks else 0
        codes = np.where(codes >= 0, codes + offset, -1)
        pos = 0
        for k, v in parts.items():
            mine = codes[pos : pos + len(v)]
            pos += len(v)
            if k in row_nodes:
                row_nodes[k].append(mine)
        link_a[sa] = codes[pos - len(parts["a"]) - len(parts["b"]) : pos - len(parts["b"])]
        link_b[sb] = codes[pos - len(parts["b"]) : pos]
        offset += n_unique
    both = (link_a >= 0) & (link_b >= 0)
    ea, eb = [link_a[both]], [link_b[both]]
    for cols in row_nodes.values():
        has = [c >= 0 for c in cols]
        for i in range(len(cols)):  # every pair of a row's identifiers, present rows only
            for j in range(i + 1, len(cols)):
                both = has[i] & has[j]
                ea.append(cols[i][both])
                eb.append(cols[j][both])
    a, b = np.concatenate(ea), np.concatenate(eb)
    graph = csr_array((np.ones(len(a), dtype=np.int8), (a, b)), shape=(offset, offset))
    n, _ = connected_components(graph, directed=False)
    return int(n)


def full_stitch(data: dict[str, pd.DataFrame]) -> int:
    config = IdentityConfig(blocked_values=("guest",), test_ids=("test-user-001",))
    result = stitch(data["touchpoints"], data["conversions"], data["links"], config)
    return len(result.people)


def peak_memory_mb(name: str, rows: int, seed: int) -> float:
    """Peak extra resident memory of one run, measured in a fresh interpreter.

    The child synthesizes the same data, notes its resident size, runs
    ``name`` once and reports the peak resident size minus that size.
    """
    return child_peak_mb(__file__, ["--child", name, "--rows", str(rows), "--seed", str(seed)])


def _child(name: str, rows: int, seed: int) -> None:
    data = synthesize(rows, seed)
    report_child_peak(lambda: FUNCTIONS[name](data))


FUNCTIONS = {"baseline": baseline, "stitch": full_stitch}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--repeat", type=int, default=5, help="alternating rounds; medians kept")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-memory", action="store_true", help="skip the memory children")
    parser.add_argument("--child", choices=sorted(FUNCTIONS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.rows[0], args.seed)
        return 0
    results = []
    for n in args.rows:
        t0 = time.perf_counter()
        data = synthesize(n, args.seed)
        made = time.perf_counter() - t0
        timed = alternating(lambda d=data: full_stitch(d), lambda d=data: baseline(d), args.repeat)
        base_s, stitch_s = timed.seconds["baseline"], timed.seconds["project"]
        components, people = timed.results["baseline"], timed.results["project"]
        del data
        gc.collect()
        memory = {
            name: None if args.no_memory else round(peak_memory_mb(name, n, args.seed), 1)
            for name in FUNCTIONS
        }
        ratio = timed.ratio
        row = {
            "rows": n,
            "synth_seconds": round(made, 2),
            "baseline_seconds": round(base_s, 3),
            "baseline_peak_extra_mb": memory["baseline"],
            "baseline_components": components,
            "stitch_seconds": round(stitch_s, 3),
            "stitch_peak_extra_mb": memory["stitch"],
            "stitch_people": people,
            "ratio": round(ratio, 2),
            "cpu_ratio": round(timed.cpu_ratio, 2),
            "target_ratio": 1.5,
            "repeat": args.repeat,
        }
        results.append(row)
        print(
            f"{n:>11,} rows: baseline {base_s:.2f}s (peak +{memory['baseline']} MB), "
            f"stitch {stitch_s:.2f}s (peak +{memory['stitch']} MB), ratio {ratio:.2f}x "
            f"(CPU {timed.cpu_ratio:.2f}x) "
            f"[{people:,} people, {components:,} baseline components]",
            flush=True,
        )
    out = {"benchmark": "stitching", **machine_facts("pandas"), "results": results}
    path = write_result(out, results_path("bench_stitching.json"))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
