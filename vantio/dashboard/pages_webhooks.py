"""Webhooks: endpoints with their events, the secret shown once, rotation; the event log with
every delivery attempt and a redeliver button."""

from typing import Any

from fastapi import APIRouter
from pydantic import ValidationError
from starlette.responses import Response

from vantio.dashboard import actions, forms
from vantio.dashboard.common import page_of, pager, query
from vantio.dashboard.web import PREFIX, Context, Ctx, DashboardRoute, redirect, render
from vantio.errors import VantioError
from vantio.events import service as event_service
from vantio.kit.pagination import Page
from vantio.webhooks import service as webhook_service
from vantio.webhooks.models import WebhookEndpoint
from vantio.webhooks.schemas import (
    ALL,
    EVENT_TYPES,
    WebhookEndpointCreate,
    WebhookEndpointUpdate,
)

router = APIRouter(prefix=PREFIX, route_class=DashboardRoute)

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
    return render(ctx, "webhook.html", status=status, endpoint=endpoint,
                  event_types=(ALL, *EVENT_TYPES), **defaults)  # fmt: skip


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
