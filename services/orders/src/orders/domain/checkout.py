"""Checkout: turn a cart and the prices looked up for it into order lines and totals.

Pure: the application looks the prices up (catalog read model), calls `checkout`, assigns the
order number and places the `Order` with the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from uuid import UUID

from shop_contracts.money import Money

from orders.domain.cart import Cart
from orders.domain.errors import (
    CurrencyMismatch,
    EmptyCart,
    InvalidOrder,
    InvalidQuantity,
    PriceUnavailable,
)

__all__ = ["CheckoutDraft", "OrderLine", "OrderTotals", "PricedSku", "checkout"]


@dataclass(frozen=True, slots=True)
class PricedSku:
    """A price lookup result: what the catalog says a SKU is and costs right now."""

    sku_id: UUID
    product_id: UUID
    product_name: str
    unit_price: Money


@dataclass(frozen=True, slots=True)
class OrderLine:
    """A SKU, how many, at what price; the product name as it was when ordered."""

    sku_id: UUID
    product_id: UUID
    product_name: str
    quantity: int
    unit_price: Money

    def __post_init__(self) -> None:
        q = self.quantity
        if isinstance(q, bool) or not isinstance(q, int) or q < 1:
            raise InvalidQuantity(f"line quantity must be a whole number of at least 1, got {q!r}")
        if not self.product_name.strip():
            raise InvalidOrder("a line needs the product name")
        if self.unit_price.amount < 0:
            raise InvalidOrder("a unit price cannot be negative")

    @property
    def line_total(self) -> Money:
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class OrderTotals:
    """``total = subtotal - discount + tax + shipping``, all in one currency, none negative.

    Build with `OrderTotals.of`, which computes the subtotal and total; constructing directly
    checks that the given figures agree.
    """

    subtotal: Money
    discount: Money
    tax: Money
    shipping: Money
    total: Money

    def __post_init__(self) -> None:
        amounts = (self.subtotal, self.discount, self.tax, self.shipping, self.total)
        if len({m.currency for m in amounts}) != 1:
            raise CurrencyMismatch("every total of an order must be in one currency")
        if any(m.amount < 0 for m in amounts):
            raise InvalidOrder("order totals cannot be negative")
        if self.discount > self.subtotal:
            raise InvalidOrder("the discount cannot exceed the subtotal")
        if self.total != self.subtotal - self.discount + self.tax + self.shipping:
            raise InvalidOrder("total must equal subtotal - discount + tax + shipping")

    @property
    def currency(self) -> str:
        return self.total.currency

    @classmethod
    def of(
        cls,
        lines: Iterable[OrderLine],
        currency: str,
        *,
        discount: Money | None = None,
        tax: Money | None = None,
        shipping: Money | None = None,
    ) -> OrderTotals:
        """Totals of ``lines`` (which must all be in ``currency``) plus the given extras
        (zero when not given: promotions, tax and shipping rates come later)."""
        line_list = list(lines)
        for line in line_list:
            if line.unit_price.currency != currency:
                raise CurrencyMismatch(
                    f"SKU {line.sku_id} is priced in {line.unit_price.currency}, not {currency}"
                )
        zero = Money.zero(currency)
        discount, tax, shipping = discount or zero, tax or zero, shipping or zero
        for name, extra in (("discount", discount), ("tax", tax), ("shipping", shipping)):
            if extra.currency != currency:
                raise CurrencyMismatch(f"{name} is in {extra.currency}, the order in {currency}")
        subtotal = Money.total((ln.line_total for ln in line_list), currency)
        if discount > subtotal:
            raise InvalidOrder("the discount cannot exceed the subtotal")
        total = subtotal - discount + tax + shipping
        return cls(subtotal, discount, tax, shipping, total)


@dataclass(frozen=True, slots=True)
class CheckoutDraft:
    """What `Order.place` needs besides the ids, the customer and the address."""

    currency: str
    lines: tuple[OrderLine, ...]
    totals: OrderTotals


def checkout(
    cart: Cart,
    prices: Mapping[UUID, PricedSku],
    currency: str,
    *,
    discount: Money | None = None,
    tax: Money | None = None,
    shipping: Money | None = None,
) -> CheckoutDraft:
    """Price every line of ``cart`` in ``currency``.

    Raises (422) `EmptyCart`, `PriceUnavailable` for a SKU missing from ``prices`` and
    `CurrencyMismatch` for a price in another currency: an order is never placed with a line
    the customer was not shown a price for.
    """
    if cart.is_empty:
        raise EmptyCart("the cart is empty")
    lines = []
    for cart_line in cart.lines:
        priced = prices.get(cart_line.sku_id)
        if priced is None:
            raise PriceUnavailable(f"SKU {cart_line.sku_id} is not for sale")
        lines.append(
            OrderLine(
                sku_id=cart_line.sku_id,
                product_id=priced.product_id,
                product_name=priced.product_name,
                quantity=cart_line.quantity,
                unit_price=priced.unit_price,
            )
        )
    totals = OrderTotals.of(lines, currency, discount=discount, tax=tax, shipping=shipping)
    return CheckoutDraft(currency, tuple(lines), totals)
