"""Shared fixtures: reference data, a city and a county bureau, one user per role at each level, and the
switches many test modules turn on (English messages, a private MEDIA_ROOT). Rows come from tests/factories.py.

A module turns a switch on for all its tests with ``pytestmark = pytest.mark.usefixtures("english")``.
"""

import datetime as dt
from contextlib import contextmanager
from unittest import mock

import pytest
from django.conf import settings
from django.core.cache import cache, caches
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone
from django.utils.translation import activate, override
from rest_framework.test import APIClient

from crm.choices import NeedCategory, NeedStatus, Role
from crm.models import Need
from crm.paginator import capped_forget
from crm.selectors.search import common_grams_forget
from crm.services.needs import need_create
from crm.services.portal import access_link_create
from tests.factories import (
    CHAINS,
    QUALIFICATIONS,
    REGIONS,
    BureauFactory,
    ContactFactory,
    DepartmentFactory,
    EnterpriseFactory,
    IndustryChainFactory,
    QualificationFactory,
    RegionFactory,
    credit_code,
    make_user,
    reference_rows,
)
from tests.report_helpers import march_dataset

# ------------------------------------------------------------------------------------------------ switches


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # PBKDF2 costs ~100 ms per user; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language():
    # A request answered in English (the english_client cookie) leaves English active in the thread: Django's
    # LocaleMiddleware does not switch back. A later test building labels outside a request (filter chips) would
    # inherit it, so its outcome depended on the order the tests ran in.
    activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _no_random_throttle_cull(monkeypatch):
    # One API request in CULL_EVERY also deletes expired throttle rows: a statement more, at random, in a query-count
    # test (CI saw "7 queries for 1 row, 8 for 50"). The cull's own tests set it back.
    from crm.models import throttles

    monkeypatch.setattr(throttles, "CULL_EVERY", 0)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Throttle counters live in the cache; a test must not inherit another test's request count.
    cache.clear()
    caches["progress"].clear()  # nor another test's job progress
    capped_forget()  # nor another test's list that passed its count cap (crm.paginator)
    common_grams_forget()  # nor the statistics of another test's rows (crm.selectors.search)


@pytest.fixture
def prepared_on_server(db):
    """The statements prepared on the server on the test's connection (``pg_prepared_statements``): PostgreSQL only,
    the test is skipped elsewhere (crm.prepared ``plan_once_cursor``)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: statements prepared on the server")

    def statements() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return [row[0] for row in cursor.fetchall()]

    return statements


@pytest.fixture
def english():
    """Messages are asserted in their English source text, whatever the translations say."""
    with override("en"):
        yield


@pytest.fixture
def english_default(settings, english):
    """English also where code activates ``settings.LANGUAGE_CODE`` itself (commands, requests without a choice)."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def english_client(client):
    """The web UI is Chinese whatever the browser asks; the language switch's cookie selects English."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploaded and generated files go to the test's own directory."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# ---------------------------------------------------------------------------------------- reference data


@pytest.fixture
def regions(db):
    return reference_rows(RegionFactory, REGIONS)


@pytest.fixture
def chains(db):
    return reference_rows(IndustryChainFactory, CHAINS)


@pytest.fixture
def qualifications(db):
    return reference_rows(QualificationFactory, QUALIFICATIONS)


# ------------------------------------------------------------------------------------------ organisation


@pytest.fixture
def city_bureau(regions):
    return BureauFactory(region=regions["320800"])


@pytest.fixture
def county_bureau(regions):
    return BureauFactory(county=True, region=regions["320831"])


@pytest.fixture
def city_department(city_bureau):
    return DepartmentFactory(bureau=city_bureau, name="高新技术处")


@pytest.fixture
def county_department(county_bureau):
    return DepartmentFactory(bureau=county_bureau, name="综合科")


@pytest.fixture
def lead_department(city_bureau):
    """A second city department, the one needs are assigned to."""
    return DepartmentFactory(bureau=city_bureau, name="成果转化处")


@pytest.fixture
def officer(city_bureau, city_department):
    return make_user("officer", Role.OFFICER, city_bureau, city_department)


@pytest.fixture
def manager(city_bureau, city_department):
    return make_user("manager", Role.MANAGER, city_bureau, city_department)


@pytest.fixture
def leader(city_bureau, city_department):
    return make_user("leader", Role.LEADER, city_bureau, city_department)


@pytest.fixture
def admin_user(city_bureau, city_department):
    return make_user("sysadmin", Role.ADMIN, city_bureau, city_department, is_staff=True, is_superuser=True)


@pytest.fixture
def county_officer(county_bureau, county_department):
    return make_user("county_officer", Role.OFFICER, county_bureau, county_department)


@pytest.fixture
def county_manager(county_bureau, county_department):
    return make_user("county_manager", Role.MANAGER, county_bureau, county_department)


@pytest.fixture
def handler(city_bureau, lead_department):
    """An officer of the lead department, who handles assigned needs."""
    return make_user("handler", Role.OFFICER, city_bureau, lead_department, email="handler@example.org")


# ------------------------------------------------------------------------------------ enterprises, needs


@pytest.fixture
def enterprise(regions, chains, city_bureau):
    return EnterpriseFactory(
        name="淮安清源食品科技有限公司",
        credit_code=credit_code(1, "320812"),
        region=regions["320812"],
        industry_chain=chains["green-food"],
        employees=120,
        rd_staff=18,
        revenue=8000,
        rd_expense=320,
        established_on=dt.date(2015, 5, 1),
        is_linked=True,
        bureau=city_bureau,
    )


@pytest.fixture
def county_enterprise(regions, chains, county_bureau):
    return EnterpriseFactory(
        name="金湖县示例电子有限公司",
        credit_code=credit_code(2, "320831"),
        region=regions["320831"],
        industry_chain=chains["pcb"],
        employees=60,
        revenue=3000,
        rd_expense=150,
        is_linked=True,
        bureau=county_bureau,
    )


@pytest.fixture
def need(officer, enterprise):
    """A new need of the city enterprise, recorded by the officer through the service."""
    return need_create(user=officer, enterprise=enterprise, category=NeedCategory.FUNDING, title="研发补助申报")


@pytest.fixture
def need_in_progress(need, handler, lead_department):
    """The need assigned to the handler and in progress, due in 5 days (extension requests, DESIGN §11.4)."""
    Need.objects.filter(pk=need.pk).update(
        status=NeedStatus.IN_PROGRESS,
        handler=handler,
        lead_department=lead_department,
        due_on=timezone.localdate() + dt.timedelta(5),
    )
    need.refresh_from_db()
    return need


# ------------------------------------------------------------------------------------------------ clients


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def api_as(api_client):
    """Return an API client logged in as the given user."""

    def login(user):
        api_client.force_authenticate(user=user)
        return api_client

    return login


@pytest.fixture
def wsgi_app():
    """The Django WSGI app, sharing the test's database connection (as Django's test client does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def huaian(db):
    """The full reference data of fixtures/ (12 regions, 10 chains, 13 qualifications, with their other names)."""
    fixtures = settings.BASE_DIR / "fixtures"
    call_command(
        "loaddata", *(str(fixtures / f"{name}.json") for name in ("regions", "industry_chains", "qualifications"))
    )


# ------------------------------------------------------------------------------ the enterprise's page (§11.5)


@pytest.fixture
def portal_contact(enterprise):
    """The city enterprise's primary contact, with a mobile for SMS."""
    return ContactFactory(enterprise=enterprise, name="王经理", mobile="13800138000", is_primary=True)


@pytest.fixture
def portal_link(portal_contact, officer):
    """``(access, token)``: a live service link of the primary contact, made by the officer."""
    return access_link_create(user=officer, contact=portal_contact)


@pytest.fixture
def march(regions, city_bureau, county_bureau, officer):
    """The hand-made March 2025 data of the report tests (tests/report_helpers.py: the figures worked out there)."""
    return march_dataset(regions=regions, city_bureau=city_bureau, county_bureau=county_bureau, officer=officer)


@pytest.fixture
def compiled_sql():
    """``with compiled_sql() as compiled:`` collects the SQL of every statement the ORM compiles inside the block: a
    statement compiled once per shape (crm/prepared.py) compiles nothing when it is used again."""

    @contextmanager
    def collect():
        compiled = []
        as_sql = SQLCompiler.as_sql

        def spy(compiler, *args, **kwargs):
            sql, params = as_sql(compiler, *args, **kwargs)
            compiled.append(sql)
            return sql, params

        with mock.patch.object(SQLCompiler, "as_sql", spy):
            yield compiled

    return collect
