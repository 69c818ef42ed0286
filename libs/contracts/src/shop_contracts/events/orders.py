"""Public events of the orders service (orders and the checkout saga) on ``orders.events.v1``.

The aggregate of every event here is the order. Amounts are :class:`Money` in the order's currency.
"""

from __future__ import annotations

from typing import Self

from pydantic import AwareDatetime, Field, model_validator

from shop_contracts.contract_models import ContractEvent, ContractValue, Quantity
from shop_contracts.ids import (
    CustomerId,
    OrderId,
    PaymentId,
    ProductId,
    ReservationId,
    ShipmentId,
    SkuId,
    UserId,
)
from shop_contracts.money import CurrencyCode, Money
from shop_contracts.registry import contract
from shop_contracts.topics import ORDERS_EVENTS

__all__ = [
    "Address",
    "OrderCancelled",
    "OrderConfirmed",
    "OrderDelivered",
    "OrderLine",
    "OrderPlaced",
    "OrderRefunded",
    "OrderShipped",
    "OrderTotals",
    "PaymentRequested",
    "ShipmentRequestLine",
]


class Address(ContractValue):
    """A postal address (shipping or billing)."""

    name: str = Field(min_length=1)
    line1: str = Field(min_length=1)
    line2: str | None = None
    city: str = Field(min_length=1)
    state: str | None = None
    postal_code: str = Field(min_length=1)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 country code")
    phone: str | None = None


class OrderLine(ContractValue):
    """One line of an order: a SKU, how many, at what price."""

    sku_id: SkuId
    product_id: ProductId
    product_name: str = Field(min_length=1, description="Name at the time of the order")
    quantity: Quantity
    unit_price: Money
    line_total: Money = Field(description="unit_price x quantity")

    @model_validator(mode="after")
    def _line_total_is_consistent(self) -> Self:
        if self.line_total != self.unit_price * self.quantity:
            raise ValueError("line_total must equal unit_price x quantity")
        return self


class OrderTotals(ContractValue):
    """The money of an order: total = subtotal - discount + tax + shipping."""

    subtotal: Money = Field(description="Sum of the line totals")
    discount: Money
    tax: Money
    shipping: Money
    total: Money

    @model_validator(mode="after")
    def _total_is_consistent(self) -> Self:
        if self.total != self.subtotal - self.discount + self.tax + self.shipping:
            raise ValueError("total must equal subtotal - discount + tax + shipping")
        return self


@contract("orders.order_placed", version=1, topic=ORDERS_EVENTS)
class OrderPlaced(ContractEvent):
    """A customer checked out: the order is pending until its stock is reserved and its payment
    authorized. Published by orders; inventory reserves stock in answer."""

    order_id: OrderId
    order_number: str = Field(min_length=1, description="Human-readable, unique per tenant")
    customer_id: CustomerId
    currency: CurrencyCode
    lines: list[OrderLine] = Field(min_length=1)
    totals: OrderTotals
    shipping_address: Address
    billing_address: Address | None = None

    @model_validator(mode="after")
    def _money_is_consistent(self) -> Self:
        amounts = [m for line in self.lines for m in (line.unit_price, line.line_total)]
        amounts += [self.totals.subtotal, self.totals.discount, self.totals.tax]
        amounts += [self.totals.shipping, self.totals.total]
        if any(m.currency != self.currency for m in amounts):
            raise ValueError(f"every amount of the order must be in {self.currency}")
        if self.totals.subtotal != Money.total((ln.line_total for ln in self.lines), self.currency):
            raise ValueError("totals.subtotal must equal the sum of the line totals")
        return self


@contract("orders.payment_requested", version=1, topic=ORDERS_EVENTS)
class PaymentRequested(ContractEvent):
    """The order's stock is reserved; payments is asked to authorize ``amount``. Published by
    orders. ``payment_id`` is ``derived_id(order_id, "payment")``."""

    order_id: OrderId
    payment_id: PaymentId
    customer_id: CustomerId
    amount: Money
    payment_token: str | None = Field(
        default=None,
        max_length=255,
        description="The payment provider's token for the customer's payment method (e.g. "
        "tok_...), given at checkout; never card data. None when the order carries none.",
    )


class ShipmentRequestLine(ContractValue):
    """Units of a SKU to ship."""

    sku_id: SkuId
    quantity: Quantity


@contract("orders.order_confirmed", version=1, topic=ORDERS_EVENTS)
class OrderConfirmed(ContractEvent):
    """Stock is reserved and payment authorized: the order will be fulfilled. Published by orders;
    inventory commits the reservation, shipping creates the shipment, payments captures."""

    order_id: OrderId
    order_number: str = Field(min_length=1)
    reservation_id: ReservationId
    payment_id: PaymentId
    total: Money
    lines: list[ShipmentRequestLine] = Field(min_length=1)
    shipping_address: Address


@contract("orders.order_cancelled", version=1, topic=ORDERS_EVENTS)
class OrderCancelled(ContractEvent):
    """The order was cancelled before shipping. Published by orders; inventory releases the
    reservation, payments voids an authorization, shipping cancels a shipment."""

    order_id: OrderId
    reason: str = Field(
        min_length=1,
        description="out_of_stock, payment_failed, payment_timeout, reservation_expired, "
        "customer_request, merchant_request, ...",
    )
    reservation_id: ReservationId
    payment_id: PaymentId | None = Field(default=None, description="None if none was requested")
    cancelled_by: UserId | None = Field(default=None, description="None when automatic")


@contract("orders.order_shipped", version=1, topic=ORDERS_EVENTS)
class OrderShipped(ContractEvent):
    """The order left the warehouse (after shipping.shipment_shipped). Published by orders."""

    order_id: OrderId
    shipment_id: ShipmentId
    carrier: str | None = None
    tracking_number: str | None = None


@contract("orders.order_delivered", version=1, topic=ORDERS_EVENTS)
class OrderDelivered(ContractEvent):
    """The order reached the customer (after shipping.shipment_delivered). Published by orders."""

    order_id: OrderId
    shipment_id: ShipmentId
    delivered_at: AwareDatetime


@contract("orders.order_refunded", version=1, topic=ORDERS_EVENTS)
class OrderRefunded(ContractEvent):
    """Money was given back to the customer for the order (return, failed delivery, goodwill).
    Published by orders after payments.payment_refunded."""

    order_id: OrderId
    payment_id: PaymentId
    amount: Money
    reason: str = Field(min_length=1)
