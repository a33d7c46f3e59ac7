from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field

from vantio.kit.schemas import Create, Metadata, Strict, Timestamp, Url, prefixed
from vantio.webhooks.models import WebhookAttempt, WebhookEndpoint


class EventType(StrEnum):
    """Every event type: what an endpoint subscribes to and what an event is recorded as.

    Declared here, below the domains that record events, because subscriptions are checked
    against it and the event writer asks webhooks who subscribes. The body each type is
    delivered with is typed in `vantio.event_catalog` (one model per member).
    """

    REFERRAL_CREATED = "referral.created"
    REFERRAL_STATUS_CHANGED = "referral.status_changed"
    EARNING_CREATED = "earning.created"
    EARNING_STATUS_CHANGED = "earning.status_changed"
    EARNING_REVERSED = "earning.reversed"
    EARNING_CLAWBACK_CREATED = "earning.clawback_created"
    IMPRESSION_CREATED = "impression.created"
    PAYOUT_CREATED = "payout.created"
    PAYOUT_PAID = "payout.paid"
    PAYOUT_FAILED = "payout.failed"
    VOUCHER_CREATED = "voucher.created"
    VOUCHER_UPDATED = "voucher.updated"
    VOUCHER_DELETED = "voucher.deleted"
    VOUCHER_VALIDATED = "voucher.validated"
    VOUCHER_APPLIED = "voucher.applied"
    VOUCHER_ROLLBACK = "voucher.rollback"
    VOUCHER_EXPIRED = "voucher.expired"
    WEBHOOK_ENDPOINT_DISABLED = "webhook_endpoint.disabled"


EVENT_TYPES: tuple[str, ...] = tuple(EventType)
ALL = "*"
# One per scan: sent only to endpoints that name it (it would drown an endpoint subscribed to
# "*"), and its body is serialized only when one does (the scan's hot path).
HIGH_VOLUME = frozenset({EventType.IMPRESSION_CREATED})


def subscribes(events: list[str], event_type: str) -> bool:
    if event_type in events:
        return True
    return ALL in events and event_type not in HIGH_VOLUME


def _check_events(value: list[str]) -> list[str]:
    unknown = [v for v in value if v != ALL and v not in EVENT_TYPES]
    if unknown:
        raise ValueError(f"unknown event type '{unknown[0]}'; use '*' or one of the event types")
    return list(dict.fromkeys(value))


Events = Annotated[list[str], Field(min_length=1, max_length=50), AfterValidator(_check_events)]
Description = Annotated[str, Field(max_length=500)]
WebhookEndpointId = Annotated[str, prefixed("we")]


class WebhookEndpointCreate(Create):
    url: Url
    events: Events
    description: Description | None = None
    metadata: Metadata | None = None


class WebhookEndpointUpdate(Strict):
    url: Url | None = None
    events: Events | None = None
    description: Description | None = None
    disabled: bool | None = None
    metadata: dict[str, Any] | None = None


class WebhookEndpointOut(BaseModel):
    id: str
    url: str
    description: str | None
    events: list[str]
    disabled: bool
    livemode: bool
    created_at: Timestamp
    updated_at: Timestamp
    metadata: dict[str, Any]
    # While a rotation's grace period runs: when the previous secret stops signing (null after).
    secret_rotation_ends_at: Timestamp | None = None

    @classmethod
    def of(cls, endpoint: WebhookEndpoint) -> "WebhookEndpointOut":
        return cls(
            id=endpoint.id,
            url=endpoint.url,
            description=endpoint.description,
            events=endpoint.events,
            disabled=endpoint.disabled,
            livemode=endpoint.livemode,
            created_at=endpoint.created_at,
            updated_at=endpoint.updated_at,
            metadata=endpoint.metadata_,
            secret_rotation_ends_at=endpoint.rotation_ends_at(),
        )


class WebhookEndpointWithSecret(WebhookEndpointOut):
    """Answered at creation and rotation only: the only times the secret is shown."""

    secret: str

    @classmethod
    def with_secret(cls, endpoint: WebhookEndpoint) -> "WebhookEndpointWithSecret":
        return cls(**WebhookEndpointOut.of(endpoint).model_dump(), secret=endpoint.secret)


class WebhookEndpointList(BaseModel):
    webhook_endpoints: list[WebhookEndpointOut]
    has_more: bool


class WebhookEndpointDeleted(BaseModel):
    id: str
    deleted: bool


class DeliveryAttemptOut(BaseModel):
    id: str
    endpoint_id: str
    attempt: int
    created_at: Timestamp
    status_code: int | None
    error: str | None
    duration_ms: int
    response_body: str
    succeeded: bool
    next_retry_at: Timestamp | None

    @classmethod
    def of(cls, row: WebhookAttempt) -> "DeliveryAttemptOut":
        return cls(
            id=row.id,
            endpoint_id=row.endpoint_id,
            attempt=row.attempt,
            created_at=row.created_at,
            status_code=row.status_code,
            error=row.error,
            duration_ms=row.duration_ms,
            response_body=row.response_body,
            succeeded=row.succeeded,
            next_retry_at=row.next_retry_at,
        )


class RedeliverRequest(Create):
    endpoint_id: WebhookEndpointId | None = None
