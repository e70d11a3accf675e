"""PII scrubbing: e-mails and phones inside URLs and free text, e-mail-shaped ids (issue 13).

The end-to-end test plants the sample's own e-mails and phones where real exports carry
them (the ``email=`` / ``phone=`` merge tags of e-mail tool click URLs, a GA4 landing page
URL, an e-mail used as GA4 ``user_id``, a phone in a CRM activity subject), runs
``prepare``, ``attribute --out`` and ``export-conversions``, and scans every file written
for the raw e-mails and phones of the sample's truth.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pytest

from workbench.cli.main import main
from workbench.identifiers import normalize_email, sha256_hex
from workbench.ingest import privacy
from workbench.ingest.privacy import hash_email_ids, scrub_text, scrub_values

PEOPLE = 300
SEED = 5


def digest(email: str) -> str:
    return str(normalize_email(pd.Series([email])).iloc[0])


def test_emails_and_phones_in_urls_and_text_become_digests():
    url = (
        "https://ex.com/p?utm_source=mc&email=Sofia.Hansen%40Bluepeak.example&phone=%2B14155550123"
    )
    out = scrub_text(url)
    assert "Hansen" not in out and "4155550123" not in out
    assert f"email={digest('sofia.hansen@bluepeak.example')}" in out
    assert f"phone={sha256_hex('+14155550123')}" in out
    assert out.startswith("https://ex.com/p?utm_source=mc&")
    note = scrub_text("Call back on (415) 555-0123 or tel:+14155550123, mail ana@x.io")
    assert "555" not in note and "ana@x.io" not in note
    assert note.count(sha256_hex("+14155550123")) == 2
    # ordinary text, dates and numbers stay as they are
    for text in ("Spring sale 2026-03-01", "q=foo+2024", "order 1234567890", "Hotel Intel cell"):
        assert scrub_text(text) == text


def test_email_shaped_ids_are_hashed_like_emails():
    ids = pd.Series(["usr_1", " Ana@X.io ", None], dtype="string")
    assert hash_email_ids(ids).tolist()[:2] == ["usr_1", digest("ana@x.io")]


def test_columns_without_candidate_bytes_are_skipped_and_others_are_not():
    """The byte prefilter (``_may_match``) skips only columns that cannot match."""
    digits = pd.Series(["1604.77-3:1604", None, "22.1"], dtype="string")
    assert scrub_values(digits) is digits and hash_email_ids(digits) is digits
    # one candidate in a later chunk, in a sliced column, behind a non-ASCII byte
    two_chunks = pd.concat([digits, pd.Series(["x", "ana@x.io"], dtype="string")])
    assert hash_email_ids(two_chunks).iloc[-1] == digest("ana@x.io")
    assert scrub_values(two_chunks.iloc[3:]).iloc[-1] == digest("ana@x.io")
    assert scrub_values(pd.Series(["0", "tel:+14155550123"], dtype="string")).iloc[1] == (
        "tel:" + sha256_hex("+14155550123")
    )
    folded = pd.Series(["1", "ſms-TEL:+14155550123"], dtype="string")  # long s: a case fold of s
    assert scrub_values(folded).tolist() == [scrub_text(v) for v in folded]


def test_every_candidate_word_holds_a_prefilter_letter():
    """``_CANDIDATE_BYTES`` is derived from ``_WORD_LETTERS``: each candidate word needs one."""
    assert all(set(word) & set(privacy._WORD_LETTERS) for word in privacy._CANDIDATE_WORDS)
    assert set(privacy._CANDIDATE_CHARS.encode()) <= set(privacy._CANDIDATE_BYTES)


def _truth(sample: Path) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    ids = pd.read_csv(sample / "_truth" / "identifiers.csv", dtype=str)
    first = ids.drop_duplicates(["person_id", "id_type"]).pivot(
        index="person_id", columns="id_type", values="id_value"
    )
    email_of_user = first.dropna(subset=["user_id", "email"]).set_index("user_id")["email"]
    phone_of_email = first.dropna(subset=["email", "phone"]).set_index("email")["phone"]
    emails = ids.loc[ids["id_type"] == "email", "id_value"].str.lower()
    return email_of_user.to_dict(), phone_of_email.to_dict(), dict.fromkeys(emails, "")


def _column(row: dict[str, str], name: str) -> str:
    """The header of ``row`` spelling ``name`` (any case, spaces or underscores)."""
    key = name.replace(" ", "").lower()
    return next(h for h in row if h.replace("_", "").replace(" ", "").lower() == key)


def _plant(sample: Path, email_of_user: dict[str, str], phone_of_email: dict[str, str]) -> int:
    """Put raw e-mails and phones where real exports carry them; return how many."""
    planted = 0
    mail = sample / "email" / "mailchimp_activity.csv"
    rows = list(csv.DictReader(mail.open(newline="")))
    url, address = (_column(rows[0], name) for name in ("url", "email address"))
    for row in rows:
        if row[url]:
            email = row[address]
            phone = phone_of_email.get(email.lower(), "+1 415 555 0123")
            row[url] += f"&email={quote(email)}&phone={quote(phone)}"
            planted += 1
    with mail.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    users = sorted(email_of_user)[:40]
    for path in sorted((sample / "ga4").glob("*.ndjson")):
        text = path.read_text()
        for user in users:
            text = text.replace(f'"user_id": "{user}"', f'"user_id": "{email_of_user[user]}"')
        text = text.replace(
            "utm_source=mailchimp", f"utm_source=mailchimp&email={quote(email_of_user[users[0]])}"
        )
        path.write_text(text)
    return planted + len(users)


def _leaks(folder: Path, emails: dict[str, str], phones: set[str]) -> dict[str, str]:
    """File (and column) -> first raw e-mail or phone found."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            texts = [
                (f"{path.name}:{c}", " ".join(frame[c].dropna().astype(str).unique()))
                for c in frame.columns
                if not pd.api.types.is_numeric_dtype(frame[c].dtype)
            ]
        else:
            texts = [(path.name, path.read_text(errors="replace"))]
        for where, text in texts:
            low = text.lower()
            hit = next((e for e in re.findall(r"[\w.%+\-]+@[\w.\-]+", low) if e in emails), None)
            squeezed = re.sub(r"[\s().\-]|%2b|%20", "", low)
            hit = hit or next((p for p in phones if p in squeezed), None)
            if hit:
                found[where] = hit
    return found


@pytest.mark.slow
def test_no_output_of_the_sample_holds_a_raw_email_or_phone(tmp_path: Path, capsys):
    from workbench.paths import default_config_path
    from workbench.sample import generate_sample

    sample = tmp_path / "sample"
    generate_sample(sample, people=PEOPLE, seed=SEED)
    email_of_user, phone_of_email, emails = _truth(sample)
    assert _plant(sample, email_of_user, phone_of_email) > 50
    processed = tmp_path / "processed"
    text = default_config_path().read_text(encoding="utf-8")
    for key, value in (("data_dir", sample), ("processed_dir", processed)):
        text = re.sub(rf'(?m)^{key} = "[^"]*"', f'{key} = "{value.as_posix()}"', text)
    config = tmp_path / "workbench.toml"
    config.write_text(text, encoding="utf-8")
    assert main(["prepare", "--config", str(config), "--quiet"]) == 0
    exports = processed / "exports"
    for platform, suffix in (("google_ads", "csv"), ("meta", "json")):
        argv = ["export-conversions", "--config", str(config), "--platform", platform]
        argv += ["--as-of", "2026-07-01", "--out", str(exports / f"{platform}.{suffix}")]
        assert main(argv) == 0
    argv = ["attribute", "--config", str(config), "--models", "first,linear"]
    assert main([*argv, "--out", str(exports / "credits.csv")]) == 0
    capsys.readouterr()
    phones = {re.sub(r"\D", "", p) for p in phone_of_email.values()} | {"14155550123"}
    assert len(list(processed.rglob("*.parquet"))) > 5
    assert _leaks(processed, emails, phones) == {}
    # the planted e-mail user ids are hashed like e-mails in identities and links
    identities = pd.read_parquet(processed / "identities.parquet")
    user_ids = set(identities.loc[identities["id_type"] == "user_id", "id_value"])
    planted = sorted(email_of_user)[:40]
    hashed = {digest(email_of_user[u]) for u in planted}
    assert len(hashed & user_ids) >= 30  # (a few planted users never log in to GA4)
    people = json.dumps(pd.read_parquet(processed / "people.parquet").astype(str).values.tolist())
    assert "@" not in people
