"""Request and response shapes of voucher analytics exports."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from vantio.kit.schemas import Create, Strict, Timestamp, prefixed
from vantio.kit.time import isoformat
from vantio.voucher_analytics.metrics import Window, window_of
from vantio.voucher_analytics.models import VoucherExport

# Export metric name → key of metrics.performance().
EXPORT_METRICS = {
    "uses": "total_uses",
    "discount": "total_discount",
    "orders": "orders",
    "conversion_rate": "conversion_rate",
    "avg_order_value": "avg_order_value",
    "revenue_impact": "revenue_impact",
    "unique_customers": "unique_customers",
    "repeat_usage": "repeat_usage",
    "validations": "validations",
}
Metric = Literal[
    "uses",
    "discount",
    "orders",
    "conversion_rate",
    "avg_order_value",
    "revenue_impact",
    "unique_customers",
    "repeat_usage",
    "validations",
]
VoucherId = Annotated[str, prefixed("v")]


class TimePeriod(Strict):
    start: Annotated[str, Field(max_length=40)] | None = None
    end: Annotated[str, Field(max_length=40)] | None = None


class ExportCreate(Create):
    voucher_ids: Annotated[list[VoucherId], Field(min_length=1, max_length=100)]
    metrics: Annotated[list[Metric], Field(min_length=1, max_length=len(EXPORT_METRICS))]
    format: Literal["csv", "json", "xlsx"] = "csv"
    time_period: TimePeriod | None = None

    def window(self) -> Window:
        period = self.time_period or TimePeriod()
        return window_of(
            period.start,
            period.end,
            start_field="time_period.start",
            end_field="time_period.end",
        )


def file_size(size: int | None) -> str | None:
    """Human-readable, as the docs print it ("2.5MB")."""
    if size is None:
        return None
    for unit, scale in (("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f}{unit}"
    return f"{size}B"


class ExportOut(BaseModel):
    export_id: str
    status: str
    format: str
    voucher_count: int
    metrics: list[str]
    time_period: dict[str, Any]
    created_at: Timestamp
    estimated_completion: Timestamp | None = None
    completed_at: Timestamp | None = None
    download_url: str | None = None
    expires_at: Timestamp | None = None
    file_size: str | None = None
    file_size_bytes: int | None = None
    record_count: int | None = None
    error: dict[str, Any] | None = None

    @classmethod
    def of(
        cls, export: VoucherExport, *, base_url: str, estimate: datetime | None = None
    ) -> "ExportOut":
        import json

        done = export.status == "completed"
        return cls(
            export_id=export.id,
            status=export.status,
            format=export.format,
            voucher_count=len(export.voucher_ids),
            metrics=export.metrics,
            time_period={
                "start": isoformat(export.period_start),
                "end": isoformat(export.period_end),
            },
            created_at=export.created_at,
            estimated_completion=estimate if export.status == "processing" else None,
            completed_at=export.completed_at,
            download_url=f"{base_url}/v1/analytics/export/{export.id}/download" if done else None,
            expires_at=export.expires_at,
            file_size=file_size(export.file_size),
            file_size_bytes=export.file_size,
            record_count=export.record_count,
            error=json.loads(export.error) if export.error else None,
        )


# --- The three per-voucher reports (bodies built by service.report) -------------------------


class ReportPeriod(BaseModel):
    start: str
    end: str


class Report(BaseModel):
    voucher_id: str
    code: str
    currency: str
    time_period: ReportPeriod
    generated_at: str


class Performance(BaseModel):
    total_uses: int
    total_discount: int
    orders: int
    conversion_rate: float
    avg_order_value: int
    revenue_impact: int
    unique_customers: int
    repeat_usage: int


class PerformanceDetails(BaseModel):
    validations: int
    valid_validations: int
    usage_count: int


class PerformanceReport(Report):
    performance: Performance
    details: PerformanceDetails | None = Field(
        default=None, description="With `include_details=true` only"
    )


class TrendPoint(BaseModel):
    """One period; with `metrics[]`, only `date` and those metrics."""

    date: str
    uses: int | None = None
    discount: int | None = None
    orders: int | None = None
    conversion_rate: float | None = None
    avg_order_value: int | None = None


class TrendSummary(BaseModel):
    total_period_uses: int
    total_period_discount: int
    avg_daily_uses: float
    growth_rate: float | None


class TrendsReport(Report):
    interval: Literal["day", "week", "month"]
    trends: list[TrendPoint]
    summary: TrendSummary


class CustomerSegment(BaseModel):
    segment: str
    count: int
    uses: int
    avg_order_value: int
    conversion_rate: float


class Region(BaseModel):
    region: str
    count: int
    percentage: float


class CustomerInsights(BaseModel):
    total_customers: int
    new_customers: int
    returning_customers: int
    avg_customer_value: int
    customer_lifetime_value: int
    top_customer_segments: list[CustomerSegment]
    geographic_distribution: list[Region]


class CustomersReport(Report):
    customer_insights: CustomerInsights
