"""Webhooks: endpoints with their events, the secret shown once, rotation; the event log with
every delivery attempt and a redeliver button."""

import json
from datetime import timedelta
from typing import Any

from fastapi import APIRouter
from pydantic import ValidationError
from starlette.responses import Response

from vantio.dashboard import actions, forms
from vantio.dashboard.common import page_of, pager, query
from vantio.dashboard.web import PREFIX, Context, Ctx, DashboardRoute, here, redirect, render
from vantio.errors import BadRequest, VantioError
from vantio.events import service as event_service
from vantio.events.models import Event
from vantio.kit.pagination import Page
from vantio.kit.time import utc_now
from vantio.webhooks import service as webhook_service
from vantio.webhooks.delivery import USER_AGENT
from vantio.webhooks.models import WebhookAttempt, WebhookEndpoint
from vantio.webhooks.schemas import (
    ALL,
    EVENT_TYPES,
    WebhookEndpointCreate,
    WebhookEndpointUpdate,
)

router = APIRouter(prefix=PREFIX, route_class=DashboardRoute)


class NoEventYet(BadRequest):
    code = "no_event_yet"

    def __init__(self) -> None:
        super().__init__(
            "There is no event of the types this endpoint subscribes to yet: create a referral "
            "(or any object it listens to) in this mode, then send the test."
        )


FIELDS = {"events*": "events"}


def _posted(ctx: Context) -> dict[str, Any]:
    form = ctx.form
    events = [e for e in form.getlist("events") if isinstance(e, str)] if form else []
    return {
        "url": ctx.field("url"),
        "events": events,
        "description": ctx.field("description"),
    }


async def _list_page(ctx: Context, *, status: int = 200, **values: Any) -> Response:
    page = page_of(ctx)
    rows, has_more = await webhook_service.list_endpoints(ctx.session, ctx.auth, page=page)
    defaults: dict[str, Any] = {
        "values": {"url": "", "events": [ALL], "description": ""},
        "errors": {},
        "created": None,
        "secret": None,
    }
    defaults.update(values)
    return render(
        ctx,
        "webhooks.html",
        status=status,
        endpoints=rows,
        event_types=(ALL, *EVENT_TYPES),
        pager=pager(ctx, page, has_more),
        **defaults,
    )


@router.get("/webhooks")
async def webhooks(ctx: Ctx) -> Response:
    """This mode's webhook endpoints and the form for a new one."""
    return await _list_page(ctx)


@router.post("/webhooks")
async def create_webhook(ctx: Ctx) -> Response:
    """Add an endpoint through the webhooks service; its signing secret is shown once."""
    values = _posted(ctx)
    try:
        data = WebhookEndpointCreate.model_validate(
            {**values, "description": values["description"] or None}
        )
        # No savepoint: the service resolves the URL (DNS) before it writes anything.
        endpoint = await webhook_service.create_endpoint(
            ctx.session, ctx.auth, settings=ctx.runtime.settings, data=data
        )
    except ValidationError as exc:
        return await _list_page(ctx, status=400, values=values,
                                errors=forms.from_validation(exc, FIELDS))  # fmt: skip
    except VantioError as exc:
        return await _list_page(ctx, status=400, values=values,
                                errors=forms.from_service(exc, FIELDS))  # fmt: skip
    return await _list_page(ctx, created=endpoint, secret=endpoint.secret)


async def _endpoint_page(
    ctx: Context, endpoint: WebhookEndpoint, *, status: int = 200, **values: Any
) -> Response:
    defaults: dict[str, Any] = {
        "values": {
            "url": endpoint.url,
            "events": endpoint.events,
            "description": endpoint.description or "",
        },
        "errors": {},
        "secret": None,
    }
    defaults.update(values)
    page = page_of(ctx)
    deliveries, has_more = await event_service.deliveries_to(
        ctx.session, ctx.auth, endpoint_id=endpoint.id, page=page
    )
    streak = await event_service.failure_streak(ctx.session, ctx.auth, endpoint_id=endpoint.id)
    grace = getattr(endpoint, "previous_secret_expires_at", None)
    return render(
        ctx,
        "webhook.html",
        status=status,
        endpoint=endpoint,
        event_types=(ALL, *EVENT_TYPES),
        deliveries=[
            {
                "attempt": attempt,
                "event": event,
                "headers": _headers(attempt, event),
                "payload": _pretty(event),
            }
            for attempt, event in deliveries
        ],
        streak=streak,
        grace_until=grace if grace is not None and grace > utc_now() else None,
        pager=pager(ctx, page, has_more),
        here=here(ctx),
        **defaults,
    )


def _headers(attempt: WebhookAttempt, event: Event | None) -> list[tuple[str, str]]:
    """The headers the attempt was sent with. The signatures are computed at send time and not
    kept; the timestamp is the attempt's."""
    sent = attempt.created_at - timedelta(milliseconds=attempt.duration_ms)
    found = [
        ("content-type", "application/json"),
        ("user-agent", USER_AGENT),
        ("webhook-id", attempt.event_id),
        ("webhook-timestamp", str(int(sent.timestamp()))),
        ("webhook-signature", "v1,… (HMAC-SHA256 with the signing secret; not kept)"),
        ("x-vantio-signature", "… (hex HMAC-SHA256 of the body; not kept)"),
    ]
    if event is not None and event.type.startswith("voucher."):
        found.append(("x-voucher-signature", "… (as x-vantio-signature)"))
    return found


def _pretty(event: Event | None) -> str:
    if event is None:
        return ""
    body = event_service.body_of(event)
    try:
        return json.dumps(json.loads(body), indent=2)
    except ValueError:
        return body


@router.get("/webhooks/{endpoint_id}")
async def webhook(ctx: Ctx, endpoint_id: str) -> Response:
    """An endpoint's settings."""
    endpoint = await webhook_service.get_endpoint_or_raise(
        ctx.session, ctx.auth, endpoint_id=endpoint_id
    )
    return await _endpoint_page(ctx, endpoint, saved=bool(query(ctx, "saved")))


@router.post("/webhooks/{endpoint_id}")
async def update_webhook(ctx: Ctx, endpoint_id: str) -> Response:
    """Save an endpoint's URL, events, description and on/off state."""
    endpoint = await webhook_service.get_endpoint_or_raise(
        ctx.session, ctx.auth, endpoint_id=endpoint_id
    )
    values = _posted(ctx)
    try:
        data = WebhookEndpointUpdate.model_validate(
            {
                **values,
                "description": values["description"] or None,
                "disabled": ctx.field("enabled") != "on",
            }
        )
        await webhook_service.update_endpoint(
            ctx.session,
            ctx.auth,
            settings=ctx.runtime.settings,
            endpoint_id=endpoint.id,
            data=data,
        )
    except ValidationError as exc:
        errors = forms.from_validation(exc, FIELDS)
    except VantioError as exc:
        errors = forms.from_service(exc, FIELDS)
    else:
        return redirect(f"{PREFIX}/webhooks/{endpoint.id}?saved=1")
    return await _endpoint_page(ctx, endpoint, status=400, values=values, errors=errors)


@router.post("/webhooks/{endpoint_id}/rotate")
async def rotate_webhook_secret(ctx: Ctx, endpoint_id: str) -> Response:
    """A new signing secret, shown once; the old one keeps signing for the overlap."""
    endpoint = await webhook_service.rotate_secret(
        ctx.session, ctx.auth, settings=ctx.runtime.settings, endpoint_id=endpoint_id
    )
    return await _endpoint_page(ctx, endpoint, secret=endpoint.secret)


@router.post("/webhooks/{endpoint_id}/test")
async def send_test_event(ctx: Ctx, endpoint_id: str) -> Response:
    """Send the newest event the endpoint subscribes to again, to it alone: a signed test."""
    back = f"{PREFIX}/webhooks/{endpoint_id}"

    async def send() -> None:
        sent = await event_service.send_test(ctx.session, ctx.auth, endpoint_id=endpoint_id)
        if sent is None:
            raise NoEventYet()
        ctx.request.state.sent_event = sent

    error = await actions.attempt(ctx, send)
    sent = getattr(ctx.request.state, "sent_event", None)
    words = (
        f"Test sent: event {sent.type} ({sent.id}) is on its way; its delivery shows below."
        if sent is not None
        else ""
    )
    return actions.done(ctx, back, words, error)


@router.post("/webhooks/{endpoint_id}/deliveries/{event_id}/redeliver")
async def redeliver_to_endpoint(ctx: Ctx, endpoint_id: str, event_id: str) -> Response:
    """Send one event again, now, to this endpoint."""
    back = f"{PREFIX}/webhooks/{endpoint_id}"

    async def again() -> None:
        await event_service.redeliver(
            ctx.session, ctx.auth, event_id=event_id, endpoint_id=endpoint_id
        )

    error = await actions.attempt(ctx, again)
    return actions.done(ctx, back, f"Event {event_id} sent again.", error)


@router.post("/webhooks/{endpoint_id}/rotation/end")
async def end_webhook_rotation(ctx: Ctx, endpoint_id: str) -> Response:
    """End a rotation's grace period: the new secret alone signs from now on."""
    await webhook_service.end_rotation(ctx.session, ctx.auth, endpoint_id=endpoint_id)
    return redirect(f"{PREFIX}/webhooks/{endpoint_id}?saved=1")


@router.post("/webhooks/{endpoint_id}/delete")
async def delete_webhook(ctx: Ctx, endpoint_id: str) -> Response:
    """Delete an endpoint, after asking (its past attempts stay in the event log)."""
    endpoint = await webhook_service.get_endpoint_or_raise(
        ctx.session, ctx.auth, endpoint_id=endpoint_id
    )
    if not actions.confirmed(ctx):
        return actions.confirm_page(
            ctx,
            title="Delete this endpoint?",
            message=f"No more events are sent to {endpoint.url}. Its past deliveries stay in "
            "the event log. This cannot be undone.",
            button="Yes, delete",
            back=f"{PREFIX}/webhooks/{endpoint.id}",
        )
    await webhook_service.delete_endpoint(ctx.session, ctx.auth, endpoint_id=endpoint.id)
    return redirect(f"{PREFIX}/webhooks", flash=("ok", f"Endpoint {endpoint.url} deleted."))


@router.get("/events")
async def events(ctx: Ctx) -> Response:
    """The event log, each event with every delivery attempt."""
    page = page_of(ctx)
    chosen = query(ctx, "type")
    rows, has_more = await event_service.list_events(ctx.session, ctx.auth, type=chosen, page=page)
    attempts = await event_service.attempts_of(
        ctx.session, ctx.auth, event_ids=[e.id for e in rows]
    )
    endpoints, _ = await webhook_service.list_endpoints(ctx.session, ctx.auth, page=Page(100, 0))
    return render(
        ctx,
        "events.html",
        events=rows,
        attempts=attempts,
        endpoint_urls={e.id: e.url for e in endpoints},
        event_types=EVENT_TYPES,
        chosen=chosen or "",
        redelivered=query(ctx, "redelivered"),
        pager=pager(ctx, page, has_more),
    )


@router.post("/events/{event_id}/redeliver")
async def redeliver(ctx: Ctx, event_id: str) -> Response:
    """Send an event again, now, to every endpoint that subscribes to it."""
    targets = await event_service.redeliver(
        ctx.session, ctx.auth, event_id=event_id, endpoint_id=None
    )
    return redirect(f"{PREFIX}/events?redelivered={len(targets)}")
