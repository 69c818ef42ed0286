"""Value objects and validators shared by the catalog aggregates.

Validators take what a caller typed and return the canonical form or raise a 422 domain error.
Value objects convert to and from the plain dicts stored in events (`as_dict` / `from_dict`):
events hold only str, UUID, Decimal, bool, None and lists/dicts of those.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from catalog.domain.errors import (
    InvalidDescription,
    InvalidImages,
    InvalidName,
    InvalidSlug,
    InvalidTags,
)

__all__ = [
    "CategoryRef",
    "clean_description",
    "clean_images",
    "clean_name",
    "clean_slug",
    "clean_tags",
    "slugify",
]

MAX_NAME_LENGTH = 255
MAX_SLUG_LENGTH = 255
MAX_DESCRIPTION_LENGTH = 20_000
MAX_TAGS = 50
MAX_TAG_LENGTH = 50
MAX_IMAGES = 20
MAX_URL_LENGTH = 2048

_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_NON_SLUG_RE = re.compile(r"[^a-z0-9]+")


def clean_name(value: str, what: str = "name") -> str:
    name = " ".join(value.split())
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidName(f"{what} must be 1-{MAX_NAME_LENGTH} characters")
    return name


def slugify(text: str) -> str:
    """URL slug from free text: ``"Café Crème 2"`` → ``"cafe-creme-2"``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NON_SLUG_RE.sub("-", ascii_text.lower()).strip("-")[:MAX_SLUG_LENGTH].rstrip("-")


def clean_slug(value: str | None, *, name: str) -> str:
    """The given slug, validated, or one made from ``name`` when none is given.

    Slugs are unique per tenant (categories, brands, products each): the application checks its
    read model; the aggregate cannot see its siblings.
    """
    slug = slugify(name) if value is None else value.strip()
    if not slug or len(slug) > MAX_SLUG_LENGTH or not _SLUG_RE.fullmatch(slug):
        raise InvalidSlug(
            "slug must be lowercase letters and digits in words separated by single hyphens"
        )
    return slug


def clean_description(value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if len(text) > MAX_DESCRIPTION_LENGTH:
        raise InvalidDescription(f"description must be at most {MAX_DESCRIPTION_LENGTH} characters")
    return text or None


def clean_tags(values: Iterable[str]) -> list[str]:
    """Trimmed, de-duplicated (case-insensitively, first spelling kept), in the given order."""
    tags: list[str] = []
    seen: set[str] = set()
    for value in values:
        tag = " ".join(value.split())
        if not tag or len(tag) > MAX_TAG_LENGTH:
            raise InvalidTags(f"each tag must be 1-{MAX_TAG_LENGTH} characters")
        if tag.casefold() not in seen:
            seen.add(tag.casefold())
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise InvalidTags(f"at most {MAX_TAGS} tags")
    return tags


def clean_images(values: Iterable[str]) -> list[str]:
    """Image URLs, primary first."""
    images = [value.strip() for value in values]
    if len(images) > MAX_IMAGES:
        raise InvalidImages(f"at most {MAX_IMAGES} images")
    for url in images:
        if not url.startswith(("https://", "http://")) or len(url) > MAX_URL_LENGTH:
            raise InvalidImages(
                f"images must be http(s) URLs of at most {MAX_URL_LENGTH} characters"
            )
        if any(c.isspace() for c in url):
            raise InvalidImages("an image URL cannot contain whitespace")
    if len(set(images)) != len(images):
        raise InvalidImages("an image is listed twice")
    return images


@dataclass(frozen=True, slots=True)
class CategoryRef:
    """One step of a category path: enough to show and link a breadcrumb without a look-up."""

    category_id: UUID
    name: str
    slug: str

    def as_dict(self) -> dict[str, Any]:
        return {"category_id": self.category_id, "name": self.name, "slug": self.slug}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CategoryRef:
        category_id = data["category_id"]
        return cls(
            category_id=category_id if isinstance(category_id, UUID) else UUID(str(category_id)),
            name=data["name"],
            slug=data["slug"],
        )


def path_dicts(path: Iterable[CategoryRef]) -> list[dict[str, Any]]:
    return [ref.as_dict() for ref in path]


def path_from_dicts(data: Iterable[Mapping[str, Any]]) -> tuple[CategoryRef, ...]:
    return tuple(CategoryRef.from_dict(d) for d in data)
