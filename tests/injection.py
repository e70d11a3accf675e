"""Hostile values for the report-injection tests: plant them in a sample, find them in HTML.

``plant_payloads(sample_dir, config_path)`` rewrites a generated sample's exports and its
config so every text field that reaches a report carries a script payload (ids, campaign
names, ad groups, page titles and paths, webinar topics, e-mail titles, trade-show names,
CRM industries, segment labels, channel-rule and source names, the project name).
``executable_payloads(html, template_scripts)`` lists what in a page could run: scripts the template does not ship,
``on*`` attributes, ``javascript:`` URLs (JSON data blocks of interactive charts are inert, and are
checked to parse and to hold no raw ``<``). ``BrowserProbe`` opens pages in headless
Chromium over the DevTools pipe (no Playwright, no websocket library) and records every
JavaScript dialog.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

PAYLOADS: tuple[str, ...] = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
)

#: The shared device's cookie: one browser used by two logged-in people.
SHARED_DEVICE_ID = "<svg onload=alert(1)>"


def hostile(value: str, i: int) -> str:
    """``value`` followed by the ``i``-th payload (the original text keeps rules matching)."""
    return f"{value}{PAYLOADS[i % len(PAYLOADS)]}"


def _value_map() -> dict[str, str]:
    from workbench.sample import vocab

    values: list[str] = [c.name for c in vocab.CAMPAIGNS if c.platform != "linkedin"]
    values += [e.slug for e in vocab.EMAIL_CAMPAIGNS] + [e.title for e in vocab.EMAIL_CAMPAIGNS]
    values += [title for _, title in vocab.PAGES]
    values += list(vocab.WEBINAR_TOPICS) + [name for name, _, _ in vocab.TRADE_SHOWS]
    values += [g for c in vocab.CAMPAIGNS for g in c.ad_groups] + list(vocab.INDUSTRIES)
    return {v: hostile(v, i) for i, v in enumerate(dict.fromkeys(values))}


#: Page paths given a payload inside the landing URL (stage rules still match their prefix).
HOSTILE_PATHS = {
    "/blog/utm-naming-conventions": '/blog/utm-naming-conventions"><svg onload=alert(1)>',
    "/pricing": "/pricing<script>alert(1)</script>",
}


def _walk(obj: Any, values: dict[str, str]) -> Any:
    if isinstance(obj, dict):
        return {k: _walk(v, values) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_walk(v, values) for v in obj]
    if isinstance(obj, str):
        if obj in values:
            return values[obj]
        if "utm_campaign=" in obj:
            obj = re.sub(
                r"utm_campaign=([^&#\"]+)",
                lambda m: "utm_campaign=" + quote(values.get(m.group(1), m.group(1)), safe=""),
                obj,
            )
        for path, bad in HOSTILE_PATHS.items():
            obj = re.sub(rf"(https://[^/]+){re.escape(path)}(?=$|[?#])", rf"\g<1>{bad}", obj)
    return obj


def _json_or_text(line: str) -> Any:
    try:
        return json.loads(line)
    except ValueError:
        return line


def _rewrite_ga4(folder: Path, values: dict[str, str]) -> dict[str, int]:
    """Payloads in GA4 strings; two logged-in people's browsers become one shared cookie."""
    files = sorted(folder.glob("*.ndjson"))
    events = {f: [_json_or_text(line) for line in f.read_text().splitlines()] for f in files}
    users: dict[str, set[str]] = {}
    for rows in events.values():
        for e in rows:
            if isinstance(e, dict) and e.get("user_id") and e.get("user_pseudo_id"):
                users.setdefault(e["user_pseudo_id"], set()).add(e["user_id"])
    single = [p for p, u in sorted(users.items()) if len(u) == 1]
    shared = set(single[:2])
    hostile_user = sorted(next(iter(users[p])) for p in single[2:3])
    counts = {"shared_events": 0, "hostile_user_events": 0}
    for f, rows in events.items():
        out = []
        for e in rows:
            if not isinstance(e, dict):  # the sample's deliberately damaged lines stay as they are
                out.append(e)
                continue
            e = _walk(e, values)
            if e.get("user_pseudo_id") in shared:
                e["user_pseudo_id"] = SHARED_DEVICE_ID
                counts["shared_events"] += 1
            if e.get("user_id") in hostile_user:
                e["user_id"] = e["user_id"] + "<img src=x onerror=alert(1)>"
                counts["hostile_user_events"] += 1
            out.append(json.dumps(e))
        f.write_text("\n".join(out) + "\n")
    return counts


def _rewrite_csv(path: Path, values: dict[str, str]) -> int:
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # LinkedIn's UTF-16 export: left as is
        return 0
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    changed = 0
    for row in rows:
        for i, cell in enumerate(row):
            if cell in values:
                row[i] = values[cell]
                changed += 1
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return changed


CONFIG_EDITS: tuple[tuple[str, str], ...] = (
    ('name = "Northwind Analytics (synthetic sample)"', f'name = "Northwind{PAYLOADS[0]}"'),
    ('label = "Self-serve SMB"', f"label = 'Self-serve SMB{PAYLOADS[1]}'"),
    ('label = "Enterprise"', f"label = 'Enterprise{PAYLOADS[2]}'"),
    ('label = "North America"', f"label = 'North America {PAYLOADS[3]}'"),
    ('channel = "Paid Search - Brand"', f"channel = 'Paid Search - Brand{PAYLOADS[0]}'"),
    ('channel = "Paid Social - Meta"', f"channel = 'Paid Social - Meta{PAYLOADS[1]}'"),
    ('channel = "Webinar"', f"channel = 'Webinar{PAYLOADS[2]}'"),
    ('"badge_scans"', f"'badge_scans{PAYLOADS[0]}'"),
    ('"mailchimp"', f"'mailchimp{PAYLOADS[2]}'"),
)


def plant_payloads(sample: Path, config: Path) -> dict[str, int]:
    """Rewrite the sample's exports and the config with payloads; return what changed."""
    values = _value_map()
    counts = _rewrite_ga4(sample / "ga4", values)
    counts["csv_cells"] = sum(
        _rewrite_csv(p, values) for p in sample.rglob("*.csv") if "_truth" not in p.parts
    )
    text = config.read_text(encoding="utf-8")
    for old, new in CONFIG_EDITS:
        assert old in text, f"config no longer holds {old}"
        text = text.replace(old, new)
    # one report per notebook (the schedule is not under test here)
    text = re.sub(r"(?ms)^\[reports\.[a-z_]+\]\n(?:[^\[\n].*\n)*", "", text)
    config.write_text(text, encoding="utf-8")
    return counts


# --- finding executable content in HTML ---------------------------------------------------

_URL_ATTRS = ("href", "src", "action", "formaction", "xlink:href", "data", "srcdoc", "poster")


def _is_js_url(value: str) -> bool:
    return re.sub(r"[\x00-\x20]", "", value).lower().startswith(("javascript:", "vbscript:"))


def script_texts(html: str) -> list[str]:
    """Every ``<script>`` of a page as its attributes and text (for comparing pages)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    return [f"{sorted(s.attrs.items())}|{s.get_text()}" for s in soup.find_all("script")]


def executable_payloads(html: str, template_scripts: set[str]) -> list[str]:
    """What in ``html`` could run: foreign scripts, ``on*`` attributes, script URLs, frames."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    found: list[str] = []
    for s in soup.find_all("script"):
        if str(s.get("type", "")).lower() == "application/json":
            # a data block (an interactive chart's document): never run by a browser; it must
            # parse as JSON and hold no raw "<", so no value in it can close the element
            text = s.get_text()
            try:
                json.loads(text)
            except ValueError:
                found.append(f"script: a JSON block that does not parse: {text[:200]}")
            if "<" in text:
                found.append(f"script: a JSON block with a raw '<': {text[:200]}")
            continue
        key = f"{sorted(s.attrs.items())}|{s.get_text()}"
        if key not in template_scripts or "alert(" in s.get_text():
            found.append(f"script: {str(s)[:200]}")
    for el in soup.find_all(True):
        for attr, value in el.attrs.items():
            text = " ".join(value) if isinstance(value, list) else str(value)
            if attr.lower().startswith("on"):
                found.append(f"<{el.name} {attr}={text[:80]!r}>")
            elif attr.lower() in _URL_ATTRS and _is_js_url(text):
                found.append(f"<{el.name} {attr}={text[:80]!r}>")
        if el.name in ("iframe", "object", "embed", "base", "frame") or (
            el.name == "meta" and str(el.get("http-equiv", "")).lower() == "refresh"
        ):
            found.append(f"<{el.name}>: {str(el)[:120]}")
    return found


# --- headless Chromium over the DevTools pipe ---------------------------------------------


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


_DOM_CHECK = """(() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      const v = a.value.replace(/[\\x00-\\x20]/g, '').toLowerCase();
      if (a.name.toLowerCase().startsWith('on')) bad.push(el.tagName + ' ' + a.name);
      else if (v.startsWith('javascript:')) bad.push(el.tagName + ' ' + a.name + '=' + v);
    }
  }
  return JSON.stringify({bad: bad, fired: window.__wb_fired || 0});
})()"""


class BrowserProbe:
    """One headless Chromium driven over ``--remote-debugging-pipe``.

    :meth:`open` loads a page, answers every JavaScript dialog (recording it) and
    returns ``(dialogs, dom_findings)``: the messages of the dialogs that opened and the
    elements of the live DOM carrying ``on*`` handlers or ``javascript:`` URLs.
    """

    def __init__(self, browser: str, profile: Path, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self._to_chrome_r, self._to_chrome_w = os.pipe()
        self._from_chrome_r, self._from_chrome_w = os.pipe()
        # Chromium reads commands from fd 3 and writes replies to fd 4
        cmd = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(3, 4),
            preexec_fn=self._dup_fds,
        )
        os.close(self._to_chrome_r)
        os.close(self._from_chrome_w)
        self._buf = b""
        self._id = 0
        self._events: list[dict[str, Any]] = []
        self._dialogs: list[str] = []
        self.session: str | None = None
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        self.call("Page.enable", session=self.session)
        self.call("Runtime.enable", session=self.session)

    def _dup_fds(self) -> None:
        read, write = os.dup(self._to_chrome_r), os.dup(self._from_chrome_w)
        os.dup2(read, 3)
        os.dup2(write, 4)

    def _read(self, deadline: float) -> dict[str, Any]:
        import select

        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from Chromium")
            ready, _, _ = select.select([self._from_chrome_r], [], [], left)
            if ready:
                chunk = os.read(self._from_chrome_r, 1 << 16)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                self._buf += chunk
        message, self._buf = self._buf.split(b"\0", 1)
        return json.loads(message)

    def _send(self, method: str, session: str | None, params: dict[str, Any]) -> int:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._to_chrome_w, json.dumps(msg).encode() + b"\0")
        return self._id

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        wanted = self._send(method, session, params)
        deadline = time.monotonic() + self.timeout
        while True:
            msg = self._read(deadline)
            if msg.get("id") == wanted:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self._event(msg)

    def _event(self, msg: dict[str, Any]) -> None:
        if msg.get("method") == "Page.javascriptDialogOpening":
            self._dialogs.append(msg["params"].get("message", ""))
            self._send("Page.handleJavaScriptDialog", self.session, {"accept": True})
        elif "method" in msg:
            self._events.append(msg)

    def open(self, page: Path | str) -> tuple[list[str], list[str]]:
        """Load ``page``; return (dialog messages, live-DOM findings)."""
        self._dialogs = []
        self._events = []
        url = page if isinstance(page, str) else page.resolve().as_uri()
        self.call("Page.navigate", session=self.session, url=url)
        deadline = time.monotonic() + self.timeout
        while not any(e.get("method") == "Page.loadEventFired" for e in self._events):
            self._event(self._read(deadline))
        time.sleep(0.3)  # late handlers (an image's onerror after load) get their chance
        result = self.call(
            "Runtime.evaluate", session=self.session, expression=_DOM_CHECK, returnByValue=True
        )
        found = json.loads(result["result"]["value"])
        return list(self._dialogs), list(found["bad"])

    def close(self) -> None:
        try:
            self._send("Browser.close", None, {})
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        finally:
            os.close(self._to_chrome_w)
            os.close(self._from_chrome_r)
