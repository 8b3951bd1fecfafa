"""The OpenAPI document says what the API really answers: Korean errors, empty 404s, 401/403/409/413/503."""
from typing import Any

from fastapi import FastAPI

ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"type": "string", "description": "한국어 오류 메시지"}},
}
VALIDATION_SCHEMA = {
    "title": "KoreanValidationError",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string", "description": "한국어 오류 메시지"},
        "errors": {"type": "array", "items": {
            "type": "object",
            "properties": {"loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                           "msg": {"type": "string"}, "type": {"type": "string"}, "input": {}},
        }},
    },
}
_ERR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
COMMON = {
    "401": {"description": "로그인이 필요하거나 세션이 끝났습니다", "content": _ERR},
    "403": {"description": "권한이 없습니다 (역할·권한표)", "content": _ERR},
    "404": {"description": "없거나 담당 구역 밖의 기록 (본문 없음)"},
    "413": {"description": "요청 본문이 너무 큽니다", "content": _ERR},
    "422": {"description": "입력값 오류 (한국어 메시지)",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/KoreanValidationError"}}}},
    "503": {"description": "접속기록을 남길 수 없어 개인정보를 제공하지 않습니다", "content": _ERR},
}
WRITE_EXTRA = {"409": {"description": "다른 사용자가 먼저 수정했거나 상태가 맞지 않습니다", "content": _ERR}}
BODY_EXTRA = {"400": {"description": "본문을 해석할 수 없습니다 (JSON·UTF-8)", "content": _ERR}}
PUBLIC_API = {"/api/v1/auth/token"}


def _patch(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    components["KoreanValidationError"] = VALIDATION_SCHEMA
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    for path, item in schema.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            for operation in item.values():  # the shared handler answers validation errors everywhere
                responses = operation.get("responses", {}) if isinstance(operation, dict) else {}
                if "HTTPValidationError" in str(responses.get("422", "")):
                    responses["422"] = COMMON["422"]
            continue
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            wanted = dict(COMMON)
            if path in PUBLIC_API:
                wanted = {k: v for k, v in COMMON.items() if k in ("401", "413", "422")}
            if method in ("post", "patch", "put", "delete"):
                wanted |= WRITE_EXTRA
            if "requestBody" in operation:
                wanted |= BODY_EXTRA
            for code, response in wanted.items():
                if code == "422" and code in responses and "HTTPValidationError" not in str(responses[code]):
                    responses[code] = _either(responses[code], response)  # a route's own 422 body, or ours
                elif code in ("404", "422") or code not in responses:
                    responses[code] = response
    return schema


def _either(own: dict, ours: dict) -> dict:
    own_schema = own.get("content", {}).get("application/json", {}).get("schema")
    if own_schema is None:
        return ours
    both = {"anyOf": [own_schema, ours["content"]["application/json"]["schema"]]}
    return {**own, "content": {"application/json": {"schema": both}}}


def install_openapi(app: FastAPI) -> None:
    """Wrap app.openapi so the generated document (cached by FastAPI) gets the shared error answers once."""
    generate = app.openapi
    patched: set[int] = set()

    def openapi() -> dict[str, Any]:
        schema = generate()
        if id(schema) not in patched:
            _patch(schema)
            patched.add(id(schema))
        return schema

    app.openapi = openapi
