#!/usr/bin/env python3
"""Helpers of bench/run.

  table.py indicators LOG OUT.json   the figures of compare_duckdb.py's output as result rows
  table.py print FILE.json...        one table of every result row: figure, value, goal,
                                     peer measured in the same run, pass/fail
"""

import json
import re
import sys


def indicators(log, out):
    text = open(log).read()
    def find(pattern):
        match = re.search(pattern, text)
        return match.group(1) if match else None
    rows_n = find(r"registrations: ([\d,]+)")
    engine = find(r"kvalreg engine: ([\d.]+) s")
    duck = find(r"DuckDB:\s+([\d.]+) s \(best")
    same = "same numbers: all" in text
    rows = []
    if engine:
        rows.append({"figure": f"indicator table, {rows_n} registrations (engine, best run)",
                     "value": f"{float(engine):.3f} s" + ("" if same else ", NUMBERS DIFFER FROM DUCKDB"),
                     "goal": "< 0.3 s, same numbers as DuckDB",
                     "peer": f"DuckDB: {float(duck):.3f} s" if duck else "",
                     "pass": float(engine) < 0.3 and same})
    else:
        rows.append({"figure": "indicator table", "value": "did not run (see log)", "goal": "< 0.3 s",
                     "peer": "", "pass": False})
    with open(out, "w") as f:
        json.dump(rows, f, indent=1)


def show(files):
    rows = []
    for path in files:
        with open(path) as f:
            rows.extend(json.load(f))
    header = ["figure", "value", "goal", "peer (same run)", "pass"]
    table = [[r["figure"], r["value"], r["goal"] or "-", r["peer"] or "-",
              "-" if r["pass"] is None else ("PASS" if r["pass"] else "FAIL")] for r in rows]
    widths = [max(len(x) for x in column) for column in zip(header, *table)]
    def line(cells):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for cells in table:
        print(line(cells))


if __name__ == "__main__":
    if sys.argv[1] == "indicators":
        indicators(sys.argv[2], sys.argv[3])
    else:
        show(sys.argv[2:])
