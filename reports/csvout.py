"""CSV downloads for the city's accounting: UTF-8 with a byte order mark and semicolons, so Excel in a
Finnish locale opens them with the right characters and columns; amounts with a decimal comma."""

from __future__ import annotations

import csv

from django.http import HttpResponse

BOM = "\ufeff"


def cell(value, kind: str) -> str:
    if value is None or value == "":
        return ""
    if kind in ("eraha", "euros") and isinstance(value, int):
        sign = "-" if value < 0 else ""
        whole, cents = divmod(abs(value), 100)
        return f"{sign}{whole},{cents:02d}"
    return str(value)


def table_csv_response(table, *, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write(BOM)
    writer = csv.writer(response, delimiter=";")
    writer.writerow([str(label) for label, _kind in table.columns])
    for row in table.rows:
        writer.writerow([cell(value, kind) for value, (_label, kind) in zip(row, table.columns, strict=True)])
    return response
