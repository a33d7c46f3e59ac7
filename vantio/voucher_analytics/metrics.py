"""The metrics of one voucher over a window, from its applications and validations.

Definitions (docs/API.md repeats them): an application counts while it stands (`applied`, not
rolled back); `total_uses` = standing applications created in the window; `total_discount` =
their summed discount; `orders` = distinct order ids among them; `avg_order_value` = mean order
value (before discount) of those applications; `revenue_impact` = summed `final_amount` (what
the orders brought in after the discount); `conversion_rate` = uses / recorded validations of the
voucher in the window (0 when none; at most 1; previews are not recorded); `unique_customers` =
distinct customers (by id, else email) among the uses; `repeat_usage` = customers with two or
more uses. Money is in minor units, averages rounded half up.
"""

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext
from vantio.db import repository
from vantio.errors import BadRequest, FieldError
from vantio.kit.time import utc_now
from vantio.vouchers.models import Voucher, VoucherApplication, VoucherValidation

MAX_DAYS = 90
DEFAULT_DAYS = 30


class InvalidTimePeriod(BadRequest):
    code = "INVALID_TIME_PERIOD"
    message = "The time period is invalid"


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime  # exclusive

    @property
    def days(self) -> int:
        return max(1, math.ceil((self.end - self.start) / timedelta(days=1)))


def _parse(field: str, raw: str | None, *, end: bool) -> datetime | None:
    if raw is None or raw == "":
        return None
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            # A date as the end means the whole of that day.
            return datetime.combine(day + timedelta(days=1 if end else 0), time(), tzinfo=UTC)
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise FieldError(field, "expected a date (YYYY-MM-DD) or an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def window_of(
    start_raw: str | None,
    end_raw: str | None,
    *,
    start_field: str = "start_date",
    end_field: str = "end_date",
) -> Window:
    """The query window; by default the last 30 days, at most 90 days long."""
    end = _parse(end_field, end_raw, end=True) or utc_now()
    start = _parse(start_field, start_raw, end=False) or end - timedelta(days=DEFAULT_DAYS)
    if start >= end:
        raise InvalidTimePeriod(
            f"{start_field} must be before {end_field}",
            details={"field": start_field, "max_days": MAX_DAYS, "requested_days": 0},
        )
    window = Window(start, end)
    if window.days > MAX_DAYS:
        raise InvalidTimePeriod(
            f"The time period may not exceed {MAX_DAYS} days",
            details={"max_days": MAX_DAYS, "requested_days": window.days},
        )
    return window


@dataclass(frozen=True)
class Use:
    at: datetime
    order_id: str
    order_value: int
    discount: int
    final_amount: int
    customer: str | None
    segment: str | None
    region: str | None


@dataclass(frozen=True)
class Attempt:
    at: datetime
    is_valid: bool
    segment: str | None


def average(total: int, count: int) -> int:
    """Half-up rounded mean of non-negative minor units."""
    return (2 * total + count) // (2 * count) if count else 0


def rate(part: int, whole: int) -> float:
    return round(min(1.0, part / whole), 4) if whole else 0.0


async def uses_of(
    session: AsyncSession, auth: AuthContext, *, voucher_id: str, window: Window
) -> list[Use]:
    rows = await session.execute(
        select(
            VoucherApplication.created_at,
            VoucherApplication.order_id,
            VoucherApplication.order_value,
            VoucherApplication.discount_amount,
            VoucherApplication.final_amount,
            VoucherApplication.customer_key,
            VoucherApplication.customer_segment,
            VoucherApplication.order_data,
        )
        .where(
            repository.owned_by(VoucherApplication, auth),
            VoucherApplication.voucher_id == voucher_id,
            VoucherApplication.status == "applied",
            VoucherApplication.created_at >= window.start,
            VoucherApplication.created_at < window.end,
        )
        .order_by(VoucherApplication.created_at)
    )
    return [
        Use(at, order, value, discount, final, customer, segment, _region(order_data))
        for at, order, value, discount, final, customer, segment, order_data in rows.all()
    ]


def _region(order_data: dict[str, Any] | None) -> str | None:
    metadata = (order_data or {}).get("metadata") or {}
    region = metadata.get("region") or metadata.get("country")
    return str(region) if region else None


async def attempts_of(
    session: AsyncSession, auth: AuthContext, *, voucher_id: str, window: Window
) -> list[Attempt]:
    rows = await session.execute(
        select(
            VoucherValidation.created_at,
            VoucherValidation.is_valid,
            VoucherValidation.customer_segment,
        ).where(
            repository.owned_by(VoucherValidation, auth),
            VoucherValidation.voucher_id == voucher_id,
            VoucherValidation.created_at >= window.start,
            VoucherValidation.created_at < window.end,
        )
    )
    return [Attempt(at, bool(valid), segment) for at, valid, segment in rows.all()]


def performance(uses: Sequence[Use], attempts: Sequence[Attempt]) -> dict[str, Any]:
    per_customer: dict[str, int] = defaultdict(int)
    for use in uses:
        if use.customer is not None:
            per_customer[use.customer] += 1
    return {
        "total_uses": len(uses),
        "total_discount": sum(u.discount for u in uses),
        "orders": len({u.order_id for u in uses}),
        "conversion_rate": rate(len(uses), len(attempts)),
        "avg_order_value": average(sum(u.order_value for u in uses), len(uses)),
        "revenue_impact": sum(u.final_amount for u in uses),
        "unique_customers": len(per_customer),
        "repeat_usage": sum(1 for n in per_customer.values() if n >= 2),
        "validations": len(attempts),
    }


def bucket_start(moment: datetime, interval: str) -> date:
    day = moment.date()
    if interval == "week":
        return day - timedelta(days=day.weekday())  # ISO weeks start on Monday
    if interval == "month":
        return day.replace(day=1)
    return day


def _next(day: date, interval: str) -> date:
    if interval == "week":
        return day + timedelta(days=7)
    if interval == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=1)


def trends(
    uses: Sequence[Use], attempts: Sequence[Attempt], *, window: Window, interval: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One point per interval (empty ones included), oldest first, and the summary."""
    by_bucket: dict[date, list[Use]] = defaultdict(list)
    tries: dict[date, int] = defaultdict(int)
    for use in uses:
        by_bucket[bucket_start(use.at, interval)].append(use)
    for attempt in attempts:
        tries[bucket_start(attempt.at, interval)] += 1
    points: list[dict[str, Any]] = []
    day = bucket_start(window.start, interval)
    last = bucket_start(window.end - timedelta(microseconds=1), interval)
    while day <= last:
        bucket = by_bucket.get(day, [])
        points.append(
            {
                "date": day.isoformat(),
                "uses": len(bucket),
                "discount": sum(u.discount for u in bucket),
                "orders": len({u.order_id for u in bucket}),
                "conversion_rate": rate(len(bucket), tries.get(day, 0)),
                "avg_order_value": average(sum(u.order_value for u in bucket), len(bucket)),
            }
        )
        day = _next(day, interval)
    first_uses = points[0]["uses"] if points else 0
    last_uses = points[-1]["uses"] if points else 0
    summary = {
        "total_period_uses": len(uses),
        "total_period_discount": sum(u.discount for u in uses),
        "avg_daily_uses": round(len(uses) / window.days, 2),
        # Change from the first interval to the last, as a fraction; null when the first is 0.
        "growth_rate": round((last_uses - first_uses) / first_uses, 4) if first_uses else None,
    }
    return points, summary


async def customers(
    session: AsyncSession,
    auth: AuthContext,
    *,
    voucher_id: str,
    window: Window,
    uses: Sequence[Use],
    attempts: Sequence[Attempt],
) -> dict[str, Any]:
    keys = {u.customer for u in uses if u.customer is not None}
    first_use: dict[str, datetime] = {}
    lifetime: dict[str, int] = {}
    if keys:
        rows = await session.execute(
            select(
                VoucherApplication.customer_key,
                func.min(VoucherApplication.created_at),
                func.sum(VoucherApplication.final_amount),
            )
            .where(
                repository.owned_by(VoucherApplication, auth),
                VoucherApplication.voucher_id == voucher_id,
                VoucherApplication.status == "applied",
                VoucherApplication.customer_key.in_(keys),
                VoucherApplication.created_at < window.end,
            )
            .group_by(VoucherApplication.customer_key)
        )
        for key, first, total in rows.all():
            first_use[str(key)] = first
            lifetime[str(key)] = int(total or 0)
    new = sum(1 for key in keys if first_use.get(key, window.start) >= window.start)
    spent: dict[str, int] = defaultdict(int)
    for use in uses:
        if use.customer is not None:
            spent[use.customer] += use.final_amount
    segments: dict[str, list[Use]] = defaultdict(list)
    for use in uses:
        segments[use.segment or "unknown"].append(use)
    segment_tries: dict[str, int] = defaultdict(int)
    for attempt in attempts:
        segment_tries[attempt.segment or "unknown"] += 1
    top: list[dict[str, Any]] = sorted(
        (
            {
                "segment": name,
                "count": len({u.customer for u in group if u.customer is not None}),
                "uses": len(group),
                "avg_order_value": average(sum(u.order_value for u in group), len(group)),
                "conversion_rate": rate(len(group), segment_tries.get(name, 0)),
            }
            for name, group in segments.items()
        ),
        key=_by_count("uses", "segment"),
    )[:10]
    regions: dict[str, set[str]] = defaultdict(set)
    for use in uses:
        regions[use.region or "unknown"].add(use.customer or f"order:{use.order_id}")
    counted = sum(len(v) for v in regions.values())
    geographic: list[dict[str, Any]] = sorted(
        (
            {"region": name, "count": len(who), "percentage": round(100 * len(who) / counted, 2)}
            for name, who in regions.items()
        ),
        key=_by_count("count", "region"),
    )
    return {
        "total_customers": len(keys),
        "new_customers": new,
        "returning_customers": len(keys) - new,
        "avg_customer_value": average(sum(spent.values()), len(spent)),
        "customer_lifetime_value": average(sum(lifetime.values()), len(lifetime)),
        "top_customer_segments": top,
        "geographic_distribution": geographic,
    }


def _by_count(count: str, name: str) -> Callable[[dict[str, Any]], tuple[int, str]]:
    return lambda row: (-int(row[count]), str(row[name]))


async def vouchers_by_id(
    session: AsyncSession, auth: AuthContext, *, voucher_ids: Sequence[str]
) -> dict[str, Voucher]:
    rows = await session.scalars(
        select(Voucher).where(
            repository.owned_by(Voucher, auth),
            Voucher.id.in_(set(voucher_ids)),
        )
    )
    return {v.id: v for v in rows.all()}
