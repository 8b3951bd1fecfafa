"""Domain errors and their HTTP status, mapped in one place (`install_error_handlers`)."""
import logging
import re

import psycopg
import psycopg.errors
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import exc as sa
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("app.errors")


class AppError(Exception):
    """Root of every error a service raises; `status` picks the HTTP code, `message` is Korean."""

    status = 400
    keeps_writes = False  # True: what the operation recorded before raising is committed all the same
    code: str | None = None  # a machine-readable reason beside the Korean message, when a client must act on it

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def body(self) -> dict:
        """The JSON answer: the Korean `detail`, and `code` when the error has one."""
        return {"detail": self.message} | ({"code": self.code} if self.code else {})


class NotFound(AppError):
    """Missing or outside the caller's scope; under /api/v1 both answer 404 with an empty body."""

    status = 404
    empty_body = True

    def __init__(self, message: str = "찾을 수 없습니다."):
        super().__init__(message)


class Forbidden(AppError):
    status = 403

    def __init__(self, message: str = "권한이 없습니다."):
        super().__init__(message)


class Unauthorized(AppError):
    status = 401

    def __init__(self, message: str = "로그인이 필요합니다."):
        super().__init__(message)


class Conflict(AppError):
    status = 409


class InvalidInput(AppError):
    status = 422


class PayloadTooLarge(AppError):
    status = 413

    def __init__(self, message: str = "요청 본문이 너무 큽니다."):
        super().__init__(message)


# Pydantic error types → Korean sentences; the field path is prefixed.
_KOREAN_VALIDATION = {
    "missing": "필수 항목입니다",
    "extra_forbidden": "알 수 없는 항목입니다",
    "string_too_short": "너무 짧습니다",
    "string_too_long": "너무 깁니다",
    "int_parsing": "정수여야 합니다",
    "float_parsing": "숫자여야 합니다",
    "finite_number": "유한한 숫자여야 합니다 (NaN/Infinity 불가)",
    "greater_than_equal": "값이 너무 작습니다",
    "less_than_equal": "값이 너무 큽니다",
    "greater_than": "값이 너무 작습니다",
    "less_than": "값이 너무 큽니다",
    "literal_error": "허용되지 않는 값입니다",
    "enum": "허용되지 않는 값입니다",
    "bool_parsing": "참/거짓 값이어야 합니다",
    "datetime_parsing": "날짜·시각 형식이 올바르지 않습니다",
    "datetime_from_date_parsing": "날짜·시각 형식이 올바르지 않습니다",
    "date_parsing": "날짜 형식이 올바르지 않습니다",
    "date_from_datetime_parsing": "날짜 형식이 올바르지 않습니다",
    "date_from_datetime_inexact": "날짜 형식이 올바르지 않습니다 (YYYY-MM-DD)",
    "json_invalid": "JSON 형식이 올바르지 않습니다",
    "model_attributes_type": "객체여야 합니다",
    "dict_type": "객체여야 합니다",
    "list_type": "목록이어야 합니다",
    "string_type": "문자열이어야 합니다",
    "int_type": "정수여야 합니다",
    "float_type": "숫자여야 합니다",
    "bool_type": "참/거짓 값이어야 합니다",
    "int_from_float": "정수여야 합니다",
    "too_long": "항목이 너무 많습니다",
    "too_short": "항목이 너무 적습니다",
    "string_pattern_mismatch": "형식이 올바르지 않습니다",
}


def korean_validation_message(error: dict) -> str:
    """One Korean sentence for one pydantic error."""
    loc = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header"))
    kind = error.get("type", "")
    if kind == "value_error":
        text = str(error.get("ctx", {}).get("error", error.get("msg", "")))
    else:
        text = _KOREAN_VALIDATION.get(kind, "값이 올바르지 않습니다")
    return f"{loc}: {text}" if loc else text


DATABASE_UNAVAILABLE = "데이터베이스에 잠시 연결할 수 없습니다. 잠시 후 다시 시도하세요."
RETRY_AFTER_SECONDS = 5


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether a database error means 'not reachable right now' rather than a fault of the request or the code:
    refused or lost connections, shutdown and start-up, a full pool, a serialization failure or deadlock."""
    if isinstance(exc, sa.TimeoutError | sa.InterfaceError | psycopg.OperationalError | psycopg.InterfaceError):
        return True
    if isinstance(exc, sa.DBAPIError):
        return exc.connection_invalidated or isinstance(exc.orig, psycopg.OperationalError | psycopg.InterfaceError)
    # A session whose connection died mid-transaction refuses further use until it is rolled back.
    return isinstance(exc, sa.PendingRollbackError)


RETRY_FLAG = "happymap.retry_transaction"  # set in the ASGI scope: the request may run once more


def lost_a_race(exc: BaseException) -> bool:
    """A serialization failure or deadlock: PostgreSQL rolled the transaction back, nothing was committed."""
    cause = getattr(exc, "orig", None) or exc
    return isinstance(cause, psycopg.errors.SerializationFailure | psycopg.errors.DeadlockDetected)


def database_unavailable_response(exc: BaseException) -> JSONResponse:
    cause = getattr(exc, "orig", None) or exc
    log.warning("database unavailable: %s.%s", type(cause).__module__, type(cause).__name__)  # one line, no trace
    return JSONResponse({"detail": DATABASE_UNAVAILABLE}, status_code=503,
                        headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


API_PREFIX = "/api/v1"
# Inputs never echoed back in an error (nor logged): identifiers and secrets.
SECRET_FIELDS = frozenset({"rrn", "password", "api_key", "key", "token"})


def _is_api(request: Request) -> bool:
    return request.url.path == API_PREFIX or request.url.path.startswith(API_PREFIX + "/")


def _safe_input(value, loc=()):
    """Echo of the offending value, kept JSON-safe (NaN and bytes cannot be serialised) and never a secret."""
    if any(str(part) in SECRET_FIELDS for part in loc):
        return None
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _encodable(value):
    """The value with every string made UTF-8-safe: a lone surrogate from the input (a field name, say)
    shows as U+FFFD instead of breaking the answer."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_encodable(k): _encodable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encodable(v) for v in value]
    return value


def install_error_handlers(app: FastAPI) -> None:
    """Map domain and validation errors to JSON answers with Korean messages."""

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError):
        if exc.status == 404 and getattr(exc, "empty_body", False) and _is_api(request):
            return Response(status_code=404)
        headers = ({"WWW-Authenticate": "Bearer"} if exc.status == 401
                   else {"Retry-After": str(RETRY_AFTER_SECONDS)} if exc.status == 503 else None)
        return JSONResponse(jsonable_encoder(exc.body()), status_code=exc.status, headers=headers)

    async def _database(request: Request, exc: Exception):
        if not is_database_unavailable(exc):
            raise exc  # a real fault: the server error handler answers 500 and logs it
        if lost_a_race(exc):
            request.scope[RETRY_FLAG] = True  # RetryOnceMiddleware runs the request again, once
        return database_unavailable_response(exc)

    for kind in (sa.DBAPIError, sa.TimeoutError, sa.PendingRollbackError, psycopg.Error):
        app.add_exception_handler(kind, _database)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        details = [
            {"loc": list(e.get("loc", ())), "msg": korean_validation_message(e), "type": e.get("type"),
             "input": _safe_input(e.get("input"), e.get("loc", ()))}
            for e in errors
        ]
        message = "입력값이 올바르지 않습니다: " + "; ".join(d["msg"] for d in details)
        return JSONResponse(_encodable({"detail": message, "errors": details}), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 404 and _is_api(request):
            return Response(status_code=404)  # no route and no record look the same
        korean = {400: "요청 본문을 해석할 수 없습니다. JSON 형식과 UTF-8 인코딩을 확인하세요.",
                  404: "찾을 수 없습니다.", 405: "허용되지 않는 메서드입니다.", 401: "로그인이 필요합니다.",
                  403: "권한이 없습니다.", 413: "요청 본문이 너무 큽니다.", 415: "지원하지 않는 본문 형식입니다."}
        detail = exc.detail if isinstance(exc.detail, str) and not exc.detail.isascii() else korean.get(
            exc.status_code, exc.detail)
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None))
