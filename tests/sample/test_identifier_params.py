"""The sample's hashed e-mail event parameter: true to the ground truth, and needed for recall."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from workbench.config import load_config
from workbench.identifiers import normalize_email
from workbench.ingest.readers import read_source
from workbench.paths import PROJECT_ROOT
from workbench.sample import generate_sample

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    summary = generate_sample(out, people=300, seed=5)
    assert summary.mess["hubspot_ebook_contacts_without_ga_client_id"] > 0
    config = load_config(PROJECT_ROOT / "workbench.toml")
    sources = {s.name: dataclasses.replace(s, base_dir=out) for s in config.sources}
    truth = pd.read_csv(out / "_truth" / "identifiers.csv", dtype=str)
    return sources, truth


def test_email_param_links_each_browser_to_its_own_persons_email(sample) -> None:
    sources, truth = sample
    assert sources["ga4"].options["identifiers"] == {"email_sha256": "email"}
    links = read_source(sources["ga4"]).identity_links
    params = links[links["link_type"] == "event_param"]
    assert len(params) > 0
    emails = truth[truth["id_type"] == "email"].copy()
    emails["id_value"] = normalize_email(emails["id_value"]).to_numpy()
    owner = pd.concat([truth[truth["id_type"] != "email"], emails]).set_index(
        ["id_type", "id_value"]
    )["person_id"]
    owner = owner[~owner.index.duplicated(keep=False)]  # the shared kiosk owns nobody
    pairs = params.merge(
        owner.rename("a").reset_index(),
        left_on=["id_type_a", "id_value_a"],
        right_on=["id_type", "id_value"],
    ).merge(
        owner.rename("b").reset_index(),
        left_on=["id_type_b", "id_value_b"],
        right_on=["id_type", "id_value"],
    )
    assert len(pairs) >= 0.9 * len(params)
    assert (pairs["a"] == pairs["b"]).all()


def test_ebook_contacts_have_no_ga_client_id_so_the_param_is_the_only_link(sample) -> None:
    sources, _ = sample
    contacts = read_source(sources["hubspot_contacts"]).identity_links
    crm_browsers = set(contacts.loc[contacts["id_type_a"] == "anonymous_id", "id_value_a"])
    crm_browsers |= set(contacts.loc[contacts["id_type_b"] == "anonymous_id", "id_value_b"])
    ga4 = read_source(sources["ga4"]).identity_links
    params = ga4[ga4["link_type"] == "event_param"]
    only_param = set(params.loc[params["id_type_a"] == "anonymous_id", "id_value_a"])
    only_param -= crm_browsers
    assert only_param, "some lead-form browsers must be linked only by the e-mail parameter"
