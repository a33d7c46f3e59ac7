"""A cart at checkout with two stacked vouchers, with the Python SDK (the Voucher API, /v1):

    validate each code as it is typed → validate the stack on the final cart → apply both

Run it against a running `vantio serve`:

    VANTIO_API_KEY=sk_test_... python examples/checkout.py [--base-url http://127.0.0.1:3000]

Amounts are integer cents. Validation never uses a voucher up; apply does, once per order
(applying the same code to the same order again returns the same application).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from typing import Any

from vantio_client import NotFoundError, Vantio, VantioError
from vantio_client.types import Order


def money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--base-url", default=os.environ.get("VANTIO_BASE_URL"))
    parser.add_argument("--api-key", default=os.environ.get("VANTIO_API_KEY"))
    args = parser.parse_args()
    if not args.api_key:
        parser.error("pass --api-key or set VANTIO_API_KEY (a key from `vantio keys create`)")

    run = secrets.token_hex(3).upper()
    with Vantio(api_key=args.api_key, base_url=args.base_url) as client:
        # The marketing team's vouchers: 10% off that stacks with a fixed $5 off.
        welcome = client.vouchers.create(
            code=f"WELCOME10-{run}",
            type="stackable",
            config={
                "base_discount": 10,
                "base_discount_type": "percentage",
                "stack_rules": {"max_stack_count": 2, "stackable_with": ["fixed"]},
                "priority": 1,
            },
            conditions={"min_order_value": 5000, "max_uses": 1000, "customer_limit": 1},
        )
        five_off = client.vouchers.create(
            code=f"SAVE5-{run}", type="fixed", value=500, currency="USD"
        )
        print(f"vouchers {welcome['code']} and {five_off['code']} created")

        order_id = f"order_{run}"
        cart: Order = {
            "id": order_id,
            "value": 12000,
            "currency": "USD",
            "items": [
                {"id": "sku_hoodie", "price": 5000, "quantity": 2},
                {"id": "sku_mug", "price": 2000, "quantity": 1},
            ],
        }
        customer = {"id": f"customer_{run}", "email": f"buyer.{run.lower()}@example.com"}

        # 1. As the shopper types each code: a dry run, nothing used up, nothing recorded.
        for code in (welcome["code"], five_off["code"]):
            check = client.vouchers.validate(code=code, order=cart, customer=customer, preview=True)
            print(f"1. {code}: valid, {money(check['discount_amount'])} off")
        try:
            client.vouchers.validate(code=f"NOPE-{run}", order=cart, preview=True)
        except NotFoundError as error:
            print(f"1. NOPE-{run}: refused ({error.code})")

        # 2. On the final cart: the two codes together, judged by the stacking rules.
        stack = client.vouchers.validate(
            codes=[welcome["code"], five_off["code"]], order=cart, customer=customer
        )
        print(
            f"2. stack valid: {money(stack['discount_amount'])} off "
            f"{money(cart['value'])}, pay {money(stack['final_amount'])}"
        )

        # 3. Payment succeeded: apply both (each call re-validates and uses the code up once).
        applications: list[dict[str, Any]] = []
        for code in (welcome["code"], five_off["code"]):
            applied = client.vouchers.apply(
                code=code, order_id=order_id, order=cart, customer=customer
            )
            applications.append(dict(applied))
            print(f"3. applied {code} as {applied['id']}: {money(applied['discount_amount'])} off")
        total_discount = sum(a["discount_amount"] for a in applications)
        print(f"   order {order_id}: {money(total_discount)} off in total")

        # A retried apply (same code, same order) returns the same application.
        again = client.vouchers.apply(
            code=welcome["code"], order_id=order_id, order=cart, customer=customer
        )
        usage = client.vouchers.get(welcome["id"])["usage_count"]
        print(f"   retried apply → {again['id']}; {welcome['code']} used {usage} time(s)")

        if total_discount != stack["discount_amount"] or again["id"] != applications[0]["id"]:
            print("unexpected result", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except VantioError as error:
        raise SystemExit(f"Vantio error: {error}") from None
