"""What the engine works on: the cart (an order as the engine sees it), the vouchers taking part
(candidates) and what each one came to (outcomes)."""

from dataclasses import dataclass, field
from typing import Any

from vantio.vouchers.definitions import Definition, StackableConfig, StackRules


@dataclass
class Line:
    item_id: str
    product_id: str
    categories: frozenset[str]
    unit_price: int
    quantity: int
    remaining: int  # what is left of price * quantity after earlier discounts


@dataclass
class Cart:
    """An order as the engine sees it; stacked discounts consume `remaining` amounts in turn."""

    value: int
    currency: str
    lines: list[Line]
    shipping: int
    customer: dict[str, Any] | None = None
    remaining_value: int = 0
    remaining_shipping: int = 0

    def __post_init__(self) -> None:
        self.remaining_value = self.value
        self.remaining_shipping = self.shipping

    @classmethod
    def of(
        cls,
        *,
        value: int | None,
        currency: str,
        items: list[dict[str, Any]],
        shipping: int = 0,
        customer: dict[str, Any] | None = None,
    ) -> "Cart":
        lines = [
            Line(
                item_id=str(item["id"]),
                product_id=str(item.get("product_id") or item["id"]),
                categories=frozenset(
                    [c for c in [item.get("category"), *(item.get("categories") or [])] if c]
                ),
                unit_price=int(item["price"]),
                quantity=int(item.get("quantity", 1)),
                remaining=int(item["price"]) * int(item.get("quantity", 1)),
            )
            for item in items
        ]
        total = value if value is not None else sum(line.remaining for line in lines)
        return cls(total, currency, lines, shipping, customer)


@dataclass(frozen=True)
class StandingApplication:
    """What an application already standing on the order took: its discount is fixed."""

    discount_amount: int
    breakdown: dict[str, Any]


@dataclass
class Candidate:
    """A voucher taking part in an evaluation, with the counters the checks read."""

    voucher_id: str
    code: str
    status: str
    deleted: bool
    definition: Definition
    usage_count: int
    customer_usage: int | None = None  # None: no customer given
    # Set for an application already standing on the order.
    applied: StandingApplication | None = None

    @property
    def type(self) -> str:
        return self.definition.type

    @property
    def stack_config(self) -> StackableConfig | None:
        """The typed config of a stackable voucher; None for every other type."""
        config = self.definition.typed_config
        return config if isinstance(config, StackableConfig) else None

    @property
    def stackable(self) -> bool:
        return self.definition.type == "stackable"

    @property
    def stack_rules(self) -> StackRules:
        config = self.stack_config
        return config.stack_rules if config is not None else StackRules()

    @property
    def priority(self) -> int:
        config = self.stack_config
        return config.priority if config is not None else 0


@dataclass
class Outcome:
    candidate: Candidate
    discount_amount: int = 0  # on merchandise and shipping together
    shipping_discount: int = 0
    applied_to: list[dict[str, Any]] = field(default_factory=list)
    validation_details: dict[str, Any] = field(default_factory=dict)
    conditions_met: list[str] = field(default_factory=list)

    def breakdown(self) -> dict[str, Any]:
        return {"applied_to": self.applied_to, "shipping_discount": self.shipping_discount}


@dataclass
class StackResult:
    outcomes: list[Outcome]  # the new vouchers, in the order given
    discount_amount: int  # of the new vouchers
    existing_discount: int
    final_amount: int
    details: dict[str, Any]
