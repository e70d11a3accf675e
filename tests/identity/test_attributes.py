"""person_attributes takes the stitched (coded) conversions as well as stored strings."""

from __future__ import annotations

import pandas as pd

from workbench.identity.attributes import person_attributes


def test_latest_conversion_attribute_with_a_coded_person_id():
    ids = pd.array(["p_b", "p_a", "p_c"], dtype="string")
    people = pd.DataFrame({"person_id": ids, "account_id": pd.array([None] * 3, dtype="string")})
    coded = pd.Categorical.from_codes([1, 0, 1, -1], dtype=pd.CategoricalDtype(pd.Index(ids)))
    conversions = pd.DataFrame(
        {
            "person_id": coded,
            "ts": pd.to_datetime(
                ["2026-01-02", "2026-01-01", "2026-01-01", "2026-01-03"], utc=True
            ),
            "attr_product_line": pd.array(["B", "X", "A", "Z"], dtype="string"),
        }
    )
    out = person_attributes(people, conversions=conversions)
    assert out["person_id"].dtype == "string"
    # p_a's latest conversion says "B"; p_b has "X"; p_c none; the row without a person counts nowhere
    lines = out.set_index("person_id")["product_line"].fillna("-").to_dict()
    assert lines == {"p_b": "X", "p_a": "B", "p_c": "-"}
    stored = conversions.assign(person_id=conversions["person_id"].astype("string"))
    pd.testing.assert_frame_equal(out, person_attributes(people, conversions=stored))
