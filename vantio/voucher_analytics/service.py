"""Voucher analytics reports and exports: load, compute (metrics.py), store the export file."""

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext
from vantio.db import repository
from vantio.errors import Conflict, FieldError, NotFound, VantioError
from vantio.kit.csv import rows_to_csv
from vantio.kit.ids import new_id
from vantio.kit.time import isoformat, utc_now
from vantio.voucher_analytics import metrics
from vantio.voucher_analytics.metrics import Window
from vantio.voucher_analytics.models import VoucherExport
from vantio.voucher_analytics.schemas import EXPORT_METRICS, ExportCreate
from vantio.vouchers import service as voucher_service
from vantio.vouchers.errors import VoucherNotFound
from vantio.vouchers.models import Voucher
from vantio.worker import jobs

EXPORT_JOB = "voucher_analytics.export"
EXPORT_TTL = timedelta(hours=24)
MAX_RECORDS = 100_000


class ExportNotFound(NotFound):
    code = "EXPORT_NOT_FOUND"
    message = "Export not found"


class ExportNotReady(Conflict):
    code = "EXPORT_NOT_READY"
    message = "The export is still processing"


class ExportExpired(VantioError):
    status = 410
    code = "EXPORT_EXPIRED"
    message = "The export has expired (exports are kept for 24 hours)"


class ExportFailed(VantioError):
    status = 500
    code = "EXPORT_FAILED"
    message = "The export failed"


async def report(
    session: AsyncSession,
    auth: AuthContext,
    *,
    voucher_id: str,
    window: Window,
    kind: str,
    interval: str = "day",
    include_details: bool = False,
) -> dict[str, Any]:
    """The body of one of the three per-voucher reports (`performance`, `trends`, `customers`)."""
    voucher = await voucher_service.get_voucher_or_raise(session, auth, voucher_id=voucher_id)
    uses = await metrics.uses_of(session, auth, voucher_id=voucher.id, window=window)
    attempts = await metrics.attempts_of(session, auth, voucher_id=voucher.id, window=window)
    body: dict[str, Any] = {
        "voucher_id": voucher.id,
        "code": voucher.code,
        "currency": _currency(voucher, uses),
        "time_period": {"start": isoformat(window.start), "end": isoformat(window.end)},
        "generated_at": isoformat(utc_now()),
    }
    if kind == "performance":
        performance = metrics.performance(uses, attempts)
        validations = performance.pop("validations")
        body["performance"] = performance
        if include_details:
            body["details"] = {
                "validations": validations,
                "valid_validations": sum(1 for a in attempts if a.is_valid),
                "usage_count": voucher.usage_count,
            }
    elif kind == "trends":
        points, summary = metrics.trends(uses, attempts, window=window, interval=interval)
        body["interval"] = interval
        body["trends"] = points
        body["summary"] = summary
    else:
        body["customer_insights"] = await metrics.customers(
            session, auth, voucher_id=voucher.id, window=window, uses=uses, attempts=attempts
        )
    return body


def _currency(voucher: Voucher, uses: list[metrics.Use]) -> str:
    return voucher.currency or voucher_service.DEFAULT_CURRENCY


async def start_export(
    session: AsyncSession, auth: AuthContext, *, data: ExportCreate
) -> VoucherExport:
    if data.format == "xlsx":
        raise FieldError("format", "xlsx is not supported; use csv or json")
    window = data.window()
    wanted = list(dict.fromkeys(data.voucher_ids))
    found = await metrics.vouchers_by_id(session, auth, voucher_ids=wanted)
    missing = [v for v in wanted if v not in found]
    if missing:
        raise VoucherNotFound(
            f"No voucher with the id {missing[0]}",
            details={"not_found": missing, "found": [v for v in wanted if v in found]},
        )
    export = VoucherExport(
        id=new_id("export"),
        account_id=auth.account_id,
        livemode=auth.livemode,
        created_at=utc_now(),
        status="processing",
        format=data.format,
        voucher_ids=wanted,
        metrics=list(dict.fromkeys(data.metrics)),
        period_start=window.start,
        period_end=window.end,
    )
    session.add(export)
    await session.flush()
    await jobs.enqueue(
        session,
        name=EXPORT_JOB,
        payload={"export_id": export.id, "account_id": auth.account_id, "livemode": auth.livemode},
    )
    return export


async def get_export_or_raise(
    session: AsyncSession, auth: AuthContext, *, export_id: str
) -> VoucherExport:
    export = await repository.get(session, VoucherExport, auth, export_id)
    if export is None:
        raise ExportNotFound(details={"export_id": export_id})
    return export


async def run_export(session: AsyncSession, *, payload: dict[str, Any]) -> None:
    """The worker's step: compute one row per voucher and store the file (idempotent)."""
    auth = AuthContext(
        account_id=payload["account_id"], livemode=payload["livemode"], api_key_id=""
    )
    export = await repository.get(session, VoucherExport, auth, payload["export_id"])
    if export is None or export.status != "processing":
        return
    window = Window(export.period_start, export.period_end)
    vouchers = await metrics.vouchers_by_id(session, auth, voucher_ids=export.voucher_ids)
    if len(export.voucher_ids) > MAX_RECORDS:
        export.status = "failed"
        export.error = json.dumps(
            {
                "reason": "too many records",
                "max_records": MAX_RECORDS,
                "requested_records": len(export.voucher_ids),
            }
        )
        await session.flush()
        return
    records = []
    for voucher_id in export.voucher_ids:
        voucher = vouchers.get(voucher_id)
        if voucher is None:
            continue  # deleted from the database since the request (vouchers are soft-deleted)
        uses = await metrics.uses_of(session, auth, voucher_id=voucher_id, window=window)
        attempts = await metrics.attempts_of(session, auth, voucher_id=voucher_id, window=window)
        values = metrics.performance(uses, attempts)
        record: dict[str, Any] = {
            "voucher_id": voucher.id,
            "code": voucher.code,
            "currency": _currency(voucher, uses),
            "start": isoformat(window.start),
            "end": isoformat(window.end),
        }
        for metric in export.metrics:
            record[metric] = values[EXPORT_METRICS[metric]]
        records.append(record)
    content = _render(export, records)
    now = utc_now()
    export.content = content
    export.file_size = len(content)
    export.record_count = len(records)
    export.status = "completed"
    export.completed_at = now
    export.expires_at = now + EXPORT_TTL
    await session.flush()


def _render(export: VoucherExport, records: list[dict[str, Any]]) -> bytes:
    if export.format == "json":
        document = {
            "export_id": export.id,
            "time_period": {
                "start": isoformat(export.period_start),
                "end": isoformat(export.period_end),
            },
            "metrics": export.metrics,
            "records": records,
        }
        return json.dumps(document, separators=(",", ":")).encode()
    columns = ["voucher_id", "code", "currency", "start", "end", *export.metrics]
    # Cells that a spreadsheet would run as a formula (a code or name starting with `=`) are
    # written as text (vantio/kit/csv.py).
    rows = [[record.get(column) for column in columns] for record in records]
    return rows_to_csv(columns, rows).encode()


def download(export: VoucherExport) -> tuple[bytes, str]:
    """The file and its media type, or the error that says why there is none."""
    if export.status == "processing":
        raise ExportNotReady(details={"export_id": export.id, "status": export.status})
    if export.status == "failed" or export.content is None:
        raise ExportFailed(details={"export_id": export.id, "reason": export.error})
    if export.expires_at is not None and export.expires_at <= utc_now():
        raise ExportExpired(
            details={"export_id": export.id, "expired_at": isoformat(export.expires_at)}
        )
    media = "application/json" if export.format == "json" else "text/csv; charset=utf-8"
    return export.content, media


async def purge_expired(session: AsyncSession, *, now: Any) -> int:
    """Delete exports past their 24 hours (the worker, hourly)."""
    result = await session.execute(
        delete(VoucherExport)
        .where(VoucherExport.expires_at.is_not(None), VoucherExport.expires_at <= now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
