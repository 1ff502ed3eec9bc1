"""Active filters as removable chips, 全部/是/否 yes/no filters and sort arrows with ``aria-sort`` on the <th>
(issue 17): built once in the FilterSet base (crm/filtersets.py) and the shared list templates, so every list
page has them."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import RequestFactory
from django.urls import reverse

from crm.filtersets import FILTERSETS, NeedFilterSet, VisitFilterSet
from crm.models import Need, Visit

pytestmark = pytest.mark.django_db


def bound(filterset_class, params, user, model, path="/needs/"):
    request = RequestFactory().get(path, params)
    request.user = user
    filterset = filterset_class(request.GET, queryset=model.objects.visible_to(user), request=request)
    filterset.is_valid()
    return filterset


def query_of(url):
    return parse_qs(urlsplit(url).query)


def test_chips_name_each_filter_in_words_and_link_to_the_list_without_it(manager, enterprise, regions):
    params = {
        "status": "assigned",
        "overdue": "true",
        "region": "320812",
        "enterprise": str(enterprise.pk),
        "due_on_after": "2026-01-01",
        "due_on_before": "2026-03-31",
        "q": "贷款",
        "ordering": "-due_on",
        "page": "3",
    }
    chips = {chip.name: chip for chip in bound(NeedFilterSet, params, manager, Need).chips}
    assert set(chips) == {"q", "enterprise", "region", "status", "overdue", "due_on"}
    assert chips["status"].label == "状态" and chips["status"].value == "已交办"
    assert chips["overdue"].value == "是"
    assert chips["region"].value == "清江浦区"
    assert chips["enterprise"].value == enterprise.name  # the name, not the id
    assert chips["due_on"].value == "2026-01-01 – 2026-03-31"
    assert chips["q"].value == "贷款"
    removed = query_of(chips["due_on"].remove_url)
    assert "due_on_after" not in removed and "due_on_before" not in removed and "page" not in removed
    assert removed["status"] == ["assigned"] and removed["ordering"] == ["-due_on"]
    assert chips["status"].remove_url.startswith("/needs/?")
    assert "status" not in query_of(chips["status"].remove_url)


def test_a_chip_does_not_name_an_enterprise_out_of_scope(county_manager, enterprise):
    chips = bound(NeedFilterSet, {"enterprise": str(enterprise.pk)}, county_manager, Need).chips
    assert [(c.name, c.value) for c in chips] == [("enterprise", f"#{enterprise.pk}")]


def test_no_chips_without_filters_and_none_for_invalid_values(manager):
    assert bound(NeedFilterSet, {}, manager, Need).chips == []
    chips = bound(NeedFilterSet, {"status": "nonsense", "open": "maybe", "ordering": "code"}, manager, Need).chips
    assert chips == []


def test_the_last_chip_removed_leaves_the_bare_path(manager):
    (chip,) = bound(NeedFilterSet, {"open": "false"}, manager, Need).chips
    assert chip.value == "否"
    assert chip.remove_url == "/needs/"


def test_method_filters_name_the_person(manager, officer):
    (chip,) = bound(VisitFilterSet, {"officer": str(officer.pk)}, manager, Visit, "/visits/").chips
    assert chip.value == str(officer)


def test_yes_no_filters_read_all_yes_no_everywhere(manager):
    for filterset_class in FILTERSETS.values():
        form = filterset_class({}, queryset=filterset_class._meta.model.objects.none()).form
        html = str(form)
        assert "---------" not in html, filterset_class.__name__
    html = str(NeedFilterSet({"overdue": "1"}, queryset=Need.objects.none()).form["overdue"])
    assert '<option value="">全部</option>' in html
    assert '<option value="true" selected>是</option>' in html
    assert '<option value="false">否</option>' in html


def test_drill_down_shows_its_filters_as_chips_and_keeps_the_panel_closed(client, manager, regions):
    client.force_login(manager)
    html = client.get(reverse("crm:need-list"), {"region": "320812", "open": "true"}).content.decode()
    assert 'id="filter-chips"' in html
    assert "区域：清江浦区" in html or "所属区域：清江浦区" in html or "清江浦区" in html.split('id="filter-chips"')[1]
    chips_html = html.split('id="filter-chips"')[1].split("</ul>")[0]
    assert 'href="/needs/?open=true"' in chips_html  # removing the region keeps "open"
    assert 'href="/needs/?region=320812"' in chips_html
    assert "：是" in chips_html
    assert 'class="collapse" id="filter-fields"' in html  # neither filter is a panel field: the panel stays shut
    assert "---------" not in html


def test_a_panel_filter_opens_the_panel(client, manager):
    client.force_login(manager)
    html = client.get(reverse("crm:need-list"), {"status": "new"}).content.decode()
    assert 'class="collapse show" id="filter-fields"' in html
    assert 'data-filter="status"' in html


@pytest.mark.parametrize("name", ["need-list", "enterprise-list", "visit-list", "project-list", "policy-list"])
def test_every_list_shows_chips(client, manager, name):
    client.force_login(manager)
    html = client.get(reverse(f"crm:{name}"), {"q": "某词"}).content.decode()
    assert 'data-filter="q"' in html and "某词" in html


def test_sorted_column_has_aria_sort_on_the_th_and_an_arrow(client, manager, enterprise):
    client.force_login(manager)
    url = reverse("crm:enterprise-list")
    html = client.get(url, {"ordering": "-name"}).content.decode()
    assert '<th scope="col" aria-sort="descending"><a class="sort-link' in html
    assert "bi-arrow-down sort-arrow" in html
    head = html.split("<thead")[1].split("</thead>")[0]
    assert "<a" in head and "aria-sort" not in "".join(part.split(">")[0] for part in head.split("<a")[1:])
    html = client.get(url, {"ordering": "name"}).content.decode()
    assert 'aria-sort="ascending"' in html and "bi-arrow-up sort-arrow" in html
    assert 'aria-sort="none"' in html  # the other sortable columns
    assert 'href="?ordering=-name"' in html  # the sorted column's link turns the order round
