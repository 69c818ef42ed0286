"""The OpenSearch indices behind product search, the shape of their documents, and how they are
written.

Three indices per deployment, all named from a configurable prefix (tests use a unique one):

``<prefix>products`` (an alias)
    One document per product, id ``<tenant_id>:<product_id>``. The alias points at exactly one
    concrete index ``<prefix>products_v<timestamp>``; :meth:`SearchIndex.rebuild` loads a new
    concrete index and moves the alias in one ``_aliases`` call, so readers never see a gap.
``<prefix>stock``
    Projector state that must survive a rebuild: per SKU (id ``<tenant_id>:<sku_id>``) the
    product it belongs to and its availability per warehouse, each warehouse guarded by the stock
    item's own version. Availability that arrives before its product is published waits here.
``<prefix>search_meta``
    Per tenant (id ``<tenant_id>``) the newest ``occurred_at`` the projector applied (reported by
    the search API as the index's freshness), or a tombstone once the tenant is deleted.

Every write and every query is routed by tenant id, so one tenant's documents live in one shard.

How documents are written. Two kinds of events change a product document, each guarded by its own
version: catalog events by the product aggregate's version, stock levels by each stock item's
version. ``version_type=external`` can guard only one of them (and any other write to the
document would move ``_version``), so the versions live in the document (``source_version`` and the
per SKU x warehouse ``stock`` map) and every write is a read-merge-write under optimistic
concurrency: :func:`write_merged` reads the documents in real time, folds pure *mutations* into
them (a mutation returns the new document, or None for "no change": a stale or duplicate event),
and writes with ``if_seq_no``/``if_primary_term``; a document another writer changed in between
(409) is read and merged again. This needs only core OpenSearch: no painless, no
``delete_by_query`` (the reindex module) and no ``scaled_float`` (mapper-extras), none of which the
local stack's minimal distribution (the integ-test zip) ships.
"""

from __future__ import annotations

import copy
import re
from collections.abc import AsyncIterable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from opensearchpy.exceptions import NotFoundError, RequestError

if TYPE_CHECKING:
    # Type only: AsyncOpenSearch needs aiohttp (opensearch-py[async]) at run time, and the pure
    # parts of this module must import without it.
    from opensearchpy import AsyncOpenSearch

__all__ = [
    "META_MAPPINGS",
    "PRODUCT_MAPPINGS",
    "PRODUCT_SETTINGS",
    "STOCK_MAPPINGS",
    "DocKey",
    "Document",
    "Mutation",
    "SearchIndex",
    "SearchIndexError",
    "WriteStats",
    "amend_product",
    "merge_levels",
    "merge_product_levels",
    "product_doc_id",
    "products_alias",
    "recompute",
    "replace_product",
    "stock_doc_id",
    "write_merged",
]

Document = dict[str, Any]
Mutation = Callable[[Document | None], Document | None]
"""Pure change of one document: the current source (None if absent) → the new source, or None
when nothing changes. Must not modify its argument: it may be re-run after a conflict."""
DocKey = tuple[str, str]
"""(document id, routing)."""

_PREFIX_RE = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")
_MGET_CHUNK = 1000


class SearchIndexError(RuntimeError):
    """OpenSearch refused a write, or a document stayed contended after every retry."""

    code = "search_index_error"


def products_alias(prefix: str) -> str:
    """The alias every product read and write goes through."""
    return f"{prefix}products"


def product_doc_id(tenant_id: object, product_id: object) -> str:
    """Deterministic id of a product document: the same event always targets the same doc."""
    return f"{tenant_id}:{product_id}"


def stock_doc_id(tenant_id: object, sku_id: object) -> str:
    return f"{tenant_id}:{sku_id}"


# -- products index ------------------------------------------------------------------------------

# Core analysis only (the local stack has no analysis-common module, so no stemmer or
# asciifolding): the query's fuzziness covers plurals and typos ("shirts", "shrit" → "shirt").
PRODUCT_SETTINGS: dict[str, Any] = {
    "analysis": {
        "analyzer": {
            "product_text": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase"]}
        },
        "normalizer": {"folded": {"type": "custom", "filter": ["lowercase"]}},
    }
}

_TEXT = {"type": "text", "analyzer": "product_text"}
# Prices for filtering, sorting and ranges. A double holds every amount with up to 3 decimals of a
# realistic price closely enough for that; the exact Decimal travels beside it as a string.
_PRICE = {"type": "double"}
_EXACT_AMOUNT = {"type": "keyword", "index": False}

PRODUCT_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "tenant_id": {"type": "keyword"},
        "product_id": {"type": "keyword"},
        "name": {
            **_TEXT,
            "copy_to": "search_text",
            "fields": {
                "keyword": {"type": "keyword", "ignore_above": 512},
                "sort": {"type": "keyword", "normalizer": "folded", "ignore_above": 512},
            },
        },
        "slug": {"type": "keyword"},
        "description": {**_TEXT, "copy_to": "search_text"},
        "tags": {"type": "keyword", "copy_to": "search_text"},
        "images": {"type": "keyword", "index": False},
        "brand": {
            "properties": {
                "id": {"type": "keyword"},
                "name": {"type": "keyword", "copy_to": "search_text", "fields": {"text": _TEXT}},
            }
        },
        "category": {
            "properties": {
                "id": {"type": "keyword"},
                # Ancestor ids root → leaf: "in category X" is a term query on this array.
                "path": {"type": "keyword"},
                "path_names": {
                    **_TEXT,
                    "copy_to": "search_text",
                    "fields": {"keyword": {"type": "keyword"}},
                },
            }
        },
        # "<option>:<value>" of every SKU, for product-level facets.
        "option_values": {"type": "keyword"},
        "skus": {
            "type": "nested",
            "properties": {
                "sku_id": {"type": "keyword"},
                "code": {"type": "keyword"},
                "price": _PRICE,
                "price_amount": _EXACT_AMOUNT,
                "compare_at": _PRICE,
                "compare_at_amount": _EXACT_AMOUNT,
                "currency": {"type": "keyword"},
                "options": {"type": "keyword"},
                "in_stock": {"type": "boolean"},
                "available": {"type": "integer"},
            },
        },
        "sku_ids": {"type": "keyword"},
        "price_min": _PRICE,
        "price_max": _PRICE,
        "price_min_amount": _EXACT_AMOUNT,
        "price_max_amount": _EXACT_AMOUNT,
        "currency": {"type": "keyword"},
        "in_stock": {"type": "boolean"},
        "status": {"type": "keyword"},
        "published_at": {"type": "date"},
        "updated_at": {"type": "date"},
        "source_version": {"type": "long"},
        # {sku_id: {warehouse_id: {available, version}}}: the versions that guard availability.
        "stock": {"type": "object", "enabled": False},
        "search_text": _TEXT,
    },
}

STOCK_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "tenant_id": {"type": "keyword"},
        "sku_id": {"type": "keyword"},
        "product_id": {"type": "keyword"},
        "available": {"type": "integer"},
        "updated_at": {"type": "date"},
        # {warehouse_id: {available, version}}
        "warehouses": {"type": "object", "enabled": False},
    },
}

META_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "tenant_id": {"type": "keyword"},
        "last_event_at": {"type": "date"},
        "projected_at": {"type": "date"},
        # Set when the tenant is deleted: events of the tenant that arrive later are dropped.
        "deleted_at": {"type": "date"},
    },
}


# -- product document logic (pure) ---------------------------------------------------------------


def merge_levels(
    stock: dict[str, dict[str, dict[str, int]]], entries: Iterable[Mapping[str, Any]]
) -> bool:
    """Merge stock levels (sku_id, warehouse_id, available, version) into ``stock`` in place,
    each only if its version is newer than the one held. Last-writer-wins per warehouse by version:
    the order in which levels arrive does not matter. Returns whether anything changed."""
    changed = False
    for entry in entries:
        warehouses = stock.setdefault(str(entry["sku_id"]), {})
        held = warehouses.get(str(entry["warehouse_id"]))
        if held is None or held["version"] < entry["version"]:
            warehouses[str(entry["warehouse_id"])] = {
                "available": int(entry["available"]),
                "version": int(entry["version"]),
            }
            changed = True
    return changed


def recompute(document: Document) -> None:
    """Derive SKU availability, ``in_stock`` and the price range from the document's SKUs and
    stock map (in place). Negative warehouse availability (oversold) counts as zero."""
    skus = document.get("skus") or []
    stock = document.get("stock") or {}
    for sku in skus:
        levels = stock.get(sku["sku_id"], {})
        available = sum(max(0, level["available"]) for level in levels.values())
        sku["available"] = available
        sku["in_stock"] = available > 0
    document["in_stock"] = any(sku["in_stock"] for sku in skus)
    if skus:
        cheapest = min(skus, key=lambda s: s["price"])
        dearest = max(skus, key=lambda s: s["price"])
        document["price_min"] = cheapest["price"]
        document["price_min_amount"] = cheapest["price_amount"]
        document["price_max"] = dearest["price"]
        document["price_max_amount"] = dearest["price_amount"]
        document["currency"] = cheapest["currency"]


def _entries_of(stock: Mapping[str, Mapping[str, Mapping[str, int]]] | None) -> list[Document]:
    return [
        {"sku_id": sku_id, "warehouse_id": warehouse, **level}
        for sku_id, warehouses in (stock or {}).items()
        for warehouse, level in warehouses.items()
    ]


def replace_product(snapshot: Document) -> Mutation:
    """A product snapshot (ProductPublished/ProductUpdated, or a rebuild document) replaces the
    document if its ``source_version`` is newer; the availability held is kept and merged with the
    snapshot's own ``stock`` map."""

    def mutate(current: Document | None) -> Document | None:
        held = None if current is None else current.get("source_version")
        if held is not None and held >= snapshot["source_version"]:
            return None
        document = copy.deepcopy(snapshot)
        stock = copy.deepcopy((current or {}).get("stock") or {})
        merge_levels(stock, _entries_of(snapshot.get("stock")))
        document["stock"] = stock
        # The first publication date survives updates (it orders "newest").
        document["published_at"] = (
            (current or {}).get("published_at")
            or snapshot.get("published_at")
            or snapshot.get("updated_at")
        )
        recompute(document)
        return document

    return mutate


def amend_product(version: int, occurred_at: str, change: Callable[[Document], None]) -> Mutation:
    """A partial catalog event (archive, price change) amends an indexed product if ``version`` is
    newer. A product not indexed yet is left alone: its first snapshot is newer and complete."""

    def mutate(current: Document | None) -> Document | None:
        if current is None or current.get("source_version") is None:
            return None
        if current["source_version"] >= version:
            return None
        document = copy.deepcopy(current)
        change(document)
        document["source_version"] = version
        document["updated_at"] = occurred_at
        recompute(document)
        return document

    return mutate


def merge_product_levels(
    tenant_id: str, product_id: str, entries: Sequence[Mapping[str, Any]]
) -> Mutation:
    """Stock levels of a product's SKUs. A product not indexed yet gets an unpublished stub (no
    ``status``: never searchable) holding them until its snapshot arrives."""

    def mutate(current: Document | None) -> Document | None:
        document: Document = (
            copy.deepcopy(current)
            if current is not None
            else {"tenant_id": tenant_id, "product_id": product_id, "stock": {}}
        )
        if not merge_levels(document.setdefault("stock", {}), entries):
            return None
        recompute(document)
        return document

    return mutate


# -- optimistic read-merge-write -----------------------------------------------------------------


@dataclass(slots=True)
class WriteStats:
    """Outcome of :func:`write_merged` calls, for logs and tests."""

    written: int = 0
    unchanged: int = 0
    conflicts: int = 0
    states: dict[DocKey, Document | None] = field(default_factory=dict)
    """The document each key ended with (as written, or as read when unchanged)."""

    def add(self, other: WriteStats) -> None:
        self.written += other.written
        self.unchanged += other.unchanged
        self.conflicts += other.conflicts
        self.states.update(other.states)


async def _mget(
    client: AsyncOpenSearch, index: str, keys: Sequence[DocKey]
) -> dict[DocKey, tuple[Document | None, int | None, int | None]]:
    found: dict[DocKey, tuple[Document | None, int | None, int | None]] = {}
    for start in range(0, len(keys), _MGET_CHUNK):
        chunk = keys[start : start + _MGET_CHUNK]
        docs = [{"_index": index, "_id": doc_id, "routing": routing} for doc_id, routing in chunk]
        # mget is real time: it sees writes that no refresh has made searchable yet.
        response = await client.mget(body={"docs": docs})
        for key, doc in zip(chunk, response["docs"], strict=True):
            if "error" in doc:
                raise SearchIndexError(f"reading {index}/{key[0]} failed: {doc['error']}")
            if doc.get("found"):
                found[key] = (doc["_source"], doc["_seq_no"], doc["_primary_term"])
            else:
                found[key] = (None, None, None)
    return found


async def write_merged(
    client: AsyncOpenSearch,
    index: str,
    changes: Mapping[DocKey, Sequence[Mutation]],
    *,
    attempts: int = 10,
) -> WriteStats:
    """Apply ``changes`` (per document, mutations folded in order) to ``index`` (a concrete index or
    an alias of one index) with compare-and-set writes; conflicting documents are re-read and
    re-merged, up to ``attempts`` rounds. No refresh."""
    stats = WriteStats()
    pending = dict(changes)
    for _ in range(attempts):
        if not pending:
            return stats
        keys = list(pending)
        current = await _mget(client, index, keys)
        operations: list[dict[str, Any]] = []
        written_keys: list[DocKey] = []
        for key in keys:
            source, seq_no, primary_term = current[key]
            state, changed = source, False
            for mutation in pending[key]:
                result = mutation(state)
                if result is not None:
                    state, changed = result, True
            stats.states[key] = state
            if not changed:
                stats.unchanged += 1
                continue
            doc_id, routing = key
            meta: dict[str, Any] = {"_index": index, "_id": doc_id, "routing": routing}
            if source is None:
                operations.append({"create": meta})
            else:
                operations.append(
                    {"index": {**meta, "if_seq_no": seq_no, "if_primary_term": primary_term}}
                )
            operations.append(state)  # type: ignore[arg-type]  # changed implies a document
            written_keys.append(key)
        retry: dict[DocKey, Sequence[Mutation]] = {}
        if operations:
            response = await client.bulk(body=operations)
            failures: list[str] = []
            for key, item in zip(written_keys, response["items"], strict=True):
                ((_, outcome),) = item.items()
                if outcome.get("status") == 409:
                    # Another writer got there first: merge again on top of its version.
                    retry[key] = pending[key]
                    stats.conflicts += 1
                elif "error" in outcome:
                    failures.append(f"{key[0]}: {outcome['error']}")
                else:
                    stats.written += 1
            if failures:
                raise SearchIndexError(
                    f"{len(failures)} write(s) to {index} failed: " + "; ".join(failures[:5])
                )
        pending = retry
    if pending:
        raise SearchIndexError(f"{len(pending)} document(s) of {index} stayed contended")
    return stats


def _timestamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")


class SearchIndex:
    """Names, creation, rebuild and tenant deletion of the search indices.

    ``client`` is created by the process entrypoint (or a test) and closed by it. One instance per
    process; the projector and the API share it.
    """

    def __init__(
        self,
        client: AsyncOpenSearch,
        *,
        prefix: str = "shop_",
        shards: int = 1,
        replicas: int = 0,
    ) -> None:
        if not _PREFIX_RE.match(prefix):
            raise ValueError(f"index prefix {prefix!r} must be lower-case letters, digits, _ or -")
        self.client = client
        self.prefix = prefix
        self.shards = shards
        self.replicas = replicas
        # The concrete index a rebuild is loading, while it runs: live writes go there too.
        self._rebuilding: str | None = None

    # -- names -------------------------------------------------------------------------------------

    @property
    def alias(self) -> str:
        return products_alias(self.prefix)

    @property
    def stock_index(self) -> str:
        return f"{self.prefix}stock"

    @property
    def meta_index(self) -> str:
        return f"{self.prefix}search_meta"

    def new_index_name(self) -> str:
        return f"{self.alias}_v{_timestamp()}"

    def write_targets(self) -> tuple[str, ...]:
        """Where a product write goes: the alias, plus the index a running rebuild is loading
        (version-guarded merges make the double write and the rebuild's own load commute)."""
        if self._rebuilding is None:
            return (self.alias,)
        return (self.alias, self._rebuilding)

    def _index_body(self, mappings: dict[str, Any], *, analysis: bool = False) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "number_of_shards": self.shards,
            "number_of_replicas": self.replicas,
        }
        if analysis:
            settings.update(PRODUCT_SETTINGS)
        return {"settings": settings, "mappings": mappings}

    # -- lifecycle ---------------------------------------------------------------------------------

    async def ensure_index(self) -> str:
        """Create the stock and metadata indices and the first products index behind its alias, if
        missing. Returns the concrete products index. Safe to call from every process at start."""
        state = ((self.stock_index, STOCK_MAPPINGS), (self.meta_index, META_MAPPINGS))
        for name, mappings in state:
            await self._create_if_missing(name, self._index_body(mappings))
        current = await self.current_indices()
        if current:
            return current[0]
        body = self._index_body(PRODUCT_MAPPINGS, analysis=True)
        body["aliases"] = {self.alias: {}}
        name = self.new_index_name()
        await self._create_if_missing(name, body)
        # Two processes starting together may each have created an index behind the alias; the
        # oldest name wins and the others withdraw, so writes keep a single target.
        current = await self.current_indices()
        if len(current) > 1 and name != current[0]:
            await self.client.indices.delete(index=name, ignore_unavailable=True)
        return current[0]

    async def _create_if_missing(self, name: str, body: dict[str, Any]) -> None:
        if await self.client.indices.exists(index=name):
            return
        try:
            await self.client.indices.create(index=name, body=body)
        except RequestError as exc:
            if exc.error != "resource_already_exists_exception":
                raise

    async def current_indices(self) -> list[str]:
        """The concrete products indices behind the alias, oldest first (one, except mid-race)."""
        try:
            found = await self.client.indices.get_alias(name=self.alias)
        except NotFoundError:
            return []
        return sorted(found)

    async def write_products(self, changes: Mapping[DocKey, Sequence[Mutation]]) -> WriteStats:
        """Apply product mutations to every write target (see :meth:`write_targets`)."""
        stats = WriteStats()
        for target in self.write_targets():
            stats.add(await write_merged(self.client, target, changes))
        return stats

    async def rebuild(
        self,
        documents: Iterable[Document] | AsyncIterable[Document],
        *,
        chunk_size: int = 500,
    ) -> str:
        """Load product ``documents`` (``search_projector.product_document``, optionally with a
        ``stock`` map) into a new index, then move the alias to it in one atomic ``_aliases``
        call and delete the old index. Readers use the old index until the swap and the new one
        after: no gap.

        Writes the projector makes meanwhile in this process go to both indices, and the load
        merges with them by version, so nothing applied during the rebuild is lost. A projector in
        another process should be paused meanwhile, or replayed from before the rebuild started
        (its writes are idempotent). Returns the new index name.
        """
        await self.ensure_index()
        if self._rebuilding is not None:
            raise RuntimeError(f"a rebuild into {self._rebuilding} is already running")
        new = self.new_index_name()
        await self.client.indices.create(
            index=new, body=self._index_body(PRODUCT_MAPPINGS, analysis=True)
        )
        self._rebuilding = new
        try:
            chunk: list[Document] = []
            if isinstance(documents, AsyncIterable):
                async for document in documents:
                    chunk.append(document)
                    if len(chunk) >= chunk_size:
                        await self._load(new, chunk)
                        chunk = []
            else:
                for document in documents:
                    chunk.append(document)
                    if len(chunk) >= chunk_size:
                        await self._load(new, chunk)
                        chunk = []
            await self._load(new, chunk)
            await self.client.indices.refresh(index=new)
            old = await self.current_indices()
            actions: list[dict[str, Any]] = [
                {"remove": {"index": index, "alias": self.alias}} for index in old
            ]
            actions.append({"add": {"index": new, "alias": self.alias}})
            await self.client.indices.update_aliases(body={"actions": actions})
        except BaseException:
            self._rebuilding = None
            await self.client.indices.delete(index=new, ignore_unavailable=True)
            raise
        self._rebuilding = None
        for index in old:
            await self.client.indices.delete(index=index, ignore_unavailable=True)
        return new

    async def _load(self, index: str, documents: Sequence[Document]) -> None:
        changes: dict[DocKey, list[Mutation]] = {}
        for document in documents:
            tenant = str(document["tenant_id"])
            key = (product_doc_id(tenant, document["product_id"]), tenant)
            changes.setdefault(key, []).append(replace_product(document))
        await write_merged(self.client, index, changes)

    async def delete_tenant(self, tenant_id: object) -> int:
        """Delete every search document of a tenant (TenantDeleted). Returns products deleted.

        The tenant's metadata document becomes a tombstone first, so that events of the tenant
        still in flight cannot bring documents back (the projector drops them).
        """
        tenant = str(tenant_id)
        await self.client.index(
            index=self.meta_index,
            id=tenant,
            routing=tenant,
            body={"tenant_id": tenant, "deleted_at": datetime.now(UTC).isoformat()},
            refresh=True,
        )
        deleted = 0
        for index in (*self.write_targets(), self.stock_index):
            count = await self._delete_matching(index, tenant)
            if index == self.alias:
                deleted = count
        return deleted

    async def _delete_matching(self, index: str, tenant: str) -> int:
        # Search-and-delete in pages (delete_by_query lives in the reindex module, which the
        # minimal distribution lacks). Routing keeps it on the tenant's shard.
        deleted = 0
        while True:
            await self.client.indices.refresh(index=index)
            found = await self.client.search(
                index=index,
                routing=tenant,
                body={
                    "query": {"term": {"tenant_id": tenant}},
                    "size": 1000,
                    "_source": False,
                    "sort": ["_doc"],
                },
            )
            hits = found["hits"]["hits"]
            if not hits:
                return deleted
            operations = [
                {"delete": {"_index": hit["_index"], "_id": hit["_id"], "routing": tenant}}
                for hit in hits
            ]
            response = await self.client.bulk(body=operations)
            deleted += sum(
                1 for item in response["items"] if item["delete"].get("result") == "deleted"
            )

    async def refresh(self) -> None:
        """Make every write searchable now (tests; production waits for the refresh interval)."""
        await self.client.indices.refresh(
            index=",".join([*self.write_targets(), self.stock_index, self.meta_index])
        )

    async def drop(self) -> None:
        """Delete every index of this prefix (tests and teardown)."""
        versions = await self.client.indices.get(
            index=f"{self.alias}_v*", allow_no_indices=True, expand_wildcards="all"
        )
        for name in [*versions, self.stock_index, self.meta_index]:
            await self.client.indices.delete(index=name, ignore_unavailable=True)
