"""Reads a Parquet file with pyarrow, an independent reader, and compares it with a CSV of
the same rows (used by crates/app/tests/research.rs and crates/cli/tests/import_export.rs).

    python3 parquet_vs_csv.py FILE.parquet FILE.csv

Prints one JSON object: the column names, each column's Arrow type, the row counts of both
files, each column's null count, and the first differences, where a Parquet value is shown
as the CSV shows it (null as an empty cell, true/false, dates as YYYY-MM-DD)."""

import csv
import json
import sys

try:
    import pyarrow.parquet as pq
except ImportError:
    sys.exit("pyarrow is missing: python3 -m pip install pyarrow")


def as_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


table = pq.read_table(sys.argv[1])
with open(sys.argv[2], newline="", encoding="utf-8") as f:
    header, *rows = list(csv.reader(f))
values = table.to_pydict()
differences = []
for name in table.column_names:
    if name not in header:
        differences.append(f"{name}: no such CSV column")
        continue
    index = header.index(name)
    for number, (value, row) in enumerate(zip(values[name], rows)):
        if as_cell(value) != row[index]:
            differences.append(f"row {number + 1}, {name}: parquet {as_cell(value)!r}, csv {row[index]!r}")
print(json.dumps({
    "names": table.column_names,
    "types": {field.name: str(field.type) for field in table.schema},
    "rows": table.num_rows,
    "csv_rows": len(rows),
    "nulls": {name: table.column(name).null_count for name in table.column_names},
    "differences": differences[:20],
}))
