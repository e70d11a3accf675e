"""Stitching diagnostics numbers, pairwise scoring and the diagnostics figures."""

from __future__ import annotations

import matplotlib
import pandas as pd
import pytest

from workbench.config import IdentityConfig
from workbench.identity.diagnostics import SUMMARY_METRICS, pairwise_scores
from workbench.identity.stitch import stitch
from workbench.plots.stitching import plot_component_sizes, plot_identifiers_per_person

matplotlib.use("Agg")


def table(*rows: dict) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows)).astype("string")
    frame.insert(0, "ts", pd.Timestamp("2026-01-01", tz="UTC"))
    return frame


@pytest.fixture(scope="module")
def result():
    """Hand-built: 3 people + a shared cookie + a blocked value + an id-less row.

    * P1: u1, a1, a2, e1 (4 identifiers; e1 via a link)
    * P2: u2, a3
    * P3: a4 (anonymous only)
    * kiosk: shared by u1 and u2 -> its own person (1 identifier)
    """
    tp = table(
        {"anonymous_id": "a1", "user_id": "u1"},
        {"anonymous_id": "a2", "user_id": "u1"},
        {"anonymous_id": "a3", "user_id": "u2"},
        {"anonymous_id": "a4"},
        {"anonymous_id": "kiosk", "user_id": "u1"},
        {"anonymous_id": "kiosk", "user_id": "u2"},
        {"anonymous_id": "kiosk"},
        {"anonymous_id": "undefined"},
    )
    cv = table({"user_id": "u2"}, {"anonymous_id": "a4"})
    links = pd.DataFrame(
        {
            "id_type_a": ["user_id", "fax"],
            "id_value_a": ["u1", "123"],
            "id_type_b": ["email", "user_id"],
            "id_value_b": ["e1", "u2"],
            "link_type": ["form_fill", "crm_record"],
        }
    ).astype("string")
    return stitch(tp, cv, links, IdentityConfig(max_component_size=3))


def test_summary_numbers(result):
    summary = result.diagnostics["summary"]
    assert summary["metric"].tolist() == list(SUMMARY_METRICS)
    v = summary.set_index("metric")["value"]
    assert v["touchpoints"] == 8 and v["conversions"] == 2 and v["identity_links"] == 2
    assert v["identifiers"] == 8  # u1 u2 e1 a1 a2 a3 a4 kiosk
    assert v["people"] == 4
    assert v["known_people"] == 2
    assert v["shared_identifiers"] == 1
    assert v["blocked_identifiers"] == 1  # 'undefined'
    assert v["edges"] == 4  # a1-u1, a2-u1, a3-u2, u1-e1 (kiosk edges dropped)
    assert v["edges_dropped"] == 2
    assert v["largest_component"] == 4
    assert v["components_over_max"] == 1  # P1 has 4 > 3
    # 5 of 8 touchpoints reach u1/u2; 7 have a person ('undefined' row has none)
    assert v["touchpoints_known_share"] == pytest.approx(5 / 8)
    assert v["touchpoints_with_person_share"] == pytest.approx(7 / 8)
    assert v["conversions_known_share"] == pytest.approx(1 / 2)


def test_component_sizes(result):
    sizes = result.diagnostics["component_sizes"]
    assert sizes.to_dict("list") == {"size": [1, 2, 4], "components": [2, 1, 1]}


def test_identifiers_per_person(result):
    ipp = result.diagnostics["identifiers_per_person"]
    got = {(t, n): p for t, n, p in ipp.itertuples(index=False)}
    assert got == {
        ("user_id", 1): 2,
        ("email", 1): 1,
        ("anonymous_id", 1): 3,  # P2 (a3), P3 (a4), kiosk
        ("anonymous_id", 2): 1,  # P1 (a1, a2)
    }


def test_largest_components_and_alert(result):
    top = result.diagnostics["largest_components"]
    first = top.iloc[0]
    assert first["identifiers"] == 4
    assert first["anchor_type"] == "user_id" and first["anchor_value"] == "u1"
    assert first["id_types"] == "user_id=1; email=1; anonymous_id=2"
    assert first["touchpoints"] == 3  # a1/u1, a2/u1, kiosk/u1
    assert bool(first["alert"])
    assert top["rank"].tolist() == [1, 2, 3, 4]
    assert top["alert"].tolist() == [True, False, False, False]


def test_blocked_and_shared_tables(result):
    blocked = result.diagnostics["blocked"]
    rows = {(r.id_type, r.reason): (r.identifiers, r.rows) for r in blocked.itertuples()}
    assert rows[("anonymous_id", "placeholder")] == (1, 1)
    assert rows[("anonymous_id", "over_limit")] == (1, 3)
    assert rows[("fax", "unknown_id_type")] == (0, 1)
    shared = result.diagnostics["shared_identifiers"]
    assert shared["id_value"].tolist() == ["kiosk"] and shared["linked"].tolist() == [2]


def test_links_table(result):
    got = result.diagnostics["links"].set_index("link_type")[["links", "used"]]
    assert got.loc["form_fill"].tolist() == [1, 1]
    assert got.loc["crm_record"].tolist() == [1, 0]


def test_diagnostics_are_parquet_friendly(result, tmp_path):
    for name, frame in result.diagnostics.items():
        frame.to_parquet(tmp_path / f"{name}.parquet")
        back = pd.read_parquet(tmp_path / f"{name}.parquet")
        assert list(back.columns) == list(frame.columns), name


# --- pairwise scores --------------------------------------------------------------------------------
def test_pairwise_scores_hand_computed():
    # truth: T1 = {a, b, c}, T2 = {d, e}; predicted: P1 = {a, b}, P2 = {c, d, e}, plus x (not in truth)
    truth = pd.DataFrame(
        {
            "id_type": ["t"] * 6,
            "id_value": ["a", "b", "c", "d", "e", "z"],
            "person_id": ["T1", "T1", "T1", "T2", "T2", "T3"],
        }
    )
    pred = pd.DataFrame(
        {
            "id_type": ["t"] * 6,
            "id_value": ["a", "b", "c", "d", "e", "x"],
            "person_id": ["P1", "P1", "P2", "P2", "P2", "P3"],
        }
    )
    s = pairwise_scores(pred, truth)
    # predicted pairs: ab, cd, ce, de = 4; true pairs: ab, ac, bc, de = 4; correct: ab, de = 2
    assert s["predicted_pairs"] == 4 and s["true_pairs"] == 4 and s["correct_pairs"] == 2
    assert s["precision"] == pytest.approx(0.5) and s["recall"] == pytest.approx(0.5)
    assert s["f1"] == pytest.approx(0.5)
    assert s["identifiers_scored"] == 5
    assert s["missing_in_prediction"] == 1 and s["missing_in_truth"] == 1


def test_pairwise_scores_perfect_and_no_pairs():
    one = pd.DataFrame({"id_type": ["t", "t"], "id_value": ["a", "b"], "person_id": ["P", "P"]})
    assert pairwise_scores(one, one)["precision"] == 1.0
    singles = one.assign(person_id=["P", "Q"])
    s = pairwise_scores(singles, singles)
    assert (s["precision"], s["recall"], s["predicted_pairs"]) == (1.0, 1.0, 0.0)


# --- figures ---------------------------------------------------------------------------------------
def test_plot_component_sizes_bars_labels_and_alert():
    frame = pd.DataFrame({"size": [1, 2, 3, 25, 60], "components": [100, 40, 5, 2, 1]})
    ax = plot_component_sizes(frame, max_size=20, cap=20)
    bars = ax.containers[0]
    assert [b.get_height() for b in bars] == [100, 40, 5, 3]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3", "20+"]
    colors = [b.get_facecolor() for b in bars]
    assert colors[0] == colors[1] == colors[2] != colors[3]  # only the pooled bar is over 20
    assert ax.get_title() == "How many identifiers each person has"
    assert ax.get_ylabel() == "People"
    assert "Identifiers linked to one person" in ax.get_xlabel()
    assert any("alert" in t.get_text() for t in ax.get_legend().get_texts())
    assert [t.get_text() for t in ax.texts] == ["100", "40", "5", "3"]


def test_plot_component_sizes_from_diagnostics_dict(result):
    ax = plot_component_sizes(result.diagnostics)
    assert [b.get_height() for b in ax.containers[0]] == [2, 1, 1]
    assert ax.get_yscale() == "linear"
    assert ax.get_legend() is None


def test_plot_component_sizes_switches_to_log_scale():
    frame = pd.DataFrame({"size": [1, 2], "components": [1_000_000, 3]})
    ax = plot_component_sizes(frame)
    assert ax.get_yscale() == "log" and "log scale" in ax.get_ylabel()


def test_plot_identifiers_per_person(result):
    ax = plot_identifiers_per_person(result.diagnostics)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["anonymous id", "email", "user id"]  # bottom to top, readable
    one, two, more = ax.containers
    assert [b.get_width() for b in one] == [3, 1, 2]
    assert [b.get_width() for b in two] == [1, 0, 0]
    assert [b.get_width() for b in more] == [0, 0, 0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["1", "2", "3 or more"]
    assert ax.get_xlabel() == "People"
