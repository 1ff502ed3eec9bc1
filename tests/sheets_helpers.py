"""Helpers for the spreadsheet tests: build xlsx/CSV uploads like a bureau's, read exports back."""

import csv
import io

import openpyxl


def make_xlsx(headers, rows, *, hidden=(), above=(), date_cells=()) -> bytes:
    """An xlsx like a bureau's: optional title rows ``above`` the headers, hidden rows (1-based data rows)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "台账"
    for line in above:
        sheet.append(line)
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    offset = len(above) + 1
    for index in hidden:
        sheet.row_dimensions[offset + index].hidden = True
    for row_index, column_index in date_cells:
        sheet.cell(row=offset + row_index, column=column_index).number_format = "yyyy/m/d"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def make_csv(headers, rows, *, encoding="utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def read_xlsx(data: bytes) -> list[tuple]:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return list(workbook.worksheets[0].iter_rows(values_only=True))


def lines(outcome) -> list[str]:
    return [p.as_line() for p in outcome.problems]
