"""A manager imports the enterprise list from a real-looking Chinese xlsx in a real browser: the preview
marks the wrong cells and nothing is saved; the corrected file previews clean and is imported on confirm.
Screenshots go to /tmp/shots/ (imports-preview-errors.png is the one to look at).
"""

import datetime as dt

import pytest

from crm.models import Enterprise, ImportJob
from tests.factories import credit_code
from tests.sheets_helpers import make_xlsx

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser"), pytest.mark.django_db(transaction=True)]

HEADERS = [
    "序号",
    "企业名称",
    "统一社会信用代码",
    "所属区县",
    "所属产业链",
    "企业资质",
    "从业人数",
    "上年营业收入（万元）",
    "成立日期",
    "挂钩联系企业",
    "挂钩联系人",
]


def ledger_rows(*, fixed: bool) -> list[list]:
    rows = [
        [1, "淮安清源食品科技有限公司", credit_code(101), "清江浦区", "绿色食品", "高新技术企业、科技型中小企业"]
        + ["1,250", 8600.5, dt.datetime(2012, 3, 1), "是", "officer"],
        [2, "淮安博远电子材料有限公司", credit_code(102), "淮安区", "PCB电子元器件", "专精特新中小企业"]
        + [320, "2,100", "2016/7/15", "是", ""],
        # The bad row: a region that does not exist (金湖 alone would be 金湖县) and a mistyped check character.
        [3, "金湖华新新能源有限公司", credit_code(103, "320831")[:-1] + "0", "金湖镇", "新能源汽车及零部件", ""]
        + [86, 960, "2019年5月20日", "否", ""],
        [4, "淮安盛达精密机械有限公司", credit_code(104), "320812", "", "tsme"] + [45, 500, "2020-01-06", "否", ""],
    ]
    if fixed:
        rows[2][2] = credit_code(103, "320831")
        rows[2][3] = "金湖县"
    return rows


def workbook(path, *, fixed: bool) -> str:
    data = make_xlsx(HEADERS, ledger_rows(fixed=fixed), above=[["淮安市科技局挂钩联系企业台账（2026年）"]])
    path.write_bytes(data)
    return str(path)


def test_upload_preview_fix_and_confirm(
    page_as, manager, officer, regions, chains, qualifications, tmp_path, shots, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    page = page_as(manager)
    page.click("#nav-more")  # 导入导出 sits under 更多
    page.click("#nav-more + .dropdown-menu a[href='/imports/']")
    page.wait_for_url("**/imports/")
    page.screenshot(path=shots("imports-index"), full_page=True)

    # 1. The file with one bad row: the preview marks its cells, nothing is saved.
    page.select_option("#id_kind", "enterprises")
    page.set_input_files("#id_file", workbook(tmp_path / "挂钩企业台账.xlsx", fixed=False))
    page.click("#import-check")
    page.wait_for_selector("#import-problems")
    bad_row = page.locator("#preview-table tr[data-row='5']")
    assert bad_row.get_attribute("data-status") == "invalid"
    assert bad_row.locator("td.cell-error[data-column='所属区县']").count() == 1
    assert bad_row.locator("td.cell-error[data-column='统一社会信用代码']").count() == 1
    assert "金湖" in bad_row.locator("td.cell-error[data-column='所属区县']").inner_text()
    assert page.locator("#preview-table td.cell-error").count() == 2
    assert page.locator("#import-confirm").count() == 0
    problems = page.locator("#problem-list li").all_inner_texts()
    assert len(problems) == 2 and all("5" in line for line in problems)
    page.screenshot(path=shots("imports-preview-errors"), full_page=True)
    assert Enterprise.objects.count() == 0

    # 2. The corrected file: a clean preview, still nothing saved.
    page.select_option("#id_kind", "enterprises")
    page.set_input_files("#id_file", workbook(tmp_path / "挂钩企业台账（改）.xlsx", fixed=True))
    page.click("#reupload-check")
    page.wait_for_selector("#import-ready")
    assert page.locator("#count-created").inner_text() == "4"
    assert page.locator("#preview-table td.cell-error").count() == 0
    page.screenshot(path=shots("imports-preview-ok"), full_page=True)
    assert Enterprise.objects.count() == 0

    # 3. Confirm: all four rows are imported from the file kept on the server.
    page.click("#import-confirm")
    page.wait_for_selector("#import-done")
    page.screenshot(path=shots("imports-done"), full_page=True)
    assert Enterprise.objects.count() == 4
    jinhu = Enterprise.objects.get(credit_code=credit_code(103, "320831"))
    assert (jinhu.region_id, jinhu.established_on) == ("320831", dt.date(2019, 5, 20))
    first = Enterprise.objects.get(credit_code=credit_code(101))
    assert first.employees == 1250 and list(first.liaison_officers.all()) == [officer]
    assert set(first.qualifications.values_list("code", flat=True)) == {"hnte", "tsme"}
    assert first.history.get().history_user == manager
    assert list(ImportJob.objects.values_list("status", flat=True).order_by("id")) == ["invalid", "imported"]

    # 4. The list page exports what it shows.
    page.click("#import-open-list")
    page.wait_for_url("**/enterprises/")
    with page.expect_download() as download_info:
        page.click("#export-xlsx")
    assert download_info.value.suggested_filename.endswith(".xlsx")
