"""Serialize GA4 events to BigQuery-export NDJSON, one file per UTC day.

Lines are assembled column-wise with Arrow string kernels, never with a
per-event ``json.dumps``: JSON fragments that depend only on the device, the
session, the page or the event name are built once and gathered with ``take``;
the rest is joined element-wise in batches of ~30k events, and each day's slice
of the resulting buffer is written in one call. Key order and the null layout
follow the real BigQuery export (``event_params`` values carry all four value
slots). Event params written:

- every event: ``page_location``, ``page_title``, ``page_referrer`` (when there
  is one), ``ga_session_id`` and ``ga_session_number`` (not on cookieless events);
- ``page_view``: ``engagement_time_msec``;
- ``session_start``: ``source``, ``medium``, ``campaign`` (session-level);
- ``generate_lead``: ``form_name`` (``demo_request`` / ``ebook_b2b_playbook``) and
  ``email_sha256``: the SHA-256 of the submitter's trimmed, lower-cased e-mail
  (the enhanced-conversions pattern; read with ``options.identifiers``);
- ``sign_up``, ``login``: ``method``;
- ``purchase``: ``transaction_id``, ``currency``, ``value`` (and ``ecommerce``,
  ``items``, ``event_value_in_usd``).

``collected_traffic_source`` is set on the landing events (``first_visit``,
``session_start``, landing ``page_view``) of sessions with UTM tags or a gclid.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.identifiers import hash_values
from workbench.sample._text import frame, money_text, replace_text
from workbench.sample.journeys import DAY
from workbench.sample.sessions import EVENT_NAMES, Ga4Data
from workbench.sample.vocab import (
    BROWSER_PROFILES,
    GEO_PROFILES,
    PAGES,
    PRODUCT_LINES,
    SITE,
    STREAM_ID,
)

__all__ = ["Ga4Writer", "ga4_file_name"]

_EV = {name: i for i, name in enumerate(EVENT_NAMES)}
_ECOM_NULL = (
    '{"total_item_quantity": null, "purchase_revenue_in_usd": null, "purchase_revenue": null, '
    '"refund_value_in_usd": null, "refund_value": null, "shipping_value_in_usd": null, '
    '"shipping_value": null, "tax_value_in_usd": null, "tax_value": null, "unique_items": null, '
    '"transaction_id": null}'
)
_BATCH_EVENTS = 30_000


def ga4_file_name(day: np.datetime64) -> str:
    """``events_YYYYMMDD.ndjson`` for a day."""
    return f"events_{str(day).replace('-', '')}.ndjson"


def _q(values: np.ndarray) -> np.ndarray:
    """JSON string literal, or ``null`` for empty strings (values are JSON-safe)."""
    values = np.asarray(values, dtype=object)
    return np.where(values == "", "null", '"' + values + '"').astype(object)


def _join(*parts: object) -> pa.Array:
    arrays = [p if isinstance(p, pa.Array) else pa.scalar(p, pa.string()) for p in parts]
    return pc.binary_join_element_wise(*arrays, "")


def _arr(values: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(values, dtype=object), type=pa.string())


def _int(values: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string())


def _head(key: str, kind: str) -> str:
    """JSON of an event param up to its value (``kind``: string, int or double)."""
    slots = {"string": "", "int": '"string_value": null, ', "double": ""}
    if kind == "double":
        slots["double"] = '"string_value": null, "int_value": null, "float_value": null, '
    return f'{{"key": "{key}", "value": {{' + slots[kind] + f'"{kind}_value": '


def _tail(kind: str) -> str:
    """JSON of an event param after its value."""
    rest = {
        "string": ', "int_value": null, "float_value": null, "double_value": null}}',
        "int": ', "float_value": null, "double_value": null}}',
        "double": "}}",
    }
    return rest[kind]


def _p(key: str, kind: str, value: object) -> object:
    """``{"key": ..., "value": {...}}`` with ``value`` already JSON-encoded."""
    return _head(key, kind) + value + _tail(kind)


def _device_json() -> list[str]:
    return [
        f'{{"category": "{cat}", "mobile_brand_name": "{brand}", "mobile_model_name": '
        f'"{model}", "mobile_marketing_name": null, "mobile_os_hardware_model": null, '
        f'"operating_system": "{os_name}", "operating_system_version": "{os_ver}", '
        '"vendor_id": null, "advertising_id": null, "language": "en-us", '
        '"is_limited_ad_tracking": "No", "time_zone_offset_seconds": null, '
        f'"web_info": {{"browser": "{browser}", "browser_version": "{b_ver}"}}}}'
        for cat, brand, model, os_name, os_ver, browser, b_ver in BROWSER_PROFILES
    ]


def _geo_json() -> list[str]:
    return [
        f'{{"continent": "{c}", "sub_continent": "{sc}", "country": "{co}", '
        f'"region": "{r}", "city": "{city}", "metro": "(not set)"}}'
        for _reg, c, sc, co, r, city in GEO_PROFILES
    ]


class Ga4Writer:
    """Append GA4 events of successive chunks to the day files of ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.rows: dict[str, int] = {}
        self.duplicates = 0
        self.truncated = 0
        self.bad_clock = 0
        self.cookieless = 0
        self.events = 0
        pages = [p for p, _ in PAGES]
        self._page_url = _arr(np.array([SITE + p for p in pages], dtype=object))
        self._title = _arr(
            np.array([", " + _p("page_title", "string", f'"{t}"') for _, t in PAGES], dtype=object)
        )
        self._names = _arr(np.array(EVENT_NAMES, dtype=object))

    def write(
        self,
        rng: np.random.Generator,
        data: Ga4Data,
        people: pd.DataFrame,
        *,
        duplicate_rate: float = 0.004,
        bad_clock_rate: float = 0.004,
        truncate_one: bool = False,
    ) -> pd.DataFrame:
        """Write one chunk; returns the identifiers written (``id_type, id_value, pidx``).

        A share ``bad_clock_rate`` of the later page views of a session is sent twice,
        the copy with ``event_timestamp`` 0 or -1 (an SDK retry with a broken clock:
        BigQuery still files it under the real ``event_date``).
        """
        ev = data.events
        n = len(ev)
        if n == 0:
            return pd.DataFrame({"id_type": [], "id_value": [], "pidx": []})
        ctx = self._context(data, people)
        self.cookieless += int((~ctx["consent"][ev["dev"].to_numpy()]).sum())
        self.events += n
        day = (ev["ts"].to_numpy() // DAY).astype("datetime64[D]")
        dup = rng.random(n) < duplicate_rate
        later_view = (ev["name"].to_numpy() == _EV["page_view"]) & ~ev["landing"].to_numpy(bool)
        bad = (rng.random(n) < bad_clock_rate) & later_view
        bad_ts = np.where(rng.random(n) < 0.5, 0, -1)
        trunc_at = -1
        if truncate_one:
            views = np.flatnonzero((ev["name"].to_numpy() == _EV["page_view"]) & ~dup)
            trunc_at = int(views[len(views) // 2]) if len(views) else -1
        for a in range(0, n, _BATCH_EVENTS):
            b = min(n, a + _BATCH_EVENTS)
            count = 1 + dup[a:b] + bad[a:b]
            idx = np.repeat(np.arange(a, b), count)
            last = np.cumsum(count) - 1
            broken = np.zeros(len(idx), dtype=bool)
            broken[last[bad[a:b]]] = True
            lines = self._lines(ev, idx, ctx, np.where(broken, bad_ts[idx], 1))
            self.bad_clock += int(broken.sum())
            if a <= trunc_at < b:
                pos = int(np.flatnonzero(idx == trunc_at)[0])
                text = lines[pos].as_py()
                mask = np.zeros(len(idx), dtype=bool)
                mask[pos] = True
                lines = pc.if_else(pa.array(mask), text[: int(len(text) * 0.6)] + "\n", lines)
                self.truncated += 1
            self.duplicates += int(dup[a:b].sum())
            days = day[idx]
            cuts = np.flatnonzero(np.r_[True, days[1:] != days[:-1], True])
            for i in range(len(cuts) - 1):
                name = ga4_file_name(days[cuts[i]])
                with open(self.folder / name, "ab") as fh:
                    _write_slice(fh, lines.slice(cuts[i], cuts[i + 1] - cuts[i]))
                self.rows[name] = self.rows.get(name, 0) + int(cuts[i + 1] - cuts[i])
        return self._identifiers(data)

    def _context(self, data: Ga4Data, people: pd.DataFrame) -> dict[str, object]:
        """Fragments that depend only on the device, the session or the special event."""
        ev, ses, dev = data.events, data.sessions, data.devices
        consent = dev["consent"].to_numpy()
        privacy = np.where(
            consent,
            '{"analytics_storage": "Yes", "ads_storage": "Yes", "uses_transient_token": "No"}',
            '{"analytics_storage": "No", "ads_storage": "No", "uses_transient_token": "No"}',
        ).astype(object)
        first_ts = np.where(consent, dev["first_ts"].to_numpy().astype(str), "null").astype(object)
        dev_a = (
            ', "user_pseudo_id": '
            + _q(dev["pseudo_id"].to_numpy())
            + ', "privacy_info": '
            + privacy
            + ', "user_properties": [], "user_first_touch_timestamp": '
            + first_ts
            + ', "user_ltv": '
        )
        tsrc = np.where(
            consent,
            '{"name": "'
            + dev["ts_name"].to_numpy()
            + '", "medium": "'
            + dev["ts_medium"].to_numpy()
            + '", "source": "'
            + dev["ts_source"].to_numpy()
            + '"}',
            '{"name": null, "medium": null, "source": null}',
        ).astype(object)
        dev_b = (
            ', "device": '
            + np.array(_device_json(), dtype=object)[dev["profile"].to_numpy()]
            + ', "geo": '
            + np.array(_geo_json(), dtype=object)[dev["geo"].to_numpy()]
            + ', "app_info": null, "traffic_source": '
            + tsrc
            + f', "stream_id": "{STREAM_ID}", "platform": "WEB", "event_dimensions": null'
            + ', "ecommerce": '
        )
        tagged = ses["manual"].to_numpy() | (ses["gclid"].to_numpy() != "")
        tg = ses[tagged]
        cts = np.full(len(ses), ', "collected_traffic_source": null', dtype=object)
        cts[tagged] = (
            ', "collected_traffic_source": {"manual_campaign_id": '
            + _q(tg["campaign_id"].to_numpy())
            + ', "manual_campaign_name": '
            + _q(tg["campaign"].to_numpy())
            + ', "manual_source": '
            + _q(tg["source"].to_numpy())
            + ', "manual_medium": '
            + _q(tg["medium"].to_numpy())
            + ', "manual_term": '
            + _q(tg["term"].to_numpy())
            + ', "manual_content": '
            + _q(tg["content"].to_numpy())
            + ', "manual_source_platform": null, "manual_creative_format": null, '
            + '"manual_marketing_tactic": null, "gclid": '
            + _q(tg["gclid"].to_numpy())
            + ', "dclid": null, "srsltid": null}'
        )
        # session_start params: few distinct (source, medium, campaign) triples
        key = ses["source"].to_numpy() + "\t" + ses["medium"].to_numpy() + "\t"
        key = key + ses["campaign"].to_numpy()
        triples, ses_triple = np.unique(key.astype(str), return_inverse=True)
        ses_params = np.array(
            [
                "".join(
                    ", " + _p(k, "string", f'"{v}"')
                    for k, v in zip(("source", "medium", "campaign"), t.split("\t"), strict=True)
                )
                for t in triples
            ],
            dtype=object,
        )
        # special events: extra params, event_value_in_usd, ecommerce and items
        name = ev["name"].to_numpy()
        special = np.flatnonzero(name >= _EV["generate_lead"])
        sname = name[special]
        txn = ev["transaction_id"].to_numpy()[special]
        money = money_text(ev["value"].to_numpy()[special])
        purchase = sname == _EV["purchase"]
        who = people.set_index("pidx")["email"]
        email = who.loc[ev["pidx"].to_numpy()[special]].astype("string").str.strip().str.lower()
        hashed = hash_values(email).fillna("").to_numpy(dtype=object)
        extra = np.where(
            sname == _EV["generate_lead"],
            ", "
            + _p("form_name", "string", '"' + ev["form_name"].to_numpy()[special] + '"')
            + ", "
            + _p("email_sha256", "string", '"' + hashed + '"'),
            ", " + _p("method", "string", '"email"'),
        )
        extra = np.where(
            purchase,
            ", "
            + _p("transaction_id", "string", '"' + txn + '"')
            + ", "
            + _p("currency", "string", '"USD"')
            + ", "
            + _p("value", "double", money),
            extra,
        ).astype(object)
        products = np.array(PRODUCT_LINES, dtype=object)
        prod = people.set_index("pidx")["product"].loc[ev["pidx"].to_numpy()[special]].to_numpy()
        test = np.char.startswith(txn.astype(str), "TEST")
        item_name = np.where(test, "QA test plan", products[prod] + " annual plan").astype(object)
        item_id = "plan-" + replace_text(
            np.char.lower(products[prod].astype(str)), " ", "-"
        ).astype(object)
        item_id = np.where(test, "test-plan", item_id).astype(object)
        tail = np.where(
            purchase,
            '{"total_item_quantity": 1, "purchase_revenue_in_usd": '
            + money
            + ', "purchase_revenue": '
            + money
            + ', "refund_value_in_usd": null, "refund_value": null, '
            + '"shipping_value_in_usd": null, "shipping_value": null, "tax_value_in_usd": null, '
            + '"tax_value": null, "unique_items": 1, "transaction_id": "'
            + txn
            + '"}, "items": [{"item_id": "'
            + item_id
            + '", "item_name": "'
            + item_name
            + '", "item_brand": "Northwind Analytics", "item_variant": "annual", '
            + '"item_category": "Subscription", "price": '
            + money
            + ', "quantity": 1, "item_revenue": '
            + money
            + ', "coupon": "(not set)", "affiliation": "(not set)"}]',
            _ECOM_NULL + ', "items": []',
        ).astype(object)
        slot = np.full(len(ev), -1, dtype=np.int64)
        slot[special] = np.arange(len(special))
        uniq_days, day_inv = np.unique(ev["ts"].to_numpy() // DAY, return_inverse=True)
        day_txt = replace_text(np.datetime_as_string(uniq_days.astype("datetime64[D]")), "-", "")
        ltv_values, ltv_inv = np.unique(ev["ltv"].to_numpy(), return_inverse=True)
        ltv_text = '{"revenue": ' + money_text(ltv_values) + ', "currency": "USD"}'
        return {
            "consent": consent,
            "dev_a": _arr(dev_a),
            "dev_b": _arr(dev_b),
            "cts": _arr(cts),
            "ses_params": _arr(ses_params),
            "landing_url": _arr(ses["landing_url"].to_numpy()),
            "ses_id": _int(ses["ga_session_id"].to_numpy()),
            "ses_no": _int(ses["number"].to_numpy()),
            # one spare element so that chunks without special events can still take()
            "extra": _arr(np.append(extra, "")),
            "usd": _arr(np.append(np.where(purchase, money, "null"), "null")),
            "tail": _arr(np.append(tail, "")),
            "slot": slot,
            "day_txt": _arr(day_txt.astype(object)),
            "day_inv": day_inv,
            "ltv": _arr(ltv_text),
            "ltv_inv": ltv_inv.ravel(),
            "ses_triple": ses_triple.ravel(),
        }

    def _lines(
        self, ev: pd.DataFrame, idx: np.ndarray, ctx: dict, clock: np.ndarray | None = None
    ) -> pa.Array:
        r"""The NDJSON lines (each ending in ``\\n``) of events ``idx``.

        ``clock`` (per row): ``event_timestamp`` written instead of the event's time where
        it is 0 or -1 (a broken device clock); 1 keeps the time.
        """
        name = ev["name"].to_numpy()[idx]
        s = pa.array(ev["s"].to_numpy()[idx])
        d = ev["dev"].to_numpy()[idx]
        ts = ev["ts"].to_numpy()[idx]
        page = pa.array(ev["page"].to_numpy()[idx])
        landing = ev["landing"].to_numpy()[idx]
        consent = ctx["consent"][d]
        d = pa.array(d)
        slot = ctx["slot"][idx]
        special = slot >= 0
        slot_arr = pa.array(np.maximum(slot, 0))
        consent_arr = pa.array(consent)
        url = pc.if_else(pa.array(landing), ctx["landing_url"].take(s), self._page_url.take(page))
        ref_np = ev["referrer"].to_numpy()[idx]
        referrer = pc.if_else(
            pa.array(ref_np != ""),
            _join(
                ", " + _head("page_referrer", "string") + '"',
                _arr(ref_np),
                '"' + _tail("string"),
            ),
            "",
        )
        session_ids = pc.if_else(
            consent_arr,
            _join(
                ", " + _head("ga_session_id", "int"),
                ctx["ses_id"].take(s),
                _tail("int") + ", " + _head("ga_session_number", "int"),
                ctx["ses_no"].take(s),
                _tail("int"),
            ),
            "",
        )
        engagement = pc.if_else(
            pa.array(name == _EV["page_view"]),
            _join(
                ", " + _head("engagement_time_msec", "int"),
                _int(np.maximum(ev["engagement_ms"].to_numpy()[idx], 0)),
                _tail("int"),
            ),
            "",
        )
        triple = pa.array(ctx["ses_triple"][ev["s"].to_numpy()[idx]])
        ses_params = pc.if_else(
            pa.array(name == _EV["session_start"]), ctx["ses_params"].take(triple), ""
        )
        special_arr = pa.array(special)
        extra = pc.if_else(special_arr, ctx["extra"].take(slot_arr), "")
        usd = pc.if_else(special_arr, ctx["usd"].take(slot_arr), "null")
        tail = pc.if_else(special_arr, ctx["tail"].take(slot_arr), _ECOM_NULL + ', "items": []')
        user_id = _arr(_q(ev["user_id"].to_numpy()[idx]))
        ltv = pc.if_else(consent_arr, ctx["ltv"].take(pa.array(ctx["ltv_inv"][idx])), "null")
        cts = pc.if_else(
            pa.array(landing & (name <= _EV["page_view"])),
            ctx["cts"].take(s),
            ', "collected_traffic_source": null',
        )
        return _join(
            '{"event_date": "',
            ctx["day_txt"].take(pa.array(ctx["day_inv"][idx])),
            '", "event_timestamp": ',
            _int(ts if clock is None else np.where(clock <= 0, clock, ts)),
            ', "event_name": "',
            self._names.take(pa.array(name)),
            '", "event_params": [' + _head("page_location", "string") + '"',
            url,
            '"' + _tail("string"),
            self._title.take(page),
            referrer,
            session_ids,
            engagement,
            ses_params,
            extra,
            '], "event_previous_timestamp": null, "event_value_in_usd": ',
            usd,
            ', "event_bundle_sequence_id": ',
            _int((ts // 1000) % 10_000_000_000),
            ', "event_server_timestamp_offset": null, "user_id": ',
            user_id,
            ctx["dev_a"].take(d),
            ltv,
            ctx["dev_b"].take(d),
            tail,
            cts,
            ', "is_active_user": true}\n',
        )

    def _identifiers(self, data: Ga4Data) -> pd.DataFrame:
        ev, ses, dev = data.events, data.sessions, data.devices
        pairs = ev[["dev", "pidx"]].drop_duplicates()
        pseudo = dev["pseudo_id"].to_numpy()[pairs["dev"].to_numpy()]
        keep = pseudo != ""
        frames = [
            frame(
                {
                    "id_type": "anonymous_id",
                    "id_value": pseudo[keep],
                    "pidx": pairs["pidx"].to_numpy()[keep],
                }
            )
        ]
        users = ev.loc[ev["user_id"].to_numpy() != "", ["user_id", "pidx"]].drop_duplicates()
        frames.append(
            frame(
                {
                    "id_type": "user_id",
                    "id_value": users["user_id"].to_numpy(),
                    "pidx": users["pidx"].to_numpy(),
                }
            )
        )
        for key in ("gclid", "fbclid", "li_fat_id"):
            has = ses["click_key"].to_numpy() == key
            frames.append(
                frame(
                    {
                        "id_type": key,
                        "id_value": ses["click_id"].to_numpy()[has],
                        "pidx": ses["pidx"].to_numpy()[has],
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)


def _write_slice(fh, arr: pa.Array) -> None:
    r"""Write the bytes of a string array slice (lines already end with ``\\n``)."""
    if len(arr) == 0:
        return
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)
    offsets = offsets[arr.offset : arr.offset + len(arr) + 1]
    fh.write(memoryview(arr.buffers()[2])[int(offsets[0]) : int(offsets[-1])])
