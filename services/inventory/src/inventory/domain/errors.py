"""Domain errors of inventory: each has a stable ``code`` and the HTTP ``status`` of the answer.

409: the command conflicts with the current state (not enough stock, a settled reservation);
422: the command itself is invalid (a zero quantity, an unknown movement reason).
"""

from __future__ import annotations

from typing import ClassVar

from shop_runtime.aggregate import DomainError, NotFound

__all__ = [
    "AdjustmentBelowReserved",
    "IllegalTransition",
    "InsufficientStock",
    "InvalidAdjustment",
    "InvalidQuantity",
    "InvalidReason",
    "InventoryError",
    "NotFound",
    "ReservationAlreadySettled",
    "ReservationQuantityMismatch",
    "UnknownReservation",
]


class InventoryError(DomainError):
    """Base of inventory's domain errors."""

    status: ClassVar[int] = 409
    code: ClassVar[str] = "inventory_error"


class InvalidQuantity(InventoryError):
    """A quantity that must be a whole number of units, at least 1, is not."""

    status: ClassVar[int] = 422
    code: ClassVar[str] = "invalid_quantity"


class InvalidAdjustment(InventoryError):
    """An adjustment with an unknown reason, or a delta whose sign the reason does not allow
    (a purchase that removes stock, a damage that adds it)."""

    status: ClassVar[int] = 422
    code: ClassVar[str] = "invalid_adjustment"


class InvalidReason(InventoryError):
    """A reason outside the fixed set the command accepts."""

    status: ClassVar[int] = 422
    code: ClassVar[str] = "invalid_reason"


class AdjustmentBelowReserved(InventoryError):
    """The adjustment would leave fewer units on hand than are reserved for orders.

    Release or cancel the reservations first: silently over-committing stock would let an order
    be confirmed that cannot be shipped.
    """

    code: ClassVar[str] = "adjustment_below_reserved"


class InsufficientStock(InventoryError):
    """More units were asked for than are available (on hand minus reserved)."""

    code: ClassVar[str] = "insufficient_stock"


class IllegalTransition(InventoryError):
    """The reservation is not in a state that allows the command."""

    code: ClassVar[str] = "illegal_transition"


class UnknownReservation(InventoryError):
    """The stock item holds nothing for this reservation (release/commit before any reserve)."""

    code: ClassVar[str] = "unknown_reservation"


class ReservationAlreadySettled(InventoryError):
    """Commit of a released reservation, or release of a committed one, on a stock item."""

    code: ClassVar[str] = "reservation_already_settled"


class ReservationQuantityMismatch(InventoryError):
    """The same reservation id came back with a different quantity than the one it holds.

    A redelivered message carries the same quantity; a different one is a bug upstream, not a
    duplicate, and must not be silently swallowed.
    """

    code: ClassVar[str] = "reservation_quantity_mismatch"
