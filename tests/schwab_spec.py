"""Schwab's published OpenAPI specs (tests/shared/schwab/), as checks on requests and responses.

``validate_request(method, path, query)`` checks a request pyTD sends: the path
matches a template of the spec, every parameter is one the operation names,
required ones are there, and values fit their types and enums.
``validate_response(method, path, status, body)`` checks a body against the
operation's response schema (with openapi-schema-validator). Both raise
:class:`SpecError` listing every problem. ``strict=True`` also refuses keys the
spec does not name, except those listed in ``extra_keys`` per schema name (the
schemas an ``allOf`` combines are merged first, so each knows the others' keys).

Where the spec cannot decide by itself: ``QuoteResponseObject`` is a ``oneOf``
without required keys or a discriminator, so every object matches several
branches; the branch is picked by ``assetMainType`` (and ``QuoteError`` for
the ``errors`` entry), as the branches' names intend. Some ``pattern`` values
are Java date formats (``yyyy-MM-dd'T'HH:mm:ssZ``), not regular expressions:
they are dropped.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Set, Tuple
from urllib.parse import unquote

from openapi_schema_validator import OAS30Validator

SHARED = Path(os.environ.get("PYTD_SHARED", Path(__file__).resolve().parent / "shared"))  # copies; see its README
SPECS = {"/marketdata/v1": "marketdata-openapi.json", "/trader/v1": "trader-openapi.json"}
QUOTE_BRANCHES = {"EQUITY": "EquityResponse", "OPTION": "OptionResponse", "FOREX": "ForexResponse",
                  "FUTURE": "FutureResponse", "FUTURE_OPTION": "FutureOptionResponse", "INDEX": "IndexResponse",
                  "MUTUAL_FUND": "MutualFundResponse"}


class SpecError(AssertionError):
    """A request or response that does not fit Schwab's spec."""


@functools.cache
def spec(base: str = "/marketdata/v1") -> Dict[str, Any]:
    with open(SHARED / "schwab" / SPECS[base], encoding="utf-8") as f:
        return json.load(f)


def split(path: str) -> Tuple[str, str]:
    """``("/marketdata/v1", "/quotes")`` for a path with or without its base."""
    for base in SPECS:
        if path.startswith(base + "/"):
            return base, path[len(base):]
    return "/marketdata/v1", path if path.startswith("/") else "/" + path


def operation(method: str, path: str) -> Tuple[str, str, Dict[str, str], Dict[str, Any]]:
    """The spec's ``(base, template, path parameters, operation)`` for a request path or a spec template."""
    base, relative = split(path)
    paths = spec(base)["paths"]
    if relative in paths and method.lower() in paths[relative]:
        return base, relative, {}, paths[relative][method.lower()]
    segments = relative.strip("/").split("/")
    for template in sorted(paths, key=lambda t: t.count("{")):  # literal paths first
        parts = template.strip("/").split("/")
        if len(parts) != len(segments) or method.lower() not in paths[template]:
            continue
        values = {}
        for part, segment in zip(parts, segments):
            if part.startswith("{"):
                values[part[1:-1]] = unquote(segment)
            elif part != segment:
                break
        else:
            return base, template, values, paths[template][method.lower()]
    raise SpecError(f"{method} {path}: no such operation in the spec")


def resolve(base: str, item: Dict[str, Any]) -> Dict[str, Any]:
    while "$ref" in item:
        node: Any = spec(base)
        for key in item["$ref"].lstrip("#/").split("/"):
            node = node[key]
        item = node
    return item


def parameters(base: str, op: Dict[str, Any]) -> Dict[Tuple[str, str], Dict[str, Any]]:
    found = {}
    for item in op.get("parameters", []):
        param = resolve(base, item)
        if param["in"] in ("query", "path"):
            found[(param["in"], param["name"])] = param
    return found


def check_value(name: str, value: str, schema: Dict[str, Any]) -> List[str]:
    """Problems with one parameter's text ``value``."""
    kind = schema.get("type", "string")
    if kind == "array":
        return [p for item in value.split(",") for p in check_value(name, item.strip(), schema.get("items", {}))]
    problems = []
    if kind == "integer" and not re.fullmatch(r"-?\d+", value):
        problems.append(f"{name}={value!r} is not an integer")
    elif kind == "number" and not re.fullmatch(r"-?\d+(\.\d+)?", value):
        problems.append(f"{name}={value!r} is not a number")
    elif kind == "boolean" and value not in ("true", "false"):
        problems.append(f"{name}={value!r} is not true or false")
    enum = [e for e in schema.get("enum", []) if e is not None]
    if enum and value not in [str(e).lower() if isinstance(e, bool) else str(e) for e in enum]:
        problems.append(f"{name}={value!r} is not one of {enum}")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        problems.append(f"{name}={value!r} does not match {schema['pattern']}")
    return problems


def validate_request(method: str, path: str, query: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """Check a request's path template, parameter names, required parameters and values; return the operation."""
    base, template, path_values, op = operation(method, path)
    known = parameters(base, op)
    query = {k: str(v) for k, v in (query or {}).items()}
    problems = [f"unknown parameter {name!r}" for name in query if ("query", name) not in known]
    for (where, name), param in known.items():
        value = path_values.get(name) if where == "path" else query.get(name)
        if value is None:
            if param.get("required"):
                problems.append(f"missing required {where} parameter {name!r}")
            continue
        problems += check_value(name, value, param.get("schema", {}))
    if problems:
        raise SpecError(f"{method} {template}: " + "; ".join(problems))
    return op


@functools.cache
def components(base: str, strict: bool, extra: Tuple[Tuple[str, Tuple[str, ...]], ...]) -> Dict[str, Any]:
    """The spec's components; when strict, object schemas refuse keys they do not name (but ``extra``)."""
    found = copy.deepcopy(spec(base)["components"])
    for node in walk(found):
        if "yyyy" in str(node.get("pattern", "")):
            del node["pattern"]
    if strict:
        for node in list(walk(found)):
            flatten_all_of(node, found)
        allowed = dict(extra)
        for name, schema in found["schemas"].items():
            for node in walk(schema):
                if "properties" in node and "additionalProperties" not in node:
                    node["additionalProperties"] = False
            if name in allowed and "properties" in schema:
                schema["properties"].update({key: {} for key in allowed[name]})
    return found


def flatten_all_of(node: Dict[str, Any], comps: Dict[str, Any]) -> None:
    """Merge the schemas of an ``allOf`` into the node (the trader spec's accounts, instruments), so that a
    strict node knows every key its parts name instead of each part refusing the others'."""
    parts = node.pop("allOf", None)
    if not parts:
        return
    for part in parts:
        while "$ref" in part:
            part = comps["schemas"][part["$ref"].rsplit("/", 1)[1]]
        flatten_all_of(part, comps)
        node.setdefault("properties", {}).update({k: v for k, v in part.get("properties", {}).items()
                                                  if k not in node["properties"]})
        node["required"] = sorted(set(node.get("required", [])) | set(part.get("required", [])))
        node.setdefault("type", part.get("type", "object"))
        if not node["required"]:
            del node["required"]


def walk(node: Any) -> Iterable[Dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def validate_response(method: str, path: str, status: int, body: Any, *, strict: bool = False,
                      extra_keys: Optional[Mapping[str, Iterable[str]]] = None) -> None:
    """Check ``body`` against the ``status`` response schema of ``method path`` (a request path or a template)."""
    base, template, _, op = operation(method, path)
    responses = op.get("responses", {})
    if str(status) not in responses:
        raise SpecError(f"{method} {template}: the spec names no {status} response")
    content = resolve(base, responses[str(status)]).get("content", {}).get("application/json", {})
    if "schema" not in content:
        raise SpecError(f"{method} {template} {status}: the spec gives no JSON schema")
    extra = tuple(sorted((name, tuple(sorted(keys))) for name, keys in (extra_keys or {}).items()))
    comps = components(base, strict, extra)
    problems = []
    if template in ("/quotes", "/{symbol_id}/quotes") and status == 200 and isinstance(body, dict):
        for key, item in body.items():  # the oneOf, decided by assetMainType
            branch = "QuoteError" if key == "errors" else QUOTE_BRANCHES.get(str(item.get("assetMainType")), "")
            problems += errors({"$ref": f"#/components/schemas/{branch}"} if branch else {"not": {}}, item, comps,
                               f"[{key!r}]")
    else:
        problems = errors(content["schema"], body, comps, "")
    if problems:
        raise SpecError(f"{method} {template} {status}: " + "; ".join(problems[:20]))


Exceptions = Mapping[str, Tuple[str, Mapping[str, Iterable[str]], Any]]


def validate_with(exceptions: Exceptions, method: str, path: str, status: int, body: Any,
                  skip: Iterable[str] = ()) -> None:
    """Validate strictly, with every exception but those named in ``skip``. An exception is ``name: (why,
    extra keys per schema name, a patch(template, body) returning the body to check, or None)``: where the
    recordings (or Schwab's contract) win over the spec."""
    _, template, _, _ = operation(method, path)
    body = copy.deepcopy(body)
    extra: Dict[str, Set[str]] = {}
    for name, (_, keys, patch) in exceptions.items():
        if name in skip:
            continue
        for schema, names in keys.items():
            extra.setdefault(schema, set()).update(names)
        if patch is not None:
            body = patch(template, body)
    validate_response(method, path, status, body, strict=True, extra_keys=extra)


def errors(schema: Dict[str, Any], body: Any, comps: Dict[str, Any], where: str) -> List[str]:
    validator = OAS30Validator({**schema, "components": comps})
    return [f"{where}{''.join(f'[{p!r}]' for p in e.absolute_path)}: {e.message[:200]}"
            for e in validator.iter_errors(body)]


def schema_names(base: str = "/marketdata/v1") -> Set[str]:
    return set(spec(base)["components"]["schemas"])
