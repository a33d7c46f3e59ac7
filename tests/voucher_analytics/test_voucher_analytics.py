"""Voucher analytics (voucher-docs.md §8): performance, trends and customers computed from the
applications and validations, the 90-day window limit, and exports built by the worker."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.helpers import Api
from tests.vouchers.test_vouchers import cart, make_voucher
from vantio.db.session import transaction
from vantio.kit.time import freeze
from vantio.runtime import Runtime
from vantio.voucher_analytics import service as analytics_service
from vantio.worker.runner import run_due

DAY1 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday
DAY2 = datetime(2026, 3, 3, 15, 30, tzinfo=UTC)
WINDOW = {"start_date": "2026-03-01", "end_date": "2026-03-10"}


async def validate(api: Api, code: str, value: int, customer: dict[str, Any]) -> None:
    await api.post(
        "/v1/vouchers/validate", {"code": code, "order": cart(value), "customer": customer}
    )


async def apply(
    api: Api,
    code: str,
    order_id: str,
    value: int,
    customer: dict[str, Any],
    region: str | None = None,
) -> dict[str, Any]:
    order = cart(value, metadata={"region": region}) if region else cart(value)
    return await api.ok(
        "POST",
        "/v1/vouchers/apply",
        {"code": code, "order_id": order_id, "order": order, "customer": customer},
    )


ALICE = {"id": "cust_alice", "segment": "student"}
BOB = {"id": "cust_bob", "segment": "vip"}
CAROL = {"id": "cust_carol", "segment": "vip"}


async def history(api: Api) -> dict[str, Any]:
    """10% off: Alice uses it on day 1 and day 2, Bob on day 2, Carol's use is rolled back;
    six recorded validations (one preview, not recorded)."""
    voucher = await make_voucher(api, value=10)
    code = voucher["code"]
    with freeze(DAY1):
        for _ in range(3):
            await validate(api, code, 10000, ALICE)
        await api.post("/v1/vouchers/validate", {"code": code, "order": cart(100), "preview": True})
        await apply(api, code, "o1", 10000, ALICE, region="EU")
    with freeze(DAY2):
        for customer in (ALICE, BOB, CAROL):
            await validate(api, code, 5000, customer)
        await apply(api, code, "o2", 20000, ALICE, region="EU")
        await apply(api, code, "o3", 5000, BOB, region="US")
        carol = await apply(api, code, "o4", 8000, CAROL)
        await api.ok("POST", f"/v1/vouchers/applications/{carol['id']}/rollback", {})
    return voucher


async def test_performance(api: Api) -> None:
    voucher = await history(api)
    body = await api.ok(
        "GET",
        f"/v1/analytics/vouchers/{voucher['id']}/performance",
        include_details="true",
        **WINDOW,
    )
    assert body["voucher_id"] == voucher["id"]
    assert body["code"] == voucher["code"]
    assert body["currency"] == "USD"
    assert body["time_period"] == {"start": "2026-03-01T00:00:00Z", "end": "2026-03-11T00:00:00Z"}
    assert body["performance"] == {
        "total_uses": 3,
        "total_discount": 1000 + 2000 + 500,
        "orders": 3,
        "conversion_rate": 0.5,  # 3 standing uses / 6 recorded validations
        "avg_order_value": 11667,  # (10000 + 20000 + 5000) / 3, half up
        "revenue_impact": 9000 + 18000 + 4500,
        "unique_customers": 2,
        "repeat_usage": 1,
    }
    assert body["details"]["validations"] == 6
    # A window without activity.
    empty = await api.ok(
        "GET",
        f"/v1/analytics/vouchers/{voucher['id']}/performance",
        start_date="2026-04-01",
        end_date="2026-04-02",
    )
    assert empty["performance"]["total_uses"] == 0
    assert empty["performance"]["conversion_rate"] == 0


async def test_trends_by_day_week_and_month(api: Api) -> None:
    voucher = await history(api)
    path = f"/v1/analytics/vouchers/{voucher['id']}/trends"
    days = await api.ok("GET", path, interval="day", **WINDOW)
    assert [p["date"] for p in days["trends"]] == [f"2026-03-{d:02d}" for d in range(1, 11)]
    by_date = {p["date"]: p for p in days["trends"]}
    assert by_date["2026-03-02"] == {
        "date": "2026-03-02", "uses": 1, "discount": 1000, "orders": 1,
        "conversion_rate": 0.3333, "avg_order_value": 10000,
    }  # fmt: skip
    assert by_date["2026-03-03"]["uses"] == 2
    assert by_date["2026-03-03"]["avg_order_value"] == 12500
    assert by_date["2026-03-05"]["uses"] == 0
    assert days["summary"] == {
        "total_period_uses": 3,
        "total_period_discount": 3500,
        "avg_daily_uses": 0.3,
        "growth_rate": None,  # the first day had no use
    }
    weeks = await api.ok("GET", path, interval="week", **WINDOW)
    assert [(p["date"], p["uses"]) for p in weeks["trends"]] == [
        ("2026-02-23", 0), ("2026-03-02", 3), ("2026-03-09", 0)
    ]  # fmt: skip
    months = await api.ok("GET", path, interval="month", **WINDOW)
    assert [(p["date"], p["uses"]) for p in months["trends"]] == [("2026-03-01", 3)]
    only = await api.get(path, interval="day", **{"metrics[]": "uses"}, **WINDOW)
    assert only.json()["trends"][1] == {"date": "2026-03-02", "uses": 1}
    bad = await api.get(path, interval="year")
    assert bad.status_code == 400


async def test_customers(api: Api) -> None:
    voucher = await history(api)
    path = f"/v1/analytics/vouchers/{voucher['id']}/customers"
    body = (await api.ok("GET", path, **WINDOW))["customer_insights"]
    assert (body["total_customers"], body["new_customers"], body["returning_customers"]) == (
        2,
        2,
        0,
    )
    assert body["avg_customer_value"] == (27000 + 4500) // 2
    assert body["top_customer_segments"] == [
        {"segment": "student", "count": 1, "uses": 2, "avg_order_value": 15000,
         "conversion_rate": 0.5},
        {"segment": "vip", "count": 1, "uses": 1, "avg_order_value": 5000,
         "conversion_rate": 0.5},
    ]  # fmt: skip
    assert body["geographic_distribution"] == [
        {"region": "EU", "count": 1, "percentage": 50.0},
        {"region": "US", "count": 1, "percentage": 50.0},
    ]
    # From day 2 on, Alice is a returning customer (first use on day 1).
    later = (await api.ok("GET", path, start_date="2026-03-03", end_date="2026-03-10"))[
        "customer_insights"
    ]
    assert (later["total_customers"], later["new_customers"], later["returning_customers"]) == (
        2, 1, 1
    )  # fmt: skip
    assert later["customer_lifetime_value"] == (27000 + 4500) // 2


async def test_window_of_more_than_90_days_is_refused(api: Api) -> None:
    voucher = await make_voucher(api)
    for kind in ("performance", "trends", "customers"):
        response = await api.get(
            f"/v1/analytics/vouchers/{voucher['id']}/{kind}",
            start_date="2026-01-01",
            end_date="2026-06-01",
        )
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["code"] == "INVALID_TIME_PERIOD"
        assert error["details"] == {"max_days": 90, "requested_days": 152}
    ok = await api.get(
        f"/v1/analytics/vouchers/{voucher['id']}/performance",
        start_date="2026-01-01",
        end_date="2026-03-31",
    )
    assert ok.status_code == 200  # exactly 90 days
    backwards = await api.get(
        f"/v1/analytics/vouchers/{voucher['id']}/performance",
        start_date="2026-03-01",
        end_date="2026-02-01",
    )
    assert backwards.json()["error"]["code"] == "INVALID_TIME_PERIOD"
    missing = await api.get("/v1/analytics/vouchers/v_0000000000000000/performance")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "VOUCHER_NOT_FOUND"


async def export(api: Api, ids: list[str], fmt: str) -> dict[str, Any]:
    return await api.ok(
        "POST",
        "/v1/analytics/export",
        {
            "voucher_ids": ids,
            "metrics": ["uses", "discount", "conversion_rate", "revenue_impact"],
            "format": fmt,
            "time_period": {"start": "2026-03-01", "end": "2026-03-10"},
        },
    )


async def test_export_is_built_by_the_worker_and_downloaded(api: Api, runtime: Runtime) -> None:
    voucher = await history(api)
    idle = await make_voucher(api)
    started = await export(api, [voucher["id"], idle["id"]], "json")
    assert started["status"] == "processing"
    assert started["export_id"].startswith("export_")
    assert (started["format"], started["voucher_count"]) == ("json", 2)
    assert started["metrics"] == ["uses", "discount", "conversion_rate", "revenue_impact"]
    assert "estimated_completion" in started
    path = f"/v1/analytics/export/{started['export_id']}"
    pending = await api.get(f"{path}/download")
    assert pending.status_code == 409
    assert pending.json()["error"]["code"] == "EXPORT_NOT_READY"

    assert await run_due(runtime, names={"voucher_analytics.export"}, periodic=False) >= 1
    status = await api.ok("GET", path)
    assert status["status"] == "completed"
    assert status["record_count"] == 2
    assert status["download_url"].endswith(f"{path}/download")
    assert status["file_size_bytes"] > 0
    completed = datetime.fromisoformat(status["completed_at"].replace("Z", "+00:00"))
    expires = datetime.fromisoformat(status["expires_at"].replace("Z", "+00:00"))
    assert expires - completed == timedelta(hours=24)

    download = await api.get(f"{path}/download")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("application/json")
    records = json.loads(download.content)["records"]
    assert records == [
        {"voucher_id": voucher["id"], "code": voucher["code"], "currency": "USD",
         "start": "2026-03-01T00:00:00Z", "end": "2026-03-11T00:00:00Z",
         "uses": 3, "discount": 3500, "conversion_rate": 0.5, "revenue_impact": 31500},
        {"voucher_id": idle["id"], "code": idle["code"], "currency": "USD",
         "start": "2026-03-01T00:00:00Z", "end": "2026-03-11T00:00:00Z",
         "uses": 0, "discount": 0, "conversion_rate": 0, "revenue_impact": 0},
    ]  # fmt: skip
    with freeze(expires + timedelta(seconds=1)):
        gone = await api.get(f"{path}/download")
        assert gone.status_code == 410
    # The hourly purge (voucher_analytics.purge_exports) deletes it.
    async with transaction(runtime.sessionmaker) as session:
        await analytics_service.purge_expired(session, now=expires - timedelta(seconds=1))
    assert (await api.get(path)).status_code == 200
    async with transaction(runtime.sessionmaker) as session:
        await analytics_service.purge_expired(session, now=expires + timedelta(seconds=1))
    assert (await api.get(path)).status_code == 404


async def test_csv_export(api: Api, runtime: Runtime) -> None:
    voucher = await history(api)
    started = await export(api, [voucher["id"]], "csv")
    await run_due(runtime, names={"voucher_analytics.export"}, periodic=False)
    download = await api.get(f"/v1/analytics/export/{started['export_id']}/download")
    assert download.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert rows == [
        {"voucher_id": voucher["id"], "code": voucher["code"], "currency": "USD",
         "start": "2026-03-01T00:00:00Z", "end": "2026-03-11T00:00:00Z",
         "uses": "3", "discount": "3500", "conversion_rate": "0.5", "revenue_impact": "31500"},
    ]  # fmt: skip


async def test_export_refusals(api: Api) -> None:
    voucher = await make_voucher(api)
    xlsx = await api.post(
        "/v1/analytics/export",
        {"voucher_ids": [voucher["id"]], "metrics": ["uses"], "format": "xlsx"},
    )
    assert xlsx.status_code == 400
    assert xlsx.json()["error"]["details"][0]["field"] == "format"
    unknown = await api.post(
        "/v1/analytics/export",
        {"voucher_ids": [voucher["id"], "v_0000000000000000"], "metrics": ["uses"]},
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "VOUCHER_NOT_FOUND"
    assert unknown.json()["error"]["details"] == {
        "not_found": ["v_0000000000000000"],
        "found": [voucher["id"]],
    }
    too_long = await api.post(
        "/v1/analytics/export",
        {
            "voucher_ids": [voucher["id"]],
            "metrics": ["uses"],
            "time_period": {"start": "2026-01-01", "end": "2026-12-31"},
        },
    )
    assert too_long.json()["error"]["code"] == "INVALID_TIME_PERIOD"
    bad_metric = await api.post(
        "/v1/analytics/export", {"voucher_ids": [voucher["id"]], "metrics": ["clicks"]}
    )
    assert bad_metric.status_code == 400


def test_csv_export_cells_cannot_run_as_formulas() -> None:
    """Issue 11, point 4: the export's writer neutralises formula cells. Codes cannot start
    with `=` today (the API refuses them), so the writer is fed one directly: defence in depth
    for a code imported from elsewhere, or a column added later."""
    from vantio.voucher_analytics.models import VoucherExport

    export_row = VoucherExport(format="csv", metrics=["uses"])
    record = {"voucher_id": "v_1", "code": "=cmd|' /C calc'!A0", "currency": "USD",
              "start": "s", "end": "e", "uses": -3}  # fmt: skip
    content = analytics_service._render(export_row, [record])
    rows = list(csv.DictReader(io.StringIO(content.decode())))
    assert rows[0]["code"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["uses"] == "-3"
