"""Request and response bodies of the orders API."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import Field
from shop_contracts.money import Money
from shop_runtime.api_models import ResponseModel, StrictModel

from orders.application.ports import OrderSummary
from orders.application.shopping import CartView
from orders.domain.order import Order

# -- requests --------------------------------------------------------------------------------------


class CartItemIn(StrictModel):
    sku_id: UUID
    quantity: int = Field(default=1, ge=1, le=1000)


class CartQuantityIn(StrictModel):
    quantity: int = Field(ge=0, le=1000, description="0 removes the line")


class AddressIn(StrictModel):
    name: str = Field(min_length=1, max_length=200)
    line1: str = Field(min_length=1, max_length=300)
    line2: str | None = Field(default=None, max_length=300)
    city: str = Field(min_length=1, max_length=100)
    state: str | None = Field(default=None, max_length=100)
    postal_code: str = Field(min_length=1, max_length=20)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    phone: str | None = Field(default=None, max_length=30)


class CheckoutIn(StrictModel):
    cart_id: UUID
    shipping_address: AddressIn
    billing_address: AddressIn | None = None
    payment_token: str = Field(
        min_length=1,
        max_length=255,
        description="The payment provider's token (e.g. tok_...). Never card data: a 12-19 "
        "digit number is refused.",
    )


# -- responses -------------------------------------------------------------------------------------


class CartLineOut(ResponseModel):
    sku_id: UUID
    product_id: UUID | None
    name: str | None
    quantity: int
    unit_price: Money | None
    line_total: Money | None
    purchasable: bool


class CartOut(ResponseModel):
    cart_id: UUID
    lines: list[CartLineOut]
    subtotal: Money | None
    currency: str | None

    @classmethod
    def of(cls, view: CartView) -> CartOut:
        return cls(
            cart_id=view.cart_id,
            lines=[
                CartLineOut(
                    sku_id=ln.sku_id,
                    product_id=ln.product_id,
                    name=ln.name,
                    quantity=ln.quantity,
                    unit_price=ln.unit_price,
                    line_total=ln.line_total,
                    purchasable=ln.unit_price is not None,
                )
                for ln in view.lines
            ],
            subtotal=view.subtotal,
            currency=view.currency,
        )


class CheckoutOut(ResponseModel):
    order_id: UUID
    order_number: str
    status: str
    total: Money


class OrderSummaryOut(ResponseModel):
    order_id: UUID
    order_number: str
    customer_id: UUID
    status: str
    cancel_reason: str | None
    total: Money
    placed_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, s: OrderSummary) -> OrderSummaryOut:
        return cls(
            order_id=s.order_id,
            order_number=s.order_number,
            customer_id=s.customer_id,
            status=s.status,
            cancel_reason=s.cancel_reason,
            total=s.total,
            placed_at=s.placed_at,
            updated_at=s.updated_at,
        )


class OrderPageOut(ResponseModel):
    items: list[OrderSummaryOut]
    next_cursor: str | None


def order_out(order: Order) -> dict[str, Any]:
    """The order as GET /orders/{id} shows it (read fresh from its events). The payment token
    is not shown: it is for payments only."""
    totals = order.totals
    return {
        "order_id": str(order.id),
        "order_number": order.order_number,
        "status": order.status.value,
        "cancel_reason": (
            order.cancellation_reason.value if order.cancellation_reason is not None else None
        ),
        "customer_id": str(order.customer_id),
        "currency": order.currency,
        "checkout_step": order.checkout_step.value,
        "lines": [
            {
                "sku_id": str(ln.sku_id),
                "product_id": str(ln.product_id),
                "product_name": ln.product_name,
                "name": ln.product_name,
                "quantity": ln.quantity,
                "unit_price": ln.unit_price.model_dump(mode="json"),
                "line_total": ln.line_total.model_dump(mode="json"),
            }
            for ln in order.lines
        ],
        "totals": {
            name: getattr(totals, name).model_dump(mode="json")
            for name in ("subtotal", "discount", "tax", "shipping", "total")
        },
        "total": totals.total.model_dump(mode="json"),
        "shipping_address": order.shipping_address,
        "billing_address": order.billing_address,
        "placed_at": order.placed_at.isoformat(),
        "reservation_id": str(order.reservation_id),
        "payment_id": str(order.payment_id),
        "payment_due_at": _iso(order.payment_due_at),
        "reservation_expires_at": _iso(order.reservation_expires_at),
        "shortages": [
            {k: str(v) if isinstance(v, UUID) else v for k, v in s.items()} for s in order.shortages
        ],
        "shipment": (
            None
            if order.shipment_id is None
            else {
                "shipment_id": str(order.shipment_id),
                "carrier": order.carrier,
                "tracking_number": order.tracking_number,
            }
        ),
        "failed_delivery_attempts": list(order.failed_delivery_attempts),
        "delivered_at": _iso(order.delivered_at),
        "returned_at": _iso(order.returned_at),
        "refunded": order.refunded.model_dump(mode="json"),
        "history": [
            {
                "from_status": h.from_status.value if h.from_status is not None else None,
                "to_status": h.to_status.value,
                "at": h.at.isoformat(),
                "cause_kind": h.cause.kind.value,
                "cause_ref": h.cause.ref,
                "reason": h.reason,
            }
            for h in order.history
        ],
        "version": order.version,
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
