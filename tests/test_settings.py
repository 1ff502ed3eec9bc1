"""Production settings pass Django's deployment checks (DESIGN §9.3)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection


def test_production_settings_pass_check_deploy():
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process; a deployment never has it.
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_DEBUG": "0",
        "DJANGO_SECURE": "1",
        "DJANGO_SECRET_KEY": "x" * 20 + "production-secret-key-with-enough-entropy-0123456789",
        "DJANGO_ALLOWED_HOSTS": "crm.example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def _django(code: str, **env_vars) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh Python with Django set up from the given environment (no pytest loaded)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DJANGO_") and k not in {"DATABASE_URL", "PYTEST_CURRENT_TEST"}
    }
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": "sqlite:////tmp/crm-unused.sqlite3"})
    env.update(env_vars)
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


SERVE = "import config.wsgi, config.asgi; print('started')"


def test_refuses_to_start_with_debug_off_and_no_secret_key():
    result = _django(SERVE, DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "DJANGO_SECRET_KEY" in result.stderr
    assert _django(SERVE, DJANGO_DEBUG="1").stdout.strip() == "started"
    assert _django(SERVE, DJANGO_DEBUG="0", DJANGO_SECRET_KEY="k" * 50).stdout.strip() == "started"


def test_the_served_process_freezes_what_it_loaded_and_collects_young_objects_less_often():
    # A separate interpreter: the wsgi module tunes the collector of the process that imports it.
    show = "import gc, config.wsgi; print(gc.get_threshold(), gc.get_freeze_count() > 10000)"
    result = _django(show, DJANGO_DEBUG="1")
    assert result.stdout.strip() == "(10000, 10, 10) True", result.stderr
    assert _django("import gc; print(gc.get_threshold())", DJANGO_DEBUG="1").stdout.strip() == "(700, 10, 10)"


def test_management_commands_run_without_a_key_and_check_deploy_names_the_development_key():
    # makemigrations, check, migrate: nothing is served, so nothing can be forged with the development key.
    assert _django("print('started')", DJANGO_DEBUG="0").stdout.strip() == "started"
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=Path(__file__).resolve().parent.parent,
        env={k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")} | {"DJANGO_DEBUG": "0"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "security.W009" in result.stdout + result.stderr


def test_the_cache_is_shared_database_by_default_and_redis_by_url():
    show = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    assert _django(show, DJANGO_DEBUG="1").stdout.strip() == "django.core.cache.backends.db.DatabaseCache"
    redis = _django(show, DJANGO_DEBUG="1", DJANGO_REDIS_URL="redis://127.0.0.1:6379/1")
    assert redis.stdout.strip() == "django.core.cache.backends.redis.RedisCache"


def test_tasks_run_in_the_database_backend_outside_tests():
    show = "from django.conf import settings; print(settings.TASKS['default']['BACKEND'])"
    assert _django(show, DJANGO_DEBUG="1").stdout.strip() == "django_tasks_db.DatabaseBackend"


def test_debug_does_not_serve_media():
    # Uploaded files are served only by the views that check scope, in DEBUG (`make run`) too.
    code = (
        "from django.urls import resolve, Resolver404\n"
        "try:\n    resolve('/media/imports/2026/01/x.xlsx'); print('served')\n"
        "except Resolver404:\n    print('not served')"
    )
    result = _django(code, DJANGO_DEBUG="1")
    assert result.stdout.strip() == "not served", result.stderr


def test_postgresql_connections_run_without_jit_and_keep_options_of_the_url():
    show = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS']['options'])"
    url = "postgres://crm:crm@127.0.0.1:5432/crm"
    no_parallel = "-c max_parallel_workers_per_gather=0"
    assert _django(show, DJANGO_DEBUG="1", DATABASE_URL=url).stdout.strip() == f"-c jit=off {no_parallel}"
    with_options = _django(show, DJANGO_DEBUG="1", DATABASE_URL=url + "?options=-c%20work_mem%3D8MB")
    assert with_options.stdout.strip() == f"-c work_mem=8MB -c jit=off {no_parallel}", with_options.stderr


def test_parallel_workers_per_gather_come_from_the_environment():
    show = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS']['options'])"
    url = "postgres://crm:crm@127.0.0.1:5432/crm"
    two = _django(show, DJANGO_DEBUG="1", DATABASE_URL=url, DJANGO_PG_PARALLEL_WORKERS=" 2 ")
    assert two.stdout.strip() == "-c jit=off -c max_parallel_workers_per_gather=2", two.stderr
    # Empty: the server's own setting.
    server = _django(show, DJANGO_DEBUG="1", DATABASE_URL=url, DJANGO_PG_PARALLEL_WORKERS="")
    assert server.stdout.strip() == "-c jit=off", server.stderr
    bad = _django(show, DJANGO_DEBUG="1", DATABASE_URL=url, DJANGO_PG_PARALLEL_WORKERS="many")
    assert bad.returncode != 0 and "ValueError" in bad.stderr


def test_server_side_binding_and_prepared_statements_only_when_the_environment_asks_for_them():
    options = "settings.DATABASES['default']['OPTIONS']"
    show = (
        f"from django.conf import settings; print(settings.DATABASES['default']['ENGINE'], "
        f"{options}.get('server_side_binding'), {options}.get('prepare_threshold', '-'), {options}.get('options'))"
    )
    url = "postgres://crm:crm@127.0.0.1:5432/crm"
    plain = "-c jit=off -c max_parallel_workers_per_gather=0"
    off = _django(show, DJANGO_DEBUG="1", DATABASE_URL=url)
    # Client-side binding; the threshold only lets the statements that ask be prepared (plan_once_cursor).
    assert off.stdout.strip() == f"config.postgresql None 5 {plain}", off.stderr
    never = _django(show, DJANGO_DEBUG="1", DATABASE_URL=url, DJANGO_PG_PREPARE_THRESHOLD="")
    assert never.stdout.strip() == f"config.postgresql None - {plain}", never.stderr
    on = _django(show, DJANGO_DEBUG="1", DATABASE_URL=url, DJANGO_PG_SERVER_SIDE_BINDING="1")
    # Planned for its values at every execution: no generic plan.
    assert on.stdout.strip() == f"config.postgresql True 5 {plain} -c plan_cache_mode=force_custom_plan", on.stderr
    # Empty threshold: bound parameters, no prepared statements (a pooler in transaction mode).
    unprepared = _django(
        show, DJANGO_DEBUG="1", DATABASE_URL=url, DJANGO_PG_SERVER_SIDE_BINDING="1", DJANGO_PG_PREPARE_THRESHOLD=""
    )
    assert unprepared.stdout.strip().startswith("config.postgresql True None"), unprepared.stderr
    # Empty plan cache mode: the server's own (generic plans after five executions).
    server = _django(
        show, DJANGO_DEBUG="1", DATABASE_URL=url, DJANGO_PG_SERVER_SIDE_BINDING="1", DJANGO_PG_PLAN_CACHE_MODE=""
    )
    assert server.stdout.strip() == f"config.postgresql True 5 {plain}", server.stderr
    bad = _django(show, DJANGO_DEBUG="1", DATABASE_URL=url, DJANGO_PG_PLAN_CACHE_MODE="custom")
    assert bad.returncode != 0 and "DJANGO_PG_PLAN_CACHE_MODE" in bad.stderr
    sqlite = _django(show, DJANGO_DEBUG="1", DATABASE_URL="sqlite:////tmp/x.sqlite3", DJANGO_PG_SERVER_SIDE_BINDING="1")
    assert sqlite.stdout.strip().startswith("django.db.backends.sqlite3 None -"), sqlite.stderr


def test_sqlite_connections_get_no_postgresql_options():
    show = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'].get('options'))"
    result = _django(show, DJANGO_DEBUG="1", DATABASE_URL="sqlite:////tmp/x.sqlite3", DJANGO_PG_PARALLEL_WORKERS="2")
    assert result.stdout.strip() == "None", result.stderr


def test_a_postgresql_session_has_jit_off(db):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_a_postgresql_session_plans_no_parallel_workers(db):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"
