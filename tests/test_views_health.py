"""``/healthz`` (DESIGN §11.9): database and cache reachable → 200, otherwise 503; no login."""

import pytest
from django.core.cache import cache
from django.db import connection

pytestmark = pytest.mark.django_db


def test_healthy(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok"}


def test_cache_down_is_503(client, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache server gone")

    monkeypatch.setattr(cache, "set", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "cache": "error"}


def test_database_down_is_503(client, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("database gone")

    monkeypatch.setattr(connection, "cursor", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "error"
