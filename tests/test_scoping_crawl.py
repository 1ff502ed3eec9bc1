"""Issue 9, "Done when": no page, section, export or endpoint shows a record that the same user gets 404 for.

The demo programme (``crm.devdata.demo.demo_seed``) plus the awkward cases of scoping (a city project of a
county enterprise, a city need of that project, a visit under it, a need transferred city → county with an
action item of a city department, a notification about a need the county no longer sees) is crawled as each
demo login would use it: the web UI breadth-first from ``/`` following every internal link shown, and the API's
list endpoints, opening every related record they name. Every link shown must open (no 404, no 5xx).
"""

import datetime as dt
from collections import deque
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from crm.choices import NotificationKind, Role
from crm.devdata.demo import demo_seed
from crm.models import (
    ActionItem,
    Bureau,
    Department,
    Enterprise,
    Need,
    Notification,
    Project,
    Region,
    User,
)
from crm.services.lists import action_item_create
from crm.services.needs import need_create
from crm.services.visits import visit_create
from tests.factories import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root"), pytest.mark.xdist_group("crawl")]

MAX_PAGES = 400  # per user
SKIP_PREFIXES = ("/admin/", "/accounts/logout/", "/i18n/", "/static/", "/api/")
# Query parameters that only re-order or page a list: the first page in the default order is enough.
SKIP_PARAMS = {"page", "ordering", "sort", "page_size", "format"}


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def _internal(href: str, base: str) -> str | None:
    """The crawlable form of a link (path + sorted query), or None for external, anchor and skipped links."""
    parts = urlsplit(href)
    if parts.scheme and parts.scheme not in ("http", "https") or (parts.netloc and parts.netloc != "testserver"):
        return None
    if not parts.path and not parts.query:
        return None  # "#…": the same page
    path = parts.path or urlsplit(base).path
    if not path.startswith("/") or path.startswith(SKIP_PREFIXES):
        return None
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if v and k != "next")
    if any(k in SKIP_PARAMS for k, _ in query) or (query and "/export/" in path):
        return None  # a filtered export holds the rows of its list page, which is crawled
    return path + ("?" + urlencode(query) if query else "")


def crawl(client: Client, *, max_pages: int = MAX_PAGES) -> dict[str, tuple[int, list[str]]]:
    """Breadth-first from ``/``: {url: (status, the pages that showed the link)} for every link fetched."""
    seen: dict[str, tuple[int, list[str]]] = {}
    sources: dict[str, list[str]] = {"/": ["(start)"]}
    queue = deque(["/"])
    while queue and len(seen) < max_pages:
        url = queue.popleft()
        response = client.get(url)
        seen[url] = (response.status_code, sources[url])
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue  # downloads (exports, attachments, print views in PDF) are fetched, not followed
        parser = _Links()
        parser.feed(response.content.decode())
        for href in parser.hrefs:
            link = _internal(href, url)
            if link and link not in sources:
                sources[link] = []
                queue.append(link)
            if link and url not in sources[link]:
                sources[link].append(url)
    return seen


# API: the list endpoints and, per field naming a related record, the endpoint that opens it.
API_LISTS = [
    "enterprises",
    "contacts",
    "projects",
    "visits",
    "needs",
    "policies",
    "policy-matches",
    "offerings",
    "action-items",
    "notifications",
]
RELATED = {
    "enterprise": "enterprises",
    "project": "projects",
    "need": "needs",
    "visit": "visits",
    "policy": "policies",
    "offering": "offerings",
    "action_item": "action-items",
}


def api_links(client: APIClient) -> dict[str, str]:
    """{detail url: where it was named} for every related record the list endpoints' first pages name."""
    links: dict[str, str] = {}
    for endpoint in API_LISTS:
        response = client.get(f"/api/v1/{endpoint}/", {"page_size": 100})
        assert response.status_code == 200, endpoint
        for row in response.json()["results"]:
            links.setdefault(f"/api/v1/{endpoint}/{row['id']}/", f"/api/v1/{endpoint}/")
            for field, target in RELATED.items():
                value = row.get(field)
                if isinstance(value, int):
                    links.setdefault(f"/api/v1/{target}/{value}/", f"{endpoint} #{row['id']}.{field}")
            for attachment in row.get("attachments") or []:
                path = urlsplit(attachment["url"]).path
                links.setdefault(path, f"{endpoint} #{row['id']}.attachments")
    return links


# ---------------------------------------------------------------------------------------------------------
# The demo data and the awkward cases
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def demo(db):
    demo_seed()
    today = timezone.localdate()
    city = Bureau.objects.get(name="淮安市科技局")
    county = Bureau.objects.get(name="金湖县科技局")
    city_district = Region.objects.get(code="320812")
    officer = User.objects.get(username="officer")
    manager = User.objects.get(username="manager")
    county_officer = User.objects.get(username="county_officer")
    make_user("county_leader", Role.LEADER, county, county_officer.department)
    county_enterprise = Enterprise.objects.filter(region_id="320831").order_by("pk").first()
    city_enterprise = Enterprise.objects.filter(region_id="320812").order_by("pk").first()

    # A city project of a county enterprise (the county sees the enterprise, not the project) …
    city_project = Project.objects.create(
        name="市级招引项目（县域企业）", enterprise=county_enterprise, region=city_district, bureau=city
    )
    # … a city need of it (visible in the county by the enterprise), a visit under it and an action item.
    need_create(user=officer, enterprise=county_enterprise, project=city_project, category="funding", title="市级诉求")
    visit_create(user=officer, enterprise=county_enterprise, project=city_project, visited_on=today, q_needs="市级走访")
    action_item_create(
        user=manager, data={"project": city_project, "title": "市级项目行动", "owner": manager, "due_on": today}
    )
    # A need of a city enterprise, raised in a city visit, transferred to the county bureau, with an action item
    # owned by a city officer in a city department (another bureau's department).
    visit = visit_create(
        user=officer,
        enterprise=city_enterprise,
        visited_on=today - dt.timedelta(days=3),
        q_needs="人才引进",
        needs=[{"category": "talent", "title": "转县办理的诉求"}],
    )
    transferred = visit.needs.get()
    Need.objects.filter(pk=transferred.pk).update(bureau=county)
    action_item_create(
        user=manager,
        data={
            "need": transferred,
            "title": "市级部门协办",
            "owner": officer,
            "department": Department.objects.get(bureau=city, name="高新技术处"),
            "due_on": today,
        },
    )
    # A notification of the county officer about a need that is the city's alone now (transferred away).
    city_need = need_create(user=officer, enterprise=city_enterprise, category="funding", title="已转回市局")
    Notification.objects.create(recipient=county_officer, kind=NotificationKind.NOTE, text="转办通知", need=city_need)
    ActionItem.objects.filter(need=city_need).delete()
    return {"county_enterprise": county_enterprise, "city_project": city_project, "transferred": transferred}


# The county's logins, and the city officer as a sanity check (who sees everything: a shorter crawl).
USERS = {"county_officer": MAX_PAGES, "county_manager": MAX_PAGES, "county_leader": MAX_PAGES, "officer": 150}


def _report(broken: dict, verb: str) -> str:
    return "\n".join(f"{status} {url}  ({verb} {' '.join(where)})" for url, (status, where) in broken.items())


@pytest.mark.parametrize("username", USERS)
def test_every_link_and_id_shown_opens(demo, username):
    user = User.objects.get(username=username)
    client = Client()
    client.force_login(user)
    seen = crawl(client, max_pages=USERS[username])
    broken = {url: found for url, found in seen.items() if found[0] == 404 or found[0] >= 500}
    assert not broken, _report(broken, "linked from")
    assert len(seen) > 30  # the crawl reached the pages, not only the start

    # The bell's "Open" (a POST that marks the notice read and goes to its need) lands on a page that opens.
    for notice in Notification.objects.filter(recipient=user):
        response = client.post(f"/notifications/{notice.pk}/read/", follow=True)
        assert response.status_code == 200, f"notification {notice.pk}: {response.redirect_chain}"

    api = APIClient()
    api.force_authenticate(user)
    broken = {}
    for url, source in api_links(api).items():
        status = api.get(url).status_code
        if status == 404 or status >= 500:
            broken[url] = (status, [source])
    assert not broken, _report(broken, "named by")


def test_the_awkward_cases_are_there(demo):
    """The crawl proves something only if the county sees the records that name out-of-scope ones."""
    county_officer = User.objects.get(username="county_officer")
    assert Enterprise.objects.visible_to(county_officer).filter(pk=demo["county_enterprise"].pk).exists()
    assert not Project.objects.visible_to(county_officer).filter(pk=demo["city_project"].pk).exists()
    assert Need.objects.visible_to(county_officer).filter(project=demo["city_project"]).exists()
    assert Need.objects.visible_to(county_officer).filter(pk=demo["transferred"].pk).exists()
