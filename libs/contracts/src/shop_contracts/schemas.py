"""JSON Schemas of the public contracts, and the compatibility check that guards them.

``python -m shop_contracts.schemas generate`` writes one file per registered contract
(``<event_type>.v<version>.json``) plus ``envelope.json`` into ``libs/contracts/schemas/``; the
files are committed. ``python -m shop_contracts.schemas check`` fails when a committed schema is
missing or stale, or when the current models are incompatible with the committed schemas (or, with
``--against REF``, with the schemas committed at a git ref, which is what CI should compare to).

Compatible (same version): a new optional field, a new event type. Incompatible (needs a new
version published beside the old one): a removed or renamed field, a changed type, nullability or
constraint, a new required field, an optional field becoming required (or the reverse), a changed
topic, a removed event type. Both directions matter because consumers of mixed versions run side by
side during a deploy and old events are replayed from the log.

The published schemas do not say ``additionalProperties: false`` even though producers forbid
unknown fields: consumers must accept fields added later, and a schema that forbade them would break
every consumer validating against it on the first compatible change.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shop_contracts.envelope import Envelope
from shop_contracts.registry import ContractSpec, Registry, registry

__all__ = [
    "ENVELOPE_SCHEMA_FILE",
    "JSON_SCHEMA_DIALECT",
    "SCHEMA_DIR",
    "check",
    "compatibility_problems",
    "envelope_schema",
    "event_schema",
    "generate",
    "generated_files",
    "render",
]

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"
"""``libs/contracts/schemas`` (this module lives in ``libs/contracts/src/shop_contracts``)."""
ENVELOPE_SCHEMA_FILE = "envelope.json"
REGENERATE_HINT = "run `make contracts` to regenerate the committed schemas"

# Keywords whose change alters what a valid value is. Annotations (title, description, default,
# examples) are free to change.
_CONSTRAINT_KEYWORDS = (
    "const",
    "format",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "multipleOf",
    "uniqueItems",
)


# -- generation ------------------------------------------------------------------------------------


def _drop_closed_objects(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("additionalProperties") is False:
            del node["additionalProperties"]
        for value in node.values():
            _drop_closed_objects(value)
    elif isinstance(node, list):
        for value in node:
            _drop_closed_objects(value)


def event_schema(spec: ContractSpec) -> dict[str, Any]:
    """The JSON Schema of one contract's payload, tagged with its wire name, version and topic."""
    schema = spec.model.model_json_schema(mode="validation")
    _drop_closed_objects(schema)
    schema["$schema"] = JSON_SCHEMA_DIALECT
    schema["x-event-type"] = spec.event_type
    schema["x-event-version"] = spec.version
    schema["x-topic"] = spec.topic.name
    return schema


def envelope_schema() -> dict[str, Any]:
    schema = Envelope.model_json_schema(mode="validation")
    schema["$schema"] = JSON_SCHEMA_DIALECT
    return schema


def render(schema: Mapping[str, Any]) -> str:
    """Deterministic text of a schema file: sorted keys, 2-space indent, trailing newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def generated_files(reg: Registry = registry) -> dict[str, str]:
    """File name → content of every schema file, as generation would write it."""
    files = {ENVELOPE_SCHEMA_FILE: render(envelope_schema())}
    for spec in reg.all():
        files[f"{spec.schema_name}.json"] = render(event_schema(spec))
    return files


# -- compatibility ---------------------------------------------------------------------------------


class _Comparison:
    def __init__(self, old_root: Mapping[str, Any], new_root: Mapping[str, Any]) -> None:
        self.old_root = old_root
        self.new_root = new_root
        self.problems: list[str] = []
        self._active: set[tuple[str, str]] = set()

    def report(self, path: str, message: str) -> None:
        self.problems.append(f"{path or '(root)'}: {message}")

    # $ref / allOf resolution: returns the target merged with the referring node's siblings.
    @staticmethod
    def resolve(node: Any, root: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
        refs: list[str] = []
        current: dict[str, Any] = dict(node) if isinstance(node, Mapping) else {}
        for _ in range(64):
            if "$ref" in current:
                ref = current.pop("$ref")
                refs.append(ref)
                current = {**_pointer(root, ref), **current}
            elif "allOf" in current and len(current["allOf"]) == 1:
                (only,) = current.pop("allOf")
                current = {**(only if isinstance(only, Mapping) else {}), **current}
            else:
                break
        return current, "|".join(refs)

    def branches(self, node: Any, root: Mapping[str, Any]) -> tuple[list[dict[str, Any]], bool]:
        """Non-null alternatives of ``node`` and whether null is allowed."""
        resolved, _ = self.resolve(node, root)
        union = resolved.get("anyOf") or resolved.get("oneOf")
        if union is not None:
            out: list[dict[str, Any]] = []
            nullable = False
            for branch in union:
                sub, sub_nullable = self.branches(branch, root)
                out.extend(sub)
                nullable = nullable or sub_nullable
            return out, nullable
        type_ = resolved.get("type")
        if isinstance(type_, list):
            nullable = "null" in type_
            return [{**resolved, "type": t} for t in type_ if t != "null"], nullable
        if type_ == "null":
            return [], True
        return [resolved], False

    def compare(self, old: Any, new: Any, path: str) -> None:
        old_resolved, old_ref = self.resolve(old, self.old_root)
        new_resolved, new_ref = self.resolve(new, self.new_root)
        key = (old_ref, new_ref)
        if old_ref or new_ref:
            if key in self._active:  # a recursive definition inside itself: already being compared
                return
            self._active.add(key)
        try:
            self._compare_resolved(old_resolved, new_resolved, path)
        finally:
            self._active.discard(key)

    def _compare_resolved(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        old_branches, old_nullable = self.branches(old, self.old_root)
        new_branches, new_nullable = self.branches(new, self.new_root)
        if old_nullable != new_nullable:
            self.report(path, "may now be null" if new_nullable else "may no longer be null")
        if len(old_branches) == 1 and len(new_branches) == 1:
            self.compare_single(old_branches[0], new_branches[0], path)
            return
        old_kinds = sorted(_kind(b) for b in old_branches)
        new_kinds = sorted(_kind(b) for b in new_branches)
        if old_kinds != new_kinds:
            self.report(path, f"type changed from {_describe(old_kinds)} to {_describe(new_kinds)}")
            return
        by_kind_old = sorted(old_branches, key=_kind)
        by_kind_new = sorted(new_branches, key=_kind)
        for old_branch, new_branch in zip(by_kind_old, by_kind_new, strict=True):
            self.compare_single(old_branch, new_branch, path)

    def compare_single(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        old_kind, new_kind = _kind(old), _kind(new)
        if old_kind != new_kind:
            self.report(path, f"type changed from {old_kind} to {new_kind}")
            return
        if "enum" in old or "enum" in new:
            old_values, new_values = old.get("enum"), new.get("enum")
            if old_values is None or new_values is None:
                self.report(path, "enumeration added or removed")
            else:
                removed = [v for v in old_values if v not in new_values]
                added = [v for v in new_values if v not in old_values]
                if removed:
                    self.report(path, f"enum values removed: {removed}")
                if added:
                    # An older consumer validating against its enum rejects the new value.
                    self.report(path, f"enum values added: {added}")
        for keyword in _CONSTRAINT_KEYWORDS:
            if old.get(keyword) != new.get(keyword):
                self.report(
                    path, f"{keyword} changed from {old.get(keyword)!r} to {new.get(keyword)!r}"
                )
        if old_kind == "object":
            self.compare_objects(old, new, path)
        elif old_kind == "array":
            self.compare_arrays(old, new, path)

    def compare_objects(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        old_props: Mapping[str, Any] = old.get("properties", {})
        new_props: Mapping[str, Any] = new.get("properties", {})
        old_required = set(old.get("required", ()))
        new_required = set(new.get("required", ()))
        for name, old_prop in old_props.items():
            field_path = f"{path}.{name}" if path else name
            if name not in new_props:
                kind = "required" if name in old_required else "optional"
                self.report(field_path, f"{kind} field removed (or renamed)")
                continue
            if name in old_required and name not in new_required:
                self.report(field_path, "required field became optional")
            elif name not in old_required and name in new_required:
                self.report(field_path, "optional field became required")
            self.compare(old_prop, new_props[name], field_path)
        for name in new_props:
            if name not in old_props and name in new_required:
                field_path = f"{path}.{name}" if path else name
                self.report(field_path, "new required field")
        old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
        if isinstance(old_extra, Mapping) and isinstance(new_extra, Mapping):
            self.compare(old_extra, new_extra, f"{path}{{*}}")
        elif isinstance(old_extra, Mapping) != isinstance(new_extra, Mapping):
            self.report(path, "map value schema added or removed")

    def compare_arrays(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        old_items, new_items = old.get("items"), new.get("items")
        if isinstance(old_items, Mapping) and isinstance(new_items, Mapping):
            self.compare(old_items, new_items, f"{path}[]")
        elif (old_items is None) != (new_items is None):
            self.report(path, "array item schema added or removed")
        old_prefix, new_prefix = old.get("prefixItems", []), new.get("prefixItems", [])
        if len(old_prefix) != len(new_prefix):
            self.report(path, "tuple length changed")
        for index, (o, n) in enumerate(zip(old_prefix, new_prefix, strict=False)):
            self.compare(o, n, f"{path}[{index}]")


def _pointer(root: Mapping[str, Any], ref: str) -> dict[str, Any]:
    if not ref.startswith("#"):
        raise ValueError(f"only local $ref are supported, got {ref!r}")
    node: Any = root
    for part in ref.lstrip("#").strip("/").split("/"):
        if not part:
            continue
        node = node[part.replace("~1", "/").replace("~0", "~")]
    if not isinstance(node, Mapping):
        raise ValueError(f"$ref {ref!r} does not point at a schema object")
    return dict(node)


def _kind(node: Mapping[str, Any]) -> str:
    type_ = node.get("type")
    if isinstance(type_, str):
        return type_
    if "properties" in node:
        return "object"
    if "items" in node or "prefixItems" in node:
        return "array"
    if "enum" in node or "const" in node:
        return "enum"
    return "any"


def _describe(kinds: list[str]) -> str:
    return " | ".join(kinds) if kinds else "null"


def compatibility_problems(
    old_schema: Mapping[str, Any], new_schema: Mapping[str, Any]
) -> list[str]:
    """Why data valid under ``old_schema`` and data valid under ``new_schema`` cannot be mixed.

    Empty when the change is compatible (annotations changed, optional fields added). Handles local
    ``$ref`` (``$defs``), nested objects, arrays, maps and ``anyOf``/``oneOf`` (``Optional``).
    """
    comparison = _Comparison(old_schema, new_schema)
    if old_schema.get("x-topic") != new_schema.get("x-topic"):
        comparison.report(
            "(topic)",
            f"moved from {old_schema.get('x-topic')!r} to {new_schema.get('x-topic')!r}",
        )
    comparison.compare(old_schema, new_schema, "")
    return comparison.problems


# -- check and generate ----------------------------------------------------------------------------


def _is_event_schema_file(name: str) -> bool:
    return name.endswith(".json") and name != ENVELOPE_SCHEMA_FILE


def _committed(directory: Path) -> dict[str, str]:
    if not directory.is_dir():
        return {}
    return {path.name: path.read_text(encoding="utf-8") for path in directory.glob("*.json")}


def _breaking_changes(baseline: Mapping[str, str], current: Mapping[str, str]) -> list[str]:
    problems: list[str] = []
    for name, old_text in sorted(baseline.items()):
        label = name.removesuffix(".json")
        if name not in current:
            if _is_event_schema_file(name):
                problems.append(f"{label}: event type removed")
            continue
        for problem in compatibility_problems(json.loads(old_text), json.loads(current[name])):
            problems.append(f"{label}: {problem}")
    return problems


def _stale(committed: Mapping[str, str], current: Mapping[str, str]) -> list[str]:
    problems = []
    for name, text in sorted(current.items()):
        if name not in committed:
            problems.append(f"{name}: missing; {REGENERATE_HINT}")
        elif committed[name] != text:
            problems.append(f"{name}: stale (differs from the models); {REGENERATE_HINT}")
    for name in sorted(set(committed) - set(current)):
        problems.append(f"{name}: no registered contract produces it; {REGENERATE_HINT}")
    return problems


def check(
    directory: Path = SCHEMA_DIR,
    reg: Registry = registry,
    baseline: Mapping[str, str] | None = None,
) -> list[str]:
    """Every problem with the committed schemas: incompatible changes first, then staleness.

    ``baseline`` (file name → text) is what compatibility is judged against; by default the files
    committed in ``directory``.
    """
    current = generated_files(reg)
    committed = _committed(directory)
    return _breaking_changes(committed if baseline is None else baseline, current) + _stale(
        committed, current
    )


def generate(
    directory: Path = SCHEMA_DIR, reg: Registry = registry, *, allow_breaking: bool = False
) -> list[str]:
    """Write the schema files. Refuses (writes nothing, returns the problems) when the models are
    incompatible with the files already there, unless ``allow_breaking``."""
    current = generated_files(reg)
    committed = _committed(directory)
    problems = _breaking_changes(committed, current)
    if problems and not allow_breaking:
        return problems
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in current.items():
        if committed.get(name) != text:
            (directory / name).write_text(text, encoding="utf-8")
    for name in set(committed) - set(current):
        (directory / name).unlink()
    return []


def _git_baseline(ref: str, directory: Path) -> dict[str, str]:
    """The schema files as committed at git ``ref`` (empty if the folder did not exist there)."""

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        # Fixed argv, no shell: the ref is passed as a single argument.
        return subprocess.run(  # noqa: S603
            ["git", *args],  # noqa: S607
            cwd=directory.parent,
            check=False,
            capture_output=True,
            text=True,
        )

    top = git("rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise RuntimeError(f"not in a git repository: {top.stderr.strip()}")
    relative = directory.resolve().relative_to(Path(top.stdout.strip()).resolve()).as_posix()
    listing = git("ls-tree", "--name-only", f"{ref}:{relative}")
    if listing.returncode != 0:
        if git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0:
            raise RuntimeError(f"unknown git ref {ref!r}")
        return {}  # the ref predates the schemas folder: nothing to be compatible with
    files = {}
    for name in listing.stdout.splitlines():
        if name.endswith(".json"):
            files[name] = git("show", f"{ref}:{relative}/{name}").stdout
    return files


def _print_all(lines: list[str]) -> None:
    for line in lines:
        sys.stderr.write(f"  {line}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shop_contracts.schemas",
        description="Generate or check the committed JSON Schemas of the public contracts.",
    )
    parser.add_argument("--dir", type=Path, default=SCHEMA_DIR, help="schema folder")
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("generate", help="write the schema files")
    gen.add_argument(
        "--allow-breaking",
        action="store_true",
        help="overwrite even when the change is incompatible (publish a new version instead!)",
    )
    chk = commands.add_parser("check", help="fail on stale, missing or incompatible schemas")
    chk.add_argument(
        "--against",
        metavar="GIT_REF",
        help="judge compatibility against the schemas committed at this ref (e.g. origin/main)",
    )
    args = parser.parse_args(argv)

    if args.command == "generate":
        problems = generate(args.dir, allow_breaking=args.allow_breaking)
        if problems:
            sys.stderr.write(
                "refusing to overwrite schemas with incompatible changes; publish a new version "
                "of the event beside the old one instead (or pass --allow-breaking):\n"
            )
            _print_all(problems)
            return 1
        sys.stdout.write(f"schemas written to {args.dir}\n")
        return 0

    try:
        baseline = _git_baseline(args.against, args.dir) if args.against else None
    except RuntimeError as exc:
        sys.stderr.write(f"cannot read the baseline schemas: {exc}\n")
        return 2
    problems = check(args.dir, baseline=baseline)
    if problems:
        sys.stderr.write(f"contract schemas: {len(problems)} problem(s)\n")
        _print_all(problems)
        return 1
    sys.stdout.write(f"contract schemas OK ({len(registry)} contracts)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
