#!/usr/bin/env python3
"""Import/export benchmark: ROWS synthetic stroke registrations as NDJSON (made by
generate.py from the demo export), then, each under `/usr/bin/time -v` on a fresh data dir:

  kvalreg import --register stroke FILE.ndjson          (rate; goal >= 50,000/s)
  kvalreg export --register stroke --format csv         (goal < 10 s, peak RSS < 300 MB)
  kvalreg export --register stroke --format ndjson      (same goals)
  kvalreg export --register stroke --format parquet     (same goals)

Peer in the same run, also under /usr/bin/time -v: DuckDB reading the same NDJSON and
writing it as CSV and as Parquet, and reading kvalreg's CSV and writing it as NDJSON.
The Parquet export is read back with pyarrow and must hold every registration.
See bench/README.md.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

FORMATS = ("csv", "ndjson", "parquet")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://kvalreg:kvalreg@localhost:5432/kvalreg_test")

DUCK_NDJSON_TO_CSV = """
import duckdb, sys
con = duckdb.connect()
con.execute("SET preserve_insertion_order = false")
con.execute(f"COPY (SELECT * FROM read_json('{sys.argv[1]}', format = 'newline_delimited', maximum_object_size = 1048576, sample_size = -1)) TO '{sys.argv[2]}' (FORMAT csv, HEADER)")
"""
DUCK_NDJSON_TO_PARQUET = """
import duckdb, sys
con = duckdb.connect()
con.execute("SET preserve_insertion_order = false")
con.execute(f"COPY (SELECT * FROM read_json('{sys.argv[1]}', format = 'newline_delimited', maximum_object_size = 1048576, sample_size = -1)) TO '{sys.argv[2]}' (FORMAT parquet, COMPRESSION snappy)")
"""
DUCK_CSV_TO_NDJSON = """
import duckdb, sys
con = duckdb.connect()
con.execute("SET preserve_insertion_order = false")
con.execute(f"COPY (SELECT * FROM read_csv('{sys.argv[1]}', header = true, all_varchar = true)) TO '{sys.argv[2]}' (FORMAT json)")
"""


def timed(command, **kwargs):
    """Runs `command` under /usr/bin/time -v: (wall seconds, peak RSS in MiB, stdout)."""
    print("$ /usr/bin/time -v " + " ".join(command), flush=True)
    done = subprocess.run(["/usr/bin/time", "-v"] + command, text=True, capture_output=True, **kwargs)
    if done.returncode != 0:
        print(done.stdout[-4000:], done.stderr[-4000:], sep="\n")
        sys.exit(f"failed: {' '.join(command)}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", done.stderr).group(1)
    seconds = 0.0
    for part in wall.split(":"):
        seconds = seconds * 60 + float(part)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1)) / 1024
    print(f"  {seconds:.2f} s, peak RSS {rss:.0f} MiB", flush=True)
    return seconds, rss, done.stdout


def pg_url(database):
    return re.sub(r"/[^/]*$", "/" + database, PG_ADMIN_URL)


def psql(sql):
    subprocess.run(["psql", PG_ADMIN_URL, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True)


def parquet_rows(path):
    import pyarrow.parquet as pq
    return pq.ParquetFile(path).metadata.num_rows


def count_lines(path):
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def bench_backend(args, backend, ndjson, rows_wanted):
    data = os.path.join(args.work, f"ie-{backend}")
    shutil.rmtree(data, ignore_errors=True)
    base = [args.binary, "--data-dir", data, "--registers", os.path.join(ROOT, "registers")]
    database = None
    if backend == "postgresql":
        database = f"kvalreg_bench_ie_{os.getpid()}"
        psql(f"DROP DATABASE IF EXISTS {database}")
        psql(f"CREATE DATABASE {database}")
        base += ["--database-url", pg_url(database)]
    try:
        subprocess.run(base + ["init"], check=True, capture_output=True)
        imp = timed(base + ["import", "--register", "stroke", ndjson])
        out = {}
        for fmt in FORMATS:
            path = os.path.join(args.work, f"export-{backend}.{fmt}")
            out[fmt] = timed(base + ["export", "--register", "stroke", "--format", fmt, "--output", path]) + (path,)
        for fmt in FORMATS:
            exported = parquet_rows(out[fmt][3]) if fmt == "parquet" else count_lines(out[fmt][3]) - (fmt == "csv")
            if exported != rows_wanted:
                sys.exit(f"{backend}: exported {exported} registrations as {fmt}, imported {rows_wanted}")
        return imp, out
    finally:
        if database:
            psql(f"DROP DATABASE IF EXISTS {database}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "kvalreg"))
    parser.add_argument("--demo", required=True, help="NDJSON export of the demo data")
    parser.add_argument("--work", default=os.path.join(ROOT, "target", "bench-run"))
    parser.add_argument("--results", required=True)
    parser.add_argument("--rows", type=int, default=int(os.environ.get("BENCH_ROWS", "1000000")))
    parser.add_argument("--backends", default=os.environ.get("BENCH_IE_BACKENDS", "sqlite"))
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)

    ndjson = os.path.join(args.work, f"import-{args.rows}.ndjson")
    if not os.path.exists(ndjson) or count_lines(ndjson) != args.rows:
        started = time.time()
        subprocess.run([sys.executable, os.path.join(HERE, "generate.py"), "ndjson", args.demo,
                        str(args.rows), ndjson + ".part"], check=True)
        os.replace(ndjson + ".part", ndjson)
        print(f"generated {args.rows:,} registrations in {time.time() - started:.0f} s "
              f"({os.path.getsize(ndjson) / 1048576:.0f} MiB)", flush=True)

    rows = []
    n = args.rows
    backends = args.backends.split(",")
    results = {b: bench_backend(args, b, ndjson, n) for b in backends}

    duck_csv = os.path.join(args.work, "duckdb.csv")
    duck_ndjson = os.path.join(args.work, "duckdb.ndjson")
    d1 = timed([sys.executable, "-c", DUCK_NDJSON_TO_CSV, ndjson, duck_csv])
    d2 = timed([sys.executable, "-c", DUCK_CSV_TO_NDJSON, results[backends[0]][1]["csv"][3], duck_ndjson])
    d3 = timed([sys.executable, "-c", DUCK_NDJSON_TO_PARQUET, ndjson, os.path.join(args.work, "duckdb.parquet")])
    duck_import = f"DuckDB NDJSON -> CSV: {d1[0]:.1f} s ({n / d1[0]:,.0f}/s), {d1[1]:.0f} MiB"

    for backend in backends:
        (seconds, rss, _), out = results[backend]
        rate = n / seconds
        rows.append({"figure": f"import {backend}: {n:,} registrations NDJSON, full validation",
                     "value": f"{rate:,.0f}/s ({seconds:.1f} s, peak RSS {rss:.0f} MiB)",
                     "goal": ">= 50,000/s", "peer": duck_import, "pass": rate >= 50000})
        peers = {"csv": duck_import, "ndjson": f"DuckDB CSV -> NDJSON: {d2[0]:.1f} s, {d2[1]:.0f} MiB",
                 "parquet": f"DuckDB NDJSON -> Parquet: {d3[0]:.1f} s, {d3[1]:.0f} MiB"}
        for fmt, peer in peers.items():
            seconds, rss, _, _ = out[fmt]
            rows.append({"figure": f"export {backend}: {n:,} registrations {fmt.upper()}",
                         "value": f"{seconds:.1f} s, peak RSS {rss:.0f} MiB",
                         "goal": "< 10 s, RSS < 300 MB", "peer": peer,
                         "pass": seconds < 10 and rss * 1.048576 < 300})
    with open(args.results, "w") as f:
        json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
