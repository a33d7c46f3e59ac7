"""Foreign objects for the tenancy walker (tests/test_tenancy.py).

The walker goes through every route of `/api/v1` and `/v1` in `app.openapi()` and calls it with
the IDs of objects that belong to another account, or to the same account's other mode, and
insists on 404 (and on lists that never show them). To do that for a route it needs to know:

- which ID prefix each path parameter takes: the path segment just before the parameter names
  the collection (`/api/v1/referrals/{id}` → `referrals` → `ref`), see `COLLECTIONS`;
- how to create an object with that prefix: an async factory in `FACTORIES`, registered with
  `@factory("prefix")`, that creates one through the API with the given `Api` (whose key decides
  the account and mode) and returns its JSON object;
- for a POST body that references other objects (`program_id`, `voucher_id`, ...): which prefix
  each such field takes (`FIELDS`) and how to build a valid body of the caller's own (`BODIES`,
  keyed by `"POST /path"`), into which the walker then puts one foreign ID at a time.

The walker FAILS for a route it cannot handle (unknown collection, prefix without a factory, POST
body with ID fields but no `BODIES` entry). Adding a route with an ID therefore means adding its
factory here; that is the point. Factories put `MARK` into the object's metadata where the object
has metadata, so the walker can tell that no answer ever shows a foreign object's contents.

A path parameter is filled with the object's field of the same name when the object has one
(`{code}` → `object["code"]`), else with its `id` (`{id}`, `{voucher_id}`, `{va_id}`...).
"""

from collections.abc import Awaitable, Callable
from typing import Any

from tests.helpers import (
    Api,
    make_funnel,
    make_poster,
    make_program,
    make_referral,
    make_user,
    png_image,
    put_logo,
)

Obj = dict[str, Any]
Factory = Callable[[Api], Awaitable[Obj]]
BodyFactory = Callable[[Api], Awaitable[Obj]]

MARK = "foreign-object-marker-7f3a"
MARKED = {"metadata": {"tenancy_mark": MARK}}

# The path segment before a path parameter → the ID prefix that parameter takes.
COLLECTIONS: dict[str, str] = {
    "programs": "prog",
    "users": "user",
    "posters": "poster",
    "impressions": "imp",
    "referrals": "ref",
    "earnings": "earn",
    "events": "evt",
    "payouts": "payout",
    "payout_runs": "prun",
    "webhook_endpoints": "we",
    "vouchers": "v",
    "applications": "va",
    "campaigns": "camp",
    "export": "export",
    "exports": "export",
}

# Body and query fields that reference an object → its ID prefix.
FIELDS: dict[str, str] = {
    "program_id": "prog",
    "programId": "prog",
    "student_id": "user",
    "studentId": "user",
    "poster_id": "poster",
    "posterId": "poster",
    "impression_id": "imp",
    "impressionId": "imp",
    "referral_id": "ref",
    "referralId": "ref",
    "earning_id": "earn",
    "event_id": "evt",
    "payout_id": "payout",
    "voucher_id": "v",
    "campaign_id": "camp",
    "referee_voucher_id": "v",
}

FACTORIES: dict[str, Factory] = {}
# "POST /path" → a valid body of the caller's own objects (the walker swaps in foreign IDs).
BODIES: dict[str, BodyFactory] = {}


def factory(prefix: str) -> Callable[[Factory], Factory]:
    def register(function: Factory) -> Factory:
        FACTORIES[prefix] = function
        return function

    return register


def body(route: str) -> Callable[[BodyFactory], BodyFactory]:
    def register(function: BodyFactory) -> BodyFactory:
        BODIES[route] = function
        return function

    return register


# --- Referral API objects -----------------------------------------------------------------


@factory("prog")
async def foreign_program(api: Api) -> Obj:
    # With a logo and a poster, so that its owner gets the logo and the posters' PDF.
    program = await make_program(api, name=f"Program {MARK}", headline=MARK, **MARKED)
    assert (await put_logo(api, program["id"], png_image())).status_code == 200
    user = await make_user(api, program["id"], **MARKED)
    await make_poster(api, program["id"], user["id"], location=MARK, **MARKED)
    return program


@factory("user")
async def foreign_user(api: Api) -> Obj:
    program = await make_program(api, **MARKED)
    return await make_user(api, program["id"], first_name=MARK, **MARKED)


@factory("poster")
async def foreign_poster(api: Api) -> Obj:
    program = await make_program(api, **MARKED)
    user = await make_user(api, program["id"], **MARKED)
    return await make_poster(api, program["id"], user["id"], location=MARK, **MARKED)


@factory("imp")
async def foreign_impression(api: Api) -> Obj:
    return (await make_funnel(api)).impression


@factory("ref")
async def foreign_referral(api: Api) -> Obj:
    funnel = await make_funnel(api)
    return await make_referral(api, funnel.impression["id"], first_name=MARK, **MARKED)


@factory("earn")
async def foreign_earning(api: Api) -> Obj:
    referral = await foreign_referral(api)
    return await api.ok(
        "POST",
        "/api/v1/earnings",
        {"referral_id": referral["id"], "amount": 1000, "description": MARK, **MARKED},
    )


@factory("evt")
async def foreign_event(api: Api) -> Obj:
    await foreign_referral(api)
    events = await api.ok("GET", "/api/v1/events", type="referral.created", limit="1")
    event: Obj = events["events"][0]
    return event


@factory("payout")
async def foreign_payout(api: Api) -> Obj:
    funnel = await make_funnel(api)
    referral = await make_referral(api, funnel.impression["id"])
    await api.ok("POST", "/api/v1/earnings", {"referral_id": referral["id"], "amount": 1000})
    run = await api.ok("POST", "/api/v1/payouts", {"program_id": funnel.program["id"], **MARKED})
    payout: Obj = run["payouts"][0]
    return payout


@factory("we")
async def foreign_webhook_endpoint(api: Api) -> Obj:
    # A closed local port and a rare event type: the walker's objects trigger no deliveries.
    return await api.ok(
        "POST",
        "/api/v1/webhook_endpoints",
        {
            "url": "http://127.0.0.1:9/foreign",
            "events": ["payout.failed"],
            "description": MARK,
            **MARKED,
        },
    )


# --- Valid POST bodies of the caller's own objects ------------------------------------------


@body("POST /api/v1/users")
async def user_body(api: Api) -> Obj:
    program = await make_program(api)
    return {
        "program_id": program["id"],
        "first_name": "Own",
        "last_name": "User",
        "email": f"own.{program['id'][-8:]}@example.com",
    }


@body("POST /api/v1/posters")
async def poster_body(api: Api) -> Obj:
    program = await make_program(api)
    user = await make_user(api, program["id"])
    return {"program_id": program["id"], "student_id": user["id"], "location": "Own place"}


@body("POST /api/v1/impressions")
async def impression_body(api: Api) -> Obj:
    funnel = await make_funnel(api)
    return {"poster_id": funnel.poster["id"]}


@body("POST /api/v1/referrals")
async def referral_body(api: Api) -> Obj:
    funnel = await make_funnel(api)
    return {
        "impression_id": funnel.impression["id"],
        "first_name": "Own",
        "last_name": "Referral",
        "email": f"own.{funnel.impression['id'][-8:]}@example.com",
    }


@body("POST /api/v1/earnings")
async def earning_body(api: Api) -> Obj:
    funnel = await make_funnel(api)
    referral = await make_referral(api, funnel.impression["id"])
    return {"referral_id": referral["id"], "amount": 1000}


@factory("prun")
async def foreign_payout_run(api: Api) -> Obj:
    funnel = await make_funnel(api)
    await api.ok(
        "PUT",
        f"/api/v1/users/{funnel.user['id']}/payout_details",
        {"method": "paypal", "paypal_email": "foreign@example.com"},
    )
    referral = await make_referral(api, funnel.impression["id"])
    await api.ok("POST", "/api/v1/earnings", {"referral_id": referral["id"], "amount": 500})
    run = await api.ok(
        "POST", "/api/v1/payouts", {"program_id": funnel.program["id"], "method": "paypal"}
    )
    return {"id": run["run_id"]}


@body("POST /api/v1/payouts")
async def payout_body(api: Api) -> Obj:
    program = await make_program(api)
    user = await make_user(api, program["id"])
    return {"program_id": program["id"], "student_id": user["id"]}


@body("POST /api/v1/programs")
async def program_body(api: Api) -> Obj:
    return {"name": "Own program", "landing_url": "https://example.com/own"}


# --- Voucher API objects --------------------------------------------------------------------


def _voucher_code() -> str:
    import secrets

    return f"FOREIGN{secrets.token_hex(5).upper()}"


@factory("v")
async def foreign_voucher(api: Api) -> Obj:
    return await api.ok(
        "POST",
        "/v1/vouchers",
        {"code": _voucher_code(), "type": "percentage", "value": 10, **MARKED},
    )


@factory("va")
async def foreign_voucher_application(api: Api) -> Obj:
    voucher = await foreign_voucher(api)
    return await api.ok(
        "POST",
        "/v1/vouchers/apply",
        {
            "code": voucher["code"],
            "order_id": f"order_{_voucher_code()}",
            "order": {"value": 1000, "currency": "USD"},
            **MARKED,
        },
    )


@body("POST /v1/vouchers")
async def voucher_body(api: Api) -> Obj:
    program = await make_program(api)
    return {
        "code": _voucher_code(),
        "type": "percentage",
        "value": 10,
        "program_id": program["id"],
    }


# --- Campaigns and voucher analytics exports ------------------------------------------------


def _campaign_body(count: int = 2) -> Obj:
    return {
        "name": f"Campaign {MARK}",
        "type": "percentage",
        "value": 10,
        "code_pattern": {"prefix": "FC-", "length": 10, "count": count},
        **MARKED,
    }


@factory("camp")
async def foreign_campaign(api: Api) -> Obj:
    return await api.ok("POST", "/v1/campaigns", _campaign_body())


@factory("export")
async def foreign_export(api: Api) -> Obj:
    voucher = await foreign_voucher(api)
    export = await api.ok(
        "POST",
        "/v1/analytics/export",
        {"voucher_ids": [voucher["id"]], "metrics": ["uses"], "format": "json"},
    )
    return {**export, "id": export["export_id"]}


@body("POST /v1/campaigns")
async def campaign_body(api: Api) -> Obj:
    program = await make_program(api)
    return {**_campaign_body(), "program_id": program["id"]}
