"""Validate a JSON body against a response schema of the official X API v2 OpenAPI document.

The spec is OpenAPI 3.0, whose schema dialect is closest to JSON Schema draft 4; `$ref`s resolve
inside the spec document through a referencing Registry.
"""
from __future__ import annotations

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SPEC_URI = "urn:x-api-v2:openapi"


def response_validator(spec: dict, path: str, method: str, status: int,
                       content_type: str = "application/json") -> Draft4Validator:
    responses = spec["paths"][path][method]["responses"]
    response = responses.get(str(status)) or responses["default"]
    schema_ref = response["content"][content_type]["schema"]["$ref"]
    return schema_validator(spec, schema_ref.rsplit("/", 1)[-1])


def schema_validator(spec: dict, component: str) -> Draft4Validator:
    registry = Registry().with_resource(SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT4))
    return Draft4Validator({"$ref": f"{SPEC_URI}#/components/schemas/{component}"}, registry=registry)


def schema_errors(validator: Draft4Validator, body: dict) -> list[str]:
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(body)]
