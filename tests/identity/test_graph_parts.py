"""Phase helpers of build_graph (workbench.identity._graph_parts) on hand-made examples."""

import numpy as np
import pandas as pd

from workbench.identity._graph_parts import _edges, _shared_table, _unknown_types


def test_edges_pairs_in_each_row_then_links():
    # one table, three types; row 0 holds x and y, row 1 holds x, y and z, row 2 only z
    row_nodes = {
        "t": {
            "x": np.array([0, 1, -1], dtype=np.int32),
            "y": np.array([2, 3, -1], dtype=np.int32),
            "z": np.array([-1, 4, 5], dtype=np.int32),
        }
    }
    row_kept = {"t": {"x": 2, "y": 2, "z": 2}}
    link_a = np.array([0, 5, -1, 4])
    link_b = np.array([5, 5, 2, 1])
    a, b, both = _edges(row_nodes, row_kept, link_a, link_b, n_nodes=6)
    # (x, y) rows 0 and 1; (x, z) row 1; (y, z) row 1; then links 0 and 3
    assert a.tolist() == [0, 1, 1, 3, 0, 4]
    assert b.tolist() == [2, 3, 4, 4, 5, 1]
    assert a.dtype == np.int32 and b.dtype == np.int32
    assert both.tolist() == [True, False, False, True]


def test_unknown_types_counts_each_side_sorted():
    type_a = pd.Series(["email", "foo", None, "foo"], dtype="string")
    type_b = pd.Series(["bar", "email", "email", "email"], dtype="string")
    kinds = ("email", "crm_account_id")
    kind_a = np.array([0, -1, -1, -1])
    kind_b = np.array([-1, 0, 0, 0])
    rows = _unknown_types(type_a, type_b, kind_a, kind_b, kinds)
    assert rows == [
        ("(missing)", "unknown_id_type", "", 0, 1),
        ("bar", "unknown_id_type", "", 0, 1),
        ("foo", "unknown_id_type", "", 0, 2),
    ]
    assert _unknown_types(type_a[:1], type_a[:1], kind_a[:1], kind_a[:1], kinds) == []


def test_shared_table_empty_adds_no_blocked_rows():
    blocked: list = []
    out = _shared_table(pd.DataFrame(), np.zeros(0, np.int64), None, blocked)
    assert blocked == []
    assert list(out.columns) == ["id_type", "id_value", "other_type", "linked", "limit", "rows"]
    assert len(out) == 0
