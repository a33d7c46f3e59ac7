"""A voucher's definition (`type`, `value`, `conditions`, `config`): checked once, stored as JSON.

Everything here is pure: the campaign generator checks one definition with `build` and copies
the result onto each of its codes.
"""

import math
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter, ValidationError

from vantio.errors import FieldError
from vantio.kit.schemas import Currency, Strict
from vantio.kit.time import isoformat
from vantio.vouchers.errors import InvalidConditions, InvalidConfiguration
from vantio.vouchers.schemas import Cents, Conditions, Count, DiscountType, IdList, VoucherType

ADVANCED_TYPES = ("bogo", "tiered", "conditional", "stackable")
Percent = Annotated[float, Field(gt=0, le=100)]
Operator = Literal["eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in"]


class Tier(Strict):
    min_value: Cents | None = None
    max_value: Cents | None = None
    threshold: Cents | None = None  # the guide's open-ended form
    discount: Annotated[float, Field(gt=0)]
    discount_type: DiscountType = "percentage"


class TieredConfig(Strict):
    tiers: Annotated[list[Tier], Field(min_length=1, max_length=50)]
    currency: Currency | None = None


class BogoConfig(Strict):
    buy_quantity: Count = 1
    get_quantity: Count = 1
    get_discount: Annotated[float, Field(gt=0)] = 100
    get_discount_type: DiscountType = "percentage"
    applicable_items: IdList | None = None
    excluded_items: IdList | None = None
    min_order_value: Cents | None = None
    max_uses_per_order: Count | None = None


class Rule(Strict):
    type: Literal[
        "customer_segment",
        "order_value",
        "customer_registration_date",
        "customer_orders",
        "item_count",
        "currency",
    ]
    operator: Operator = "eq"
    value: Any


class ConditionalConfig(Strict):
    conditions: Annotated[list[Rule], Field(min_length=1, max_length=50)]
    discount: Annotated[float, Field(gt=0)]
    discount_type: DiscountType = "percentage"
    all_conditions_required: bool = True


class StackRules(Strict):
    max_stack_count: Count | None = None
    # A cap on the combined discount of the stack, in percent of the order value.
    max_total_discount: Percent | None = None
    stackable_with: list[VoucherType] | None = None
    excluded_types: list[VoucherType] | None = None


class StackableConfig(Strict):
    base_discount: Annotated[float, Field(gt=0)]
    base_discount_type: DiscountType = "percentage"
    stack_rules: StackRules = StackRules()
    priority: int = 0


AdvancedConfig = BogoConfig | TieredConfig | ConditionalConfig | StackableConfig
CONFIGS: dict[str, type[AdvancedConfig]] = {
    "bogo": BogoConfig,
    "tiered": TieredConfig,
    "conditional": ConditionalConfig,
    "stackable": StackableConfig,
}


class OrderValueRule(Strict):
    type: Literal["order_value"]
    operator: Operator = "gte"
    value: Cents
    currency: Currency | None = None


class ItemRule(Strict):
    item_id: str | None = None
    category: str | None = None
    min_quantity: Annotated[int, Field(ge=0)] | None = None
    max_quantity: Annotated[int, Field(ge=0)] | None = None
    min_value: Cents | None = None


class ItemsRule(Strict):
    type: Literal["items"]
    rules: Annotated[list[ItemRule], Field(min_length=1, max_length=50)]


class DateComparison(Strict):
    operator: Operator = "gte"
    value: datetime


class CustomerRuleItem(Strict):
    segment: str | None = None
    min_orders: Annotated[int, Field(ge=0)] | None = None
    registration_date: DateComparison | None = None
    # Only this customer (`customer.email`, compared case-insensitively): store credit.
    email: Annotated[str, Field(min_length=3, max_length=320)] | None = None


class CustomerRule(Strict):
    type: Literal["customer"]
    rules: Annotated[list[CustomerRuleItem], Field(min_length=1, max_length=50)]


ConditionRule = Annotated[OrderValueRule | ItemsRule | CustomerRule, Field(discriminator="type")]
_RULES = TypeAdapter(list[ConditionRule])
_CONDITIONS = TypeAdapter(Conditions)


@dataclass(frozen=True)
class Definition:
    """What every code of a voucher (or of a campaign) shares."""

    type: str
    value: float | None
    conditions: dict[str, Any]
    config: dict[str, Any] | None
    currency: str | None

    @property
    def max_uses(self) -> int | None:
        return self.conditions.get("max_uses")

    @property
    def customer_limit(self) -> int | None:
        return self.conditions.get("customer_limit")

    @property
    def valid_from(self) -> datetime | None:
        return parse_time(self.conditions.get("valid_from"))

    @property
    def valid_until(self) -> datetime | None:
        return parse_time(self.conditions.get("valid_until"))

    @cached_property
    def typed_config(self) -> AdvancedConfig | None:
        """The stored `config` as its type's model (None for the basic types, which have none)."""
        model = CONFIGS.get(self.type)
        if model is None or self.config is None:
            return None
        return model.model_validate(self.config)


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def build(
    *,
    type: str,
    value: float | None,
    conditions: dict[str, Any],
    config: dict[str, Any] | None,
    currency: str | None,
) -> Definition:
    """Check a definition and normalize it; raises the documented 400s naming the field."""
    _check_finite("conditions", conditions)
    _check_finite("config", config)
    checked_value = check_value(type, value)
    checked_conditions = check_conditions(conditions)
    checked_config = check_config(type, config)
    if type == "tiered" and checked_config and currency is None:
        currency = checked_config.get("currency")
    return Definition(type, checked_value, checked_conditions, checked_config, currency)


def _check_finite(field: str, value: Any) -> None:
    """NaN and infinities parse from JSON but are no amounts (and PostgreSQL's JSONB refuses them)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise FieldError(field, "numbers must be finite")
    if isinstance(value, dict):
        for key, item in value.items():
            _check_finite(f"{field}.{key}", item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_finite(f"{field}.{index}", item)


def check_value(type: str, value: float | None) -> float | None:
    if type in ADVANCED_TYPES or type == "free_shipping":
        if value is not None:
            raise FieldError(
                "value", f"{type} vouchers take no value; their discount is configured in config"
            )
        return None
    if value is None:
        raise FieldError("value", f"value is required for {type} vouchers")
    if type == "percentage" and not 0 < value <= 100:
        raise FieldError(
            "value",
            "Value must be between 0 and 100 for percentage vouchers",
            code="INVALID_REQUEST",
        )
    if type == "fixed" and (value <= 0 or not float(value).is_integer() or value > 10**12):
        raise FieldError("value", "Value must be a positive whole amount in minor units (cents)")
    return float(value)


def check_conditions(raw: dict[str, Any]) -> dict[str, Any]:
    """Conditions as stored: only the keys set, times as ISO strings, the alias folded in."""
    try:
        parsed = _CONDITIONS.validate_python(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        message = "unknown field" if error["type"] == "extra_forbidden" else error["msg"]
        raise FieldError(f"conditions.{where}", message) from None
    data = parsed.model_dump(exclude_none=True)
    alias = data.pop("max_uses_per_customer", None)
    if alias is not None:
        data.setdefault("customer_limit", alias)
    for key in ("valid_from", "valid_until"):
        if key in data:
            moment: datetime = data[key]
            if moment.tzinfo is None:
                raise FieldError(f"conditions.{key}", "give a time zone (e.g. a trailing Z)")
            data[key] = isoformat(moment)
    start, end = parse_time(data.get("valid_from")), parse_time(data.get("valid_until"))
    if start and end and start >= end:
        raise InvalidConditions(
            "conditions.valid_until: must be after valid_from",
            details=[{"field": "conditions.valid_until", "message": "must be after valid_from"}],
        )
    both = set(data.get("product_ids", ())) & set(data.get("excluded_product_ids", ()))
    if both:
        raise InvalidConditions(
            "conditions.excluded_product_ids: a product cannot be both included and excluded",
            details=[{"field": "conditions.excluded_product_ids", "message": sorted(both)[0]}],
        )
    if "rules" in data:
        try:
            rules = _RULES.validate_python(data["rules"])
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(p) for p in error["loc"])
            raise InvalidConditions(
                f"conditions.rules.{where}: {error['msg']}",
                details=[{"field": f"conditions.rules.{where}", "message": error["msg"]}],
            ) from None
        data["rules"] = [rule.model_dump(mode="json", exclude_none=True) for rule in rules]
    return data


def merge_conditions(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """PUT merges conditions: the keys sent replace, a key set to null is removed."""
    merged = dict(current)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
            if key == "max_uses_per_customer":
                merged.pop("customer_limit", None)
        else:
            merged[key] = value
    if "max_uses_per_customer" in patch and patch["max_uses_per_customer"] is not None:
        merged.pop("customer_limit", None)
    return check_conditions(merged)


def check_config(type: str, config: dict[str, Any] | None) -> dict[str, Any] | None:
    if type not in CONFIGS:
        if config:
            raise InvalidConfiguration(
                "config", f"{type} vouchers take no config", "send value and conditions instead"
            )
        return None
    if config is None:
        raise InvalidConfiguration("config", f"config is required for {type} vouchers")
    try:
        parsed = CONFIGS[type].model_validate(config)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        message = "unknown field" if error["type"] == "extra_forbidden" else error["msg"]
        raise InvalidConfiguration(f"config.{where}", message) from None
    data: dict[str, Any] = parsed.model_dump(mode="json")
    if isinstance(parsed, TieredConfig):
        data["tiers"] = _check_tiers(parsed.tiers)
    _check_discounts(type, data)
    return data


def _check_tiers(tiers: list[Tier]) -> list[dict[str, Any]]:
    if all(t.threshold is not None and t.min_value is None for t in tiers):
        # The guide's form: open thresholds become ranges up to the next threshold.
        ordered = sorted(tiers, key=lambda t: t.threshold or 0)
        thresholds = [t.threshold or 0 for t in ordered]
        if len(set(thresholds)) != len(thresholds):
            raise InvalidConfiguration(
                "config.tiers",
                "Overlapping tier ranges detected",
                "give each tier its own threshold",
            )
        ranges = [
            (thresholds[i], thresholds[i + 1] - 1 if i + 1 < len(ordered) else None)
            for i in range(len(ordered))
        ]
    else:
        for i, tier in enumerate(tiers):
            if tier.min_value is None or tier.threshold is not None:
                raise InvalidConfiguration(
                    f"config.tiers.{i}.min_value",
                    "every tier needs min_value (or every tier a threshold)",
                )
        ordered = sorted(tiers, key=lambda t: t.min_value or 0)
        ranges = [(t.min_value or 0, t.max_value) for t in ordered]
    for i, (low, high) in enumerate(ranges):
        if high is not None and high < low:
            raise InvalidConfiguration(
                "config.tiers", f"a tier's max_value {high} is below its min_value {low}"
            )
        if i and (ranges[i - 1][1] is None or low <= (ranges[i - 1][1] or 0)):
            raise InvalidConfiguration(
                "config.tiers",
                "Overlapping tier ranges detected",
                "make each tier start above the previous tier's max_value; "
                "only the last tier may have max_value null",
            )
    out = []
    for tier, (low, high) in zip(ordered, ranges, strict=True):
        if tier.discount_type == "percentage" and tier.discount > 100:
            raise InvalidConfiguration("config.tiers", "a percentage discount is at most 100")
        if tier.discount_type == "fixed" and not float(tier.discount).is_integer():
            raise InvalidConfiguration(
                "config.tiers", "a fixed discount is a whole amount in minor units"
            )
        out.append(
            {
                "min_value": low,
                "max_value": high,
                "discount": _num(tier.discount),
                "discount_type": tier.discount_type,
            }
        )
    return out


def _check_discounts(type: str, data: dict[str, Any]) -> None:
    pairs = {
        "bogo": ("get_discount", "get_discount_type"),
        "conditional": ("discount", "discount_type"),
        "stackable": ("base_discount", "base_discount_type"),
    }
    if type not in pairs:
        return
    amount_key, type_key = pairs[type]
    amount = data[amount_key]
    if data[type_key] == "percentage" and amount > 100:
        raise InvalidConfiguration(f"config.{amount_key}", "a percentage discount is at most 100")
    if data[type_key] == "fixed" and not float(amount).is_integer():
        raise InvalidConfiguration(
            f"config.{amount_key}", "a fixed discount is a whole amount in minor units"
        )
    data[amount_key] = _num(amount)
    if type == "stackable":
        rules = data["stack_rules"]
        if rules["max_total_discount"] is not None:
            rules["max_total_discount"] = _num(rules["max_total_discount"])
        both = set(rules["stackable_with"] or ()) & set(rules["excluded_types"] or ())
        if both:
            raise InvalidConfiguration(
                "config.stack_rules.excluded_types",
                f"{sorted(both)[0]} is both in stackable_with and excluded_types",
            )


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
