"""Payout files: what a run's payouts look like to PayPal, Wise or a SEPA bank, and the
providers' result files read back (reconciliation). Pure functions: no database."""

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from sepaxml import SepaTransfer

from vantio.kit.csv import format_rows, rows_to_csv
from vantio.kit.money import to_major


@dataclass(frozen=True)
class Item:
    """One payout of the run with what its file line needs."""

    payout_id: str
    amount: int
    currency: str
    name: str
    email: str
    details: dict[str, Any]


def reference(payout_id: str) -> str:
    """The payout's reference in a provider's file: its id without the `payout_` prefix (PayPal
    allows 30 characters, SEPA's end-to-end id 35)."""
    return payout_id.removeprefix("payout_")


def paypal_csv(items: list[Item], *, note: str) -> str:
    """PayPal Payouts web upload: no header; recipient, amount, currency, customer id, note,
    wallet (one currency per file: the caller groups by currency)."""
    rows = [
        (
            item.details["paypal_email"],
            to_major(item.amount, item.currency),
            item.currency,
            reference(item.payout_id),
            note,
            "PAYPAL",
        )
        for item in items
    ]
    return "".join(format_rows(rows))


WISE_COLUMNS = (
    "name",
    "recipientEmail",
    "paymentReference",
    "receiverType",
    "amountCurrency",
    "amount",
    "sourceCurrency",
    "targetCurrency",
    "IBAN",
    "BIC",
)


def wise_csv(items: list[Item], *, note: str) -> str:
    """Wise batch payment, "send to bank accounts" (IBAN) template: a fixed target amount."""
    rows = [
        (
            item.details["account_holder"],
            item.email,
            f"{note} {reference(item.payout_id)}"[:35],
            "PRIVATE",
            "target",
            to_major(item.amount, item.currency),
            item.currency,
            item.currency,
            item.details["iban"],
            item.details["bic"],
        )
        for item in items
    ]
    return rows_to_csv(WISE_COLUMNS, rows)


def sepa_xml(items: list[Item], *, sender: dict[str, Any], note: str, on: date) -> bytes:
    """A SEPA credit transfer (pain.001.001.03), validated against its XML schema by `sepaxml`."""
    transfer = SepaTransfer(
        {
            "name": sender["name"],
            "IBAN": sender["iban"],
            "BIC": sender["bic"],
            "batch": True,
            "currency": "EUR",
        },
        clean=True,
    )
    for item in items:
        transfer.add_payment(
            {
                "name": item.details["account_holder"],
                "IBAN": item.details["iban"],
                "BIC": item.details["bic"],
                "amount": item.amount,  # sepaxml takes euro cents
                "execution_date": on,
                "description": f"{note} {reference(item.payout_id)}"[:140],
                "endtoend_id": reference(item.payout_id),
            }
        )
    xml: bytes = transfer.export(validate=True)
    return xml


# -- the providers' result files ----------------------------------------------------------------

_REFERENCE_COLUMNS = ("customer id", "reference", "paymentreference", "payment reference", "id")
_STATUS_COLUMNS = ("status", "transaction status", "state")
_PAID = {"completed", "success", "succeeded", "paid", "sent", "outgoing_payment_sent"}
_FAILED = {
    "failed",
    "denied",
    "returned",
    "refunded",
    "reversed",
    "blocked",
    "cancelled",
    "canceled",
    "unclaimed",
    "bounced_back",
    "funds_refunded",
}


@dataclass(frozen=True)
class ResultRow:
    reference: str
    status: str | None  # paid | failed | None (pending or unknown: left as it is)
    raw_status: str


def read_results(text: str) -> list[ResultRow]:
    """The rows of a provider's result CSV (PayPal's payouts report, Wise's batch export, or any
    file with a reference and a status column): the reference is matched by its payout id (with
    or without `payout_`), or found inside a longer reference (`Referral payout 01H...`)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = {name.strip().lower(): name for name in reader.fieldnames or []}
    ref_column = next((fields[c] for c in _REFERENCE_COLUMNS if c in fields), None)
    status_column = next((fields[c] for c in _STATUS_COLUMNS if c in fields), None)
    if ref_column is None or status_column is None:
        raise ValueError(
            "the file needs a reference column (Customer ID, Reference, paymentReference) "
            "and a status column (Status)"
        )
    rows = []
    for row in reader:
        raw = (row.get(status_column) or "").strip()
        status = raw.lower().replace(" ", "_")
        rows.append(
            ResultRow(
                reference=(row.get(ref_column) or "").strip(),
                status="paid" if status in _PAID else "failed" if status in _FAILED else None,
                raw_status=raw,
            )
        )
    return rows
