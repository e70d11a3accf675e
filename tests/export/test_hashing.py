"""Normalization and hashing per platform, against known SHA-256 values."""

from __future__ import annotations

import hashlib

import pandas as pd

from workbench.export.hashing import (
    google_normalize_email,
    hash_emails,
    hash_phones,
    is_sha256,
    meta_normalize_phone,
)

# Known digests (checked with hashlib and `printf %s ... | sha256sum`).
SHA_TEST_EXAMPLE = "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"
SHA_JOHNSMITH_GMAIL = "3586de92bb3636d0885a12eff961429a32e4ebd764b96f50d85d016f9338d586"
SHA_PLUS_14155550123 = "36a2cef4ff9bf7a1abd2a93359136b870393be4106e6c5d19b72ff564f9deca4"
SHA_14155550123 = "413ba75461ab5f99d36820e561ea97e2bd80f9cb586f7ecea6cf4c496518950a"


def s(*values: object) -> pd.Series:
    return pd.Series(list(values), dtype="object")


def test_known_digest_matches_hashlib() -> None:
    assert hashlib.sha256(b"test@example.com").hexdigest() == SHA_TEST_EXAMPLE


def test_email_trimmed_lowercased_and_hashed_for_every_platform() -> None:
    for platform in ("google_ads", "meta", "linkedin"):
        out = hash_emails(s("  Test@Example.COM "), platform=platform)
        assert out.hashes.tolist() == [SHA_TEST_EXAMPLE], platform
        assert out.problem.isna().all()


def test_google_removes_dots_before_at_for_gmail_and_googlemail_only() -> None:
    out = google_normalize_email(
        s("John.Smith@GMail.com", "j.o.h.n@googlemail.com", "john.smith@example.com", "nope")
    )
    assert out.tolist()[:3] == [
        "johnsmith@gmail.com",
        "john@googlemail.com",
        "john.smith@example.com",
    ]
    assert pd.isna(out.iloc[3])
    assert hash_emails(s(" John.Smith@gmail.com"), platform="google_ads").hashes[0] == (
        SHA_JOHNSMITH_GMAIL
    )


def test_meta_keeps_gmail_dots() -> None:
    out = hash_emails(s("John.Smith@gmail.com"), platform="meta").hashes[0]
    assert out == hashlib.sha256(b"john.smith@gmail.com").hexdigest()
    assert out != SHA_JOHNSMITH_GMAIL


def test_digests_pass_through_lowercased_and_flagged() -> None:
    out = hash_emails(s(SHA_TEST_EXAMPLE.upper(), None), platform="google_ads")
    assert out.hashes[0] == SHA_TEST_EXAMPLE
    assert out.prehashed.tolist() == [True, False]
    assert pd.isna(out.hashes[1]) and pd.isna(out.problem[1])


def test_unusable_email_is_a_problem_not_a_silent_drop() -> None:
    out = hash_emails(s("not-an-email", "abc123"), platform="meta")
    assert out.hashes.isna().all()
    assert out.problem.str.contains("neither a valid address").all()


def test_phone_google_is_e164_with_plus_meta_digits_only() -> None:
    raw = s("(415) 555-0123")
    assert hash_phones(raw, platform="google_ads").hashes[0] == SHA_PLUS_14155550123
    assert hash_phones(raw, platform="meta").hashes[0] == SHA_14155550123
    assert meta_normalize_phone(s("+1 415.555.0123")).tolist() == ["14155550123"]
    assert hash_phones(raw, platform="linkedin").hashes.isna().all()


def test_prehashed_phone_sent_to_google_but_withheld_from_meta() -> None:
    google = hash_phones(s(SHA_PLUS_14155550123), platform="google_ads")
    meta = hash_phones(s(SHA_PLUS_14155550123), platform="meta")
    assert google.hashes[0] == SHA_PLUS_14155550123
    assert pd.isna(meta.hashes[0]) and meta.withheld[0]


def test_unparseable_phone_is_a_problem() -> None:
    out = hash_phones(s("12"), platform="google_ads")
    assert pd.isna(out.hashes[0])
    assert "could not be parsed" in out.problem[0]


def test_is_sha256_wants_64_lowercase_hex() -> None:
    assert is_sha256(
        s(SHA_TEST_EXAMPLE, SHA_TEST_EXAMPLE.upper(), SHA_TEST_EXAMPLE[:63], None)
    ).tolist() == [
        True,
        False,
        False,
        False,
    ]
