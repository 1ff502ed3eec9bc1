"""``/healthz`` (DESIGN §11.9): the load balancer's and monitoring's probe, no login.

200 ``{"database": "ok", "cache": "ok"}`` when both answer, 503 with ``"error"`` for the failing one.
"""

import logging
import uuid

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure means "not reachable"; the cause goes to the log, not to the caller
        logger.exception("Health check: database unreachable")
        return "error"
    return "ok"


def _cache() -> str:
    key = f"healthz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", timeout=10)
        ok = cache.get(key) == "1"
        cache.delete(key)
    except Exception:  # as above
        logger.exception("Health check: cache unreachable")
        return "error"
    return "ok" if ok else "error"


@never_cache
@require_GET
def healthz(request):
    checks = {"database": _database(), "cache": _cache()}
    status = 200 if all(value == "ok" for value in checks.values()) else 503
    return JsonResponse(checks, status=status)
