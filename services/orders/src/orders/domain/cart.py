"""Cart: what a shopper intends to buy, by SKU. A plain value, not event-sourced.

Carts live in Redis with an expiry; the adapter stores `Cart.to_dict()` and rebuilds with
`Cart.from_dict`. Every operation returns a new cart, so the adapter can compare-and-set.
Prices are not part of a cart: they are looked up when it is shown or checked out
(`Cart.priced`, `orders.domain.checkout.checkout`), so a cart never shows a stale price.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final
from uuid import UUID

from shop_contracts.money import Money

from orders.domain.errors import (
    CartLimitExceeded,
    CurrencyMismatch,
    InvalidQuantity,
    PriceUnavailable,
)

__all__ = [
    "DEFAULT_MAX_LINES",
    "DEFAULT_MAX_LINE_QUANTITY",
    "Cart",
    "CartLine",
    "PricedCart",
    "PricedCartLine",
]

DEFAULT_MAX_LINE_QUANTITY: Final = 10
DEFAULT_MAX_LINES: Final = 50


def _whole(quantity: int, minimum: int) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < minimum:
        raise InvalidQuantity(f"quantity must be a whole number of at least {minimum}")
    return quantity


@dataclass(frozen=True, slots=True)
class CartLine:
    sku_id: UUID
    quantity: int


@dataclass(frozen=True, slots=True)
class PricedCartLine:
    sku_id: UUID
    quantity: int
    unit_price: Money

    @property
    def line_total(self) -> Money:
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class PricedCart:
    currency: str
    lines: tuple[PricedCartLine, ...]

    @property
    def subtotal(self) -> Money:
        return Money.total((line.line_total for line in self.lines), self.currency)


@dataclass(frozen=True, slots=True)
class Cart:
    """Lines by SKU (one line per SKU, in the order they were first added).

    Invariants: every quantity is between 1 and ``max_line_quantity``; at most ``max_lines``
    lines. A command that would break them raises `CartLimitExceeded` (422) instead of clamping
    silently: the shopper must see that they did not get what they asked for.
    """

    lines: tuple[CartLine, ...] = ()
    max_line_quantity: int = DEFAULT_MAX_LINE_QUANTITY
    max_lines: int = DEFAULT_MAX_LINES

    # -- queries ----------------------------------------------------------------------------------

    @property
    def is_empty(self) -> bool:
        return not self.lines

    @property
    def total_quantity(self) -> int:
        return sum(line.quantity for line in self.lines)

    def quantity_of(self, sku_id: UUID) -> int:
        return next((ln.quantity for ln in self.lines if ln.sku_id == sku_id), 0)

    def priced(self, prices: Mapping[UUID, Money], currency: str) -> PricedCart:
        """The cart with today's prices. Raises `PriceUnavailable` for a SKU without a price and
        `CurrencyMismatch` for a price in another currency."""
        priced = []
        for line in self.lines:
            price = prices.get(line.sku_id)
            if price is None:
                raise PriceUnavailable(f"SKU {line.sku_id} has no price")
            if price.currency != currency:
                raise CurrencyMismatch(
                    f"SKU {line.sku_id} is priced in {price.currency}, the cart in {currency}"
                )
            priced.append(PricedCartLine(line.sku_id, line.quantity, price))
        return PricedCart(currency, tuple(priced))

    # -- commands (each returns a new cart) -------------------------------------------------------

    def add(self, sku_id: UUID, quantity: int = 1) -> Cart:
        """Add units of a SKU (to its line if there is one)."""
        _whole(quantity, 1)
        return self.set_quantity(sku_id, self.quantity_of(sku_id) + quantity)

    def set_quantity(self, sku_id: UUID, quantity: int) -> Cart:
        """Set the quantity of a SKU's line; 0 removes it."""
        _whole(quantity, 0)
        if quantity == 0:
            return self.remove(sku_id)
        if quantity > self.max_line_quantity:
            raise CartLimitExceeded(
                f"at most {self.max_line_quantity} units of one SKU per order, asked {quantity}"
            )
        if any(ln.sku_id == sku_id for ln in self.lines):
            lines = tuple(
                CartLine(sku_id, quantity) if ln.sku_id == sku_id else ln for ln in self.lines
            )
        else:
            if len(self.lines) >= self.max_lines:
                raise CartLimitExceeded(f"at most {self.max_lines} lines per cart")
            lines = (*self.lines, CartLine(sku_id, quantity))
        return replace(self, lines=lines)

    def remove(self, sku_id: UUID) -> Cart:
        """Remove a SKU's line (no error if it is not in the cart: removing twice is harmless)."""
        return replace(self, lines=tuple(ln for ln in self.lines if ln.sku_id != sku_id))

    def clear(self) -> Cart:
        return replace(self, lines=())

    # -- storage ----------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for the cart store (limits are policy, not stored)."""
        return {"lines": [{"sku_id": str(ln.sku_id), "quantity": ln.quantity} for ln in self.lines]}

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        max_line_quantity: int = DEFAULT_MAX_LINE_QUANTITY,
        max_lines: int = DEFAULT_MAX_LINES,
    ) -> Cart:
        lines = tuple(
            CartLine(UUID(str(ln["sku_id"])), int(ln["quantity"])) for ln in data.get("lines", ())
        )
        return cls(lines, max_line_quantity=max_line_quantity, max_lines=max_lines)
