"""The cart value: lines by SKU, limits, pricing, storage form."""

from __future__ import annotations

from uuid import uuid4

import pytest
from orders.domain.cart import Cart, CartLine
from orders.domain.errors import (
    CartLimitExceeded,
    CurrencyMismatch,
    InvalidQuantity,
    PriceUnavailable,
)
from shop_contracts.money import Money


def test_adding_a_sku_twice_adds_to_its_line() -> None:
    sku, other = uuid4(), uuid4()
    cart = Cart().add(sku, 2).add(other).add(sku, 3)
    assert cart.lines == (CartLine(sku, 5), CartLine(other, 1))
    assert cart.total_quantity == 6


def test_operations_return_a_new_cart_and_leave_the_old_one_alone() -> None:
    sku = uuid4()
    before = Cart().add(sku, 1)
    after = before.add(sku, 1)
    assert before.quantity_of(sku) == 1 and after.quantity_of(sku) == 2


def test_more_than_the_line_limit_is_refused_not_clamped() -> None:
    sku = uuid4()
    cart = Cart(max_line_quantity=5).add(sku, 4)
    with pytest.raises(CartLimitExceeded) as exc:
        cart.add(sku, 2)
    assert exc.value.status == 422
    assert cart.set_quantity(sku, 5).quantity_of(sku) == 5


def test_the_number_of_lines_is_limited() -> None:
    cart = Cart(max_lines=2).add(uuid4()).add(uuid4())
    with pytest.raises(CartLimitExceeded):
        cart.add(uuid4())


def test_set_quantity_zero_and_remove_take_the_line_out() -> None:
    sku, other = uuid4(), uuid4()
    cart = Cart().add(sku, 2).add(other, 1)
    assert cart.set_quantity(sku, 0).lines == (CartLine(other, 1),)
    assert cart.remove(sku).remove(sku).lines == (CartLine(other, 1),)
    assert cart.clear().is_empty


@pytest.mark.parametrize("quantity", [0, -1, True, 2.0])
def test_add_needs_a_positive_whole_quantity(quantity) -> None:
    with pytest.raises(InvalidQuantity):
        Cart().add(uuid4(), quantity)


def test_priced_cart_totals_use_the_given_prices() -> None:
    a, b = uuid4(), uuid4()
    cart = Cart().add(a, 3).add(b, 2)
    priced = cart.priced({a: Money.of("19.99", "EUR"), b: Money.of("0.50", "EUR")}, "EUR")
    assert [ln.line_total for ln in priced.lines] == [
        Money.of("59.97", "EUR"),
        Money.of("1", "EUR"),
    ]
    assert priced.subtotal == Money.of("60.97", "EUR")


def test_pricing_needs_a_price_in_the_cart_currency_for_every_line() -> None:
    a, b = uuid4(), uuid4()
    cart = Cart().add(a).add(b)
    with pytest.raises(PriceUnavailable):
        cart.priced({a: Money.of(1, "EUR")}, "EUR")
    with pytest.raises(CurrencyMismatch):
        cart.priced({a: Money.of(1, "EUR"), b: Money.of(1, "USD")}, "EUR")


def test_storage_form_round_trips_through_json_types() -> None:
    cart = Cart().add(uuid4(), 2).add(uuid4(), 1)
    data = cart.to_dict()
    assert all(isinstance(ln["sku_id"], str) for ln in data["lines"])
    assert Cart.from_dict(data) == cart
