"""Checkout: cart → order (pending). Answers at once; the saga continues from the events."""

from __future__ import annotations

from fastapi import APIRouter
from shop_runtime.idempotency import IdempotencyDep

from orders.api.deps import CustomerDep, ServicesDep
from orders.api.models import CheckoutIn, CheckoutOut
from orders.application.shopping import CheckoutRequest

router = APIRouter(tags=["checkout"])


@router.post("/checkout", status_code=201)
async def checkout(
    body: CheckoutIn, idem: IdempotencyDep, customer: CustomerDep, services: ServicesDep
) -> CheckoutOut:
    """Needs ``Idempotency-Key``: a retry gets the first answer, byte for byte, and the order id
    is derived from the key, so no retry can place a second order."""
    order = await services.checkout.place(
        CheckoutRequest(
            tenant_id=customer.tenant_id,
            customer_id=customer.customer_id,
            order_id=idem.derived_id("order"),
            cart_id=body.cart_id,
            shipping_address=body.shipping_address.model_dump(),
            billing_address=(
                body.billing_address.model_dump() if body.billing_address is not None else None
            ),
            payment_token=body.payment_token,
        )
    )
    return CheckoutOut(
        order_id=order.id,
        order_number=order.order_number,
        status=order.status.value,
        total=order.total,
    )
