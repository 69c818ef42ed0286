"""The AsyncAPI 3.0 document of the platform's topics, generated from the registry.

``python -m shop_contracts.asyncapi [generate]`` writes ``libs/contracts/asyncapi.json``;
``python -m shop_contracts.asyncapi check`` fails when the committed document is stale. JSON rather
than YAML keeps the package free of a YAML dependency; AsyncAPI tools read both.

Every topic is a channel whose messages are the registered events of that topic; a message's
payload is the envelope (``schemas/envelope.json``) whose ``payload`` is the event's generated
schema (``schemas/<event_type>.v<version>.json``). The Kafka key is the aggregate id. Each DLQ is a
channel carrying the same messages.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from shop_contracts.envelope import HEADER_FIELDS, Envelope
from shop_contracts.registry import ContractSpec, Registry, registry
from shop_contracts.schemas import ENVELOPE_SCHEMA_FILE, REGENERATE_HINT, SCHEMA_DIR, render
from shop_contracts.topics import DLQ_HEADERS, Topic, event_topics

__all__ = ["ASYNCAPI_FILE", "asyncapi_document", "check", "generate"]

ASYNCAPI_FILE = SCHEMA_DIR.parent / "asyncapi.json"
_SCHEMAS_REF = f"./{SCHEMA_DIR.name}"
_KAFKA_BINDING_VERSION = "0.5.0"


def _id(name: str) -> str:
    # AsyncAPI 3 channel, operation and component keys allow [A-Za-z0-9_-] only.
    return name.replace(".", "_")


def _message_id(spec: ContractSpec) -> str:
    return _id(spec.schema_name)


def _headers_schema() -> dict[str, Any]:
    required = {
        name
        for name, field in Envelope.model_fields.items()
        if name in HEADER_FIELDS and field.is_required()
    }
    return {
        "type": "object",
        "description": "The scalar envelope fields mirrored as Kafka headers (UTF-8 text); "
        "a field that is null in the envelope has no header.",
        "properties": {name: {"type": "string"} for name in HEADER_FIELDS},
        "required": sorted(required),
    }


def _message(spec: ContractSpec) -> dict[str, Any]:
    return {
        "name": spec.event_type,
        "title": f"{spec.model.__name__} v{spec.version}",
        "summary": spec.summary,
        "contentType": "application/json",
        "headers": {"$ref": "#/components/schemas/KafkaHeaders"},
        "payload": {
            "allOf": [
                {"$ref": f"{_SCHEMAS_REF}/{ENVELOPE_SCHEMA_FILE}"},
                {
                    "type": "object",
                    "properties": {
                        "event_type": {"const": spec.event_type},
                        "event_version": {"const": spec.version},
                        "payload": {"$ref": f"{_SCHEMAS_REF}/{spec.schema_name}.json"},
                    },
                },
            ]
        },
        "bindings": {
            "kafka": {
                "key": {
                    "type": "string",
                    "format": "uuid",
                    "description": "The aggregate id: one aggregate's events stay in order",
                },
                "bindingVersion": _KAFKA_BINDING_VERSION,
            }
        },
    }


def _channel(topic: Topic, specs: list[ContractSpec], description: str) -> dict[str, Any]:
    return {
        "address": topic.name,
        "description": description,
        "messages": {
            _message_id(spec): {"$ref": f"#/components/messages/{_message_id(spec)}"}
            for spec in specs
        },
        "bindings": {
            "kafka": {
                "topic": topic.name,
                "partitions": topic.partitions,
                "bindingVersion": _KAFKA_BINDING_VERSION,
            }
        },
    }


def asyncapi_document(reg: Registry = registry) -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic in event_topics():
        specs = reg.for_topic(topic)
        channels[_id(topic.name)] = _channel(
            topic, specs, f"Public events published by the {topic.service} service."
        )
        channels[_id(topic.dlq.name)] = _channel(
            topic.dlq,
            specs,
            f"Dead letters of {topic.name}: records a consumer gave up on after its retries, "
            "with the original key, value and headers plus the headers "
            + ", ".join(DLQ_HEADERS)
            + ".",
        )
        operations[_id(f"publish.{topic.name}")] = {
            "action": "send",
            "summary": f"{topic.service} publishes to {topic.name}",
            "channel": {"$ref": f"#/channels/{_id(topic.name)}"},
            "messages": [
                {"$ref": f"#/channels/{_id(topic.name)}/messages/{_message_id(spec)}"}
                for spec in specs
            ],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Shop platform public events",
            "version": "1.0.0",
            "description": "Every Kafka topic of the platform and the events on it. Generated "
            "from shop_contracts; do not edit by hand.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": {"KafkaHeaders": _headers_schema()},
            "messages": {_message_id(spec): _message(spec) for spec in reg.all()},
        },
    }


def generate(path: Path = ASYNCAPI_FILE, reg: Registry = registry) -> None:
    text = render(asyncapi_document(reg))
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def check(path: Path = ASYNCAPI_FILE, reg: Registry = registry) -> list[str]:
    if not path.exists():
        return [f"{path.name}: missing; {REGENERATE_HINT}"]
    if path.read_text(encoding="utf-8") != render(asyncapi_document(reg)):
        return [f"{path.name}: stale (differs from the registry); {REGENERATE_HINT}"]
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shop_contracts.asyncapi",
        description="Generate (default) or check the AsyncAPI document of every topic.",
    )
    parser.add_argument("command", nargs="?", choices=("generate", "check"), default="generate")
    parser.add_argument("--output", type=Path, default=ASYNCAPI_FILE)
    args = parser.parse_args(argv)
    if args.command == "generate":
        generate(args.output)
        sys.stdout.write(f"AsyncAPI document written to {args.output}\n")
        return 0
    problems = check(args.output)
    for problem in problems:
        sys.stderr.write(f"  {problem}\n")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
