"""The resources, one method per API operation.

Arguments left as ``None`` are not sent. ``**extra`` adds body fields this version does not name.
"""

# _sync_resources.py is generated from this file by sdk/tools/unasync.py: edit this one.

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, Literal, cast

from vantio_client import _async_http
from vantio_client._base import body_of, page_of
from vantio_client.types import (
    Application,
    BatchCreateResult,
    BatchValidateResult,
    Campaign,
    CodePattern,
    Commission,
    Customer,
    DeletedObject,
    DeletedVoucher,
    Earning,
    EarningReversal,
    EarningStatus,
    Event,
    Export,
    Funnel,
    Impression,
    Interval,
    Leaderboard,
    Order,
    Page,
    Payout,
    PayoutDetails,
    PayoutRun,
    PayoutSchedule,
    PayoutStatus,
    Poster,
    PosterReport,
    Program,
    ReconcileResult,
    Redelivery,
    Referral,
    ReferralStatus,
    Rollback,
    User,
    ValidationResult,
    Voucher,
    VoucherConditions,
    VoucherPage,
    VoucherStatus,
    VoucherType,
    WebhookEndpoint,
)

API = "/api/v1"
V1 = "/v1"


class AsyncResource:
    def __init__(self, http: _async_http.AsyncHTTP) -> None:
        self._http = http


# ---------------------------------------------------------------- Referral API (/api/v1)


class AsyncPrograms(AsyncResource):
    """``/api/v1/programs``: referral programs (commission, payout schedule, landing URL)."""

    async def create(
        self,
        *,
        name: str,
        landing_url: str,
        description: str | None = None,
        currency: str | None = None,
        commission: Commission | None = None,
        payout_schedule: PayoutSchedule | None = None,
        minimum_payout: int | None = None,
        attribution_window_days: int | None = None,
        referee_voucher_id: str | None = None,
        hold_days: int | None = None,
        commission_months: int | None = None,
        commission_cap: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        **extra: Any,
    ) -> Program:
        """Create a program; ``minimum_payout`` is in minor units of ``currency``."""
        body = body_of(
            {
                "name": name,
                "landing_url": landing_url,
                "description": description,
                "currency": currency,
                "commission": commission,
                "payout_schedule": payout_schedule,
                "minimum_payout": minimum_payout,
                "attribution_window_days": attribution_window_days,
                "referee_voucher_id": referee_voucher_id,
                "hold_days": hold_days,
                "commission_months": commission_months,
                "commission_cap": commission_cap,
                "metadata": metadata,
            },
            extra,
        )
        return cast(
            Program,
            await self._http.request(
                "POST", f"{API}/programs", json=body, idempotency_key=idempotency_key
            ),
        )

    async def get(self, id: str) -> Program:
        """Retrieve a program."""
        return cast(Program, await self._http.request("GET", f"{API}/programs/{id}"))

    async def update(
        self,
        id: str,
        *,
        name: str | None = None,
        landing_url: str | None = None,
        description: str | None = None,
        currency: str | None = None,
        commission: Commission | None = None,
        payout_schedule: PayoutSchedule | None = None,
        minimum_payout: int | None = None,
        attribution_window_days: int | None = None,
        referee_voucher_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        **extra: Any,
    ) -> Program:
        """Change a program's fields (only those given); metadata merges, ``None`` values remove keys."""
        body = body_of(
            {
                "name": name,
                "landing_url": landing_url,
                "description": description,
                "currency": currency,
                "commission": commission,
                "payout_schedule": payout_schedule,
                "minimum_payout": minimum_payout,
                "attribution_window_days": attribution_window_days,
                "referee_voucher_id": referee_voucher_id,
                "metadata": metadata,
            },
            extra,
        )
        return cast(Program, await self._http.request("PUT", f"{API}/programs/{id}", json=body))

    async def list(self, *, limit: int | None = None, offset: int | None = None) -> Page[Program]:
        """One page of programs, newest first."""
        page = await self._http.request(
            "GET", f"{API}/programs", params={"limit": limit, "offset": offset}
        )
        return page_of(page, "programs")

    async def list_all(self, *, page_size: int = 100) -> AsyncIterator[Program]:
        """Every program, fetched page by page as you iterate."""
        async for item in self._http.paginate(f"{API}/programs", "programs", page_size=page_size):
            yield cast(Program, item)


class AsyncUsers(AsyncResource):
    """``/api/v1/users``: ambassadors (students) of a program."""

    async def create(
        self,
        *,
        program_id: str,
        first_name: str,
        last_name: str,
        email: str,
        profile_picture: str | None = None,
        metadata: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        **extra: Any,
    ) -> User:
        """Add an ambassador to a program (email unique per program)."""
        body = body_of(
            {
                "program_id": program_id,
                "first_name": first_name,
                "last_name": last_name,
                "email": email,
                "profile_picture": profile_picture,
                "metadata": metadata,
            },
            extra,
        )
        return cast(
            User,
            await self._http.request(
                "POST", f"{API}/users", json=body, idempotency_key=idempotency_key
            ),
        )

    async def get(self, id: str) -> User:
        """Retrieve an ambassador."""
        return cast(User, await self._http.request("GET", f"{API}/users/{id}"))

    async def update(
        self,
        id: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        email: str | None = None,
        profile_picture: str | None = None,
        metadata: dict[str, Any] | None = None,
        **extra: Any,
    ) -> User:
        """Change an ambassador's fields (only those given)."""
        body = body_of(
            {
                "first_name": first_name,
                "last_name": last_name,
                "email": email,
                "profile_picture": profile_picture,
                "metadata": metadata,
            },
            extra,
        )
        return cast(User, await self._http.request("PUT", f"{API}/users/{id}", json=body))

    async def list(
        self, *, program_id: str | None = None, limit: int | None = None, offset: int | None = None
    ) -> Page[User]:
        """One page of ambassadors, newest first."""
        page = await self._http.request(
            "GET",
            f"{API}/users",
            params={"program_id": program_id, "limit": limit, "offset": offset},
        )
        return page_of(page, "users")

    async def list_all(
        self, *, program_id: str | None = None, page_size: int = 100
    ) -> AsyncIterator[User]:
        """Every ambassador (of a program), fetched page by page as you iterate."""
        async for item in self._http.paginate(
            f"{API}/users", "users", {"program_id": program_id}, page_size=page_size
        ):
            yield cast(User, item)


class AsyncPosters(AsyncResource):
    """``/api/v1/posters``: posters with a QR code that leads to the program's landing page."""

    async def create(
        self,
        *,
        program_id: str,
        student_id: str,
        location: str | None = None,
        destination_url: str | None = None,
        metadata: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        **extra: Any,
    ) -> Poster:
        """Create a poster for an ambassador; the answer carries its ``scan_url`` and ``qr_code_url``."""
        body = body_of(
            {
                "program_id": program_id,
                "student_id": student_id,
                "location": location,
                "destination_url": destination_url,
                "metadata": metadata,
            },
            extra,
        )
        return cast(
            Poster,
            await self._http.request(
                "POST", f"{API}/posters", json=body, idempotency_key=idempotency_key
            ),
        )

    async def get(self, id: str) -> Poster:
        """Retrieve a poster."""
        return cast(Poster, await self._http.request("GET", f"{API}/posters/{id}"))

    async def update(
        self,
        id: str,
        *,
        location: str | None = None,
        destination_url: str | None = None,
        metadata: dict[str, Any] | None = None,
        **extra: Any,
    ) -> Poster:
        """Change a poster's location, destination or metadata."""
        body = body_of(
            {"location": location, "destination_url": destination_url, "metadata": metadata},
            extra,
        )
        return cast(Poster, await self._http.request("PUT", f"{API}/posters/{id}", json=body))

    async def list(
        self,
        *,
        program_id: str | None = None,
        student_id: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Page[Poster]:
        """One page of posters, newest first."""
        page = await self._http.request(
            "GET",
            f"{API}/posters",
            params={
                "program_id": program_id,
                "student_id": student_id,
                "limit": limit,
                "offset": offset,
            },
        )
        return page_of(page, "posters")

    async def list_all(
        self, *, program_id: str | None = None, student_id: str | None = None, page_size: int = 100
    ) -> AsyncIterator[Poster]:
        """Every poster matching the filters, fetched page by page as you iterate."""
        params = {"program_id": program_id, "student_id": student_id}
        async for item in self._http.paginate(
            f"{API}/posters", "posters", params, page_size=page_size
        ):
            yield cast(Poster, item)


class AsyncImpressions(AsyncResource):
    """``/api/v1/impressions``: QR scans. A scan of ``poster.scan_url`` records one by itself."""

    async def create(
        self,
        *,
        poster_id: str,
        user_agent: str | None = None,
        ip_address: str | None = None,
        scanned_at: str | None = None,
        metadata: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        **extra: Any,
    ) -> Impression:
        """Record a scan yourself (when you run your own redirect)."""
        body = body_of(
            {
                "poster_id": poster_id,
                "user_agent": user_agent,
                "ip_address": ip_address,
                "scanned_at": scanned_at,
                "metadata": metadata,
            },
            extra,
        )
        return cast(
            Impression,
            await self._http.request(
                "POST", f"{API}/impressions", json=body, idempotency_key=idempotency_key
            ),
        )

    async def get(self, id: str) -> Impression:
        """Retrieve an impression."""
        return cast(Impression, await self._http.request("GET", f"{API}/impressions/{id}"))

    async def list(
        self,
        *,
        program_id: str | None = None,
        poster_id: str | None = None,
        student_id: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Page[Impression]:
        """One page of impressions, newest first."""
        page = await self._http.request(
            "GET",
            f"{API}/impressions",
            params={
                "program_id": program_id,
                "poster_id": poster_id,
                "student_id": student_id,
                "limit": limit,
                "offset": offset,
            },
        )
        return page_of(page, "impressions")

    async def list_all(
        self,
        *,
        program_id: str | None = None,
        poster_id: str | None = None,
        student_id: str | None = None,
        page_size: int = 100,
    ) -> AsyncIterator[Impression]:
        """Every impression matching the filters, fetched page by page as you iterate."""
        params = {"program_id": program_id, "poster_id": poster_id, "student_id": student_id}
        async for item in self._http.paginate(
            f"{API}/impressions", "impressions", params, page_size=page_size
        ):
            yield cast(Impression, item)


class AsyncReferrals(AsyncResource):
    """``/api/v1/referrals``: signups that followed a scan."""

    async def create(
        self,
        *,
        impression_id: str,
        first_name: str,
        last_name: str,
        email: str,
        profile_picture: str | None = None,
        metadata: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        **extra: Any,
    ) -> Referral:
        """Record a signup; ``program_id`` and ``student_id`` come from the impression."""
        body = body_of(
            {
                "impression_id": impression_id,
                "first_name": first_name,
                "last_name": last_name,
                "email": email,
                "profile_picture": profile_picture,
                "metadata": metadata,
            },
            extra,
        )
        return cast(
            Referral,
            await self._http.request(
                "POST", f"{API}/referrals", json=body, idempotency_key=idempotency_key
            ),
        )

    async def get(self, id: str) -> Referral:
        """Retrieve a referral."""
        return cast(Referral, await self._http.request("GET", f"{API}/referrals/{id}"))

    async def update(
        self,
        id: str,
        *,
        status: ReferralStatus | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        email: str | None = None,
        profile_picture: str | None = None,
        verified_at: str | None = None,
        metadata: dict[str, Any] | None = None,
        **extra: Any,
    ) -> Referral:
        """Change a referral's details or move its status (pending → converted → verified)."""
        body = body_of(
            {
                "status": status,
                "first_name": first_name,
                "last_name": last_name,
                "email": email,
                "profile_picture": profile_picture,
                "verified_at": verified_at,
                "metadata": metadata,
            },
            extra,
        )
        return cast(Referral, await self._http.request("PUT", f"{API}/referrals/{id}", json=body))

    async def list(
        self,
        *,
        program_id: str | None = None,
        student_id: str | None = None,
        status: ReferralStatus | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Page[Referral]:
        """One page of referrals, newest first."""
        page = await self._http.request(
            "GET",
            f"{API}/referrals",
            params={
                "program_id": program_id,
                "student_id": student_id,
                "status": status,
                "limit": limit,
                "offset": offset,
            },
        )
        return page_of(page, "referrals")

    async def list_all(
        self,
        *,
        program_id: str | None = None,
        student_id: str | None = None,
        status: ReferralStatus | None = None,
        page_size: int = 100,
    ) -> AsyncIterator[Referral]:
        """Every referral matching the filters, fetched page by page as you iterate."""
        params = {"program_id": program_id, "student_id": student_id, "status": status}
        async for item in self._http.paginate(
            f"{API}/referrals", "referrals", params, page_size=page_size
        ):
            yield cast(Referral, item)


class AsyncEarnings(AsyncResource):
    """``/api/v1/earnings``: ambassadors' commissions, in minor units."""

    async def create(
        self,
        *,
        referral_id: str,
        amount: int | None = None,
        sale_amount: int | None = None,
        currency: str | None = None,
        type: str | None = None,
        description: str | None = None,
        external_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        **extra: Any,
    ) -> Earning:
        """Create an earning: either its ``amount`` or the ``sale_amount`` the program's commission applies to.

        ``external_id`` (the order or invoice id) makes a second earning for it a
        :class:`ConflictError` with code ``duplicate_conversion``."""
        body = body_of(
            {
                "referral_id": referral_id,
                "amount": amount,
                "sale_amount": sale_amount,
                "currency": currency,
                "type": type,
                "description": description,
                "external_id": external_id,
                "metadata": metadata,
            },
            extra,
        )
        return cast(
            Earning,
            await self._http.request(
                "POST", f"{API}/earnings", json=body, idempotency_key=idempotency_key
            ),
        )

    async def get(self, id: str) -> Earning:
        """Retrieve an earning."""
        return cast(Earning, await self._http.request("GET", f"{API}/earnings/{id}"))

    async def reverse(
        self, id: str, *, reason: str, idempotency_key: str | None = None
    ) -> EarningReversal:
        """Reverse an earning: unpaid becomes ``reversed``; paid gets a clawback netted off later payouts."""
        return cast(
            EarningReversal,
            await self._http.request(
                "POST",
                f"{API}/earnings/{id}/reverse",
                json={"reason": reason},
                idempotency_key=idempotency_key,
            ),
        )

    async def update(
        self,
        id: str,
        *,
        status: EarningStatus | None = None,
        amount: int | None = None,
        currency: str | None = None,
        type: str | None = None,
        description: str | None = None,
        reference_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        **extra: Any,
    ) -> Earning:
        """Correct an earning or move its status (pending → processing → paid)."""
        body = body_of(
            {
                "status": status,
                "amount": amount,
                "currency": currency,
                "type": type,
                "description": description,
                "reference_id": reference_id,
                "metadata": metadata,
            },
            extra,
        )
        return cast(Earning, await self._http.request("PUT", f"{API}/earnings/{id}", json=body))

    async def list(
        self,
        *,
        referral_id: str | None = None,
        program_id: str | None = None,
        status: EarningStatus | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Page[Earning]:
        """One page of earnings, newest first."""
        page = await self._http.request(
            "GET",
            f"{API}/earnings",
            params={
                "referral_id": referral_id,
                "program_id": program_id,
                "status": status,
                "limit": limit,
                "offset": offset,
            },
        )
        return page_of(page, "earnings")

    async def list_all(
        self,
        *,
        referral_id: str | None = None,
        program_id: str | None = None,
        status: EarningStatus | None = None,
        page_size: int = 100,
    ) -> AsyncIterator[Earning]:
        """Every earning matching the filters, fetched page by page as you iterate."""
        params = {"referral_id": referral_id, "program_id": program_id, "status": status}
        async for item in self._http.paginate(
            f"{API}/earnings", "earnings", params, page_size=page_size
        ):
            yield cast(Earning, item)


class AsyncPayouts(AsyncResource):
    """``/api/v1/payouts``: pending earnings grouped into one payment per ambassador."""

    async def create(
        self,
        *,
        program_id: str,
        student_id: str | None = None,
        method: Literal["manual", "paypal", "wise", "sepa", "voucher_credit"] | None = None,
        metadata: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        **extra: Any,
    ) -> PayoutRun:
        """Group payable earnings (of one ambassador, or all) into payouts above the program's minimum.

        With a file ``method`` the run's file is :meth:`run_file`; ambassadors without the
        details it needs are skipped (``missing_payout_details``)."""
        body = body_of(
            {
                "program_id": program_id,
                "student_id": student_id,
                "method": method,
                "metadata": metadata,
            },
            extra,
        )
        return cast(
            PayoutRun,
            await self._http.request(
                "POST", f"{API}/payouts", json=body, idempotency_key=idempotency_key
            ),
        )

    async def get(self, id: str) -> Payout:
        """Retrieve a payout."""
        return cast(Payout, await self._http.request("GET", f"{API}/payouts/{id}"))

    async def update(
        self,
        id: str,
        *,
        status: Literal["paid", "failed"] | None = None,
        metadata: dict[str, Any] | None = None,
        **extra: Any,
    ) -> Payout:
        """Mark a payout ``paid`` or ``failed`` (its earnings follow), or change its metadata."""
        body = body_of({"status": status, "metadata": metadata}, extra)
        return cast(Payout, await self._http.request("PUT", f"{API}/payouts/{id}", json=body))

    async def list(
        self,
        *,
        program_id: str | None = None,
        student_id: str | None = None,
        status: PayoutStatus | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Page[Payout]:
        """One page of payouts, newest first."""
        page = await self._http.request(
            "GET",
            f"{API}/payouts",
            params={
                "program_id": program_id,
                "student_id": student_id,
                "status": status,
                "limit": limit,
                "offset": offset,
            },
        )
        return page_of(page, "payouts")

    async def list_all(
        self,
        *,
        program_id: str | None = None,
        student_id: str | None = None,
        status: PayoutStatus | None = None,
        page_size: int = 100,
    ) -> AsyncIterator[Payout]:
        """Every payout matching the filters, fetched page by page as you iterate."""
        params = {"program_id": program_id, "student_id": student_id, "status": status}
        async for item in self._http.paginate(
            f"{API}/payouts", "payouts", params, page_size=page_size
        ):
            yield cast(Payout, item)

    async def csv(self, id: str) -> str:
        """The payout's payment run as CSV text."""
        content = await self._http.request("GET", f"{API}/payouts/{id}.csv", raw=True)
        return cast(bytes, content).decode("utf-8")

    async def run_file(self, run_id: str, *, currency: str | None = None) -> bytes:
        """The run's payout file: PayPal Payouts CSV, Wise bulk CSV or SEPA pain.001 XML."""
        content = await self._http.request(
            "GET", f"{API}/payout_runs/{run_id}/file", params={"currency": currency}, raw=True
        )
        return cast(bytes, content)

    async def reconcile(
        self,
        run_id: str,
        *,
        items: Sequence[dict[str, Any]],
        idempotency_key: str | None = None,
    ) -> ReconcileResult:
        """Mark the run's payouts ``paid`` or ``failed`` (``{"payout_id", "status", "reason"}``)."""
        return cast(
            ReconcileResult,
            await self._http.request(
                "POST",
                f"{API}/payout_runs/{run_id}/reconcile",
                json={"items": list(items)},
                idempotency_key=idempotency_key,
            ),
        )

    async def get_details(self, user_id: str) -> PayoutDetails:
        """How an ambassador is paid (the IBAN masked; ``method`` None when not given)."""
        return cast(
            PayoutDetails,
            await self._http.request("GET", f"{API}/users/{user_id}/payout_details"),
        )

    async def set_details(
        self,
        user_id: str,
        *,
        method: Literal["paypal", "bank"],
        paypal_email: str | None = None,
        iban: str | None = None,
        bic: str | None = None,
        account_holder: str | None = None,
    ) -> PayoutDetails:
        """Set how an ambassador is paid: ``paypal_email``, or ``iban``, ``bic`` and ``account_holder``."""
        body = body_of(
            {
                "method": method,
                "paypal_email": paypal_email,
                "iban": iban,
                "bic": bic,
                "account_holder": account_holder,
            },
            {},
        )
        return cast(
            PayoutDetails,
            await self._http.request("PUT", f"{API}/users/{user_id}/payout_details", json=body),
        )

    async def delete_details(self, user_id: str) -> dict[str, Any]:
        """Remove an ambassador's payout details."""
        return cast(
            dict[str, Any],
            await self._http.request("DELETE", f"{API}/users/{user_id}/payout_details"),
        )


class AsyncWebhookEndpoints(AsyncResource):
    """``/api/v1/webhook_endpoints``: where events are delivered, signed with a ``whsec_`` secret."""

    async def create(
        self,
        *,
        url: str,
        events: Sequence[str] = ("*",),
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        **extra: Any,
    ) -> WebhookEndpoint:
        """Subscribe a URL to events (``["*"]``: all); the answer holds its ``secret``."""
        body = body_of(
            {"url": url, "events": list(events), "description": description, "metadata": metadata},
            extra,
        )
        return cast(
            WebhookEndpoint,
            await self._http.request(
                "POST", f"{API}/webhook_endpoints", json=body, idempotency_key=idempotency_key
            ),
        )

    async def get(self, id: str) -> WebhookEndpoint:
        """Retrieve a webhook endpoint."""
        return cast(
            WebhookEndpoint, await self._http.request("GET", f"{API}/webhook_endpoints/{id}")
        )

    async def update(
        self,
        id: str,
        *,
        url: str | None = None,
        events: Sequence[str] | None = None,
        description: str | None = None,
        disabled: bool | None = None,
        metadata: dict[str, Any] | None = None,
        **extra: Any,
    ) -> WebhookEndpoint:
        """Change a webhook endpoint's URL, events or details, or disable/enable it."""
        body = body_of(
            {
                "url": url,
                "events": list(events) if events is not None else None,
                "description": description,
                "disabled": disabled,
                "metadata": metadata,
            },
            extra,
        )
        return cast(
            WebhookEndpoint,
            await self._http.request("PUT", f"{API}/webhook_endpoints/{id}", json=body),
        )

    async def delete(self, id: str) -> DeletedObject:
        """Delete a webhook endpoint: nothing more is delivered to it."""
        return cast(
            DeletedObject, await self._http.request("DELETE", f"{API}/webhook_endpoints/{id}")
        )

    async def list(
        self, *, limit: int | None = None, offset: int | None = None
    ) -> Page[WebhookEndpoint]:
        """One page of webhook endpoints, newest first."""
        page = await self._http.request(
            "GET", f"{API}/webhook_endpoints", params={"limit": limit, "offset": offset}
        )
        return page_of(page, "webhook_endpoints")

    async def list_all(self, *, page_size: int = 100) -> AsyncIterator[WebhookEndpoint]:
        """Every webhook endpoint, fetched page by page as you iterate."""
        async for item in self._http.paginate(
            f"{API}/webhook_endpoints", "webhook_endpoints", page_size=page_size
        ):
            yield cast(WebhookEndpoint, item)

    async def rotate_secret(
        self, id: str, *, idempotency_key: str | None = None
    ) -> WebhookEndpoint:
        """Replace the endpoint's signing secret; the answer holds the new one."""
        return cast(
            WebhookEndpoint,
            await self._http.request(
                "POST",
                f"{API}/webhook_endpoints/{id}/rotate_secret",
                json={},
                idempotency_key=idempotency_key,
            ),
        )

    async def end_rotation(self, id: str, *, idempotency_key: str | None = None) -> WebhookEndpoint:
        """End a secret rotation's grace period now: the new secret alone signs from then on."""
        return cast(
            WebhookEndpoint,
            await self._http.request(
                "POST",
                f"{API}/webhook_endpoints/{id}/rotate_secret/end",
                json={},
                idempotency_key=idempotency_key,
            ),
        )


class AsyncEvents(AsyncResource):
    """``/api/v1/events``: every event, with its delivery attempts."""

    async def get(self, id: str) -> Event:
        """Retrieve an event and its delivery attempts."""
        return cast(Event, await self._http.request("GET", f"{API}/events/{id}"))

    async def list(
        self, *, type: str | None = None, limit: int | None = None, offset: int | None = None
    ) -> Page[Event]:
        """One page of events, newest first."""
        page = await self._http.request(
            "GET", f"{API}/events", params={"type": type, "limit": limit, "offset": offset}
        )
        return page_of(page, "events")

    async def list_all(
        self, *, type: str | None = None, page_size: int = 100
    ) -> AsyncIterator[Event]:
        """Every event (of a type), fetched page by page as you iterate."""
        async for item in self._http.paginate(
            f"{API}/events", "events", {"type": type}, page_size=page_size
        ):
            yield cast(Event, item)

    async def redeliver(self, id: str, *, idempotency_key: str | None = None) -> Redelivery:
        """Send an event to its endpoints again; the answer names the endpoints."""
        return cast(
            Redelivery,
            await self._http.request(
                "POST", f"{API}/events/{id}/redeliver", json={}, idempotency_key=idempotency_key
            ),
        )


class AsyncAnalytics(AsyncResource):
    """``/api/v1/analytics``: the referral funnel, the leaderboard, and poster performance.

    ``from_`` and ``to`` are dates (``"2026-01-31"``, whole local days in ``tz``) or ISO 8601
    times; ``tz`` an IANA zone (default UTC); ``currency`` that of the earnings figures."""

    async def funnel(
        self,
        *,
        program_id: str | None = None,
        from_: str | None = None,
        to: str | None = None,
        interval: Interval | None = None,
        tz: str | None = None,
        currency: str | None = None,
    ) -> Funnel:
        """Scans → referrals → conversions → earnings per interval, with totals and rates."""
        params = {
            "program_id": program_id,
            "from": from_,
            "to": to,
            "interval": interval,
            "tz": tz,
            "currency": currency,
        }
        return cast(
            Funnel, await self._http.request("GET", f"{API}/analytics/funnel", params=params)
        )

    async def leaderboard(
        self,
        *,
        program_id: str | None = None,
        from_: str | None = None,
        to: str | None = None,
        sort: Literal["referrals", "conversions", "earnings"] | None = None,
        tz: str | None = None,
        currency: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Leaderboard:
        """Ambassadors ranked by referrals, conversions or earnings."""
        params = {
            "program_id": program_id,
            "from": from_,
            "to": to,
            "sort": sort,
            "tz": tz,
            "currency": currency,
            "limit": limit,
            "offset": offset,
        }
        return cast(
            Leaderboard,
            await self._http.request("GET", f"{API}/analytics/leaderboard", params=params),
        )

    async def posters(
        self,
        *,
        program_id: str | None = None,
        from_: str | None = None,
        to: str | None = None,
        tz: str | None = None,
    ) -> PosterReport:
        """Scans and conversion rate per poster and per location."""
        params = {"program_id": program_id, "from": from_, "to": to, "tz": tz}
        return cast(
            PosterReport,
            await self._http.request("GET", f"{API}/analytics/posters", params=params),
        )


# ---------------------------------------------------------------- Voucher API (/v1)


class AsyncVouchers(AsyncResource):
    """``/v1/vouchers``: discount codes; validate (a dry run) and apply (a redemption)."""

    async def create(
        self,
        *,
        code: str,
        type: VoucherType,
        value: int | float | None = None,
        conditions: VoucherConditions | None = None,
        config: dict[str, Any] | None = None,
        currency: str | None = None,
        program_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        **extra: Any,
    ) -> Voucher:
        """Create a voucher; ``value`` is a percent (0-100) or minor units for ``fixed``."""
        body = body_of(
            {
                "code": code,
                "type": type,
                "value": value,
                "conditions": conditions,
                "config": config,
                "currency": currency,
                "program_id": program_id,
                "metadata": metadata,
            },
            extra,
        )
        return cast(
            Voucher,
            await self._http.request(
                "POST", f"{V1}/vouchers", json=body, idempotency_key=idempotency_key
            ),
        )

    async def get(self, id: str) -> Voucher:
        """Retrieve a voucher with its ``usage_history``."""
        return cast(Voucher, await self._http.request("GET", f"{V1}/vouchers/{id}"))

    async def update(
        self,
        id: str,
        *,
        value: int | float | None = None,
        conditions: VoucherConditions | None = None,
        config: dict[str, Any] | None = None,
        status: Literal["active", "inactive"] | None = None,
        metadata: dict[str, Any] | None = None,
        **extra: Any,
    ) -> Voucher:
        """Change a voucher's value, conditions (merged), config or status; code and type are fixed."""
        body = body_of(
            {
                "value": value,
                "conditions": conditions,
                "config": config,
                "status": status,
                "metadata": metadata,
            },
            extra,
        )
        return cast(Voucher, await self._http.request("PUT", f"{V1}/vouchers/{id}", json=body))

    async def delete(self, id: str) -> DeletedVoucher:
        """Deactivate a voucher for good (a soft delete: its history is kept)."""
        return cast(DeletedVoucher, await self._http.request("DELETE", f"{V1}/vouchers/{id}"))

    async def list(
        self,
        *,
        status: VoucherStatus | None = None,
        type: VoucherType | None = None,
        created_after: str | None = None,
        created_before: str | None = None,
        campaign_id: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> VoucherPage[Voucher]:
        """One page of vouchers: ``{data, total, limit, offset, has_more}``."""
        return cast(
            "VoucherPage[Voucher]",
            await self._http.request(
                "GET",
                f"{V1}/vouchers",
                params={
                    "status": status,
                    "type": type,
                    "created_after": created_after,
                    "created_before": created_before,
                    "campaign_id": campaign_id,
                    "limit": limit,
                    "offset": offset,
                },
            ),
        )

    async def list_all(
        self,
        *,
        status: VoucherStatus | None = None,
        type: VoucherType | None = None,
        created_after: str | None = None,
        created_before: str | None = None,
        campaign_id: str | None = None,
        page_size: int = 100,
    ) -> AsyncIterator[Voucher]:
        """Every voucher matching the filters, fetched page by page as you iterate."""
        params = {
            "status": status,
            "type": type,
            "created_after": created_after,
            "created_before": created_before,
            "campaign_id": campaign_id,
        }
        async for item in self._http.paginate(
            f"{V1}/vouchers", "data", params, page_size=page_size
        ):
            yield cast(Voucher, item)

    async def validate(
        self,
        *,
        order: Order,
        code: str | None = None,
        codes: Sequence[str] | None = None,
        customer: Customer | None = None,
        preview: bool | None = None,
        soft: bool | None = None,
        idempotency_key: str | None = None,
        **extra: Any,
    ) -> ValidationResult:
        """Check a code (or stacked ``codes``) against an order without using it up.

        A failed validation raises the documented error (e.g. ``BadRequestError`` with code
        ``VOUCHER_EXPIRED``), unless ``soft=True``: then ``{"is_valid": False, "error": ...}``."""
        body = body_of(
            {
                "code": code,
                "codes": list(codes) if codes is not None else None,
                "order": order,
                "customer": customer,
                "preview": preview,
                "soft": soft,
            },
            extra,
        )
        return cast(
            ValidationResult,
            await self._http.request(
                "POST", f"{V1}/vouchers/validate", json=body, idempotency_key=idempotency_key
            ),
        )

    async def apply(
        self,
        *,
        code: str,
        order_id: str,
        order: Order | None = None,
        customer: Customer | None = None,
        metadata: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        **extra: Any,
    ) -> Application:
        """Redeem a code on an order (re-validated, usage consumed); the same ``order_id`` replays."""
        body = body_of(
            {
                "code": code,
                "order_id": order_id,
                "order": order,
                "customer": customer,
                "metadata": metadata,
            },
            extra,
        )
        return cast(
            Application,
            await self._http.request(
                "POST", f"{V1}/vouchers/apply", json=body, idempotency_key=idempotency_key
            ),
        )

    async def remove(
        self,
        *,
        code: str,
        order_id: str,
        reason: str | None = None,
        idempotency_key: str | None = None,
        **extra: Any,
    ) -> Rollback:
        """Undo the application of ``code`` to ``order_id``, giving its usage back."""
        body = body_of({"code": code, "order_id": order_id, "reason": reason}, extra)
        return cast(
            Rollback,
            await self._http.request(
                "POST", f"{V1}/vouchers/remove", json=body, idempotency_key=idempotency_key
            ),
        )

    async def rollback(
        self,
        application_id: str,
        *,
        reason: str | None = None,
        idempotency_key: str | None = None,
        **extra: Any,
    ) -> Rollback:
        """Roll back an application (``va_...``), giving its usage back."""
        body = body_of({"reason": reason}, extra)
        return cast(
            Rollback,
            await self._http.request(
                "POST",
                f"{V1}/vouchers/applications/{application_id}/rollback",
                json=body,
                idempotency_key=idempotency_key,
            ),
        )

    async def get_application(self, application_id: str) -> Application:
        """Retrieve an application (``va_...``): its discount, status and rollback time."""
        return cast(
            Application,
            await self._http.request("GET", f"{V1}/vouchers/applications/{application_id}"),
        )

    async def batch_create(
        self, vouchers: Sequence[dict[str, Any]], *, idempotency_key: str | None = None
    ) -> BatchCreateResult:
        """Create up to 1,000 vouchers in one call; ``results`` in input order, each with
        ``success`` and the ``voucher`` or its ``error`` (one failure does not stop the rest)."""
        return cast(
            BatchCreateResult,
            await self._http.request(
                "POST",
                f"{V1}/vouchers/batch",
                json={"vouchers": list(vouchers)},
                idempotency_key=idempotency_key,
            ),
        )

    async def batch_validate(
        self, validations: Sequence[dict[str, Any]], *, idempotency_key: str | None = None
    ) -> BatchValidateResult:
        """Validate up to 100 ``{code, order[, customer]}`` at once; ``validations`` in input
        order, each answered softly (``is_valid`` false with its ``error``, never a raise)."""
        return cast(
            BatchValidateResult,
            await self._http.request(
                "POST",
                f"{V1}/vouchers/validate/batch",
                json={"validations": list(validations)},
                idempotency_key=idempotency_key,
            ),
        )


class AsyncCampaigns(AsyncResource):
    """``/v1/campaigns``: many unique codes generated from a pattern, sharing one definition."""

    async def create(
        self,
        *,
        name: str,
        type: VoucherType,
        code_pattern: CodePattern,
        value: int | float | None = None,
        conditions: VoucherConditions | None = None,
        config: dict[str, Any] | None = None,
        currency: str | None = None,
        max_discount_amount: int | None = None,
        program_id: str | None = None,
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        **extra: Any,
    ) -> Campaign:
        """Create a campaign: ``code_pattern["count"]`` codes sharing one voucher definition.

        Large campaigns are generated in the background: watch ``status`` and
        ``codes_generated`` with :meth:`get`."""
        body = body_of(
            {
                "name": name,
                "type": type,
                "code_pattern": code_pattern,
                "value": value,
                "conditions": conditions,
                "config": config,
                "currency": currency,
                "max_discount_amount": max_discount_amount,
                "program_id": program_id,
                "description": description,
                "metadata": metadata,
            },
            extra,
        )
        return cast(
            Campaign,
            await self._http.request(
                "POST", f"{V1}/campaigns", json=body, idempotency_key=idempotency_key
            ),
        )

    async def get(self, id: str) -> Campaign:
        """Retrieve a campaign with its generation progress."""
        return cast(Campaign, await self._http.request("GET", f"{V1}/campaigns/{id}"))

    async def list(
        self,
        *,
        status: Literal["generating", "completed"] | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> VoucherPage[Campaign]:
        """One page of campaigns: ``{data, total, limit, offset, has_more}``."""
        return cast(
            "VoucherPage[Campaign]",
            await self._http.request(
                "GET",
                f"{V1}/campaigns",
                params={"status": status, "limit": limit, "offset": offset},
            ),
        )

    async def list_all(
        self, *, status: Literal["generating", "completed"] | None = None, page_size: int = 100
    ) -> AsyncIterator[Campaign]:
        """Every campaign, fetched page by page as you iterate."""
        async for item in self._http.paginate(
            f"{V1}/campaigns", "data", {"status": status}, page_size=page_size
        ):
            yield cast(Campaign, item)

    async def codes(
        self, id: str, *, limit: int | None = None, offset: int | None = None
    ) -> VoucherPage[Voucher]:
        """One page of a campaign's codes (its vouchers)."""
        return cast(
            "VoucherPage[Voucher]",
            await self._http.request(
                "GET", f"{V1}/campaigns/{id}/codes", params={"limit": limit, "offset": offset}
            ),
        )

    async def codes_all(self, id: str, *, page_size: int = 100) -> AsyncIterator[Voucher]:
        """Every code of a campaign, fetched page by page as you iterate."""
        async for item in self._http.paginate(
            f"{V1}/campaigns/{id}/codes", "data", page_size=page_size
        ):
            yield cast(Voucher, item)


class AsyncVoucherAnalytics(AsyncResource):
    """``/v1/analytics``: per-voucher performance, trends, customers, and exports."""

    async def performance(
        self,
        voucher_id: str,
        *,
        start_date: str | None = None,
        end_date: str | None = None,
        include_details: bool | None = None,
    ) -> dict[str, Any]:
        """Uses, discount given, conversion and revenue impact of a voucher (at most 90 days)."""
        return cast(
            "dict[str, Any]",
            await self._http.request(
                "GET",
                f"{V1}/analytics/vouchers/{voucher_id}/performance",
                params={
                    "start_date": start_date,
                    "end_date": end_date,
                    "include_details": _flag(include_details),
                },
            ),
        )

    async def trends(
        self,
        voucher_id: str,
        *,
        interval: Interval | None = None,
        start_date: str | None = None,
        end_date: str | None = None,
        metrics: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """A voucher's uses, discount and orders per interval."""
        return cast(
            "dict[str, Any]",
            await self._http.request(
                "GET",
                f"{V1}/analytics/vouchers/{voucher_id}/trends",
                params={
                    "interval": interval,
                    "start_date": start_date,
                    "end_date": end_date,
                    "metrics[]": list(metrics) if metrics is not None else None,
                },
            ),
        )

    async def customers(
        self, voucher_id: str, *, start_date: str | None = None, end_date: str | None = None
    ) -> dict[str, Any]:
        """Who used a voucher: new vs returning customers, segments."""
        return cast(
            "dict[str, Any]",
            await self._http.request(
                "GET",
                f"{V1}/analytics/vouchers/{voucher_id}/customers",
                params={"start_date": start_date, "end_date": end_date},
            ),
        )

    async def create_export(
        self,
        *,
        voucher_ids: Sequence[str],
        metrics: Sequence[str],
        format: Literal["csv", "json", "xlsx"] | None = None,
        time_period: dict[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> Export:
        """Start an export of vouchers' metrics (CSV or JSON)."""
        body = body_of(
            {
                "voucher_ids": list(voucher_ids),
                "metrics": list(metrics),
                "format": format,
                "time_period": time_period,
            }
        )
        return cast(
            Export,
            await self._http.request(
                "POST", f"{V1}/analytics/export", json=body, idempotency_key=idempotency_key
            ),
        )

    async def get_export(self, export_id: str) -> Export:
        """An export's status and, once completed, its ``download_url``."""
        return cast(Export, await self._http.request("GET", f"{V1}/analytics/export/{export_id}"))

    async def download_export(self, export_id: str) -> bytes:
        """A completed export's file."""
        return cast(
            bytes,
            await self._http.request(
                "GET", f"{V1}/analytics/export/{export_id}/download", raw=True
            ),
        )


def _flag(value: bool | None) -> str | None:
    return None if value is None else ("true" if value else "false")
