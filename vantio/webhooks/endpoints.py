from fastapi import APIRouter

from vantio.http.dependencies import AuthDep, ReferralPageDep, RuntimeDep, SessionDep
from vantio.http.routes import ReferralRoute, idempotent
from vantio.kit.schemas import Create
from vantio.webhooks import service
from vantio.webhooks.schemas import (
    WebhookEndpointCreate,
    WebhookEndpointDeleted,
    WebhookEndpointId,
    WebhookEndpointList,
    WebhookEndpointOut,
    WebhookEndpointUpdate,
    WebhookEndpointWithSecret,
)

router = APIRouter(prefix="/webhook_endpoints", tags=["Webhooks"], route_class=ReferralRoute)


@router.post("", response_model=WebhookEndpointWithSecret)
@idempotent("webhook_endpoints.create")
async def create_webhook_endpoint(
    session: SessionDep, auth: AuthDep, runtime: RuntimeDep, body: WebhookEndpointCreate
) -> WebhookEndpointWithSecret:
    """Create a webhook endpoint; its signing secret is shown in this answer only."""
    endpoint = await service.create_endpoint(session, auth, settings=runtime.settings, data=body)
    return WebhookEndpointWithSecret.with_secret(endpoint)


@router.get("", response_model=WebhookEndpointList)
async def list_webhook_endpoints(
    session: SessionDep, auth: AuthDep, page: ReferralPageDep
) -> WebhookEndpointList:
    """List webhook endpoints, newest first."""
    rows, has_more = await service.list_endpoints(session, auth, page=page)
    return WebhookEndpointList(
        webhook_endpoints=[WebhookEndpointOut.of(e) for e in rows], has_more=has_more
    )


@router.get("/{id}", response_model=WebhookEndpointOut)
async def get_webhook_endpoint(
    session: SessionDep, auth: AuthDep, id: WebhookEndpointId
) -> WebhookEndpointOut:
    """Retrieve a webhook endpoint (without its secret)."""
    return WebhookEndpointOut.of(await service.get_endpoint_or_raise(session, auth, endpoint_id=id))


@router.put("/{id}", response_model=WebhookEndpointOut)
async def update_webhook_endpoint(
    session: SessionDep,
    auth: AuthDep,
    runtime: RuntimeDep,
    id: WebhookEndpointId,
    body: WebhookEndpointUpdate,
) -> WebhookEndpointOut:
    """Update a webhook endpoint's URL, events, description, metadata or `disabled` flag."""
    endpoint = await service.update_endpoint(
        session, auth, settings=runtime.settings, endpoint_id=id, data=body
    )
    return WebhookEndpointOut.of(endpoint)


@router.delete("/{id}", response_model=WebhookEndpointDeleted)
async def delete_webhook_endpoint(
    session: SessionDep, auth: AuthDep, id: WebhookEndpointId
) -> WebhookEndpointDeleted:
    """Delete a webhook endpoint; nothing more is sent to it."""
    await service.delete_endpoint(session, auth, endpoint_id=id)
    return WebhookEndpointDeleted(id=id, deleted=True)


@router.post("/{id}/rotate_secret", response_model=WebhookEndpointWithSecret)
@idempotent("webhook_endpoints.rotate_secret")
async def rotate_webhook_secret(
    session: SessionDep,
    auth: AuthDep,
    runtime: RuntimeDep,
    id: WebhookEndpointId,
    body: Create | None = None,
) -> WebhookEndpointWithSecret:
    """Replace the signing secret; the old one keeps signing beside it for 24 hours."""
    endpoint = await service.rotate_secret(session, auth, settings=runtime.settings, endpoint_id=id)
    return WebhookEndpointWithSecret.with_secret(endpoint)


@router.post("/{id}/rotate_secret/end", response_model=WebhookEndpointOut)
@idempotent("webhook_endpoints.end_rotation")
async def end_webhook_secret_rotation(
    session: SessionDep, auth: AuthDep, id: WebhookEndpointId, body: Create | None = None
) -> WebhookEndpointOut:
    """End a secret rotation's grace period now: the new secret alone signs from then on."""
    endpoint = await service.end_rotation(session, auth, endpoint_id=id)
    return WebhookEndpointOut.of(endpoint)
