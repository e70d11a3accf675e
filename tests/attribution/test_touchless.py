"""A converted journey without touches is warned about once: by the credit run only."""

from __future__ import annotations

import warnings

import pytest
from journey_fixtures import tables

from workbench.attribution import bootstrap_credits, channel_roles, run_models


def test_credit_run_warns_secondary_analyses_do_not():
    journeys, touches = tables()  # j5 converted without touches
    with pytest.warns(UserWarning, match="1 converted journey"):
        run_models(touches, journeys, models=["last"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        roles = channel_roles(touches, journeys)
        ci = bootstrap_credits(touches, journeys, models=["last"], n_boot=5, seed=0)
    assert set(roles["channel"]) >= {"Email", "Sales"}
    assert len(ci) > 0
