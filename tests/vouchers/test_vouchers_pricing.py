"""Each voucher type is priced by its own function, on its typed config."""

import inspect
from typing import get_args

import pytest

from vantio.vouchers import definitions, pricing
from vantio.vouchers.cart import Cart
from vantio.vouchers.schemas import VoucherType


def test_every_type_has_its_pricer() -> None:
    assert set(pricing.PRICERS) == set(get_args(VoucherType))


@pytest.mark.parametrize(
    ("function", "config"),
    [
        (pricing.price_tiered, definitions.TieredConfig),
        (pricing.price_bogo, definitions.BogoConfig),
        (pricing.price_conditional, definitions.ConditionalConfig),
        (pricing.price_stackable, definitions.StackableConfig),
    ],
)
def test_advanced_types_are_priced_on_their_typed_config(function: object, config: type) -> None:
    first = next(iter(inspect.signature(function).parameters.values()))  # type: ignore[arg-type]
    assert first.annotation in (config, config.__name__)


def test_a_definition_reads_its_config_once_as_its_model() -> None:
    tiered = definitions.build(
        type="tiered",
        value=None,
        conditions={},
        config={"tiers": [{"min_value": 0, "max_value": None, "discount": 10}]},
        currency=None,
    )
    assert isinstance(tiered.typed_config, definitions.TieredConfig)
    assert tiered.typed_config is tiered.typed_config
    cart = Cart.of(value=5000, currency="USD", items=[])
    priced = pricing.price_tiered(tiered.typed_config, pricing.Basis(cart, [], 5000))
    assert priced.amount == 500
    assert priced.details["applicable_tier"] == {
        "min_value": 0,
        "max_value": None,
        "discount": 10,
        "discount_type": "percentage",
    }
