"""Domain errors of orders: each has a stable ``code`` and the HTTP ``status`` of the answer.

409: the command conflicts with the order's state; 422: the command itself is invalid.
"""

from __future__ import annotations

from typing import ClassVar

from shop_runtime.aggregate import DomainError, NotFound

__all__ = [
    "CardDataRefused",
    "CartLimitExceeded",
    "CurrencyMismatch",
    "EmptyCart",
    "IllegalTransition",
    "InvalidOrder",
    "InvalidQuantity",
    "InvalidReason",
    "NotFound",
    "OrdersError",
    "PriceUnavailable",
    "UnexpectedReference",
]


class OrdersError(DomainError):
    """Base of the orders domain errors."""

    status: ClassVar[int] = 422
    code: ClassVar[str] = "orders_error"


class IllegalTransition(OrdersError):
    """The order's state machine does not allow this step from the current status."""

    status: ClassVar[int] = 409
    code: ClassVar[str] = "illegal_transition"


class UnexpectedReference(OrdersError):
    """A reservation or payment id that is not this order's (they are derived from the order id,
    so a different one is a message meant for another order)."""

    status: ClassVar[int] = 409
    code: ClassVar[str] = "unexpected_reference"


class InvalidOrder(OrdersError):
    """An order that cannot be placed as given (no lines, inconsistent totals, bad address)."""

    code: ClassVar[str] = "invalid_order"


class InvalidReason(OrdersError):
    """A cancellation reason outside the fixed set."""

    code: ClassVar[str] = "invalid_reason"


class InvalidQuantity(OrdersError):
    """A quantity that is not a whole number in the allowed range."""

    code: ClassVar[str] = "invalid_quantity"


class CartLimitExceeded(OrdersError):
    """Too many units of one SKU, or too many lines, in a cart."""

    code: ClassVar[str] = "cart_limit_exceeded"


class EmptyCart(OrdersError):
    """Checkout of a cart without lines."""

    code: ClassVar[str] = "empty_cart"


class PriceUnavailable(OrdersError):
    """A SKU of the cart has no price (unknown, unpublished or not for sale)."""

    code: ClassVar[str] = "price_unavailable"


class CurrencyMismatch(OrdersError):
    """Amounts in different currencies where one currency is required."""

    code: ClassVar[str] = "currency_mismatch"


class CardDataRefused(OrdersError):
    """Something that looks like a card number where a provider token belongs: never stored."""

    code: ClassVar[str] = "card_data_refused"
