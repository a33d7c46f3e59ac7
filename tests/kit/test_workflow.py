"""The status-workflow helper shared by referrals, earnings and payouts."""

from enum import StrEnum

import pytest

from vantio.earnings import service as earning_service
from vantio.kit.workflow import InvalidStatusTransition, Workflow
from vantio.payouts import service as payout_service
from vantio.referrals import service as referral_service


class Light(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


LIGHTS = Workflow(
    "light", {Light.GREEN: {Light.AMBER}, Light.AMBER: {Light.RED}, Light.RED: {Light.GREEN}}
)


def test_check_lets_an_allowed_move_through_and_refuses_the_others() -> None:
    LIGHTS.check("green", "amber")
    with pytest.raises(InvalidStatusTransition) as refused:
        LIGHTS.check("green", "red")
    assert refused.value.status == 400
    assert refused.value.code == "invalid_status_transition"
    assert refused.value.message == "status: a light cannot go from 'green' to 'red'"
    assert refused.value.details == {
        "field": "status",
        "current": "green",
        "requested": "red",
        "allowed": ["amber"],
    }


def test_the_article_follows_the_noun() -> None:
    with pytest.raises(InvalidStatusTransition) as refused:
        earning_service.WORKFLOW.check("paid", "pending")
    assert refused.value.message == "status: an earning cannot go from 'paid' to 'pending'"


def test_statuses_and_allowed_moves_are_the_enum_values() -> None:
    assert LIGHTS.statuses == (Light.GREEN, Light.AMBER, Light.RED)
    assert LIGHTS.allowed("red") == ["green"]
    assert referral_service.WORKFLOW.allowed("converted") == ["rejected", "verified"]
    assert payout_service.WORKFLOW.allowed("paid") == []


def test_a_move_to_an_undeclared_status_is_refused_when_the_workflow_is_declared() -> None:
    with pytest.raises(ValueError, match="undeclared"):
        Workflow("light", {Light.GREEN: {Light.AMBER}})
