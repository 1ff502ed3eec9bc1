# ruff: noqa: E501 - XML literals read best on one line
"""A catalogue of spreadsheets made the way offices make them (Excel, WPS, LibreOffice, generators), and of
damaged or hostile ones: each entry is a function returning the file's bytes.

Where tools write the format differently, the parts are written by hand and zipped (WPS inline strings, a
shared strings part under another name, 1904 dates, strict OOXML, formulas without cached values, error
cells); the rest is made with openpyxl. ``CATALOGUE`` maps a name to (bytes factory, expected outcome):
``"ok"`` imports, anything else is a fragment of the one problem expected.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date

import openpyxl
import xlwt

from tests.factories import credit_code

TRANSITIONAL = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STRICT_REL = "http://purl.oclc.org/ooxml/officeDocument/relationships"
HEADERS = ["企业名称", "统一社会信用代码", "所属区县", "从业人数"]


def code(n: int) -> str:
    return credit_code(900 + n)


def _cell(ref: str, value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'
    return f'<c r="{ref}"><v>{value}</v></c>'


def sheet_xml(rows: list[list], *, ns: str = TRANSITIONAL, extra: str = "", after: str = "", start: int = 1) -> str:
    """A worksheet with inline strings (what WPS and generators write); ``extra`` goes inside a row's XML
    by callers that write raw cells."""
    body = []
    for number, values in enumerate(rows, start=start):
        cells = "".join(_cell(f"{chr(65 + i)}{number}", v) for i, v in enumerate(values))
        body.append(f'<row r="{number}">{cells}</row>')
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{ns}"><sheetData>{"".join(body)}{extra}</sheetData>{after}</worksheet>'


def xlsx_parts(
    sheets: list[tuple[str, str]],
    *,
    shared: list[str] | None = None,
    shared_name: str = "sharedStrings.xml",
    styles: str | None = None,
    workbook_pr: str = "",
    ns: str = TRANSITIONAL,
    rel: str = REL,
) -> bytes:
    """Zip hand-written parts into a workbook: ``sheets`` are (name, worksheet XML)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f"{overrides}</Types>",
        )
        pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
        archive.writestr(
            "_rels/.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{pkg}"><Relationship Id="rId1" '
            f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{rel}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        if shared is not None:
            rels += f'<Relationship Id="rIdS" Type="{rel}/sharedStrings" Target="{shared_name}"/>'
            items = "".join(f"<si><t>{s}</t></si>" for s in shared)
            archive.writestr("xl/" + shared_name, f'<?xml version="1.0"?><sst xmlns="{ns}">{items}</sst>')
        if styles is not None:
            rels += f'<Relationship Id="rIdT" Type="{rel}/styles" Target="styles.xml"/>'
            archive.writestr("xl/styles.xml", f'<?xml version="1.0"?><styleSheet xmlns="{ns}">{styles}</styleSheet>')
        archive.writestr(
            "xl/_rels/workbook.xml.rels", f'<?xml version="1.0"?><Relationships xmlns="{pkg}">{rels}</Relationships>'
        )
        entries = "".join(
            f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>' for i, (name, _xml) in enumerate(sheets, start=1)
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0"?><workbook xmlns="{ns}" xmlns:r="{rel}">{workbook_pr}<sheets>{entries}</sheets></workbook>',
        )
        for i, (_name, xml) in enumerate(sheets, start=1):
            archive.writestr(f"xl/worksheets/sheet{i}.xml", xml)
    return buffer.getvalue()


def _save(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rows(count: int = 3, start: int = 1) -> list[list]:
    return [[f"目录企业{i}", code(i), "清江浦区", 10 * i] for i in range(start, start + count)]


# ------------------------------------------------------------------------------------- office habits


def wps_inline_strings() -> bytes:
    return xlsx_parts([("Sheet1", sheet_xml([HEADERS, *rows()]))])


def shared_strings_elsewhere() -> bytes:
    """The shared strings part under another name, found through the workbook relationships."""
    cells = [f'<c r="{c}{r}" t="s"><v>{i}</v></c>' for i, (c, r) in enumerate(zip("ABCABC", "111222", strict=True))]
    body = f'<row r="1">{"".join(cells[:3])}</row><row r="2">{"".join(cells[3:])}</row>'
    xml = f'<?xml version="1.0"?><worksheet xmlns="{TRANSITIONAL}"><sheetData>{body}</sheetData></worksheet>'
    strings = ["企业名称", "统一社会信用代码", "所属区县", "别名企业", code(1), "清江浦区"]
    return xlsx_parts([("S", xml)], shared=strings, shared_name="strings/ss.xml")


def strict_ooxml() -> bytes:
    return xlsx_parts([("严格", sheet_xml([HEADERS, *rows()], ns=STRICT))], ns=STRICT, rel=STRICT_REL)


def dates_1904() -> bytes:
    styles = '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs>'
    body = sheet_xml([[*HEADERS[:3], "成立日期"]])[: -len("</sheetData></worksheet>")]
    # 40000 days after 1904-01-01 is 2013-07-07 (it would be 2009-07-06 in the 1900 system).
    body += f'<row r="2">{_cell("A2", "日期企业")}{_cell("B2", code(1))}{_cell("C2", "清江浦区")}<c r="D2" s="1"><v>40000</v></c></row>'
    body += "</sheetData></worksheet>"
    return xlsx_parts([("S", body)], styles=styles, workbook_pr='<workbookPr date1904="1"/>')


def percent_cells() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["政策名称", "最低研发投入占比(%)"])
    sheet.append(["百分比政策", 0.05])
    sheet["B2"].number_format = "0%"
    return _save(workbook)


def title_two_level_header_footer() -> bytes:
    """Title, a note, a two-level header (企业名称 and the code merged down, a group over the others), 序号 and
    备注 columns, a merged 所属区县, a 合计 and a 制表人 footer, empty pre-numbered rows."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "企业台账"
    sheet.append(["2026年淮安市挂钩企业台账"])
    sheet.append(["填报单位：市科技局", None, None, None, "单位：万元"])
    sheet.append(["序号", "企业名称", "统一社会信用代码", "基本情况", None, "备注"])
    sheet.append([None, None, None, "所属区县", "从业人数", None])
    for cells in ("A3:A4", "B3:B4", "C3:C4", "D3:E3", "F3:F4"):
        sheet.merge_cells(cells)
    for i, row in enumerate(rows(3), start=1):
        sheet.append([i, row[0], row[1], "清江浦区" if i == 1 else None, row[3], "重点"])
    sheet.merge_cells("D5:D7")
    sheet.append([4, None, None, None, None, None])
    sheet.append([5, None, None, None, None, None])
    sheet.append(["合计", None, None, None, 60, None])
    sheet.append(["制表人：王伟", None, "审核人：李娜", None, None, None])
    return _save(workbook)


def notes_sheet_first() -> bytes:
    workbook = openpyxl.Workbook()
    notes = workbook.active
    notes.title = "填报说明"
    for line in (["填报说明"], ["1. 企业名称", "写全称"], ["2. 统一社会信用代码", "18位"]):
        notes.append(line)
    data = workbook.create_sheet("企业")
    data.append(HEADERS)
    for row in rows():
        data.append(row)
    return _save(workbook)


def many_preamble_rows() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for i in range(15):
        sheet.append([f"说明第{i + 1}行"])
    sheet.append(HEADERS)
    for row in rows():
        sheet.append(row)
    return _save(workbook)


def hidden_and_filtered_rows() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    for row in rows(3):
        sheet.append(row)
    sheet.auto_filter.ref = "A1:D4"
    sheet.row_dimensions[3].hidden = True
    sheet.column_dimensions["E"].hidden = True
    sheet["E1"] = "辅助列"
    sheet["E2"] = "x"
    return _save(workbook)


def formula_without_value() -> bytes:
    body = f'<row r="1">{"".join(_cell(f"{chr(65 + i)}1", h) for i, h in enumerate(HEADERS))}</row>'
    body += f'<row r="2">{_cell("A2", "公式企业")}{_cell("B2", code(1))}{_cell("C2", "清江浦区")}<c r="D2"><f>SUM(1,2)</f></c></row>'
    xml = f'<?xml version="1.0"?><worksheet xmlns="{TRANSITIONAL}"><sheetData>{body}</sheetData></worksheet>'
    return xlsx_parts([("S", xml)])


def error_cell() -> bytes:
    body = f'<row r="1">{"".join(_cell(f"{chr(65 + i)}1", h) for i, h in enumerate(HEADERS))}</row>'
    body += (
        f'<row r="2">{_cell("A2", "错误企业")}{_cell("B2", code(1))}<c r="C2" t="e"><f>VLOOKUP(A2,X,2,0)</f>'
        f"<v>#N/A</v></c>{_cell('D2', 5)}</row>"
    )
    xml = f'<?xml version="1.0"?><worksheet xmlns="{TRANSITIONAL}"><sheetData>{body}</sheetData></worksheet>'
    return xlsx_parts([("S", xml)])


def line_break_escape() -> bytes:
    return xlsx_parts([("S", sheet_xml([HEADERS, ["换行_x000D_企业", code(1), "清江浦区", 3]]))])


def csv_gb18030() -> bytes:
    lines = [",".join(HEADERS), *(",".join(str(v) for v in row) for row in rows())]
    return ("\r\n".join(lines) + "\r\n").encode("gb18030")


def csv_utf8_bom() -> bytes:
    lines = [",".join(HEADERS), *(",".join(str(v) for v in row) for row in rows())]
    return ("\ufeff" + "\r\n".join(lines)).encode("utf-8")


def unicode_text() -> bytes:
    """Excel's "Unicode text": UTF-16 with BOM, tab separated."""
    lines = ["\t".join(HEADERS), *("\t".join(str(v) for v in row) for row in rows())]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-16-le")


def ods_cell(value, attributes: str = "") -> str:
    if value is None:
        return f"<table:table-cell{attributes}/>"
    if isinstance(value, int):
        return (
            f'<table:table-cell{attributes} office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    return f'<table:table-cell{attributes} office:value-type="string"><text:p>{value}</text:p></table:table-cell>'


def ods(table_rows: str | None = None, *, columns: str = "") -> bytes:
    """An OpenDocument sheet written by hand (as LibreOffice writes it): mimetype first (stored), then
    content.xml; ``table_rows``: the sheet's rows as XML (default: the headers and three plain rows)."""
    if table_rows is None:
        table_rows = "".join(
            "<table:table-row>" + "".join(ods_cell(v) for v in row) + "</table:table-row>" for row in [HEADERS, *rows()]
        )
    table_rows = columns + table_rows
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="企业">{table_rows}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def ods_hidden_and_filtered_rows() -> bytes:
    """LibreOffice's autofilter: row 3 filtered out (``visibility="filter"``), column E hidden (a helper column),
    and the trailing empty rows LibreOffice writes as one repeated row."""
    columns = (
        '<table:table-column table:number-columns-repeated="4"/>'
        '<table:table-column table:visibility="collapse"/><table:table-column table:number-columns-repeated="1019"/>'
    )
    body = "<table:table-row>" + "".join(ods_cell(h) for h in [*HEADERS, "辅助列"]) + "</table:table-row>"
    for i, row in enumerate(rows(3), start=2):
        visibility = ' table:visibility="filter"' if i == 3 else ""
        body += f"<table:table-row{visibility}>" + "".join(ods_cell(v) for v in [*row, "x"]) + "</table:table-row>"
    body += '<table:table-row table:number-rows-repeated="1048572"><table:table-cell/></table:table-row>'
    return ods(body, columns=columns)


def ods_hidden_rows() -> bytes:
    """Rows hidden by hand (``visibility="collapse"``), two of them in one repeated row element."""
    body = "<table:table-row>" + "".join(ods_cell(h) for h in HEADERS) + "</table:table-row>"
    data = rows(4)
    body += "<table:table-row>" + "".join(ods_cell(v) for v in data[0]) + "</table:table-row>"
    body += (
        '<table:table-row table:visibility="collapse">' + "".join(ods_cell(v) for v in data[1]) + "</table:table-row>"
    )
    body += (
        '<table:table-row table:visibility="collapse">' + "".join(ods_cell(v) for v in data[2]) + "</table:table-row>"
    )
    body += "<table:table-row>" + "".join(ods_cell(v) for v in data[3]) + "</table:table-row>"
    return ods(body)


def ods_merged_down() -> bytes:
    """A title merged across the columns, and 所属区县 merged down the three data rows, as LibreOffice writes a
    merge: the spans on the first cell, covered cells below and beside it."""
    body = (
        '<table:table-row><table:table-cell table:number-columns-spanned="4" office:value-type="string">'
        '<text:p>2026年企业台账</text:p></table:table-cell><table:covered-table-cell table:number-columns-repeated="3"/>'
        "</table:table-row>"
    )
    body += "<table:table-row>" + "".join(ods_cell(h) for h in HEADERS) + "</table:table-row>"
    for i, row in enumerate(rows(3)):
        region = ods_cell("金湖县", ' table:number-rows-spanned="3"') if i == 0 else "<table:covered-table-cell/>"
        body += f"<table:table-row>{ods_cell(row[0])}{ods_cell(row[1])}{region}{ods_cell(row[3])}</table:table-row>"
    return ods(body)


def xls_biff8() -> bytes:
    """An old Excel 97–2003 workbook (.xls, BIFF8, what WPS and old Excel save as), written with xlwt (test-only
    dependency): a title row, the headers on row 2, 所属区县 merged down the three data rows."""
    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet("企业台账")
    sheet.write_merge(0, 0, 0, 3, "2026年企业台账")
    for column, header in enumerate(HEADERS):
        sheet.write(1, column, header)
    for i, row in enumerate(rows(3), start=2):
        for column in (0, 1, 3):
            sheet.write(i, column, row[column])
    sheet.write_merge(2, 4, 2, 2, "金湖县")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def openpyxl_plain() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([*HEADERS, "成立日期"])
    for row in rows():
        sheet.append([*row, date(2011, 5, 1)])
    return _save(workbook)


# --------------------------------------------------------------------------------- damaged and hostile


def encrypted_xlsx() -> bytes:
    """What Excel writes for a password-protected xlsx: an OLE2 container with an EncryptedPackage stream."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    directory = "EncryptionInfo".encode("utf-16-le") + b"\x00" * 50 + "EncryptedPackage".encode("utf-16-le")
    return header + directory + b"\x00" * 1024


def far_column() -> bytes:
    """One value in column XFD: a dense reader would allocate 16 384 columns for every row."""
    body = sheet_xml([HEADERS, *rows()])[: -len("</sheetData></worksheet>")]
    body += f'<row r="5">{_cell("XFD5", "远")}</row></sheetData></worksheet>'
    return xlsx_parts([("S", body)])


def far_row() -> bytes:
    body = sheet_xml([HEADERS, *rows()])[: -len("</sheetData></worksheet>")]
    body += '<row r="1048576"><c r="A1048576"><v>1</v></c></row></sheetData></worksheet>'
    return xlsx_parts([("S", body)])


def empty_rows() -> bytes:
    """Hundreds of thousands of empty styled rows below the table (272 KB of them took 34 s before)."""
    body = sheet_xml([HEADERS, *rows()])[: -len("</sheetData></worksheet>")]
    body += "".join(f'<row r="{n}" s="1" customFormat="1"><c r="A{n}" s="1"/></row>' for n in range(5, 200_000))
    body += "</sheetData></worksheet>"
    return xlsx_parts([("S", body)])


def billion_laughs(encoding: str = "utf-8") -> bytes:
    xml = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>'
        f'<worksheet xmlns="{TRANSITIONAL}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is>'
        "</c></row></sheetData></worksheet>"
    )
    data = xlsx_parts([("S", sheet_xml([HEADERS]))])
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = (
                    xml.replace('encoding="utf-8"', "").encode(encoding)
                    if encoding == "utf-8"
                    else (
                        "\ufeff" + xml.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
                    ).encode("utf-16-le")
                )
            target.writestr(info, content)
    return buffer.getvalue()


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (300 * 1024 * 1024))
    return buffer.getvalue()


def missing_sheet_part() -> bytes:
    data = wps_inline_strings()
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                target.writestr(info, source.read(info))
    return buffer.getvalue()


def truncated_zip() -> bytes:
    data = openpyxl_plain()
    return data[: len(data) // 2]


def word_document() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


# name → (factory, "ok" or a fragment of the single expected problem, for the kind "enterprises" unless given)
CATALOGUE = {
    "wps_inline_strings": (wps_inline_strings, "ok"),
    "shared_strings_elsewhere": (shared_strings_elsewhere, "ok"),
    "strict_ooxml": (strict_ooxml, "ok"),
    "dates_1904": (dates_1904, "ok"),
    "title_two_level_header_footer": (title_two_level_header_footer, "ok"),
    "notes_sheet_first": (notes_sheet_first, "ok"),
    "many_preamble_rows": (many_preamble_rows, "ok"),
    "hidden_and_filtered_rows": (hidden_and_filtered_rows, "ok"),
    "line_break_escape": (line_break_escape, "ok"),
    "csv_gb18030": (csv_gb18030, "ok"),
    "csv_utf8_bom": (csv_utf8_bom, "ok"),
    "unicode_text": (unicode_text, "ok"),
    "ods": (ods, "ok"),
    "ods_hidden_and_filtered_rows": (ods_hidden_and_filtered_rows, "ok"),
    "ods_hidden_rows": (ods_hidden_rows, "ok"),
    "ods_merged_down": (ods_merged_down, "ok"),
    "xls_biff8": (xls_biff8, "ok"),
    "openpyxl_plain": (openpyxl_plain, "ok"),
    "formula_without_value": (formula_without_value, "The formula has no calculated result"),
    "error_cell": (error_cell, "The cell holds the error #N/A"),
    "encrypted_xlsx": (encrypted_xlsx, "The file is encrypted"),
    "far_column": (far_column, "beyond column CV"),
    "far_row": (far_row, "has values down to row 1,048,576"),
    "empty_rows": (empty_rows, "ok"),
    "billion_laughs": (billion_laughs, "a DTD"),
    "billion_laughs_utf16": (lambda: billion_laughs("utf-16"), "a DTD"),
    "zip_bomb": (zip_bomb, "too large when unpacked"),
    "missing_sheet_part": (missing_sheet_part, "no visible sheet"),
    "truncated_zip": (truncated_zip, "damaged"),
    "word_document": (word_document, "not a spreadsheet"),
}
