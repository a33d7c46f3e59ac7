"""The ledger's rules as properties (issue 15 point 9): over random sequences of earnings,
reversals, caps, payout runs and their outcomes,

- everything paid out equals all earnings minus reversals (a clawback not yet netted is still
  owed: it is counted as such);
- no payout is ever negative;
- no earning is ever in two live payouts;
- a cap is never exceeded.
"""

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.helpers import Api, make_funnel, make_poster, make_referral, make_user
from vantio.kit.time import freeze

Op = tuple[Any, ...]

operations = st.lists(
    st.one_of(
        st.tuples(st.just("earn"), st.integers(0, 1), st.integers(1, 3000)),
        st.tuples(st.just("reverse"), st.integers(0, 1000)),
        st.tuples(st.just("run")),
        st.tuples(st.just("settle"), st.integers(0, 1000), st.booleans()),
    ),
    min_size=1,
    max_size=25,
)


class Ledger:
    """What the API answered, and the checks made along the way."""

    def __init__(self, api: Api, program_id: str, cap: int | None) -> None:
        self.api, self.program_id, self.cap = api, program_id, cap
        self.earnings: dict[str, int] = {}  # every positive earning: its amount as recorded
        self.owner: dict[str, int] = {}  # which ambassador earned it
        self.reversed_unpaid: set[str] = set()
        self.clawed: set[str] = set()
        self.payouts: set[str] = set()

    async def earn(self, who: int, referral_id: str, amount: int) -> None:
        earning = await self.api.ok(
            "POST", "/api/v1/earnings", {"referral_id": referral_id, "amount": amount}
        )
        assert 0 <= earning["amount"] <= amount
        self.earnings[earning["id"]] = earning["amount"]
        self.owner[earning["id"]] = who

    async def reverse(self, pick: int) -> None:
        if not self.earnings:
            return
        earning_id = list(self.earnings)[pick % len(self.earnings)]
        answer = await self.api.post(f"/api/v1/earnings/{earning_id}/reverse", {"reason": "refund"})
        if earning_id in self.reversed_unpaid or earning_id in self.clawed:
            assert answer.status_code == 409
            return
        assert answer.status_code == 200, answer.text
        body = answer.json()
        (self.clawed if body["clawback"] else self.reversed_unpaid).add(earning_id)

    async def run(self) -> int:
        result = await self.api.ok("POST", "/api/v1/payouts", {"program_id": self.program_id})
        for payout in result["payouts"]:
            assert payout["amount"] >= 0
            self.payouts.add(payout["id"])
        return len(result["payouts"])

    async def processing(self) -> list[str]:
        listed = await self.api.ok(
            "GET", "/api/v1/payouts", program_id=self.program_id, status="processing", limit="100"
        )
        return sorted(p["id"] for p in listed["payouts"])

    async def settle(self, pick: int, paid: bool) -> None:
        live = await self.processing()
        if not live:
            return
        payout_id = live[pick % len(live)]
        status = "paid" if paid else "failed"
        await self.api.ok("PUT", f"/api/v1/payouts/{payout_id}", {"status": status})
        if not paid:  # the operator retries: the earnings go back to pending
            await self.retry_failed()

    async def retry_failed(self) -> None:
        failed = await self.earnings_in("failed")
        for earning in failed:
            await self.api.ok("PUT", f"/api/v1/earnings/{earning['id']}", {"status": "pending"})

    async def earnings_in(self, status: str) -> list[dict[str, Any]]:
        listed = await self.api.ok(
            "GET", "/api/v1/earnings", program_id=self.program_id, status=status, limit="100"
        )
        earnings: list[dict[str, Any]] = listed["earnings"]
        return earnings

    async def check_invariants(self) -> None:
        live_lines: list[str] = []
        for payout_id in self.payouts:
            payout = await self.api.ok("GET", f"/api/v1/payouts/{payout_id}")
            assert payout["amount"] >= 0
            assert payout["amount"] == sum(
                line["amount"] for line in payout["lines"] if line["active"]
            )
            if payout["status"] != "failed":
                live_lines += [line["earning_id"] for line in payout["lines"] if line["active"]]
        assert len(live_lines) == len(set(live_lines)), "an earning in two live payouts"
        if self.cap is not None:  # every earning is made on the same day
            for who in (0, 1):
                kept = [
                    amount
                    for earning_id, amount in self.earnings.items()
                    if self.owner[earning_id] == who and earning_id not in self.reversed_unpaid
                ]
                assert sum(kept) <= self.cap

    async def settle_everything(self) -> int:
        """Pay every payable earning; the total paid out."""
        for _ in range(10):
            await self.retry_failed()
            for payout_id in await self.processing():
                await self.api.ok("PUT", f"/api/v1/payouts/{payout_id}", {"status": "paid"})
            if not await self.run():
                break
        listed = await self.api.ok(
            "GET", "/api/v1/payouts", program_id=self.program_id, status="paid", limit="100"
        )
        return sum(p["amount"] for p in listed["payouts"])


@pytest.mark.slow
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations, cap=st.one_of(st.none(), st.integers(0, 6000)))
# Paid, clawed back, netted off a new earning, which is then reversed in its payout.
@example(
    ops=[
        ("earn", 0, 1000),
        ("run",),
        ("settle", 0, True),
        ("reverse", 0),
        ("earn", 0, 1500),
        ("run",),
        ("reverse", 1),
        ("earn", 0, 200),
        ("run",),
        ("settle", 0, False),
    ],
    cap=None,
)
async def test_paid_equals_earned_minus_reversed(api: Api, ops: list[Op], cap: int | None) -> None:
    fields: dict[str, Any] = {}
    if cap is not None:
        fields["commission_cap"] = {"amount": cap, "period": "day"}
    with freeze(datetime(2026, 5, 6, 9, 0, tzinfo=UTC)):
        funnel = await make_funnel(api, **fields)
        other = await make_user(api, funnel.program["id"])
        other_poster = await make_poster(api, funnel.program["id"], other["id"])
        other_scan = await api.ok("POST", "/api/v1/impressions", {"poster_id": other_poster["id"]})
        referrals = [
            (await make_referral(api, funnel.impression["id"]))["id"],
            (await make_referral(api, other_scan["id"]))["id"],
        ]
        ledger = Ledger(api, funnel.program["id"], cap)
        for op in ops:
            if op[0] == "earn":
                await ledger.earn(op[1], referrals[op[1]], op[2])
            elif op[0] == "reverse":
                await ledger.reverse(op[1])
            elif op[0] == "run":
                await ledger.run()
            else:
                await ledger.settle(op[1], op[2])
            await ledger.check_invariants()

        paid_out = await ledger.settle_everything()
        await ledger.check_invariants()

        assert await ledger.earnings_in("processing") == []
        assert [e for e in await ledger.earnings_in("pending") if e["amount"] > 0] == []
        owed_back = -sum(e["amount"] for e in await ledger.earnings_in("pending"))
        earned = sum(
            amount for e, amount in ledger.earnings.items() if e not in ledger.reversed_unpaid
        )
        clawed = sum(ledger.earnings[e] for e in ledger.clawed)
        assert paid_out == earned - clawed + owed_back
        assert owed_back >= 0
