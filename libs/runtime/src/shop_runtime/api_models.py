"""Base classes of the models at the HTTP boundary.

Request bodies derive from `StrictModel`: unknown fields are refused (422, not silently dropped,
so a client's typo or an attempt to set `tenant_id` is visible), strings are bounded,
NaN/Infinity are refused and no string may hold U+0000 (PostgreSQL `text` cannot store it).
Responses derive from `ResponseModel`, which only fixes the serialization conventions.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

# Long enough for any name, address line or description we accept; longer text needs an explicit
# `Field(max_length=...)` on the field, which overrides this default.
DEFAULT_STR_MAX_LENGTH = 10_000


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple | set | frozenset):
        return any(_has_nul(v) for v in value)
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return False


class StrictModel(BaseModel):
    """Base of every request body and query model."""

    model_config = ConfigDict(
        extra="forbid",
        str_max_length=DEFAULT_STR_MAX_LENGTH,
        allow_inf_nan=False,
        frozen=True,
    )

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if _has_nul(value):
            raise ValueError("must not contain NUL characters")
        return value


class ResponseModel(BaseModel):
    """Base of response bodies."""

    model_config = ConfigDict(frozen=True)
