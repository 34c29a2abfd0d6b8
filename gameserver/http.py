"""What every HTTP API view shares: the shape of an error answer."""

from __future__ import annotations

from django.http import JsonResponse


def problem(status: int, code: str, message: str) -> JsonResponse:
    """An error answer: the HTTP status with a JSON body naming the error."""
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)
