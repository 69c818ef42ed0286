"""Money: a Decimal amount with its ISO 4217 currency, never a float.

On the wire an amount is a JSON string (``{"amount": "19.90", "currency": "EUR"}``) so that no
consumer, in any language, parses it into a binary float.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_serializer,
    field_validator,
)

__all__ = [
    "CurrencyCode",
    "CurrencyMismatchError",
    "Money",
    "minor_units",
]

CurrencyCode = Annotated[
    str,
    Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 alphabetic currency code"),
]

# ISO 4217 minor units for the currencies that do not use 2 decimals. Everything else gets 2.
_MINOR_UNITS: dict[str, int] = {
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "ISK": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
}


def minor_units(currency: str) -> int:
    """Number of decimal places of ``currency`` (2 unless the table says otherwise)."""
    return _MINOR_UNITS.get(currency, 2)


class CurrencyMismatchError(ValueError):
    """Arithmetic or comparison between amounts of different currencies."""

    code = "currency_mismatch"


_AMOUNT_JSON_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": r"^-?\d+(\.\d+)?$",
    "description": "Decimal amount as a string, quantized to the currency's minor units",
}


class Money(BaseModel):
    """An amount of one currency.

    Construction quantizes the amount to the currency's minor units (``Money(amount="10",
    currency="USD").amount == Decimal("10.00")``) and refuses an amount that would lose precision
    (``"10.005"`` USD): silently rounding a price is a bug in whoever produced it. Use
    :meth:`rounded` where rounding is intended (tax, percentage discounts).
    Floats are refused outright; pass ``Decimal``, ``int`` or ``str``.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={"description": "An amount of one currency; the amount is a string."},
    )

    # currency is declared first so the amount validator can see it.
    currency: CurrencyCode
    amount: Annotated[Decimal, WithJsonSchema(_AMOUNT_JSON_SCHEMA)]

    @field_validator("amount", mode="before")
    @classmethod
    def _refuse_float(cls, value: Any) -> Any:
        if isinstance(value, float):
            raise ValueError("float amounts are refused: pass a Decimal, an int or a string")
        if isinstance(value, bool):
            raise ValueError("a bool is not an amount")
        return value

    @field_validator("amount")
    @classmethod
    def _quantize(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        if not value.is_finite():
            raise ValueError("amount must be a finite number")
        currency = info.data.get("currency")
        if currency is None:  # currency failed validation; its own error is reported
            return value
        exponent = Decimal(1).scaleb(-minor_units(currency))
        try:
            quantized = value.quantize(exponent)
        except InvalidOperation as exc:
            raise ValueError(f"amount {value} is too large") from exc
        if quantized != value:
            raise ValueError(
                f"amount {value} has more decimals than {currency} allows "
                f"({minor_units(currency)}); round it explicitly with Money.rounded"
            )
        return quantized

    @field_serializer("amount", when_used="json")
    def _amount_as_string(self, value: Decimal) -> str:
        return str(value)

    # -- construction ------------------------------------------------------------------------------

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Self:
        """Shorthand for ``Money(amount=..., currency=...)``."""
        return cls(amount=amount, currency=currency)

    @classmethod
    def zero(cls, currency: str) -> Self:
        return cls.of(0, currency)

    @classmethod
    def rounded(
        cls, amount: Decimal | int | str, currency: str, rounding: str = ROUND_HALF_EVEN
    ) -> Self:
        """Round ``amount`` to the currency's minor units (banker's rounding by default)."""
        if isinstance(amount, float):
            raise TypeError("float amounts are refused: pass a Decimal, an int or a string")
        exponent = Decimal(1).scaleb(-minor_units(currency))
        return cls.of(Decimal(amount).quantize(exponent, rounding=rounding), currency)

    @classmethod
    def total(cls, amounts: Iterable[Money], currency: str) -> Self:
        """Sum of ``amounts`` (all in ``currency``); zero for an empty iterable."""
        result = cls.zero(currency)
        for amount in amounts:
            result = result + amount
        return result

    # -- arithmetic (same currency only) ----------------------------------------------------------

    def _same_currency(self, other: object, operation: str) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot {operation} Money and {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatchError(f"cannot {operation} {self.currency} and {other.currency}")
        return other

    def __add__(self, other: Money) -> Self:
        other = self._same_currency(other, "add")
        return self.of(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Self:
        other = self._same_currency(other, "subtract")
        return self.of(self.amount - other.amount, self.currency)

    def __mul__(self, quantity: int) -> Self:
        # Only whole quantities: a price times a ratio needs an explicit rounding (Money.rounded).
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise TypeError("Money can only be multiplied by an int quantity")
        return self.of(self.amount * quantity, self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Self:
        return self.of(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same_currency(other, "compare").amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same_currency(other, "compare").amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same_currency(other, "compare").amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same_currency(other, "compare").amount

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
