"""/imports/ (upload → preview → confirm) and the ledger downloads of the list pages."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.choices import NotificationKind
from crm.models import Enterprise, EnterpriseQualification, ImportJob, Notification
from crm.models.imports import IMPORT_KINDS
from crm.sheets import imports as sheet_imports
from crm.sheets.resources import RESOURCES
from crm.tasks import import_check
from crm.views.imports import LIST_URLS, _list_url
from tests import sheets_catalogue as catalogue
from tests.factories import PolicyFactory, credit_code, make_user
from tests.sheets_helpers import make_xlsx, read_xlsx

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root", "english_default")]

HEADERS = ["企业名称", "统一社会信用代码", "所属区县", "从业人数"]
EXPORT_URLS = {
    "enterprises": "crm:enterprise-export",
    "contacts": "crm:contact-export",
    "projects": "crm:project-export",
    "policies": "crm:policy-export",
    "offerings": "crm:offering-export",
    "visits": "crm:visit-export",
    "needs": "crm:need-export",
    "action-items": "crm:actionitem-export",
    "enterprise-years": "crm:enterpriseyear-export",
    "activities": "crm:activity-export",
}


def upload(client, data: bytes, kind="enterprises", name="企业名单.xlsx"):
    return client.post(reverse("crm:import"), {"kind": kind, "file": SimpleUploadedFile(name, data)})


def test_only_managers_import(client, officer, leader, manager):
    for user in (officer, leader):
        client.force_login(user)
        assert client.get(reverse("crm:import")).status_code == 403
        assert client.get(reverse("crm:import-template", args=["enterprises"])).status_code == 403
        assert client.post(reverse("crm:import-confirm", args=[1])).status_code == 403
    client.logout()
    assert client.get(reverse("crm:import")).status_code == 302


def test_the_import_page_lists_every_kind_with_its_template(client, manager):
    client.force_login(manager)
    response = client.get(reverse("crm:import"))
    assert response.status_code == 200
    html = response.content.decode()
    for kind in RESOURCES:
        assert reverse("crm:import-template", args=[kind]) in html
    assert "<strong>统一社会信用代码</strong>" in html


@pytest.mark.parametrize("kind", list(RESOURCES))
def test_template_download(client, manager, regions, kind):
    client.force_login(manager)
    response = client.get(reverse("crm:import-template", args=[kind]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"] and "filename*=utf-8''" in response["Content-Disposition"]
    rows = read_xlsx(response.content)
    assert rows[0] == tuple(RESOURCES[kind].expected_headers())
    assert client.get(reverse("crm:import-template", args=["contracts"])).status_code == 404


def test_a_bad_file_is_previewed_with_the_bad_cells_marked_and_nothing_saved(client, manager, regions):
    client.force_login(manager)
    rows = [["甲", credit_code(1), "清江浦区", 10], ["乙", credit_code(2), "火星", "很多"]]
    response = upload(client, make_xlsx(HEADERS, rows))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("crm:import-preview", args=[job.pk])
    assert job.status == "invalid" and job.user == manager
    response = client.get(response["Location"])
    html = response.content.decode()
    assert 'data-column="所属区县"' in html and "No region is called or coded “火星”." in html
    assert 'data-column="从业人数"' in html
    assert "Row 3, column 所属区县: No region is called or coded “火星”." in html
    assert 'id="import-confirm"' not in html
    assert not Enterprise.objects.exists()
    # Confirming it anyway imports nothing.
    response = client.post(reverse("crm:import-confirm", args=[job.pk]), follow=True)
    assert "This file has problems; upload a corrected file." in response.content.decode()
    assert not Enterprise.objects.exists()


def test_a_good_file_is_previewed_then_imported_once(client, manager, regions):
    client.force_login(manager)
    rows = [["甲", credit_code(1), "清江浦区", 10], ["乙", credit_code(2), "金湖县", 5]]
    response = upload(client, make_xlsx(HEADERS, rows))
    job = ImportJob.objects.get()
    preview = client.get(response["Location"]).content.decode()
    assert 'id="import-confirm"' in preview and 'id="count-created">2<' in preview
    assert not Enterprise.objects.exists()  # the preview is a dry run
    response = client.post(reverse("crm:import-confirm", args=[job.pk]), {"file": "/etc/passwd"}, follow=True)
    html = response.content.decode()
    assert "Imported: 2 created, 0 updated, 0 unchanged." in html
    assert Enterprise.objects.count() == 2
    job.refresh_from_db()
    assert job.status == "imported" and job.imported_at is not None
    # A second confirm (double click, back button) does not import again.
    response = client.post(reverse("crm:import-confirm", args=[job.pk]), follow=True)
    assert "This file has been imported already." in response.content.decode()
    assert Enterprise.objects.count() == 2


def test_confirm_reads_the_stored_file_of_that_user_only(client, manager, city_bureau, city_department, regions):
    other = make_user("manager2", "manager", city_bureau, city_department)
    client.force_login(other)
    upload(client, make_xlsx(HEADERS, [["甲", credit_code(1), "清江浦区", 10]]))
    job = ImportJob.objects.get()
    client.force_login(manager)
    assert client.get(reverse("crm:import-preview", args=[job.pk])).status_code == 404
    assert client.post(reverse("crm:import-confirm", args=[job.pk])).status_code == 404
    assert not Enterprise.objects.exists()


def test_the_data_changing_between_preview_and_confirm_imports_nothing(client, county_manager, regions):
    client.force_login(county_manager)
    upload(client, make_xlsx(HEADERS, [["金湖新企业", credit_code(1, "320831"), "金湖县", 10]]))
    job = ImportJob.objects.get()
    assert job.status == "previewed"
    # Meanwhile the city bureau registers that credit code in another county.
    Enterprise.objects.create(name="别处的企业", credit_code=credit_code(1, "320831"), region=regions["320812"])
    response = client.post(reverse("crm:import-confirm", args=[job.pk]), follow=True)
    html = response.content.decode()
    assert "The data changed since the check; nothing was imported." in html
    assert "exists outside your bureau&#x27;s area" in html
    job.refresh_from_db()
    assert job.status == "invalid"
    assert Enterprise.objects.get().name == "别处的企业"


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "企业.xlsx", "neither an Excel workbook (.xlsx, .xls)"),
        (b"", "empty.csv", "The submitted file is empty."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "old.doc", "an old office document but not an Excel"),
    ],
)
def test_wrong_files_are_refused_by_content(client, manager, data, name, message):
    client.force_login(manager)
    response = upload(client, data, name=name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()


def test_oversized_uploads_are_refused_before_reading(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("crm:import"),
        {"kind": "enterprises", "file": SimpleUploadedFile("big.csv", b"a" * (11 * 1024 * 1024 + 10))},
    )
    assert response.status_code == 400
    assert "larger than 10 MB" in response.content.decode()


@pytest.mark.parametrize(
    ("factory", "name", "stored", "region"),
    [
        (catalogue.ods, "企业名单.ods", ".ods", "320812"),
        (catalogue.xls_biff8, "企业名单.xls", ".xls", "320831"),
        (catalogue.unicode_text, "企业名单.txt", ".txt", "320812"),
        (catalogue.csv_gb18030, "企业名单.csv", ".csv", "320812"),
        (catalogue.openpyxl_plain, "企业名单.xlsx", ".xlsx", "320812"),
        (catalogue.ods, "renamed.xlsx", ".ods", "320812"),  # the format by content, not by name
    ],
)
def test_office_formats_upload_preview_and_import(client, manager, regions, settings, factory, name, stored, region):
    client.force_login(manager)
    response = upload(client, factory(), name=name)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.status == ImportJob.Status.PREVIEWED, job.result["problems"]
    assert job.file.name.endswith(stored) and job.original_name == name
    assert [p.suffix for p in stored_files(settings)] == [stored]
    client.post(reverse("crm:import-confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.IMPORTED
    assert Enterprise.objects.count() == 3 and set(Enterprise.objects.values_list("region", flat=True)) == {region}


def test_the_file_picker_offers_every_format_read(client, manager):
    client.force_login(manager)
    html = client.get(reverse("crm:import")).content.decode()
    assert 'accept=".xlsx,.xls,.ods,.csv,.txt"' in html


def test_csv_in_gb18030_uploads(client, manager, regions):
    client.force_login(manager)
    text = f"企业名称,统一社会信用代码,所属区县\r\n淮安龘科技有限公司,{credit_code(1)},清江浦区\r\n"
    response = upload(client, text.encode("gb18030"), name="名单.csv")
    job = ImportJob.objects.get()
    assert job.status == "previewed", job.result
    client.post(reverse("crm:import-confirm", args=[job.pk]))
    assert Enterprise.objects.get().name == "淮安龘科技有限公司"
    assert response.status_code == 302


# ------------------------------------------------------------------------------------------- exports


def test_the_list_export_has_exactly_the_filtered_rows(client, manager, enterprise, county_enterprise):
    client.force_login(manager)
    response = client.get(reverse("crm:enterprise-export"), {"region": "320831"})
    assert response.status_code == 200
    names = [row[0] for row in read_xlsx(response.content)[1:]]
    assert names == [county_enterprise.name]
    assert "attachment" in response["Content-Disposition"]
    response = client.get(reverse("crm:enterprise-export"), {"q": "清源"})
    assert [row[0] for row in read_xlsx(response.content)[1:]] == [enterprise.name]
    response = client.get(reverse("crm:enterprise-export"), {"format": "csv", "page": "2", "page_size": "1"})
    text = response.content.decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert enterprise.name in text and county_enterprise.name in text  # every page, not just one


def test_a_county_user_exports_only_its_county(client, county_officer, enterprise, county_enterprise):
    client.force_login(county_officer)
    response = client.get(reverse("crm:enterprise-export"))
    assert [row[0] for row in read_xlsx(response.content)[1:]] == [county_enterprise.name]
    response = client.get(reverse("crm:enterprise-export"), {"region": "320812"})
    assert read_xlsx(response.content)[1:] == []


@pytest.mark.parametrize("kind", list(RESOURCES))
def test_every_list_page_has_an_export(client, manager, enterprise, kind):
    client.force_login(manager)
    response = client.get(reverse(EXPORT_URLS[kind]))
    assert response.status_code == 200
    assert read_xlsx(response.content)[0] == tuple(RESOURCES[kind].expected_headers())


def test_list_pages_link_to_their_export_with_the_filters(client, manager, enterprise):
    client.force_login(manager)
    html = client.get(reverse("crm:enterprise-list"), {"region": "320812"}).content.decode()
    assert f'href="{reverse("crm:enterprise-export")}?region=320812"' in html


def test_export_queries_do_not_grow_with_the_rows(
    client, manager, regions, chains, qualifications, django_assert_max_num_queries
):

    client.force_login(manager)

    def add(start, count):
        for i in range(start, start + count):
            e = Enterprise.objects.create(name=f"企业{i}", credit_code=credit_code(i), region=regions["320812"])
            EnterpriseQualification.objects.create(enterprise=e, qualification=qualifications["hnte"])
            e.liaison_officers.set([manager])

    add(1, 1)
    # Session and user, the row count that decides between a direct and a background export, the rows in one
    # query, one per reference table and link table per chunk, the drop-down lists: a fixed number.
    with CaptureQueriesContext(connection) as one_row:
        client.get(reverse("crm:enterprise-export"))
    add(100, 50)
    with django_assert_max_num_queries(len(one_row)):
        response = client.get(reverse("crm:enterprise-export"))
    assert len(one_row) <= 18
    assert len(read_xlsx(response.content)) == 52


def test_exported_workbook_escapes_formulas(client, manager, enterprise):
    enterprise.name = '=HYPERLINK("http://x")'
    enterprise.save()
    client.force_login(manager)
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(reverse("crm:enterprise-export")).content))
    cell = workbook.active["A2"]
    assert cell.value == '\'=HYPERLINK("http://x")' and cell.data_type == "s"


def test_the_admin_import_is_the_imports_page(client, admin_user):
    """The admin's import button opens /imports/ for its kind; its own confirm step is not used."""
    client.force_login(admin_user)
    for model, kind in (("enterprise", "enterprises"), ("contact", "contacts"), ("actionitem", "action-items")):
        response = client.get(reverse(f"admin:crm_{model}_import"))
        assert response.status_code == 302 and response["Location"] == f"{reverse('crm:import')}?kind={kind}"
    response = client.post(reverse("admin:crm_enterprise_process_import"), {"import_file_name": "x.xlsx"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("crm:import"))
    assert client.get(f"{reverse('crm:import')}?kind=contacts").context["form"]["kind"].value() == "contacts"


def stored_files(settings) -> list:
    return [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]


def admin_upload(client, data: bytes, name: str, model: str = "enterprise"):
    return client.post(reverse(f"admin:crm_{model}_import"), {"import_file": SimpleUploadedFile(name, data)})


def test_the_admin_import_reads_office_files_like_imports(client, admin_user, regions, settings):
    """A title row, a two-level header, 序号/备注 columns, a 所属区县 merged down three rows and a footer: the
    same reader as /imports/ and import_sheet, the same preview and confirm, history by the admin."""
    client.force_login(admin_user)
    response = admin_upload(client, catalogue.title_two_level_header_footer(), "台账.xlsx")
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("crm:import-preview", args=[job.pk])
    assert job.status == ImportJob.Status.PREVIEWED and job.result["header_row"] == 4  # the lower header row
    assert client.get(response["Location"]).status_code == 200
    assert not Enterprise.objects.exists()  # the first step is a dry run
    client.post(reverse("crm:import-confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.IMPORTED
    imported = Enterprise.objects.order_by("name")
    assert [(e.name, e.region_id, e.employees) for e in imported] == [
        ("目录企业1", "320812", 10),
        ("目录企业2", "320812", 20),
        ("目录企业3", "320812", 30),
    ]
    assert {e.history.get().history_user for e in imported} == {admin_user}
    assert len(stored_files(settings)) == 1


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (catalogue.error_cell, "Row 2, column 所属区县: The cell holds the error #N/A; correct it in the spreadsheet."),
        (catalogue.formula_without_value, "Row 2, column 从业人数: The formula has no calculated result"),
    ],
)
def test_the_admin_import_refuses_a_bad_cell_with_our_message(client, admin_user, regions, settings, factory, message):
    client.force_login(admin_user)
    response = admin_upload(client, factory(), "台账.xlsx")
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("crm:import-preview", args=[job.pk])
    assert job.status == ImportJob.Status.INVALID
    html = client.get(response["Location"]).content.decode()
    assert message in html.replace("&#x27;", "'")
    assert client.post(reverse("crm:import-confirm", args=[job.pk])).status_code == 302
    assert not Enterprise.objects.exists()
    assert len(stored_files(settings)) == len(ImportJob.objects.all()) == 1


def test_the_admin_import_refuses_an_unreadable_file_and_keeps_nothing(client, admin_user, regions, settings):
    client.force_login(admin_user)
    for data, message in (
        (catalogue.encrypted_xlsx(), "The file is encrypted"),
        (catalogue.zip_bomb(), "too large when unpacked"),
        (b"", "The submitted file is empty."),
    ):
        response = admin_upload(client, data, "台账.xlsx")
        assert response.status_code == 302 and response["Location"] == f"{reverse('crm:import')}?kind=enterprises"
        page = client.get(response["Location"])
        assert any(message in str(m) for m in page.context["messages"]), message
    assert not ImportJob.objects.exists() and not stored_files(settings)
    assert client.post(reverse("admin:crm_enterprise_import")).status_code == 302  # no file at all


def test_every_import_kind_links_back_to_its_list():
    assert set(LIST_URLS) == {kind for kind, _label in IMPORT_KINDS}
    for kind in LIST_URLS:
        assert _list_url(kind).startswith("/")


def test_the_preview_of_an_update_shows_each_changed_cell_old_to_new(client, manager, enterprise, regions, officer):
    client.force_login(manager)
    headers = ["企业名称", "统一社会信用代码", "所属区县", "从业人数", "挂钩联系人"]
    rows = [[enterprise.name + "（新）", enterprise.credit_code, "金湖县", enterprise.employees, officer.username]]
    response = client.get(upload(client, make_xlsx(headers, rows))["Location"])
    html = response.content.decode()
    job = ImportJob.objects.get()
    assert job.status == "previewed"
    assert job.result["preview"][0]["changes"] == [
        {"column": "企业名称", "old": enterprise.name, "new": enterprise.name + "（新）"},
        {"column": "所属区县", "old": "清江浦区", "new": "金湖县"},
        {"column": "挂钩联系人", "old": "", "new": officer.name or officer.username},
    ]
    assert html.count('data-changed="1"') == 3
    assert (
        '<span class="cell-old">清江浦区</span>' in html and '<span class="cell-new fw-semibold">金湖县</span>' in html
    )
    assert "3 cells change" in html
    enterprise.refresh_from_db()
    assert enterprise.region_id == "320812"  # a preview writes nothing


def test_the_preview_lists_the_warnings_of_the_import(client, manager, regions):
    client.force_login(manager)
    location = upload(client, make_xlsx(HEADERS, [["甲", credit_code(1), "清江浦区", 10]]))["Location"]
    job = ImportJob.objects.get()
    assert job.result["warnings"] == []
    assert 'id="import-warnings"' not in client.get(location).content.decode()
    job.result["warnings"] = ["已忽略的列：备注。", "读取了工作表“台账”，表头在第 3 行。"]
    job.save()
    html = client.get(location).content.decode()
    assert 'id="import-warnings"' in html
    assert "<li>已忽略的列：备注。</li>" in html and "表头在第 3 行" in html


def test_a_county_manager_cannot_rename_or_deactivate_a_city_policy_through_imports(
    client, manager, county_manager, city_department
):
    policy = PolicyFactory(title="市级政策", department=city_department, created_by=manager, is_active=True)
    client.force_login(county_manager)
    data = make_xlsx(["系统编号", "政策名称", "是否有效"], [[policy.pk, "改名", "否"]])
    location = upload(client, data, kind="policies")["Location"]
    job = ImportJob.objects.get()
    assert job.status == "invalid"
    assert "Row 2: Only managers keep the policy library." in client.get(location).content.decode()
    assert client.post(reverse("crm:import-confirm", args=[job.pk])).status_code == 302
    policy.refresh_from_db()
    assert (policy.title, policy.is_active) == ("市级政策", True)
    # The same file from the city's manager goes through.
    client.force_login(manager)
    upload(client, data, kind="policies")
    job = ImportJob.objects.filter(user=manager).get()
    assert job.status == "previewed"
    client.post(reverse("crm:import-confirm", args=[job.pk]))
    policy.refresh_from_db()
    assert (policy.title, policy.is_active) == ("改名", False)


def test_contacts_are_a_kind_with_template_upload_and_ledger(client, manager, officer, enterprise):
    client.force_login(manager)
    html = client.get(reverse("crm:import")).content.decode()
    assert reverse("crm:import-template", args=["contacts"]) in html and 'id="export-contacts"' in html
    headers = ["统一社会信用代码", "姓名", "手机", "是否主要联系人"]
    data = make_xlsx(headers, [[enterprise.credit_code, "周九", "13911112222", "是"]])
    location = upload(client, data, "contacts")["Location"]
    job = ImportJob.objects.get()
    assert job.status == "previewed"
    client.post(reverse("crm:import-confirm", args=[job.pk]))
    assert client.get(location).status_code == 200
    assert enterprise.contacts.get().name == "周九"
    response = client.get(reverse("crm:contact-export"))
    assert response.status_code == 200
    rows = read_xlsx(response.content)
    assert (
        rows[0][:3] == ("系统编号", "企业名称", "统一社会信用代码")
        and rows[1][3] == "周九"
        and rows[1][5] == "13911112222"
    )
    client.force_login(officer)
    assert client.get(reverse("crm:contact-export")).status_code == 403


# ------------------------------------------------------------------ long files: checked and imported by tasks


def test_a_long_file_is_checked_and_imported_by_tasks_with_progress_and_notifications(
    client, manager, regions, settings, monkeypatch
):
    settings.IMPORT_SYNC_MAX_ROWS = 2
    client.force_login(manager)
    queued = []
    monkeypatch.setattr("crm.views.imports.import_check", type("Later", (), {"enqueue": queued.append}))
    rows = [
        ["甲", credit_code(1), "清江浦区", 10],
        ["乙", credit_code(2), "金湖县", 5],
        ["丙", credit_code(3), "淮安区", 1],
    ]
    response = upload(client, make_xlsx(HEADERS, rows))
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("crm:import-preview", args=[job.pk])
    assert (job.status, job.total, queued) == ("queued", 3, [job.pk])  # read (3 rows), stored, left for the worker
    assert job.result == {}

    # While it waits or runs: a progress page polling the status, no inline code.
    page = client.get(response["Location"]).content.decode()
    status_url = reverse("crm:import-status", args=[job.pk])
    assert f'hx-get="{status_url}"' in page and 'id="import-percent">0%<' in page and "pct-0" in page
    assert "style=" not in page and "<script>" not in page
    assert client.get(status_url).json()["status"] == "queued"
    assert client.post(reverse("crm:import-confirm", args=[job.pk]), follow=True).status_code == 200
    assert ImportJob.objects.get().status == "queued"  # no confirm before the check

    # The worker checks it (the immediate backend here); polling now reloads the page, which shows the preview.
    monkeypatch.undo()
    import_check.enqueue(job.pk)
    job.refresh_from_db()
    assert job.status == "previewed" and job.result["created"] == 3
    fragment = client.get(status_url, headers={"HX-Request": "true"})
    assert fragment["HX-Refresh"] == "true" and "hx-get" not in fragment.content.decode()
    assert client.get(status_url).json()["percent"] == 100
    preview = client.get(response["Location"]).content.decode()
    assert 'id="import-confirm"' in preview and 'id="count-created">3<' in preview
    checked = Notification.objects.get(recipient=manager, kind=NotificationKind.IMPORT)
    assert checked.import_job == job and "3 rows ready to import" in checked.text
    opened = client.post(reverse("crm:notification-read", args=[checked.pk]))
    assert opened.url == reverse("crm:import-preview", args=[job.pk])
    assert not Enterprise.objects.exists()

    # The confirm is imported by the worker too (at once here) and announced.
    response = client.post(reverse("crm:import-confirm", args=[job.pk]), follow=True)
    assert "Imported: 3 created, 0 updated, 0 unchanged." in response.content.decode()
    assert Enterprise.objects.count() == 3
    job.refresh_from_db()
    assert job.status == "imported" and job.imported_at is not None
    done = Notification.objects.filter(kind=NotificationKind.IMPORT).exclude(pk=checked.pk).get()
    assert done.import_job == job and "3 created, 0 updated, 0 unchanged" in done.text
    again = client.post(reverse("crm:import-confirm", args=[job.pk]), follow=True)
    assert "This file has been imported already." in again.content.decode()
    assert Enterprise.objects.count() == 3


def test_a_long_file_with_problems_is_announced_and_cannot_be_confirmed(client, manager, regions, settings):
    settings.IMPORT_SYNC_MAX_ROWS = 1
    client.force_login(manager)
    upload(client, make_xlsx(HEADERS, [["甲", credit_code(1), "清江浦区", 10], ["乙", credit_code(2), "火星", 5]]))
    job = ImportJob.objects.get()
    assert job.status == "invalid"
    assert "1 problem to fix" in Notification.objects.get(import_job=job).text
    html = client.get(reverse("crm:import-preview", args=[job.pk])).content.decode()
    assert "No region is called or coded “火星”." in html and 'id="import-confirm"' not in html


def test_an_unreadable_long_file_is_refused_at_once_and_not_stored(client, manager, settings):
    settings.IMPORT_SYNC_MAX_ROWS = 0
    client.force_login(manager)
    response = upload(client, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert response.status_code == 400 and "neither an Excel workbook" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_long_import_that_breaks_off_is_failed_and_said_so(client, manager, regions, settings, monkeypatch):
    settings.IMPORT_SYNC_MAX_ROWS = 1

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("crm.tasks.import_job_check", broken)
    client.force_login(manager)
    upload(client, make_xlsx(HEADERS, [["甲", credit_code(1), "清江浦区", 10], ["乙", credit_code(2), "金湖县", 5]]))
    job = ImportJob.objects.get()
    assert job.status == "failed" and job.error
    assert "broke off" in Notification.objects.get(import_job=job).text
    page = client.get(reverse("crm:import-preview", args=[job.pk])).content.decode()
    assert job.error in page and 'id="import-again"' in page and 'hx-trigger="every' not in page  # no more polling
    assert not Enterprise.objects.exists()


def test_a_short_file_stays_synchronous(client, manager, regions, settings, monkeypatch):
    settings.IMPORT_SYNC_MAX_ROWS = 2

    def never(*args):
        raise AssertionError("a short file is not queued")

    monkeypatch.setattr("crm.views.imports.import_check", type("Never", (), {"enqueue": never}))
    monkeypatch.setattr("crm.views.imports.import_run", type("Never", (), {"enqueue": never}))
    client.force_login(manager)
    upload(client, make_xlsx(HEADERS, [["甲", credit_code(1), "清江浦区", 10], ["乙", credit_code(2), "金湖县", 5]]))
    job = ImportJob.objects.get()
    assert (job.status, job.total) == ("previewed", 2)
    client.post(reverse("crm:import-confirm", args=[job.pk]))
    assert Enterprise.objects.count() == 2
    assert not Notification.objects.exists()


def test_a_short_upload_is_read_once(client, manager, regions, settings, monkeypatch):
    reads = []
    real = sheet_imports.sheet_read
    monkeypatch.setattr(sheet_imports, "sheet_read", lambda **kwargs: reads.append(1) or real(**kwargs))
    settings.IMPORT_SYNC_MAX_ROWS = 2
    client.force_login(manager)
    upload(client, make_xlsx(HEADERS, [["甲", credit_code(1), "清江浦区", 10]]))
    assert ImportJob.objects.get().status == "previewed"
    assert len(reads) == 1  # counted for the threshold, then checked from the same parsed sheet


def test_another_users_import_status_is_not_found(client, manager, city_bureau, city_department, regions, settings):
    settings.IMPORT_SYNC_MAX_ROWS = 0
    client.force_login(make_user("manager2", "manager", city_bureau, city_department))
    upload(client, make_xlsx(HEADERS, [["甲", credit_code(1), "清江浦区", 10]]))
    job = ImportJob.objects.get()
    client.force_login(manager)
    assert client.get(reverse("crm:import-status", args=[job.pk])).status_code == 404
