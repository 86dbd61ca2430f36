"""The OpenAPI 3.1 document, built from the declared operations and their pydantic models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from maillon.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from maillon.api.idempotency import Reply
from maillon.api.registry import OPERATIONS, Operation, operation
from maillon.api.schemas import Error

REF = "#/components/schemas/{model}"
PARAM_TYPES = {"int": {"type": "integer"}, "string": {"type": "string"}}
ERROR_REF = {"$ref": REF.format(model="Error")}


def _models(operations: list[Operation]) -> list[type[BaseModel]]:
    models: dict[str, type[BaseModel]] = {"Error": Error}
    for op in operations:
        if op.body is not None:
            models[op.body.__name__] = op.body
        for doc in op.responses.values():
            if isinstance(doc, tuple) and doc[1] is not None:
                models[doc[1].__name__] = doc[1]
    return list(models.values())


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _responses(op: Operation) -> dict[str, Any]:
    docs: dict[int, Any] = dict(op.responses)
    if op.body is not None:
        docs.setdefault(400, "invalid_json: the body is not a JSON object")
        docs.setdefault(422, "validation_failed, with fields")
    if op.auth:
        docs.setdefault(401, "unauthorized: no valid token for this instance")
    if op.idempotent:
        for status, code in ((409, "idempotency_in_progress"), (422, "idempotency_key_reused")):
            previous = docs.get(status)
            docs[status] = f"{previous if isinstance(previous, str) else 'Error'}; {code}"
    out: dict[str, Any] = {}
    for status, doc in sorted(docs.items()):
        description, model = doc if isinstance(doc, tuple) else (doc, None)
        entry: dict[str, Any] = {"description": description}
        if model is not None:
            entry["content"] = _json({"$ref": REF.format(model=model.__name__)})
        elif status >= 400:
            entry["content"] = _json(ERROR_REF)
        out[str(status)] = entry
    return out


def _operation(op: Operation) -> dict[str, Any]:
    entry: dict[str, Any] = {"operationId": op.endpoint.removeprefix("api."),
                             "summary": op.summary, "responses": _responses(op)}
    if op.description:
        entry["description"] = op.description
    if op.tag:
        entry["tags"] = [op.tag]
    entry["security"] = [{"bearer": []}] if op.auth else []
    params = [{"name": name, "in": "path", "required": True,
               "schema": PARAM_TYPES.get(conv, {"type": "string"})}
              for name, conv in op.params.items()]
    if op.idempotent:
        params.append({"name": IDEMPOTENCY_HEADER, "in": "header", "required": False,
                       "description": "A repeat with the same key and body replays the first "
                       "answer and changes nothing.",
                       "schema": {"type": "string", "maxLength": 255}})
    if params:
        entry["parameters"] = params
    if op.body is not None:
        entry["requestBody"] = {"required": True,
                                "content": _json({"$ref": REF.format(model=op.body.__name__)})}
    return entry


def build_document(operations: list[Operation] | None = None) -> dict[str, Any]:
    """The whole document; every declared operation appears under its path and method."""
    operations = OPERATIONS if operations is None else operations
    _, schemas = models_json_schema([(m, "validation") for m in _models(operations)],
                                    ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Maillon API", "version": "1",
                 "description": "Every path is relative to an instance, chosen by the Host "
                 "header or a /i/<slug> prefix. Errors answer {\"error\": {\"code\", "
                 "\"message\", \"fields\"?}}."},
        "paths": paths,
        "components": {"schemas": schemas.get("$defs", {}),
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                      "description": "A token from POST "
                                                      "/api/v1/tokens, valid on its instance."}}},
    }


@operation("GET", "/openapi.json", summary="This OpenAPI document", auth=False, tag="meta",
           responses={200: "OpenAPI 3.1 document"})
def openapi_document() -> Reply:
    return build_document(), 200
