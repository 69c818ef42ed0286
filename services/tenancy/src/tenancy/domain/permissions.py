"""RBAC: the roles a user can hold and the permissions each role grants.

The seeds define system roles (owner "full access", admin "administrative access", viewer
"read-only", plus operational roles) and permissions named ``<module>.<action>``. This table is the
platform's fixed set of system roles; per-tenant custom roles (the seeds' ``roles`` table without
``is_system``) can be added later as data without changing the callers of `permissions_for`.

Customers hold the ``customer`` role, which grants none of these staff permissions: what a customer
may do (their own cart, orders, profile) is decided by ownership, not by RBAC.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from types import MappingProxyType
from typing import Final

__all__ = [
    "ALL_PERMISSIONS",
    "CUSTOMER_ROLES",
    "ROLE_PERMISSIONS",
    "STAFF_ROLES",
    "Permission",
    "Role",
    "permissions_for",
]


class Permission(StrEnum):
    CATALOG_VIEW = "catalog.view"
    CATALOG_MANAGE = "catalog.manage"
    INVENTORY_VIEW = "inventory.view"
    INVENTORY_ADJUST = "inventory.adjust"
    ORDERS_VIEW = "orders.view"
    ORDERS_MANAGE = "orders.manage"
    PAYMENTS_VIEW = "payments.view"
    PAYMENTS_REFUND = "payments.refund"
    SHIPPING_VIEW = "shipping.view"
    SHIPPING_MANAGE = "shipping.manage"
    ANALYTICS_VIEW = "analytics.view"
    TENANT_MANAGE = "tenant.manage"
    USERS_MANAGE = "users.manage"


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    CATALOG_MANAGER = "catalog_manager"
    FULFILLMENT = "fulfillment"
    FINANCE = "finance"
    VIEWER = "viewer"
    CUSTOMER = "customer"


def _codes(*members: StrEnum) -> frozenset[str]:
    # Plain strings, not enum members: these sets end up in JWT claims and JSON.
    return frozenset(m.value for m in members)


ALL_PERMISSIONS: Final[frozenset[str]] = frozenset(p.value for p in Permission)
_VIEW: Final[frozenset[str]] = frozenset(p.value for p in Permission if p.value.endswith(".view"))

STAFF_ROLES: Final[frozenset[str]] = _codes(
    Role.OWNER, Role.ADMIN, Role.CATALOG_MANAGER, Role.FULFILLMENT, Role.FINANCE, Role.VIEWER
)
CUSTOMER_ROLES: Final[frozenset[str]] = _codes(Role.CUSTOMER)

ROLE_PERMISSIONS: Final[MappingProxyType[str, frozenset[str]]] = MappingProxyType(
    {
        # The owner can do everything, including closing the store and changing its plan.
        Role.OWNER.value: ALL_PERMISSIONS,
        # Administrators run the store but cannot suspend/delete it or change its plan and domains.
        Role.ADMIN.value: ALL_PERMISSIONS - _codes(Permission.TENANT_MANAGE),
        Role.CATALOG_MANAGER.value: _codes(
            Permission.CATALOG_VIEW,
            Permission.CATALOG_MANAGE,
            Permission.INVENTORY_VIEW,
            Permission.INVENTORY_ADJUST,
            Permission.ANALYTICS_VIEW,
        ),
        Role.FULFILLMENT.value: _codes(
            Permission.CATALOG_VIEW,
            Permission.INVENTORY_VIEW,
            Permission.INVENTORY_ADJUST,
            Permission.ORDERS_VIEW,
            Permission.ORDERS_MANAGE,
            Permission.SHIPPING_VIEW,
            Permission.SHIPPING_MANAGE,
        ),
        Role.FINANCE.value: _codes(
            Permission.ORDERS_VIEW,
            Permission.PAYMENTS_VIEW,
            Permission.PAYMENTS_REFUND,
            Permission.ANALYTICS_VIEW,
        ),
        Role.VIEWER.value: _VIEW,
        Role.CUSTOMER.value: frozenset(),
    }
)


def permissions_for(roles: Iterable[str]) -> frozenset[str]:
    """Union of the permissions of ``roles``; unknown role codes grant nothing."""
    granted: set[str] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(granted)
