"""What every request is held to before a view reads it: size, characters, shape.

PostgreSQL refuses a NUL character in text, and a lone surrogate cannot be
encoded at all: let either reach a query and the answer is a 500 (and on
SQLite, a row that breaks every page showing it). So they are refused at
the door with a 4xx naming the field, as are JSON bodies that are not an
object or are nested absurdly deep. Under /api/ every refusal is JSON, 404s
and 405s included, like the rest of the API.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
)

API = "/api/"
# Deeper than any body the API takes (attributes are one level); deeper is an attack.
MAX_DEPTH = 16
# The largest whole number a database column holds (SQLite and PostgreSQL bigint); a
# larger one overflows in the driver before any validation could name the field.
MAX_INT = 2**63 - 1
# An id in a path longer than this is no row's id.
_HUGE_ID = re.compile(r"/\d{19,}(/|\.|$)")
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

Handler = Callable[[HttpRequest], HttpResponse]


class BodySizeLimit:
    """Refuse over-large API bodies with 413 before anything reads them."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit and length > limit and request.path.startswith(API):
            return JsonResponse(
                {"detail": f"Request body is {length} bytes, over the {limit}-byte limit."},
                status=413,
            )
        return self.get_response(request)


def _bad_text(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None."""
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text (it holds a lone surrogate)"
    return None


def _walk(value: Any, path: tuple[str | int, ...], depth: int) -> Iterator[tuple[tuple, str]]:
    """Every string (keys too) that cannot be stored, with where it is."""
    if depth > MAX_DEPTH:
        yield path, f"is nested deeper than {MAX_DEPTH} levels"
        return
    if isinstance(value, str):
        if (why := _bad_text(value)) is not None:
            yield path, why
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
        yield path, "is out of range"
    elif isinstance(value, dict):
        for key, item in value.items():
            if (why := _bad_text(key)) is not None:
                yield path, f"has a key that {why}"
            yield from _walk(item, (*path, key), depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, (*path, index), depth + 1)


def _refusal(request: HttpRequest, errors: list[dict[str, Any]], status: int = 422) -> HttpResponse:
    if request.path.startswith(API):
        return JsonResponse({"detail": errors}, status=status)
    text = "; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in errors)
    return HttpResponseBadRequest(f"Bad request: {text}. Correct it and try again.")


def _field_error(where: str, path: tuple[Any, ...], message: str) -> dict[str, Any]:
    return {"loc": [where, *path], "msg": message, "type": "value_error"}


class CleanInput:
    """Refuse text no database can store, and API bodies that are not a JSON object.

    A parsed API body is kept on the request (`json_body`) for the API's parser,
    so it is read once.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _HUGE_ID.search(request.path):
            if request.path.startswith(API):
                return JsonResponse({"detail": "Not Found"}, status=404)
            raise Http404("No such object.")
        errors = [
            _field_error("query", (key,), why)
            for key, values in request.GET.lists()
            for why in filter(None, [_bad_text(key), *map(_bad_text, values)])
        ]
        if request.path.startswith(API):
            # No API parameter is a list: a second value would silently win over the first.
            errors += [
                _field_error("query", (key,), "is given more than once; give it once")
                for key, values in request.GET.lists()
                if len(values) > 1
            ]
        if errors:
            return _refusal(request, errors)
        if request.method in WRITES:
            refused = self._body(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    def _body(self, request: HttpRequest) -> HttpResponse | None:
        if request.path.startswith(API) and request.content_type == "application/json":
            if not request.body:
                return None
            try:
                data = json.loads(request.body)
            except (ValueError, UnicodeDecodeError) as exc:
                return JsonResponse(
                    {"detail": f"The body is not valid JSON ({exc}); send one JSON object."},
                    status=400,
                )
            if not isinstance(data, dict):
                error = _field_error("body", (), "must be a JSON object, not a list or a value")
                return _refusal(request, [error])
            errors = [_field_error("body", path, why) for path, why in _walk(data, (), 0)]
            if errors:
                return _refusal(request, errors)
            request.json_body = data  # type: ignore[attr-defined]
            return None
        if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            errors = [
                _field_error("body", (key,), why)
                for key, values in request.POST.lists()
                for why in filter(None, [_bad_text(key), *map(_bad_text, values)])
            ]
            if errors:
                return _refusal(request, errors)
        return None


class ApiErrorsAsJson:
    """A path the API has not, or a method it does not take, answers JSON like the rest."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(API) or response.get("Content-Type", "").startswith(
            "application/json"
        ):
            return response
        if response.status_code == 404:
            return JsonResponse(
                {"detail": f"No API endpoint {request.path}; see /api/v1/docs."}, status=404
            )
        if response.status_code == 405:
            allowed = response.get("Allow", "")
            refused = JsonResponse(
                {"detail": f"{request.method} is not allowed here; allowed: {allowed}."},
                status=405,
            )
            if allowed:
                refused["Allow"] = allowed
            return refused
        return response
