"""Identity stitching on tiny hand-built tables: every merge and protection rule."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from workbench.config import IdentityConfig
from workbench.errors import ValidationError
from workbench.identifiers import sha256_hex
from workbench.identity.stitch import StitchResult, stitch
from workbench.schema import IDENTITIES


def table(*rows: dict) -> pd.DataFrame:
    """A touchpoints/conversions-like frame from dicts of identifiers."""
    frame = pd.DataFrame(list(rows)).astype("string")
    frame.insert(0, "ts", pd.Timestamp("2026-01-01", tz="UTC"))
    return frame


def links(*rows: tuple[str, str, str, str]) -> pd.DataFrame:
    cols = ["id_type_a", "id_value_a", "id_type_b", "id_value_b"]
    frame = pd.DataFrame(list(rows), columns=cols).astype("string")
    frame["link_type"] = pd.array(["identify"] * len(frame), dtype="string")
    return frame


NO_ROWS = table({"user_id": None}).iloc[:0]


def run(tp=NO_ROWS, cv=NO_ROWS, ln=None, **config) -> StitchResult:
    return stitch(tp, cv, ln, IdentityConfig(**config) if config else None)


def pid(id_type: str, value: str) -> str:
    return "p_" + hashlib.sha256(f"{id_type}:{value}".encode()).hexdigest()[:16]


def person_of(result: StitchResult, id_type: str, value: str) -> str:
    ids = result.identities
    hit = ids.loc[(ids["id_type"] == id_type) & (ids["id_value"] == value), "person_id"]
    assert len(hit) == 1, f"{id_type}={value} not in identities"
    return hit.iloc[0]


# --- merging ---------------------------------------------------------------------------------
def test_cooccurrence_in_a_row_merges():
    r = run(
        table(
            {"anonymous_id": "a1"},
            {"anonymous_id": "a1", "user_id": "u1"},
            {"anonymous_id": "a2", "user_id": "u1"},
            {"anonymous_id": "a3"},
        )
    )
    p = r.touchpoints["person_id"].tolist()
    assert p[0] == p[1] == p[2] == pid("user_id", "u1")
    assert p[3] == pid("anonymous_id", "a3")
    assert r.people["identifiers"].sort_values().tolist() == [1, 3]


def test_identity_links_merge_across_tables():
    tp = table({"anonymous_id": "a1"}, {"email": "e1"})
    cv = table({"crm_contact_id": "c1"})
    r = run(
        tp,
        cv,
        links(("anonymous_id", "a1", "email", "e1"), ("email", "e1", "crm_contact_id", "c1")),
    )
    everyone = set(r.touchpoints["person_id"]) | set(r.conversions["person_id"])
    assert everyone == {pid("crm_contact_id", "c1")}
    assert r.diagnostics["links"]["used"].tolist() == [2]


def test_link_to_a_value_seen_nowhere_else_still_counts():
    r = run(table({"user_id": "u1"}), ln=links(("user_id", "u1", "email", "e9")))
    assert person_of(r, "email", "e9") == person_of(r, "user_id", "u1")


def test_values_are_trimmed_but_case_sensitive():
    r = run(
        table(
            {"anonymous_id": " a1 ", "user_id": "u1"},
            {"anonymous_id": "a1"},
            {"anonymous_id": "A1"},
        )
    )
    p = r.touchpoints["person_id"].tolist()
    assert p[0] == p[1] != p[2]


def test_row_without_identifiers_has_no_person():
    r = run(table({"user_id": None, "crm_account_id": "acc1"}, {"user_id": "null"}))
    assert r.touchpoints["person_id"].isna().all()
    assert r.touchpoints["account_id"].iloc[0] == "acc1"
    assert pd.isna(r.touchpoints["account_id"].iloc[1])
    assert len(r.identities) == 0 and len(r.people) == 0


# --- merge protection --------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["null", "undefined", "0", "-1", "0000-0000", "(not set)", ""])
def test_placeholder_values_merge_nobody(value):
    r = run(
        table({"anonymous_id": "a1", "user_id": value}, {"anonymous_id": "a2", "user_id": value})
    )
    p = r.touchpoints["person_id"].tolist()
    assert p[0] != p[1]
    assert "user_id" not in set(r.identities["id_type"])


def test_configured_blocked_values_and_diagnostics():
    tp = table(
        {"anonymous_id": "a1", "user_id": "Guest"},
        {"anonymous_id": "a2", "user_id": "guest"},
        {"anonymous_id": "a3", "user_id": "null"},
    )
    r = run(tp, blocked_values=("guest",))
    assert r.touchpoints["person_id"].nunique() == 3
    blocked = r.diagnostics["blocked"].set_index(["id_type", "reason"])
    assert blocked.loc[("user_id", "blocked_value"), "identifiers"] == 2  # Guest, guest
    assert blocked.loc[("user_id", "blocked_value"), "rows"] == 2
    assert blocked.loc[("user_id", "placeholder"), "rows"] == 1


def test_test_ids_merge_nobody_and_mark_people_internal():
    tp = table(
        {"anonymous_id": "a1", "user_id": "test-user-001"},
        {"anonymous_id": "a2", "user_id": "test-user-001"},
        {"anonymous_id": "a3", "user_id": "u3"},
    )
    # test e-mail given in clear text in the config, hashed in the data
    ln = links(("email", sha256_hex("qa@example.com"), "anonymous_id", "a3"))
    r = run(tp, ln=ln, test_ids=("test-user-001", "QA@example.com"))
    p = r.touchpoints["person_id"].tolist()
    assert p[0] != p[1]
    assert r.touchpoints["is_internal"].tolist() == [True, True, True]
    people = r.people.set_index("person_id")
    assert people.loc[p[2], "is_internal"]
    blocked = r.diagnostics["blocked"].set_index(["id_type", "reason"])
    assert blocked.loc[("user_id", "test_id"), "rows"] == 2
    assert blocked.loc[("email", "test_id"), "identifiers"] == 1


def test_internal_email_domains_on_clear_text_emails():
    tp = table(
        {"anonymous_id": "a1", "email": "Jane@Northwind-Analytics.com"},
        {"anonymous_id": "a1"},
        {"anonymous_id": "a2", "email": "bob@customer.io"},
        {"anonymous_id": "a3", "email": "x@eu.northwind-analytics.com"},
    )
    r = run(tp, internal_email_domains=("northwind-analytics.com",))
    assert r.touchpoints["is_internal"].tolist() == [True, True, False, True]
    # clear-text e-mails are hashed like the readers do, so they meet hashed ones
    assert person_of(r, "email", sha256_hex("jane@northwind-analytics.com")) == pid(
        "email", sha256_hex("jane@northwind-analytics.com")
    )
    assert r.diagnostics["summary"].set_index("metric").loc["internal_people", "value"] == 2


def test_internal_via_email_domain_column():
    tp = table(
        {"anonymous_id": "a1", "email_domain": "northwind-analytics.com"}, {"anonymous_id": "a1"}
    )
    r = run(tp, internal_email_domains=("northwind-analytics.com",))
    assert r.touchpoints["is_internal"].tolist() == [True, True]


def shared_device() -> pd.DataFrame:
    """One browser (``kiosk1``) on which three users log in; each also has a own browser."""
    return table(
        {"anonymous_id": "kiosk1"},
        {"anonymous_id": "kiosk1", "user_id": "u1"},
        {"anonymous_id": "kiosk1", "user_id": "u2"},
        {"anonymous_id": "kiosk1", "user_id": "u3"},
        {"anonymous_id": "own1", "user_id": "u1"},
        {"anonymous_id": "own2", "user_id": "u2"},
        {"anonymous_id": "own3"},
    )


def test_shared_cookie_over_limit_merges_none_of_its_users():
    r = run(shared_device())
    p = r.touchpoints["person_id"].tolist()
    users = {person_of(r, "user_id", u) for u in ("u1", "u2", "u3")}
    assert len(users) == 3
    # rows with a user belong to that user, not to the shared cookie
    assert p[1] == pid("user_id", "u1") == p[4]
    assert p[2] == pid("user_id", "u2") == p[5]
    assert p[3] == pid("user_id", "u3")
    # the cookie alone is its own (shared) person
    assert p[0] == pid("anonymous_id", "kiosk1")
    assert r.people.set_index("person_id").loc[p[0], "is_shared"]
    shared = r.diagnostics["shared_identifiers"]
    assert shared[
        ["id_type", "id_value", "other_type", "linked", "limit", "rows"]
    ].values.tolist() == [["anonymous_id", "kiosk1", "user_id", 3, 1, 4]]
    over = r.diagnostics["blocked"].query("reason == 'over_limit'")
    assert over[["id_type", "identifiers", "rows"]].values.tolist() == [["anonymous_id", 1, 4]]


def test_limit_counts_distinct_identifiers_not_rows():
    tp = table({"anonymous_id": "a1", "user_id": "u1"}, {"anonymous_id": "a1", "user_id": "u1"})
    r = run(tp)
    assert r.touchpoints["person_id"].nunique() == 1
    assert len(r.diagnostics["shared_identifiers"]) == 0


def test_configured_limit_overrides_default():
    r = run(shared_device(), limits={"anonymous_id": {"user_id": 3}})
    assert r.touchpoints["person_id"].nunique() == 2  # everyone but own3 merges via kiosk1
    r2 = run(
        table({"email": "e1", "crm_contact_id": "c1"}, {"email": "e1", "crm_contact_id": "c2"}),
        limits={"email": {"crm_contact_id": 2}},
    )
    assert r2.touchpoints["person_id"].nunique() == 1


def test_limit_applies_through_identity_links_too():
    ln = links(
        ("email", "info", "crm_contact_id", "c1"),
        ("email", "info", "crm_contact_id", "c2"),
        ("email", "e1", "crm_contact_id", "c1"),
    )
    r = run(ln=ln)
    assert person_of(r, "crm_contact_id", "c1") != person_of(r, "crm_contact_id", "c2")
    assert person_of(r, "email", "e1") == person_of(r, "crm_contact_id", "c1")
    assert r.diagnostics["links"]["used"].tolist() == [1]


# --- priority and ids --------------------------------------------------------------------------
def test_anchor_is_highest_priority_type_then_smallest_value():
    tp = table(
        {"anonymous_id": "b", "user_id": "u9", "crm_contact_id": "c2"},
        {"anonymous_id": "a", "crm_contact_id": "c1"},
        {"anonymous_id": "a", "user_id": "u9"},
    )
    r = run(tp, limits={"user_id": {"crm_contact_id": 5}})
    assert set(r.touchpoints["person_id"]) == {pid("crm_contact_id", "c1")}
    people = r.people.iloc[0]
    assert (people["anchor_type"], people["anchor_value"]) == ("crm_contact_id", "c1")


def test_custom_priority_changes_the_anchor():
    tp = table({"user_id": "u1", "crm_contact_id": "c1"})
    r = run(tp, priority=("user_id", "crm_contact_id"))
    assert r.touchpoints["person_id"].iloc[0] == pid("user_id", "u1")


def test_same_input_same_ids_whatever_the_row_order():
    tp = shared_device()
    first = run(tp)
    again = run(tp.sample(frac=1.0, random_state=3))
    assert (
        first.touchpoints["person_id"].tolist()
        == again.touchpoints.sort_index()["person_id"].tolist()
    )
    a = first.identities.sort_values(["id_type", "id_value"]).reset_index(drop=True)
    b = again.identities.sort_values(["id_type", "id_value"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_appending_unrelated_data_does_not_renumber_people():
    base = run(shared_device())
    more = pd.concat(
        [
            table({"anonymous_id": "new1", "user_id": "u7"}, {"anonymous_id": "0zz"}),
            shared_device(),
        ],
        ignore_index=True,
    )
    grown = run(more)
    old = base.identities.merge(grown.identities, on=["id_type", "id_value"], suffixes=("", "_new"))
    assert len(old) == len(base.identities)
    assert (old["person_id"] == old["person_id_new"]).all()


def test_new_higher_priority_identifier_keeps_id_only_with_previous():
    day1 = table({"anonymous_id": "a1"}, {"anonymous_id": "a1", "user_id": "u1"})
    first = run(day1)
    old_id = pid("user_id", "u1")
    assert set(first.touchpoints["person_id"]) == {old_id}
    day2 = pd.concat([day1, table({"user_id": "u1", "crm_contact_id": "c1"})], ignore_index=True)
    without = run(day2)
    assert set(without.touchpoints["person_id"]) == {pid("crm_contact_id", "c1")}
    kept = stitch(day2, NO_ROWS, None, previous=first.identities)
    assert set(kept.touchpoints["person_id"]) == {old_id}
    assert person_of(kept, "crm_contact_id", "c1") == old_id


def test_merge_of_two_existing_people_keeps_the_better_anchor_id():
    day1 = table({"anonymous_id": "a1", "user_id": "u2"}, {"anonymous_id": "a2", "email": "e1"})
    first = run(day1)
    p_user = pid("user_id", "u2")
    p_email = pid("email", "e1")
    assert set(first.touchpoints["person_id"]) == {p_user, p_email}
    day2 = pd.concat([day1, table({"user_id": "u2", "email": "e1"})], ignore_index=True)
    merged = stitch(day2, NO_ROWS, None, previous=first.identities)
    assert set(merged.touchpoints["person_id"]) == {p_user}  # user_id outranks email


def test_split_with_previous_keeps_id_on_the_part_with_the_best_identifier():
    previous = pd.DataFrame(
        {
            "id_type": ["user_id", "anonymous_id", "anonymous_id"],
            "id_value": ["u1", "a1", "a2"],
            "person_id": ["p_old", "p_old", "p_old"],
            "account_id": [None, None, None],
        }
    )
    tp = table({"anonymous_id": "a1", "user_id": "u1"}, {"anonymous_id": "a2"})
    r = stitch(tp, NO_ROWS, None, previous=previous)
    assert r.touchpoints["person_id"].tolist() == ["p_old", pid("anonymous_id", "a2")]


def test_fresh_id_colliding_with_an_inherited_one_is_rehashed():
    # a2's fresh id equals the id previous gave to u1's person
    previous = pd.DataFrame(
        {"id_type": ["user_id"], "id_value": ["u1"], "person_id": [pid("anonymous_id", "a2")]}
    )
    tp = table({"user_id": "u1"}, {"anonymous_id": "a2"})
    r = stitch(tp, NO_ROWS, None, previous=previous)
    p = r.touchpoints["person_id"].tolist()
    assert p[0] == pid("anonymous_id", "a2")
    assert p[1] != p[0] and p[1].startswith("p_") and len(p[1]) == 18


def test_fresh_ids_colliding_with_each_other_are_rehashed(monkeypatch):
    # with ids cut to 2 hex digits, 60 people collide; colliding ids are salted until unique
    import workbench.identity.stitch as stitching

    monkeypatch.setattr(stitching, "_ID_BYTES", 1)
    values = [f"a{i}" for i in range(60)]
    r = run(table(*({"anonymous_id": v} for v in values)))
    ids = r.people.set_index("anchor_value")["person_id"]
    short = {v: pid("anonymous_id", v)[:4] for v in values}
    clash = pd.Series(short).duplicated(keep=False)
    assert clash.any() and not clash.all()
    assert ids.is_unique and len(ids) == 60
    for v in values:  # each id is its own short id or a salted one ("<value>#<n>")
        salted = {pid("anonymous_id", f"{v}#{n}")[:4] for n in range(1, 30)}
        assert ids[v] in {short[v]} | salted
        assert ids[v] in salted if clash[v] else True
    assert r.touchpoints["person_id"].astype("string").tolist() == ids[values].tolist()


def test_previous_without_columns_is_rejected():
    with pytest.raises(ValidationError, match="previous identities"):
        stitch(table({"user_id": "u1"}), NO_ROWS, None, previous=pd.DataFrame({"x": [1]}))


def test_links_without_columns_are_rejected():
    with pytest.raises(ValidationError, match="id_value_b"):
        stitch(NO_ROWS, NO_ROWS, pd.DataFrame({"id_type_a": ["user_id"]}))


# --- accounts ------------------------------------------------------------------------------------
def test_account_by_most_links_then_smallest_id():
    tp = table(
        {"user_id": "u1", "crm_account_id": "acc2"},
        {"user_id": "u1", "crm_account_id": "acc2"},
        {"user_id": "u1", "crm_account_id": "acc1"},
        {"user_id": "u2", "crm_account_id": "acc9"},
        {"user_id": "u2", "crm_account_id": "acc3"},
        {"user_id": "u3"},
        {"crm_account_id": "acc5"},
    )
    r = run(tp)
    accounts = r.touchpoints["account_id"].tolist()
    assert accounts[:3] == ["acc2"] * 3  # most observations, even on the acc1 row
    assert accounts[3:5] == ["acc3"] * 2  # tie -> smallest id
    assert pd.isna(accounts[5])
    assert accounts[6] == "acc5"  # no person: the row's own account
    assert "crm_account_id" not in set(r.identities["id_type"])


def test_account_through_identity_links():
    ln = links(
        ("crm_contact_id", "c1", "crm_account_id", "acc7"),
        ("crm_account_id", "acc7", "email", "e2"),
    )
    r = run(table({"crm_contact_id": "c1", "anonymous_id": "a1"}, {"email": "e2"}), ln=ln)
    assert r.touchpoints["account_id"].tolist() == ["acc7", "acc7"]
    assert r.touchpoints["person_id"].nunique() == 2  # an account does not merge people
    assert set(r.identities["account_id"]) == {"acc7"}


# --- outputs -------------------------------------------------------------------------------------
def test_output_tables_and_dtypes():
    tp = shared_device()
    tp.index = range(100, 100 + len(tp))
    r = run(tp, table({"user_id": "u1"}))
    assert list(r.identities.columns) == IDENTITIES.names
    assert r.touchpoints.index.equals(tp.index)
    assert list(r.touchpoints.columns) == [*tp.columns, "person_id", "account_id", "is_internal"]
    # person_id: codes = component numbers over the person ids (one category per person)
    person = r.touchpoints["person_id"]
    assert isinstance(person.dtype, pd.CategoricalDtype)
    assert person.cat.categories.dtype == "string"
    assert list(person.cat.categories) == r.people["person_id"].tolist()
    assert r.conversions["person_id"].dtype == person.dtype
    codes = person.cat.codes.to_numpy()
    assert (r.people["person_id"].to_numpy()[codes] == person.astype("string").to_numpy()).all()
    assert r.touchpoints["is_internal"].dtype == bool
    assert r.conversions["person_id"].iloc[0] == pid("user_id", "u1")
    # identities are exactly the identifiers seen, each once
    assert len(r.identities) == 7
    assert not r.identities.duplicated(["id_type", "id_value"]).any()
    # people and identities agree
    counts = r.identities["person_id"].value_counts()
    people = r.people.set_index("person_id")
    assert (people.loc[counts.index, "identifiers"].to_numpy() == counts.to_numpy()).all()
    assert people["touchpoints"].sum() == len(tp)
    assert people["conversions"].sum() == 1


def test_known_people():
    r = run(table({"anonymous_id": "a1"}, {"anonymous_id": "a2", "gclid": "g"}, {"email": "e"}))
    known = r.people.set_index("anchor_value")["is_known"]
    assert known.to_dict() == {"a1": False, "a2": False, "e": True}


def test_empty_inputs():
    r = run()
    assert len(r.identities) == 0 and len(r.people) == 0
    summary = r.diagnostics["summary"].set_index("metric")["value"]
    assert summary["people"] == 0 and summary["touchpoints_known_share"] == 0


def test_no_identity_columns_at_all():
    tp = pd.DataFrame({"ts": [pd.Timestamp("2026-01-01", tz="UTC")], "touch_type": ["session"]})
    r = stitch(tp, tp.iloc[:0], None)
    assert r.touchpoints["person_id"].isna().all()
    assert np.array_equal(r.touchpoints["is_internal"].to_numpy(), [False])


# --- junk ids and the device limit (issue 13, point 4) ------------------------------------
@pytest.mark.parametrize(
    "junk",
    [
        "[object Object]",
        "(none)",
        "None",
        "nan",
        "{}",
        "[]",
        "-",
        "unknown",
        "{{user_id}}",
        "${user_id}",
        "*|EMAIL|*",
        "(not set)",
        "0",
        "  NULL ",
    ],
)
def test_placeholder_user_ids_merge_nobody(junk):
    tp = table(*({"anonymous_id": f"browser{i}", "user_id": junk} for i in range(13)))
    r = run(tp)
    assert r.touchpoints["person_id"].nunique() == 13
    blocked = r.diagnostics["blocked"].query("reason == 'placeholder'")
    assert blocked["id_type"].tolist() == ["user_id"]


def test_a_user_id_joining_more_devices_than_the_default_limit_is_shared():
    from workbench.identity.rules import MAX_DEVICES_PER_USER

    many = MAX_DEVICES_PER_USER + 1
    tp = table(
        *({"anonymous_id": f"b{i}", "user_id": "team-login"} for i in range(many)),
        *({"anonymous_id": f"own{i}", "user_id": "real"} for i in range(MAX_DEVICES_PER_USER)),
    )
    r = run(tp)
    shared = r.diagnostics["shared_identifiers"]
    assert shared[["id_type", "id_value", "other_type", "linked", "limit"]].values.tolist() == [
        ["user_id", "team-login", "anonymous_id", many, MAX_DEVICES_PER_USER]
    ]
    # the shared login merges none of its browsers; the real user keeps all of theirs
    assert r.touchpoints["person_id"].iloc[:many].nunique() == many
    assert r.touchpoints["person_id"].iloc[many:].nunique() == 1
    # the limit is overridable in [identity.limits]
    raised = run(tp, limits={"user_id": {"anonymous_id": many}})
    assert raised.touchpoints["person_id"].iloc[:many].nunique() == 1


def test_person_id_digests_are_hashlib_sha256():
    # the built-in SHA-256 used for speed must give hashlib's digests, short keys and long
    import hashlib

    from workbench.identity.stitch import _small_sha256

    keys = [b"", b"email:" + b"a" * 64, "user_id:é✓".encode(), b"x" * 200, b"anonymous_id:GA1.1.7"]
    assert [_small_sha256(k).digest() for k in keys] == [hashlib.sha256(k).digest() for k in keys]
