"""The OpenAPI document the interactive docs read: valid JSON without duplicated keys."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client


def test_openapi_json_has_no_duplicated_keys() -> None:
    """Swagger UI refuses a document with one key twice and shows no operation at all."""
    duplicated: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in items]
        duplicated.extend(key for key in set(keys) if keys.count(key) > 1)
        return dict(items)

    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    json.loads(response.content, object_pairs_hook=pairs)
    assert duplicated == []
