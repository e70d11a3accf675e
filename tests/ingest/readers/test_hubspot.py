"""HubSpot readers: contacts, companies, deals, engagements (naive New York times)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from workbench.config import SourceConfig
from workbench.errors import ValidationError
from workbench.identifiers import sha256_hex
from workbench.ingest.readers import read_source

NY = "America/New_York"
CONTACTS = (
    "Record ID,First Name,Last Name,Email,Phone Number,Create Date,Lifecycle Stage,"
    "Associated Company ID,Original Source,GA Client ID,User ID,Became a Lead Date,"
    "Became a Marketing Qualified Lead Date,Became an Opportunity Date,Became a Customer Date\n"
    "101,Ann,Lee,Ann@Example.com,+1 415 555 0123,2026-11-02 09:30,lead,501,Paid Search,"
    "GA1.1.123.456,U1,2026-11-02 09:30,,,\n"
    "102,Bob,Ray,bob@example.com,,2026-11-03 10:00,subscriber,,Direct Traffic,,,,,,\n"
    "102,Bob,Ray,bob@example.com,,2026-11-04 10:00,lead,,Direct Traffic,,,,,,\n"
    "103,Cy,Do,cy@example.com,,2026-11-03 10:00,lead,,Organic,,,not a date,,,\n"
    "104,Di,Ko,di@example.com,,2026-02-30 09:15,lead,,Organic,,,,,,\n"
)
COMPANIES = (
    "Record ID,Company name,Company Domain Name,Industry,Number of Employees,Employee band,"
    "Country/Region,Create Date\n"
    '501,Acme,ACME.com,Software,"1,200",1000+,United States,2026-01-05 08:00\n'
    "502,Beta,beta.io,Retail,40,11-50,Germany,2026-02-01 08:00\n"
    "502,Beta,beta.io,Retail,40,11-50,Germany,2026-02-01 08:00\n"
)
DEALS = (
    "Record ID,Deal Name,Pipeline,Deal Stage,Amount,Currency,Create Date,Close Date,"
    "Associated Contact IDs,Associated Company ID,Product Line,Deal Type\n"
    '9001,Acme - Pro,default,closedwon,"12,000",usd,2026-11-05 12:00,2026-11-20 15:00,'
    "101;104,501,Pro,newbusiness\n"
    "9002,Beta - Starter,default,qualifiedtobuy,500,USD,2026-11-06 12:00,2026-12-01 00:00,"
    ",502,Starter,newbusiness\n"
    "9003,Gamma,default,closedwon,800,USD,2026-11-07 12:00,,105,,Starter,newbusiness\n"
)
ENGAGEMENTS = (
    "Activity ID,Activity Type,Activity Date,Associated Contact ID,Associated Company ID,"
    "Activity Assigned To,Subject,Outcome\n"
    "1,CALL,2026-11-04 11:00,101,501,Dana,Intro call,Connected\n"
    "2,MEETING,2026-11-05 14:00,101,501,Dana,Demo of Pro,Completed\n"
    "3,MEETING,2026-11-06 14:00,101,501,Dana,Pricing review,Completed\n"
    "4,NOTE,2026-11-06 15:00,101,501,Dana,Left a note,\n"
    "5,CALL,11/06/2026 3pm?,101,501,Dana,Call,\n"
)


def source(tmp_path: Path, fmt: str, content: str, **kw: object) -> SourceConfig:
    (tmp_path / f"{fmt}.csv").write_text(content, encoding="utf-8")
    return SourceConfig(
        name=fmt,
        format=fmt,
        path=f"{fmt}.csv",
        base_dir=tmp_path,
        timezone=NY,
        **kw,  # type: ignore[arg-type]
    )


def test_contacts_links_conversions_and_attributes(tmp_path: Path) -> None:
    result = read_source(source(tmp_path, "hubspot_contacts", CONTACTS))
    links = result.identity_links
    ann = links[links["id_value_a"] == "101"].set_index("id_type_b")["id_value_b"]
    assert ann.to_dict() == {
        "email": sha256_hex("ann@example.com"),
        "phone": sha256_hex("+14155550123"),
        "anonymous_id": "123.456",  # _ga cookie reduced to the GA4 user_pseudo_id
        "user_id": "U1",
        "crm_account_id": "501",
    }
    assert links["link_type"].eq("crm_record").all()
    assert links["ts"].iloc[0] == pd.Timestamp("2026-11-02 14:30", tz="UTC")  # EST = UTC-5
    conv = result.conversions
    assert conv[["crm_contact_id", "conversion_type", "conversion_id"]].values.tolist() == [
        ["101", "lead", "contact:101:lead"]
    ]
    assert conv["email"].item() == sha256_hex("ann@example.com")
    assert conv["attr_original_source"].item() == "Paid Search"
    contacts = result.contacts
    assert contacts["crm_contact_id"].tolist() == ["101", "102", "103", "104"]
    assert contacts["lifecycle_stage"].tolist() == ["lead", "subscriber", "lead", "lead"]
    # an impossible Create Date keeps the record (identity) without a time, with a warning
    assert pd.isna(contacts["created_at"].iloc[3])
    di = links[links["id_value_a"] == "104"]
    assert di["id_type_b"].tolist() == ["email"] and di["ts"].isna().all()
    assert any("hubspot_contacts.csv:6 '2026-02-30 09:15'" in w for w in result.warnings)
    assert "Ann" not in contacts.to_string() and "ann@example.com" not in links.to_string()
    q = result.quarantine.sort_values("source_row")
    assert q[["source_row", "reason", "value"]].values.tolist() == [
        [4, "duplicate record id", "102"],
        [5, "unparseable HubSpot date", "not a date"],
    ]


def test_contacts_conversion_dates_option(tmp_path: Path) -> None:
    options = {
        "conversion_dates": {"Became a Lead Date": "lead", "Became a Customer Date": "deal_won"}
    }
    result = read_source(source(tmp_path, "hubspot_contacts", CONTACTS, options=options))
    assert result.conversions["conversion_type"].tolist() == ["lead"]  # no customer dates
    bad = {"conversion_dates": {"Became a Unicorn Date": "lead"}}
    with pytest.raises(
        ValidationError, match="options.conversion_dates names the column 'Became a Unicorn Date'"
    ):
        read_source(source(tmp_path, "hubspot_contacts", CONTACTS, options=bad))


def test_default_lead_date_column_missing_is_an_error_not_zero_leads(tmp_path: Path) -> None:
    body = "Record ID,Email,Create Date\n101,ann@example.com,2026-01-05 08:00\n"
    with pytest.raises(ValidationError, match="names the column 'Became a Lead Date'"):
        read_source(source(tmp_path, "hubspot_contacts", body))
    # saying so explicitly reads the contacts without leads
    result = read_source(
        source(tmp_path, "hubspot_contacts", body, options={"conversion_dates": {}})
    )
    assert len(result.conversions) == 0 and len(result.identity_links) == 1


def test_companies_become_accounts(tmp_path: Path) -> None:
    result = read_source(source(tmp_path, "hubspot_companies", COMPANIES))
    accounts = result.accounts
    assert accounts["crm_account_id"].tolist() == ["501", "502"]
    assert accounts.loc[0, "employees"] == 1200.0
    assert accounts.loc[0, "domain"] == "acme.com"
    assert accounts["employee_band"].tolist() == ["1000+", "11-50"]
    assert accounts.loc[0, "created_at"] == pd.Timestamp("2026-01-05 13:00", tz="UTC")
    assert result.quarantine[["source_row", "reason", "value"]].values.tolist() == [
        [4, "duplicate row", "identical to line hubspot_companies.csv:3"]
    ]
    kept = read_source(
        source(tmp_path, "hubspot_companies", COMPANIES, options={"keep_duplicate_rows": True})
    )
    assert kept.quarantine["reason"].tolist() == ["duplicate record id"]
    assert result.touchpoints.empty and result.conversions.empty


def test_deals_credit_once_per_deal(tmp_path: Path) -> None:
    result = read_source(source(tmp_path, "hubspot_deals", DEALS))
    conv = result.conversions
    got = conv[["conversion_id", "conversion_type", "value", "crm_contact_id", "crm_account_id"]]
    assert got.astype(object).where(got.notna(), None).values.tolist() == [
        ["9001", "opportunity", None, "101", "501"],
        ["9002", "opportunity", None, None, "502"],
        ["9003", "opportunity", None, "105", None],
        ["9001", "deal_won", 12000.0, "101", "501"],
    ]
    won = conv[conv["conversion_type"] == "deal_won"].iloc[0]
    assert won["ts"] == pd.Timestamp("2026-11-20 20:00", tz="UTC")
    assert (won["currency"], won["attr_contact_ids"], won["attr_product_line"]) == (
        "USD",
        "101;104",
        "Pro",
    )
    assert conv["attr_amount"].tolist() == [12000.0, 500.0, 800.0, 12000.0]
    # a won deal without a close date cannot be placed in time
    assert result.quarantine[["source_row", "reason"]].values.tolist() == [
        [4, "unparseable or missing timestamp"]
    ]


def test_engagements_touch_types_and_demo(tmp_path: Path) -> None:
    result = read_source(source(tmp_path, "hubspot_engagements", ENGAGEMENTS, channel="Sales"))
    tp = result.touchpoints
    assert tp["touch_type"].tolist() == ["sales_call", "demo", "meeting"]
    assert tp["channel"].eq("Sales").all() and tp["platform"].eq("hubspot").all()
    assert tp["crm_contact_id"].eq("101").all() and tp["crm_account_id"].eq("501").all()
    assert tp["attr_owner"].eq("Dana").all()
    assert tp["ts"].iloc[0] == pd.Timestamp("2026-11-04 16:00", tz="UTC")
    q = result.quarantine.sort_values("source_row")
    assert q[["source_row", "reason"]].values.tolist() == [[6, "unparseable HubSpot date"]]
    # a note is a known activity, not a touch: skipped and counted, not quarantined
    assert result.files[0]["not_touches"] == 1
    assert any("NOTE: 1" in w for w in result.warnings)
    odd = ENGAGEMENTS.replace("4,NOTE,", "4,SMS,")
    result = read_source(source(tmp_path, "hubspot_engagements", odd))
    assert result.quarantine[["source_row", "reason", "value"]].values.tolist()[0] == [
        5,
        "activity type not mapped (options.activity_types)",
        "SMS",
    ]


CALLS = (
    "Record ID,Activity date,Call Title,Call outcome,Activity assigned to,Associated Contact,"
    "Associated Company,Associated Deal IDs\n"
    "11,2026-11-04 11:00,Intro call,Connected,Dana,Ann Lee (ann@example.com),Acme,9001\n"
    "12,2026-11-05 11:00,Follow-up,No answer,Dana,102,Acme,\n"
)
MEETINGS = (
    "Record ID,Activity date,Meeting name,Meeting outcome,Associated Contact IDs\n"
    "21,2026-11-06 14:00,Demo of Pro,Completed,101\n"
    "22,2026-11-07 14:00,Kick-off,Completed,101\n"
)


def test_per_object_activity_exports_take_the_type_from_the_file_name(tmp_path: Path) -> None:
    folder = tmp_path / "activities"
    folder.mkdir()
    (folder / "calls.csv").write_text(CALLS)
    (folder / "meetings.csv").write_text(MEETINGS)
    (folder / "notes.csv").write_text("Record ID,Activity date,Note body\n31,2026-11-08,hi\n")
    src = SourceConfig(
        name="acts",
        format="hubspot_engagements",
        path="activities/*.csv",
        base_dir=tmp_path,
        timezone="America/New_York",
    )
    result = read_source(src)
    tp = result.touchpoints
    assert tp["touch_type"].tolist() == ["sales_call", "sales_call", "demo", "meeting"]
    assert tp["event_name"].tolist() == ["CALL", "CALL", "MEETING", "MEETING"]
    assert tp["attr_subject"].tolist() == ["Intro call", "Follow-up", "Demo of Pro", "Kick-off"]
    assert tp["attr_outcome"].tolist()[:2] == ["Connected", "No answer"]
    # an association written as a name with an e-mail identifies the person by e-mail
    assert tp["email"].iloc[0] == sha256_hex("ann@example.com")
    assert tp["crm_contact_id"].tolist()[1:] == ["102", "101", "101"]
    assert pd.isna(tp["crm_account_id"]).all()  # company names, not ids
    assert tp["attr_deal_id"].iloc[0] == "9001"
    assert tp["ts"].iloc[0] == pd.Timestamp("2026-11-04 16:00", tz="UTC")
    assert [f.get("activity_type") for f in result.files] == ["CALL", "MEETING", "NOTE"]
    assert result.files[2]["not_touches"] == 1 and len(result.quarantine) == 0


def test_per_object_export_type_from_the_option_or_an_error(tmp_path: Path) -> None:
    (tmp_path / "export_1.csv").write_text(CALLS)
    src = SourceConfig(
        name="acts", format="hubspot_engagements", path="export_1.csv", base_dir=tmp_path
    )
    with pytest.raises(ValidationError, match="set options.activity_type"):
        read_source(src)
    src = SourceConfig(
        name="acts",
        format="hubspot_engagements",
        path="export_1.csv",
        base_dir=tmp_path,
        options={"activity_type": "call"},
    )
    assert read_source(src).touchpoints["touch_type"].tolist() == ["sales_call"] * 2


def test_unknown_columns_become_attributes_usable_in_segments(tmp_path: Path) -> None:
    from workbench.identity.attributes import person_attributes

    companies = (
        "Record ID,Company name,Segment,Customer Tier,Owner Phone\n"
        "501,Acme,Enterprise,Gold,555-0100\n502,Beta,SMB,Silver,555-0101\n"
    )
    result = read_source(source(tmp_path, "hubspot_companies", companies))
    accounts = result.accounts
    assert accounts["attr_segment"].tolist() == ["Enterprise", "SMB"]
    assert accounts["attr_customer_tier"].tolist() == ["Gold", "Silver"]
    assert "attr_owner_phone" not in accounts.columns
    assert any("Owner Phone" in w for w in result.warnings)
    people = pd.DataFrame({"person_id": ["p1", "p2", "p3"], "account_id": ["501", "502", None]})
    attrs = person_attributes(people, accounts=accounts)
    assert attrs["segment"].tolist()[:2] == ["Enterprise", "SMB"]
    assert attrs.query("segment == 'Enterprise'")["person_id"].tolist() == ["p1"]
    deals = DEALS.replace("Deal Type\n", "Deal Type,Region\n").replace(
        "newbusiness\n", "newbusiness,EMEA\n"
    )
    conv = read_source(source(tmp_path, "hubspot_deals", deals)).conversions
    assert conv["attr_region"].eq("EMEA").all()
    contacts = (
        "Record ID,First Name,Email,Persona,Became a Lead Date\n101,Ann,a@b.com,Buyer,2026-01-01\n"
    )
    conv = read_source(source(tmp_path, "hubspot_contacts", contacts)).conversions
    assert conv["attr_persona"].tolist() == ["Buyer"]
    assert "attr_first_name" not in conv.columns and "attr_became_a_lead_date" not in conv.columns


def test_won_deals_without_a_close_date_column_are_an_error(tmp_path: Path) -> None:
    body = "Record ID,Deal Stage,Amount,Create Date\n1,closedwon,10,2026-01-01 10:00\n"
    with pytest.raises(ValidationError, match="no file has a 'Close Date' column"):
        read_source(source(tmp_path, "hubspot_deals", body))


def test_snake_and_upper_case_headers_keep_names_out_of_attributes(tmp_path: Path) -> None:
    """Warehouse syncs spell headers FIRST_NAME / zip_code: still personal, still not attributes."""
    contacts = (
        "RECORD_ID,FIRST_NAME,last_name,EMAIL,ZIP_CODE,Lead_Score,BECAME_A_CUSTOMER_DATE,"
        "BECAME_A_LEAD_DATE\n101,Ann,Lee,a@b.com,94107,80,2026-02-01,2026-01-01\n"
    )
    result = read_source(source(tmp_path, "hubspot_contacts", contacts))
    conv = result.conversions
    attrs = sorted(c for c in conv.columns if c.startswith("attr_"))
    assert attrs == ["attr_lead_score", "attr_lifecycle_stage", "attr_original_source"]
    assert conv["attr_lead_score"].tolist() == ["80"]
    assert any("FIRST_NAME, last_name, ZIP_CODE" in w for w in result.warnings)


def test_deal_amounts_in_the_other_decimal_notation_are_a_warning(tmp_path: Path) -> None:
    deals = DEALS.replace('"12,000"', '"12.000,50"')
    result = read_source(source(tmp_path, "hubspot_deals", deals))
    opportunities = result.conversions.query("conversion_type == 'opportunity'")
    assert opportunities["attr_amount"].tolist()[1:] == [500.0, 800.0]
    assert pd.isna(opportunities["attr_amount"].iloc[0])
    assert [w for w in result.warnings if "'Amount'" in w] == [
        "source 'hubspot_deals': column 'Amount': 1 value(s) are not numbers with decimal '.' "
        "(hubspot_deals.csv:2 '12.000,50'), deal values left missing; they read as numbers "
        'with decimal = ",": set it on the source'
    ]


def test_ids_a_spreadsheet_rounded_to_scientific_notation_merge_nobody(tmp_path: Path) -> None:
    """40000100001 and 40000100002 saved from Excel are both 4.00001E+10: not one contact."""
    contacts = (
        "Record ID,Email,GA Client ID,Associated Company ID,Became a Lead Date\n"
        "4.00001E+10,a@x.com,1.67837E+09,501,2026-01-01 10:00\n"
        "4.00001E+10,b@x.com,1.67837E+09,501,2026-01-02 10:00\n"
        "103,c@x.com,1.67837E+09,1.8E+10,2026-01-03 10:00\n"
        "104,d@x.com,123.456,501,2026-01-04 10:00\n"
    )
    result = read_source(source(tmp_path, "hubspot_contacts", contacts))
    q = result.quarantine
    assert q[["source_row", "reason"]].values.tolist() == [
        [2, "id in scientific notation (file saved from Excel; digits lost)"],
        [3, "id in scientific notation (file saved from Excel; digits lost)"],
    ]
    conv = result.conversions.sort_values("crm_contact_id")
    assert conv["crm_contact_id"].tolist() == ["103", "104"]
    assert conv["anonymous_id"].isna().tolist() == [True, False]
    assert conv["crm_account_id"].isna().tolist() == [True, False]
    warned = [w for w in result.warnings if "scientific notation" in w]
    assert len(warned) == 3 and any("'GA Client ID': 1 id(s)" in w for w in warned)
