"""Checkout: a cart and looked-up prices become order lines and totals."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from orders.domain.cart import Cart
from orders.domain.checkout import OrderLine, OrderTotals, PricedSku, checkout
from orders.domain.errors import CurrencyMismatch, EmptyCart, InvalidOrder, PriceUnavailable
from shop_contracts.money import Money


def priced(sku: UUID, amount: str, currency: str = "EUR", name: str = "Tea") -> PricedSku:
    return PricedSku(sku, uuid4(), name, Money.of(amount, currency))


def test_lines_and_totals_come_from_the_cart_and_the_prices() -> None:
    a, b = uuid4(), uuid4()
    cart = Cart().add(a, 3).add(b, 1)
    prices = {a: priced(a, "4.20", name="Green tea"), b: priced(b, "12.00", name="Teapot")}

    draft = checkout(cart, prices, "EUR", shipping=Money.of("4.90", "EUR"))

    assert [(ln.sku_id, ln.product_name, ln.quantity) for ln in draft.lines] == [
        (a, "Green tea", 3),
        (b, "Teapot", 1),
    ]
    assert draft.lines[0].line_total == Money.of("12.60", "EUR")
    assert draft.totals.subtotal == Money.of("24.60", "EUR")
    assert draft.totals.total == Money.of("29.50", "EUR")
    assert draft.totals.discount.is_zero and draft.totals.tax.is_zero


def test_total_is_subtotal_minus_discount_plus_tax_and_shipping() -> None:
    sku = uuid4()
    draft = checkout(
        Cart().add(sku, 2),
        {sku: priced(sku, "10.00")},
        "EUR",
        discount=Money.of("5.00", "EUR"),
        tax=Money.of("2.85", "EUR"),
        shipping=Money.of("3.00", "EUR"),
    )
    assert draft.totals.total == Money.of("20.85", "EUR")


def test_currency_without_minor_units() -> None:
    sku = uuid4()
    draft = checkout(Cart().add(sku, 3), {sku: priced(sku, "1200", "JPY")}, "JPY")
    assert draft.totals.total == Money.of(3600, "JPY")


def test_empty_cart_is_refused() -> None:
    with pytest.raises(EmptyCart) as exc:
        checkout(Cart(), {}, "EUR")
    assert (exc.value.status, exc.value.code) == (422, "empty_cart")


def test_sku_without_price_is_refused() -> None:
    a, b = uuid4(), uuid4()
    with pytest.raises(PriceUnavailable):
        checkout(Cart().add(a).add(b), {a: priced(a, "1.00")}, "EUR")


def test_prices_and_extras_must_share_the_order_currency() -> None:
    sku = uuid4()
    with pytest.raises(CurrencyMismatch):
        checkout(Cart().add(sku), {sku: priced(sku, "1.00", "USD")}, "EUR")
    with pytest.raises(CurrencyMismatch):
        checkout(Cart().add(sku), {sku: priced(sku, "1.00")}, "EUR", tax=Money.of(1, "USD"))


def test_discount_cannot_exceed_subtotal() -> None:
    sku = uuid4()
    with pytest.raises(InvalidOrder):
        checkout(Cart().add(sku), {sku: priced(sku, "1.00")}, "EUR", discount=Money.of(2, "EUR"))


def test_totals_that_do_not_add_up_are_refused() -> None:
    eur = lambda amount: Money.of(amount, "EUR")  # noqa: E731
    with pytest.raises(InvalidOrder):
        OrderTotals(eur(10), eur(0), eur(0), eur(0), eur(11))


def test_a_line_needs_a_positive_quantity_and_a_name() -> None:
    with pytest.raises(InvalidOrder):
        OrderLine(uuid4(), uuid4(), " ", 1, Money.of(1, "EUR"))
    with pytest.raises(Exception, match="quantity"):
        OrderLine(uuid4(), uuid4(), "Tea", 0, Money.of(1, "EUR"))
