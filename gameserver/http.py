"""What every HTTP API view shares: the shape of an error answer, and the middleware that
gives every error under ``/api/`` that shape (protocol.md, "Leaderboards and players").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import sync_and_async_middleware

API_PREFIX = "/api/"

# The code an error answer carries when the view that refused gave none of its own.
STATUS_CODES = {
    400: "invalid",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    429: "rate_limited",
    500: "internal",
}


def problem(status: int, code: str, message: str) -> JsonResponse:
    """An error answer: the HTTP status with ``{"error": code, "message": message}``."""
    return JsonResponse({"error": code, "message": message}, status=status)


def generic_message(request: HttpRequest, response: HttpResponse) -> str:
    status = response.status_code
    if status == 404:
        return f"nothing at {request.path}"
    if status == 405:
        allowed = response.headers.get("Allow")
        return f"{request.method} is not allowed here" + (f" (only {allowed})" if allowed else "")
    if status == 403:
        return "forbidden"
    if status >= 500:
        return "server error"
    return response.reason_phrase.lower()


def as_api_error(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """``response`` itself, unless it is an error under ``/api/`` that is not JSON yet."""
    if not request.path.startswith(API_PREFIX) or response.status_code < 400:
        return response
    if response.headers.get("Content-Type", "").startswith("application/json"):
        return response
    status = response.status_code
    answer = problem(status, STATUS_CODES.get(status, "error"), generic_message(request, response))
    if "Allow" in response.headers:
        answer["Allow"] = response.headers["Allow"]
    return answer


@sync_and_async_middleware
def api_errors(get_response: Callable[[HttpRequest], Any]) -> Callable[[HttpRequest], Any]:
    """Turns any error answer under ``/api/`` that is not already JSON (Django's 404 and
    405 pages, a CSRF refusal, a server error) into the API's JSON error, for every path
    and method. Sync and async alike, so it costs no thread hop under ASGI.
    """
    if iscoroutinefunction(get_response):

        async def middleware(request: HttpRequest) -> HttpResponse:
            return as_api_error(request, await get_response(request))

        return middleware

    def sync_middleware(request: HttpRequest) -> HttpResponse:
        return as_api_error(request, get_response(request))

    return sync_middleware
