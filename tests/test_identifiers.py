"""Identifier normalization: e-mails, phones, click ids, placeholders."""

from __future__ import annotations

import hashlib

import pandas as pd

from workbench.identifiers import blank_blocked, normalize_email, normalize_fbclid, normalize_phone


def test_email_is_trimmed_lowercased_and_hashed():
    out = normalize_email(pd.Series(["  Test@Example.COM ", "not-an-email", None, "null"]))
    assert out.iloc[0] == hashlib.sha256(b"test@example.com").hexdigest()
    assert out.iloc[0] == "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"
    assert out.iloc[1:].isna().all()


def test_already_hashed_email_is_kept():
    digest = hashlib.sha256(b"a@b.co").hexdigest()
    assert normalize_email(pd.Series([digest])).iloc[0] == digest


def test_phone_is_e164_then_hashed():
    out = normalize_phone(pd.Series(["(415) 555-0123", "+1 415 555 0123", "12"]))
    expected = hashlib.sha256(b"+14155550123").hexdigest()
    assert out.iloc[0] == expected
    assert out.iloc[1] == expected
    assert pd.isna(out.iloc[2])


def test_blocked_placeholders_and_all_zero_ids_become_missing():
    out = blank_blocked(
        pd.Series(
            ["undefined", "0", "-1", "00000000-0000-0000", "anonymous", "(data deleted)", "abc"]
        )
    )
    assert out.isna().tolist() == [True] * 6 + [False]


def test_fbc_cookie_reduces_to_fbclid():
    out = normalize_fbclid(pd.Series(["fb.1.1596403881668.IwAR2F4", "IwAR9", None]))
    assert out.tolist()[:2] == ["IwAR2F4", "IwAR9"]
    assert pd.isna(out.iloc[2])
