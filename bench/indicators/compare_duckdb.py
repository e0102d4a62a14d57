#!/usr/bin/env python3
"""Computes the stroke register's full indicator table with DuckDB from the data the Rust
benchmark wrote, checks that both give the same numbers, and prints both times and their
ratio (issue 4, performance). See bench/README.md.

The indicator definitions are read from registers/stroke/indicators.toml: their
expressions are SQL already, except `days_between(onset_time, report_date)`, which becomes a
date difference on the onset date.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time
import tomllib

import duckdb

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
Z_95 = 1.959963984540054

COLUMN_TYPES = {
    "hospital": "VARCHAR", "evt_hospital": "VARCHAR", "transferred_from": "VARCHAR",
    "arrival_date": "DATE", "onset_date": "DATE", "diagnosis": "VARCHAR",
    "stroke_location": "VARCHAR", "first_ward": "VARCHAR", "stroke_unit_care": "BOOLEAN",
    "ivt": "BOOLEAN", "ivt_hospital": "VARCHAR", "door_to_needle": "BIGINT",
    "swallow_screen": "VARCHAR", "atrial_fibrillation": "VARCHAR",
    "discharge_destination": "VARCHAR", "dis_antiplatelet": "BOOLEAN",
    "dis_anticoagulant": "BOOLEAN", "dis_statin": "BOOLEAN", "age": "BIGINT",
    "functional_assessment_7d": "BOOLEAN", "fu_done": "BOOLEAN", "evt": "BOOLEAN",
    "evt_pathway": "VARCHAR", "door_to_groin": "BIGINT", "door_in_door_out": "BIGINT",
    "tici_final": "VARCHAR", "evt_sich": "BOOLEAN", "ent": "BOOLEAN", "mrs_3m": "BIGINT",
}


def run_rust(out, rows):
    command = ["cargo", "bench", "-p", "kvalreg-analytics", "--bench", "indicator_table", "--",
               "--rows", str(rows), "--out", out]
    print("$ " + " ".join(command), flush=True)
    subprocess.run(command, cwd=ROOT, check=True)


def to_sql(expression, as_of):
    """An indicator expression as DuckDB SQL over the benchmark's columns."""
    return expression.replace(
        "days_between(onset_time, report_date)", f"(DATE '{as_of}' - onset_date)")


def level_sql(indicator, value):
    """SQL for the green/yellow/red level of `value`, NULL without levels."""
    if "green" not in indicator:
        return "NULL"
    def condition(text):
        text = text.strip()
        op = next(o for o in (">=", "<=", ">", "<") if text.startswith(o))
        number = text[len(op):].strip()
        limit = float(number.rstrip("%").strip()) / (100 if number.endswith("%") else 1)
        return f"{value} {op} {limit!r}"
    return (f"CASE WHEN {condition(indicator['green'])} THEN 'green' "
            f"WHEN {condition(indicator['yellow'])} THEN 'yellow' ELSE 'red' END")


def indicator_query(indicator, register_unit, as_of):
    unit = indicator.get("unit", register_unit)
    minimum = indicator.get("minimum_denominator", 5)
    median = indicator["type"] == "median"
    measure = to_sql(indicator["value"] if median else indicator["numerator"], as_of)
    where = (f"arrival_date IS NOT NULL AND arrival_date <= DATE '{as_of}' "
             f"AND arrival_date >= DATE '{indicator['valid_from']}' "
             f"AND ({to_sql(indicator['denominator'], as_of)})")
    if median:
        where += f" AND ({measure}) IS NOT NULL"
    grouped = ("grouping(h.code) = 0", "grouping(h.health_trust) = 0", "grouping(h.health_region) = 0")
    if median:
        aggregates = (f"count(*) AS denominator, NULL::BIGINT AS numerator, "
                      f"quantile_cont(m, [0.25, 0.5, 0.75]) AS q")
        figures = "q[2] AS value, NULL::DOUBLE AS ci_low, NULL::DOUBLE AS ci_high, q[1] AS q1, q[3] AS q3"
    else:
        aggregates = "count(*) AS denominator, count_if(m) AS numerator, NULL::DOUBLE[] AS q"
        p = "(numerator / denominator)"
        n = "denominator::DOUBLE"
        z2 = f"{Z_95 * Z_95!r}"
        centre = f"(({p} + {z2} / (2 * {n})) / (1 + {z2} / {n}))"
        half = f"({Z_95!r} * sqrt({p} * (1 - {p}) / {n} + {z2} / (4 * {n} * {n})) / (1 + {z2} / {n}))"
        figures = (f"{p} AS value, greatest({centre} - {half}, 0.0) AS ci_low, "
                   f"least({centre} + {half}, 1.0) AS ci_high, NULL::DOUBLE AS q1, NULL::DOUBLE AS q3")
    return f"""
    SELECT '{indicator['id']}' AS indicator, level_of_unit, unit, period, denominator,
           CASE WHEN low_n THEN NULL ELSE numerator END AS numerator,
           CASE WHEN low_n THEN NULL ELSE value END AS value,
           CASE WHEN low_n THEN NULL ELSE ci_low END AS ci_low,
           CASE WHEN low_n THEN NULL ELSE ci_high END AS ci_high,
           CASE WHEN low_n THEN NULL ELSE q1 END AS q1,
           CASE WHEN low_n THEN NULL ELSE q3 END AS q3,
           CASE WHEN low_n THEN NULL ELSE {level_sql(indicator, 'value')} END AS level,
           low_n
    FROM (
        SELECT *, {figures}, denominator < {minimum} AS low_n FROM (
            SELECT CASE WHEN {grouped[0]} THEN 'hospital' WHEN {grouped[1]} THEN 'trust'
                        WHEN {grouped[2]} THEN 'region' ELSE 'nation' END AS level_of_unit,
                   CASE WHEN {grouped[0]} THEN h.code WHEN {grouped[1]} THEN h.health_trust
                        WHEN {grouped[2]} THEN h.health_region ELSE 'Norge' END AS unit,
                   CAST(year(arrival_date) AS VARCHAR) AS period,
                   {aggregates}
            FROM (SELECT *, ({measure}) AS m, ({to_sql(unit, as_of)}) AS unit_code FROM r WHERE {where}) AS d
            LEFT JOIN h ON d.unit_code = h.code
            GROUP BY GROUPING SETS ((h.code, year(arrival_date)), (h.health_trust, year(arrival_date)),
                                    (h.health_region, year(arrival_date)), (year(arrival_date)))
            HAVING NOT (({grouped[0]} AND h.code IS NULL) OR ({grouped[1]} AND h.health_trust IS NULL)
                        OR ({grouped[2]} AND h.health_region IS NULL))
        )
    )"""


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def compare(engine_results, duck_rows):
    fields = ["numerator", "denominator", "value", "ci_low", "ci_high", "q1", "q3", "level", "low_n"]
    engine = {(r["indicator"], r["level_of_unit"], r["unit"], r["period"]): r for r in engine_results}
    duck = {}
    for row in duck_rows:
        record = dict(zip(["indicator", "level_of_unit", "unit", "period", "denominator", "numerator",
                           "value", "ci_low", "ci_high", "q1", "q3", "level", "low_n"], row))
        duck[(record["indicator"], record["level_of_unit"], record["unit"], record["period"])] = record
    problems = []
    for key in sorted(set(engine) | set(duck)):
        if key not in engine or key not in duck:
            problems.append(f"{key}: only in {'the engine' if key in engine else 'DuckDB'}")
            continue
        for field in fields:
            a, b = engine[key][field], duck[key][field]
            same = close(a, b) if isinstance(a, float) or isinstance(b, float) else a == b
            if not same:
                problems.append(f"{key} {field}: engine {a!r}, DuckDB {b!r}")
    return len(engine), problems


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=os.path.join(ROOT, "target", "bench-indicators"))
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-run", action="store_true", help="use the data the Rust benchmark already wrote")
    args = parser.parse_args()
    if not args.no_run:
        run_rust(args.out, args.rows)
    with open(os.path.join(args.out, "timing.json")) as f:
        timing = json.load(f)
    with open(os.path.join(args.out, "report.json")) as f:
        report = json.load(f)
    with open(os.path.join(ROOT, "registers", "stroke", "indicators.toml"), "rb") as f:
        indicators = tomllib.load(f)["indicators"]
    with open(os.path.join(ROOT, "registers", "stroke", "register.toml"), "rb") as f:
        register_unit = tomllib.load(f)["unit_variable"]
    as_of = timing["as_of"]

    con = duckdb.connect()
    started = time.perf_counter()
    types = ", ".join(f"'{name}': '{kind}'" for name, kind in COLUMN_TYPES.items())
    con.execute(f"CREATE TABLE r AS SELECT * FROM read_csv('{os.path.join(args.out, 'registrations.csv')}', "
                f"header = true, nullstr = '', columns = {{{types}}})")
    con.execute(f"CREATE TABLE h AS SELECT * FROM read_csv('{os.path.join(args.out, 'hospitals.csv')}', "
                f"header = true, all_varchar = true)")
    loaded = time.perf_counter() - started
    query = " UNION ALL ".join(indicator_query(i, register_unit, as_of) for i in indicators)
    times = []
    rows = None
    for _ in range(max(1, args.repeat)):
        start = time.perf_counter()
        rows = con.execute(query).fetchall()
        times.append(time.perf_counter() - start)
    duck_best = min(times)
    count, problems = compare(report["results"], rows)
    engine_best = timing["engine_seconds_best"]
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    print(f"registrations: {timing['rows']:,}; DuckDB {duckdb.__version__}, {threads} threads")
    print(f"DuckDB: loading the CSV {loaded:.2f} s (not compared)")
    print(f"kvalreg engine: {engine_best:.4f} s (best of its runs)")
    print(f"DuckDB:         {duck_best:.4f} s (best of {len(times)} runs)")
    print(f"ratio DuckDB / kvalreg: {duck_best / engine_best:.1f}x")
    print(f"memory held by the columns: {timing['column_bytes'] / 1048576:.1f} MiB")
    if problems:
        print(f"MISMATCH: {len(problems)} differences in {count} results; first ones:")
        for p in problems[:20]:
            print("  " + p)
        sys.exit(1)
    print(f"same numbers: all {count} results agree (counts exact, values within 1e-9)")


if __name__ == "__main__":
    main()
