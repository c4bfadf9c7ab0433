"""The rules of Redocly CLI's recommended set that the OpenAPI description once broke, held here in Python
too, so that they hold where node is not installed (`make test` also runs Redocly itself: `make
openapi-lint`). Each is Redocly's rule of the same name: servers present, a security on every operation,
no `nullable` without a `type`, examples valid against their schemas, no two paths that one request
could match."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from itertools import combinations
from typing import Any

import pytest
from jsonschema import Draft4Validator, FormatChecker

pytestmark = pytest.mark.django_db

_METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")
# What the linter (ajv's formats) takes for a URI: a scheme, then no space, quote or angle bracket.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s\"<>\\^`{|}]*")
FORMATS = FormatChecker()
FORMATS.checks("uri")(lambda value: not isinstance(value, str) or _URI.fullmatch(value) is not None)


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        return APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()


def _operations(schema) -> Iterator[tuple[str, dict]]:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in _METHODS:
                yield f"{method.upper()} {path}", operation


def _nodes(node: Any, where: str) -> Iterator[tuple[str, dict]]:
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from _nodes(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _nodes(value, f"{where}/{index}")


def test_no_empty_servers(schema):
    assert schema.get("servers")


def test_security_defined(schema):
    assert "security" in schema or all("security" in operation for _, operation in _operations(schema))


def test_nullable_type_sibling(schema):
    assert [
        where for where, node in _nodes(schema, "#") if node.get("nullable") is True and "type" not in node
    ] == []


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0's schema dialect as JSON Schema draft 4: `nullable` becomes a null alternative."""
    if isinstance(node, list):
        return [_json_schema(value) for value in node]
    if not isinstance(node, dict):
        return node
    converted = {
        key: _json_schema(value) for key, value in node.items() if key not in ("nullable", "example")
    }
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def _examples(schema) -> Iterator[tuple[str, Any, dict]]:
    """(where, example, the schema it must match) for every example: of a property or a whole schema, and
    of each request and response body."""
    for where, node in _nodes(schema["components"], "#/components"):
        if "example" in node and ("type" in node or "$ref" in node or "allOf" in node):
            yield where, node["example"], node
    for label, operation in _operations(schema):
        bodies = [("request", operation.get("requestBody", {}))]
        bodies += [(status, response) for status, response in operation["responses"].items()]
        for part, body in bodies:
            for media_type, content in body.get("content", {}).items():
                found = [content["example"]] if "example" in content else []
                found += [example["value"] for example in content.get("examples", {}).values()]
                for example in found:
                    yield f"{label} {part} {media_type}", example, content["schema"]


def test_no_invalid_examples(schema):
    components = _json_schema(copy.deepcopy(schema["components"]))
    invalid = []
    examples = list(_examples(schema))
    for where, example, against in examples:
        validator = Draft4Validator(
            {**_json_schema(against), "components": components}, format_checker=FORMATS
        )
        invalid += [f"{where}: {error.message}" for error in validator.iter_errors(example)]

    assert len(examples) > 10
    assert invalid == []


def _ambiguous(first: str, second: str) -> bool:
    """Redocly's no-ambiguous-paths: as many parameters in each, and the same text wherever both have
    text, so that some request matches both (`/a/{x}/b` and `/a/c/{y}`)."""
    first_parts, second_parts = first.split("/"), second.split("/")
    if len(first_parts) != len(second_parts):
        return False
    parameter = re.compile(r"^\{.+?\}$")
    counts = [0, 0]
    for one, other in zip(first_parts, second_parts, strict=True):
        one_is, other_is = bool(parameter.match(one)), bool(parameter.match(other))
        counts[0] += one_is
        counts[1] += other_is
        if not one_is and not other_is and one != other:
            return False
    return counts[0] == counts[1]


def test_no_ambiguous_paths(schema):
    assert _ambiguous("/api/v1/imports/{job_id}/cancel", "/api/v1/imports/examples/{kind}")
    assert not _ambiguous("/api/v1/agency/persons/{person_id}", "/api/v1/agency/persons/lookup")

    pairs = [
        (first, second) for first, second in combinations(schema["paths"], 2) if _ambiguous(first, second)
    ]

    assert pairs == []
