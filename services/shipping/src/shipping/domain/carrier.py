"""The carrier port: what the domain needs from a courier (Shiprocket, Delhivery, the sandbox).

Pure declarations; HTTP adapters live in ``shipping.adapters``. ``create_label`` must be idempotent
by ``LabelRequest.shipment_id`` (carriers accept a merchant reference for that): asking again after
a crash returns the same tracking number instead of booking a second pickup.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from shipping.domain.errors import InvalidShipmentCommand

__all__ = ["CarrierAdapter", "Label", "LabelRequest", "ShipmentLine"]


@dataclass(frozen=True, slots=True)
class ShipmentLine:
    """Units of a SKU in the shipment, and the warehouse they ship from (if known)."""

    sku_id: UUID
    quantity: int
    warehouse_id: UUID | None = None

    def __post_init__(self) -> None:
        if isinstance(self.quantity, bool) or self.quantity < 1:
            raise InvalidShipmentCommand("a shipment line needs a quantity of at least 1")

    def as_dict(self) -> dict[str, UUID | int | None]:
        return {"sku_id": self.sku_id, "quantity": self.quantity, "warehouse_id": self.warehouse_id}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> ShipmentLine:
        sku_id, quantity, warehouse_id = data["sku_id"], data["quantity"], data.get("warehouse_id")
        assert isinstance(sku_id, UUID) and isinstance(quantity, int)
        assert warehouse_id is None or isinstance(warehouse_id, UUID)
        return cls(sku_id=sku_id, quantity=quantity, warehouse_id=warehouse_id)


@dataclass(frozen=True, slots=True)
class LabelRequest:
    """What a carrier needs to book the shipment; built by `Shipment.label_request`."""

    shipment_id: UUID
    order_id: UUID
    carrier: str | None  # None: the adapter's default service
    lines: tuple[ShipmentLine, ...]
    address: Mapping[str, str | None]


@dataclass(frozen=True, slots=True)
class Label:
    """The carrier's booking: its code, the tracking number (AWB), and where to see them."""

    carrier: str
    tracking_number: str
    tracking_url: str | None = None
    label_url: str | None = None

    def __post_init__(self) -> None:
        if not self.carrier or not self.tracking_number:
            raise InvalidShipmentCommand("a label needs a carrier and a tracking number")


class CarrierAdapter(Protocol):
    """A courier integration."""

    @property
    def code(self) -> str:
        """The carrier code stored on shipments (``shiprocket``, ``delhivery``, ``sandbox``)."""
        ...

    def create_label(self, request: LabelRequest) -> Label:
        """Book the shipment and return its label; idempotent by ``request.shipment_id``."""
        ...
