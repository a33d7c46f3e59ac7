"""The referral flow of the integration guide, end to end, with the Python SDK:

    poster QR scan → impression → signup (referral) → purchase (earning) → referral converted

Run it against a running `vantio serve`:

    VANTIO_API_KEY=sk_test_... python examples/referral_flow.py [--base-url http://127.0.0.1:3000]

What the guide asks integrators to hand-write is the SDK's job here: the idempotency keys are
stable per signup and per order (a retry can never create a second referral or earning), retries
and typed errors are built in.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from urllib.parse import parse_qs, urlsplit

import httpx
from vantio_client import ConflictError, Vantio, VantioError

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"


def scan(scan_url: str) -> str:
    """What a phone does when it scans the poster: open the QR code's URL. Vantio records the
    impression and redirects to the landing page with ``impression_id`` in its query."""
    answer = httpx.get(scan_url, headers={"User-Agent": PHONE}, follow_redirects=False)
    if answer.status_code != 302:
        raise SystemExit(f"scan of {scan_url} answered {answer.status_code}, expected 302")
    landing = answer.headers["location"]
    return parse_qs(urlsplit(landing).query)["impression_id"][0]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--base-url", default=os.environ.get("VANTIO_BASE_URL"))
    parser.add_argument("--api-key", default=os.environ.get("VANTIO_API_KEY"))
    args = parser.parse_args()
    if not args.api_key:
        parser.error("pass --api-key or set VANTIO_API_KEY (a key from `vantio keys create`)")

    run = secrets.token_hex(3)
    with Vantio(api_key=args.api_key, base_url=args.base_url) as client:
        # Set-up the dashboard would normally do: a program, an ambassador, her poster.
        program = client.programs.create(
            name=f"Campus Ambassadors {run}",
            landing_url="https://shop.example.com/signup",
            commission={"type": "percentage", "rate": 10},
        )
        ambassador = client.users.create(
            program_id=program["id"],
            first_name="Maya",
            last_name="Okafor",
            email=f"maya.{run}@university.example",
        )
        poster = client.posters.create(
            program_id=program["id"], student_id=ambassador["id"], location="Library - First Floor"
        )
        print(f"poster {poster['id']} at {poster['location']}: QR code → {poster['scan_url']}")

        # 1. Someone scans the QR code: Vantio records the impression by itself.
        impression_id = scan(poster["scan_url"])
        print(f"1. scan recorded as {impression_id}")

        # 2. They sign up: a referral. The key is stable for this signup, so retries are safe.
        signup = {"user_id": f"shop_user_{run}", "first": "John", "last": "Doe"}
        referral = client.referrals.create(
            impression_id=impression_id,
            first_name=signup["first"],
            last_name=signup["last"],
            email=f"john.{run}@example.com",
            metadata={"source": "poster_qr_code", "shop_user_id": signup["user_id"]},
            idempotency_key=f"signup-{signup['user_id']}",
        )
        print(f"2. signup recorded as referral {referral['id']} ({referral['status']})")

        # 3. They buy: the ambassador earns the program's 10% of the sale (minor units).
        order = {"id": f"order_{run}", "total": 4999}  # $49.99
        earning = client.earnings.create(
            referral_id=referral["id"],
            sale_amount=order["total"],
            type="purchase",
            description=f"Commission from order #{order['id']}",
            metadata={"order_id": order["id"]},
            idempotency_key=f"purchase-{order['id']}",
        )
        print(f"3. purchase {order['id']}: earning {earning['id']} of {earning['amount']} cents")

        # 4. The referral is converted (the earning converted it; saying so again is a no-op).
        converted = client.referrals.update(referral["id"], status="converted")
        print(f"4. referral {converted['id']} is {converted['status']}")

        # A second signup with the same email is refused: typed errors, not status codes.
        try:
            client.referrals.create(
                impression_id=impression_id,
                first_name="John",
                last_name="Doe",
                email=referral["email"],
            )
        except ConflictError as error:
            print(f"   duplicate signup refused: {error.code}")

        if converted["status"] != "converted" or earning["amount"] != 500:
            print("unexpected result", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except VantioError as error:
        raise SystemExit(f"Vantio error: {error}") from None
