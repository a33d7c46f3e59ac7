from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from starlette.responses import Response

from vantio.http.dependencies import AuthDep, RuntimeDep, SessionDep
from vantio.http.routes import VoucherRoute, content, errors, idempotent
from vantio.kit.schemas import prefixed
from vantio.kit.time import utc_now
from vantio.voucher_analytics import service
from vantio.voucher_analytics.metrics import window_of
from vantio.voucher_analytics.schemas import (
    CustomersReport,
    ExportCreate,
    ExportOut,
    PerformanceReport,
    TrendsReport,
)

router = APIRouter(prefix="/analytics", tags=["Voucher analytics"], route_class=VoucherRoute)

VoucherId = Annotated[str, prefixed("v")]
ExportId = Annotated[str, prefixed("export")]
StartDate = Annotated[
    str | None, Query(description="Window start (YYYY-MM-DD or ISO 8601; default end - 30 days)")
]
EndDate = Annotated[
    str | None, Query(description="Window end (a date includes that whole day; default now)")
]


@router.get(
    "/vouchers/{id}/performance",
    response_model=PerformanceReport,
    response_model_exclude_unset=True,
)
async def voucher_performance(
    session: SessionDep,
    auth: AuthDep,
    id: VoucherId,
    start_date: StartDate = None,
    end_date: EndDate = None,
    include_details: Annotated[bool, Query(description="Add validation counts")] = False,
) -> dict[str, Any]:
    """A voucher's KPIs over a window of at most 90 days."""
    window = window_of(start_date, end_date)
    return await service.report(
        session,
        auth,
        voucher_id=id,
        window=window,
        kind="performance",
        include_details=include_details,
    )


@router.get("/vouchers/{id}/trends", response_model=TrendsReport, response_model_exclude_unset=True)
async def voucher_trends(
    session: SessionDep,
    auth: AuthDep,
    id: VoucherId,
    interval: Annotated[
        Literal["day", "week", "month"], Query(description="Size of each point")
    ] = "day",
    start_date: StartDate = None,
    end_date: EndDate = None,
    metrics: Annotated[
        list[Literal["uses", "discount", "orders", "conversion_rate", "avg_order_value"]] | None,
        Query(alias="metrics[]", description="Only these metrics in each point"),
    ] = None,
) -> dict[str, Any]:
    """A voucher's uses, discount, orders and conversion per day, week or month."""
    window = window_of(start_date, end_date)
    body = await service.report(
        session, auth, voucher_id=id, window=window, kind="trends", interval=interval
    )
    if metrics:
        keep = {"date", *metrics}
        body["trends"] = [{k: v for k, v in p.items() if k in keep} for p in body["trends"]]
    return body


@router.get("/vouchers/{id}/customers", response_model=CustomersReport)
async def voucher_customers(
    session: SessionDep,
    auth: AuthDep,
    id: VoucherId,
    start_date: StartDate = None,
    end_date: EndDate = None,
) -> dict[str, Any]:
    """Who used a voucher: new and returning customers, value, segments and regions."""
    window = window_of(start_date, end_date)
    return await service.report(session, auth, voucher_id=id, window=window, kind="customers")


@router.post(
    "/export", response_model=ExportOut, response_model_exclude_none=True, responses=errors(404)
)
@idempotent("voucher_analytics.export")
async def start_export(
    session: SessionDep, auth: AuthDep, runtime: RuntimeDep, body: ExportCreate
) -> ExportOut:
    """Start an asynchronous export of voucher metrics (CSV or JSON), built by the worker."""
    export = await service.start_export(session, auth, data=body)
    return ExportOut.of(
        export,
        base_url=runtime.settings.public_base_url(),
        estimate=utc_now() + timedelta(minutes=1),
    )


@router.get("/export/{id}", response_model=ExportOut)
async def get_export(
    session: SessionDep, auth: AuthDep, runtime: RuntimeDep, id: ExportId
) -> ExportOut:
    """An export's status; once completed, its download URL, size and record count."""
    export = await service.get_export_or_raise(session, auth, export_id=id)
    return ExportOut.of(export, base_url=runtime.settings.public_base_url())


@router.get(
    "/export/{id}/download",
    response_class=Response,
    responses={
        200: content("The file, as an attachment", "text/csv", "application/json"),
        **errors(409, 410, 500),
    },
)
async def download_export(session: SessionDep, auth: AuthDep, id: ExportId) -> Response:
    """Download a completed export's file (kept for 24 hours)."""
    export = await service.get_export_or_raise(session, auth, export_id=id)
    content, media_type = service.download(export)
    extension = "json" if export.format == "json" else "csv"
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{export.id}.{extension}"'},
    )
