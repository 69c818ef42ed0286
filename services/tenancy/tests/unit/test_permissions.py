"""RBAC: what each role may do."""

from __future__ import annotations

import pytest
from tenancy.domain.permissions import (
    ALL_PERMISSIONS,
    CUSTOMER_ROLES,
    ROLE_PERMISSIONS,
    STAFF_ROLES,
    permissions_for,
)

EXPECTED_PERMISSIONS = {
    "catalog.view",
    "catalog.manage",
    "inventory.view",
    "inventory.adjust",
    "orders.view",
    "orders.manage",
    "payments.view",
    "payments.refund",
    "shipping.view",
    "shipping.manage",
    "analytics.view",
    "tenant.manage",
    "users.manage",
}


def test_the_permission_vocabulary_is_the_one_the_services_check():
    assert ALL_PERMISSIONS == EXPECTED_PERMISSIONS


def test_every_role_is_in_the_table():
    assert set(ROLE_PERMISSIONS) == STAFF_ROLES | CUSTOMER_ROLES


def test_owner_can_do_everything():
    assert permissions_for(["owner"]) == EXPECTED_PERMISSIONS


def test_admin_cannot_manage_the_tenant_itself():
    granted = permissions_for(["admin"])
    assert "tenant.manage" not in granted
    assert "users.manage" in granted
    assert "payments.refund" in granted


def test_viewer_is_read_only():
    granted = permissions_for(["viewer"])
    assert granted == {p for p in EXPECTED_PERMISSIONS if p.endswith(".view")}


@pytest.mark.parametrize(
    ("role", "allowed", "denied"),
    [
        ("catalog_manager", "catalog.manage", "orders.manage"),
        ("fulfillment", "shipping.manage", "payments.refund"),
        ("finance", "payments.refund", "catalog.manage"),
    ],
)
def test_operational_roles_are_scoped(role: str, allowed: str, denied: str):
    granted = permissions_for([role])
    assert allowed in granted
    assert denied not in granted


def test_customers_hold_no_staff_permission():
    assert permissions_for(["customer"]) == frozenset()


def test_roles_combine_and_unknown_roles_grant_nothing():
    combined = permissions_for(["catalog_manager", "finance", "no-such-role"])
    assert combined == permissions_for(["catalog_manager"]) | permissions_for(["finance"])
    assert permissions_for(["no-such-role"]) == frozenset()
    assert permissions_for([]) == frozenset()


def test_permission_codes_are_plain_strings():
    assert all(type(p) is str for p in permissions_for(["owner"]))
