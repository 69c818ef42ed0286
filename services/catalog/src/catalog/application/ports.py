"""What the catalog application needs from outside the event store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol
from uuid import UUID

KeyKind = Literal["category_slug", "brand_slug", "product_slug", "sku_code"]
ClaimStatus = Literal["claimed", "ours", "taken"]


@dataclass(frozen=True, slots=True)
class Claim:
    """The holder of a unique key after a claim attempt."""

    status: ClaimStatus
    """claimed: this call took it; ours: the same owner held it already (a retry); taken: another
    owner holds it."""
    owner_id: UUID
    aggregate_id: UUID
    age_seconds: float


class UniqueKeys(Protocol):
    """Per-tenant unique keys (slugs, SKU codes) kept in a table with a unique index.

    A key is claimed *before* the aggregate that uses it is saved (insert-or-report-the-holder),
    so two concurrent creations cannot both get it. A claim whose aggregate was never saved (the
    process died in between) is taken over once it is older than a grace period.
    """

    def claim(
        self, tenant_id: UUID, kind: KeyKind, key: str, *, owner_id: UUID, aggregate_id: UUID
    ) -> Claim: ...

    def take_over(
        self,
        tenant_id: UUID,
        kind: KeyKind,
        key: str,
        *,
        previous_owner: UUID,
        owner_id: UUID,
        aggregate_id: UUID,
    ) -> bool: ...

    def release(self, tenant_id: UUID, kind: KeyKind, key: str, *, owner_id: UUID) -> None: ...
