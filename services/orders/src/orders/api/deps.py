"""FastAPI dependencies of the orders API (`Annotated` aliases)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request
from shop_runtime.auth import CurrentPrincipal, Principal
from shop_runtime.errors import ProblemError

from orders.application.shopping import OrdersServices

__all__ = ["Caller", "CallerDep", "CustomerDep", "ServicesDep"]


def _services(request: Request) -> OrdersServices:
    services = getattr(request.app.state, "orders_services", None)
    if not isinstance(services, OrdersServices):
        raise RuntimeError("orders services are not wired (app.state.orders_services)")
    return services


ServicesDep = Annotated[OrdersServices, Depends(_services)]


@dataclass(frozen=True, slots=True)
class Caller:
    """The verified caller with the tenant of the token (every orders route needs a token)."""

    principal: Principal
    tenant_id: UUID

    @property
    def is_customer(self) -> bool:
        return self.principal.kind == "customer"

    @property
    def user_id(self) -> UUID | None:
        try:
            return UUID(self.principal.subject)
        except ValueError:
            return None

    def can(self, permission: str) -> bool:
        return not self.is_customer and self.principal.has_permission(permission)


def _caller(principal: CurrentPrincipal, request: Request) -> Caller:
    tenant_id = principal.tenant_id
    if tenant_id is None:
        raise ProblemError(403, "forbidden", detail="A tenant's token is required.")
    return Caller(principal, tenant_id)


CallerDep = Annotated[Caller, Depends(_caller)]


@dataclass(frozen=True, slots=True)
class Customer:
    tenant_id: UUID
    customer_id: UUID


def _customer(caller: CallerDep) -> Customer:
    customer_id = caller.user_id
    if not caller.is_customer or customer_id is None:
        raise ProblemError(403, "customer_only", detail="Only a customer can do this.")
    return Customer(caller.tenant_id, customer_id)


CustomerDep = Annotated[Customer, Depends(_customer)]
