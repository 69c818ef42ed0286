"""Public event contracts shared by every service.

Importing this package registers every public event in :data:`shop_contracts.registry.registry`.
Event models live in ``shop_contracts.events`` (one module per publishing service).
"""

from shop_contracts import events  # noqa: F401  (registers every contract)
from shop_contracts.contract_models import ContractEvent, ContractValue, NonNegativeInt, Quantity
from shop_contracts.envelope import Envelope, EnvelopeHeaderMismatchError
from shop_contracts.ids import derived_id
from shop_contracts.money import CurrencyCode, CurrencyMismatchError, Money
from shop_contracts.registry import (
    ContractSpec,
    DuplicateContractError,
    Registry,
    UnknownEventTypeError,
    contract,
    decode,
    envelope_for,
    registry,
)
from shop_contracts.topics import Topic, all_topics

__all__ = [
    "ContractEvent",
    "ContractSpec",
    "ContractValue",
    "CurrencyCode",
    "CurrencyMismatchError",
    "DuplicateContractError",
    "Envelope",
    "EnvelopeHeaderMismatchError",
    "Money",
    "NonNegativeInt",
    "Quantity",
    "Registry",
    "Topic",
    "UnknownEventTypeError",
    "all_topics",
    "contract",
    "decode",
    "derived_id",
    "envelope_for",
    "registry",
]
