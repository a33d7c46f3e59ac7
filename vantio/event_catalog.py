"""Every event type and the typed body it is delivered with, on one screen (as `api.py` is for
the routes): the `webhooks` section of `/openapi.json`.

One model per `EventType` member, its `data` typed with the object's read schema. The names live
in `EventType` (`vantio/webhooks/schemas.py`), below the domains, because subscriptions are
checked against them; the models live here, above the domains, because their data are the
domains' schemas. Services record plain JSON (`events.service.record(type=..., data=...)`);
`tests/events/test_event_catalog.py` checks that every member has its model here and that what the
services record matches it.
"""

import re
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field, create_model
from pydantic.json_schema import models_json_schema

from vantio.earnings.schemas import EarningOut, EarningStatus
from vantio.impressions.schemas import ImpressionOut
from vantio.kit.schemas import Timestamp
from vantio.payouts.schemas import PayoutOut, PayoutStatus
from vantio.referrals.schemas import ReferralOut, ReferralStatus
from vantio.vouchers.schemas import ApplicationOut, RollbackOut, VoucherOut
from vantio.webhooks.schemas import EventType, WebhookEndpointOut

D = TypeVar("D", bound=BaseModel)


class EventBody(BaseModel, Generic[D]):
    """The body of every delivery (and of `GET /api/v1/events/{id}`, which adds the attempts)."""

    id: str = Field(description="`evt_...`: the `webhook-id` header, the same on every retry")
    type: EventType
    event: EventType = Field(description="The same as `type`")
    created_at: Timestamp
    livemode: bool
    data: D


# -- the data of events that carry more than the object -------------------------------------


class ReferralStatusChange(ReferralOut):
    previous_status: ReferralStatus


class EarningStatusChange(EarningOut):
    previous_status: EarningStatus


class PayoutStatusChange(PayoutOut):
    previous_status: PayoutStatus


class VoucherDeleted(BaseModel):
    id: str
    voucher_id: str
    code: str
    deleted_at: Timestamp


class VoucherExpired(BaseModel):
    id: str
    voucher_id: str
    code: str
    expired_at: Timestamp


class VoucherValidation(BaseModel):
    voucher_id: str
    code: str
    is_valid: bool
    discount_amount: int
    currency: str | None
    order_id: str | None
    error_code: str | None = Field(description="The voucher API's error code when not valid")
    validated_at: Timestamp


class VoucherApplication(ApplicationOut):
    voucher_id: str
    customer_email: str | None


class VoucherRollback(RollbackOut):
    voucher_id: str


class DisabledEndpoint(WebhookEndpointOut):
    disabled_reason: Literal["failing"]
    failing_since: Timestamp


# -- one model per event type -----------------------------------------------------------------

# What each event's data is, and when it happens (the text of its OpenAPI entry).
_EVENTS: dict[EventType, tuple[type[BaseModel], str]] = {
    EventType.REFERRAL_CREATED: (ReferralOut, "A referral was created."),
    EventType.REFERRAL_STATUS_CHANGED: (ReferralStatusChange, "A referral changed status."),
    EventType.EARNING_CREATED: (EarningOut, "An earning was created (API or referred order)."),
    EventType.EARNING_STATUS_CHANGED: (EarningStatusChange, "An earning changed status."),
    EventType.EARNING_REVERSED: (
        EarningOut,
        "An unpaid earning was reversed (refund, rolled-back order): it will not be paid.",
    ),
    EventType.EARNING_CLAWBACK_CREATED: (
        EarningOut,
        "A paid earning was reversed: this negative earning (`reverses` names the paid one) "
        "is netted off the ambassador's next payouts.",
    ),
    EventType.IMPRESSION_CREATED: (
        ImpressionOut,
        "A poster was scanned. Sent only to endpoints that name this type, never to `*`.",
    ),
    EventType.PAYOUT_CREATED: (PayoutOut, "A payout grouped an ambassador's pending earnings."),
    EventType.PAYOUT_PAID: (PayoutStatusChange, "A payout was paid, with all its earnings."),
    EventType.PAYOUT_FAILED: (PayoutStatusChange, "A payout failed; its earnings were released."),
    EventType.VOUCHER_CREATED: (VoucherOut, "A voucher was created (a campaign's codes: none)."),
    EventType.VOUCHER_UPDATED: (VoucherOut, "A voucher was updated."),
    EventType.VOUCHER_DELETED: (VoucherDeleted, "A voucher was deleted (kept, inactive)."),
    EventType.VOUCHER_VALIDATED: (VoucherValidation, "A voucher was validated for an order."),
    EventType.VOUCHER_APPLIED: (VoucherApplication, "A voucher was applied to an order."),
    EventType.VOUCHER_ROLLBACK: (VoucherRollback, "An application was rolled back."),
    EventType.VOUCHER_EXPIRED: (VoucherExpired, "A voucher passed its `valid_until`."),
    EventType.WEBHOOK_ENDPOINT_DISABLED: (
        DisabledEndpoint,
        "An endpoint that kept failing was disabled (sent to the account's other endpoints).",
    ),
}


def _body(event_type: EventType, data: type[BaseModel], text: str) -> type[EventBody[Any]]:
    """The model of one event type's body: `EventBody` with its type fixed and its data typed."""
    name = "".join(part.capitalize() for part in re.split(r"[._]", event_type)) + "Event"
    pinned = Literal[event_type]  # type: ignore[valid-type]
    return create_model(
        name,
        __base__=EventBody[data],  # type: ignore[valid-type]
        __doc__=text,
        type=(pinned, ...),
        event=(pinned, Field(description="The same as `type`")),
    )


CATALOG: dict[EventType, type[EventBody[Any]]] = {
    event_type: _body(event_type, data, text) for event_type, (data, text) in _EVENTS.items()
}


_REF = "#/components/schemas/{model}"
_RETRIES = (
    "Not received: a 5xx, 429, timeout or network error is retried on the schedule of "
    "docs/API.md; any other answer is final"
)


def add_webhooks(document: dict[str, Any]) -> None:
    """Add the `webhooks` section to an OpenAPI document: one entry per event type, whose request
    body is the type's model.

    The schemas are those of the bodies as serialized (what Vantio sends), added to the
    document's components beside the API's own: `ReferralOut` is the one the API answers with.
    (Described as FastAPI webhook routes, they would be read as input, and FastAPI would split
    every shared schema into `-Input` and `-Output` variants.)
    """
    _, top = models_json_schema(
        [(model, "serialization") for model in CATALOG.values()], ref_template=_REF
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in top.get("$defs", {}).items():
        if schemas.setdefault(name, schema) != schema:
            raise ValueError(f"two different schemas are named {name} in the OpenAPI document")
    document["webhooks"] = {
        event_type: {
            "post": {
                "tags": ["Webhooks"],
                "summary": event_type,
                "description": f"{model.__doc__} Signed as docs/API.md says.",
                "operationId": event_type.replace(".", "_"),
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": _REF.format(model=model.__name__)}}
                    },
                },
                "responses": {
                    "200": {"description": "Received: any 2xx acknowledges the delivery"},
                    "default": {"description": _RETRIES},
                },
            }
        }
        for event_type, model in CATALOG.items()
    }
