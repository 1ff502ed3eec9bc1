"""``/api/v1/reports/`` (DESIGN §11.6): create (201 with the file written at once), the file, the county → city
verbs with their status codes, and scoping (a county never sees another county's reports: 404)."""

from types import SimpleNamespace

import pytest

from crm.choices import BureauLevel, ReportKind, ReportStatus, Role
from tests.factories import BureauFactory, make_user

pytestmark = pytest.mark.usefixtures("english", "media_root")

URL = "/api/v1/reports/"


def _create(client, kind=ReportKind.NEEDS_LEDGER, period="2025-03"):
    return client.post(URL, {"kind": kind, "period": period}, format="json")


def test_create_and_download(march, api_as, county_manager):
    client = api_as(county_manager)
    response = _create(client)
    assert response.status_code == 201, response.content  # the immediate task backend writes it at once
    body = response.json()
    assert body["status"] == "draft" and body["ready"] is True
    assert body["snapshot"]["rows"][0]["title"] == "CN1"
    assert body["file_url"].endswith(f"/api/v1/reports/{body['id']}/file/")
    download = client.get(f"{URL}{body['id']}/file/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content)[:2] == b"PK"
    brief = _create(client, ReportKind.MONTHLY_BRIEF).json()
    assert brief["filename"].endswith(".docx")


def test_bad_input(march, api_as, county_manager, county_officer):
    client = api_as(county_manager)
    response = _create(client, period="2025-13")
    assert response.status_code == 400 and "period" in response.json()
    assert _create(client, kind="nope").status_code == 400
    assert client.get(URL, {"status": "nope"}).status_code == 400
    assert _create(api_as(county_officer)).status_code == 403


def test_flow_and_scoping(march, api_as, county_manager, manager, regions):
    county = api_as(county_manager)
    report = _create(county).json()
    other = BureauFactory(name="淮安区科技局", level=BureauLevel.COUNTY, region=regions["320803"])
    stranger = make_user("other_manager", Role.MANAGER, other)
    # The city does not see a county's draft; another county never sees it.
    assert api_as(manager).get(f"{URL}{report['id']}/").status_code == 404
    assert api_as(stranger).get(f"{URL}{report['id']}/").status_code == 404
    assert api_as(stranger).get(URL).json()["count"] == 0
    county = api_as(county_manager)
    assert county.post(f"{URL}{report['id']}/submit/").json()["status"] == ReportStatus.SUBMITTED
    assert county.post(f"{URL}{report['id']}/submit/").status_code == 409
    assert county.post(f"{URL}{report['id']}/accept/").status_code == 403
    city = api_as(manager)
    assert city.get(URL, {"status": "submitted"}).json()["count"] == 1
    assert city.post(f"{URL}{report['id']}/return/", {}, format="json").status_code == 400
    returned = city.post(f"{URL}{report['id']}/return/", {"note": "数据有误"}, format="json").json()
    assert returned["status"] == "returned" and returned["return_note"] == "数据有误"
    county = api_as(county_manager)
    assert _create(county).status_code == 201  # a returned report is generated again
    assert county.post(f"{URL}{report['id']}/submit/").status_code == 200
    city = api_as(manager)
    assert city.post(f"{URL}{report['id']}/accept/").json()["status"] == "accepted"
    consolidated = _create(city).json()
    assert consolidated["snapshot"]["sources"] == [{"bureau": "金湖县科技局", "report": report["id"]}]
    assert _create(api_as(county_manager)).status_code == 409  # accepted: frozen
    assert api_as(stranger).post(f"{URL}{report['id']}/accept/").status_code == 404


def test_create_answers_202_while_the_file_is_queued(march, api_as, county_manager, monkeypatch):
    # A worker that has not run yet: the task is queued, nothing writes the file.
    monkeypatch.setattr("crm.api.reports.report_render", SimpleNamespace(enqueue=lambda report_id: None))
    response = _create(api_as(county_manager))
    assert response.status_code == 202
    assert response.json()["ready"] is False and response.json()["file_url"] is None
    assert api_as(county_manager).get(f"{URL}{response.json()['id']}/file/").status_code == 404
