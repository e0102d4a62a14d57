#!/usr/bin/env python3
"""Dashboard benchmark: a hospital's quality page (GET /h/{hospital}/quality) served by the
real `kvalreg serve` (release build, SQLite) on BENCH_DASHBOARD_ROWS imported registrations
(default 1,000,000), driven by wrk over several hospitals and filter combinations at 1 and 8
connections; p95 against the goal (< 50 ms). Peer in the same run: the same requests on a
server holding the 14,400 demo registrations. Also measured on both servers: start-up (the
columns built from the database, from the follower's log line), the memory the columns hold
and the server's RSS, the first request of each filter (its report computed), and the time
from a write (POST of a complete registration) until the indicator API counts it.

  dashboard.py --binary BIN --demo DEMO.ndjson --work DIR --results FILE.json
               [--rows N] [--data DIR] [--seconds S]

The data dir for N rows (default WORK/dashboard-N) is built once, by importing generated
NDJSON in chunks of 100,000 (bench/import_export/generate.py), and reused by later runs.
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
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
GENERATE = os.path.join(ROOT, "bench", "import_export", "generate.py")
CHUNK = 100_000
CONNECTIONS = [1, 8]
HOSPITALS = 6
FILTERS = ["", "sex=female", "age=80%2B", "diagnosis=I63&sex=male"]
GOAL_MS = 50.0


def run(command, **kwargs):
    print("$ " + " ".join(command), flush=True)
    return subprocess.run(command, check=True, text=True, capture_output=True, **kwargs)


def data_dir(args, rows, source):
    """A data dir holding `rows` registrations: made once, then reused (`.bench-rows`)."""
    path = os.path.join(args.work, f"dashboard-{rows}") if source is None else source
    marker = os.path.join(path, ".bench-rows")
    if os.path.exists(marker) and open(marker).read().strip() == str(rows):
        print(f"reusing {path} ({rows:,} registrations)", flush=True)
        return path
    shutil.rmtree(path, ignore_errors=True)
    base = [args.binary, "--data-dir", path, "--registers", os.path.join(ROOT, "registers")]
    run(base + ["init"])
    started = time.time()
    if rows == 0:
        run(base + ["import", "--register", "stroke", args.demo])
    for skip in range(0, rows, CHUNK):
        chunk = os.path.join(args.work, "dashboard-chunk.ndjson")
        run([sys.executable, GENERATE, "ndjson", args.demo, str(min(CHUNK, rows - skip)), chunk,
             "--skip", str(skip)])
        run(base + ["import", "--register", "stroke", chunk])
        os.remove(chunk)
        print(f"  {skip + min(CHUNK, rows - skip):,} imported, {time.time() - started:.0f} s", flush=True)
    with open(marker, "w") as f:
        f.write(str(rows))
    return path


class Server:
    """`kvalreg serve` on a free port, its log (stderr) in a file."""

    def __init__(self, binary, data, log):
        self.base = [binary, "--data-dir", data, "--registers", os.path.join(ROOT, "registers")]
        self.log = log

    def start(self):
        out = run(self.base + ["token", "add", f"dashboard-{os.getpid()}-{time.time_ns()}",
                               "--grant", "register_admin:stroke"]).stdout
        self.token = re.search(r"kvr_\S+", out).group(0)
        command = self.base + ["serve", "--listen", "127.0.0.1:0"]
        print("$ " + " ".join(command), flush=True)
        started = time.time()
        env = {**os.environ, "RUST_LOG": "warn,kvalreg_app::indicators=debug"}
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True, env=env)
        line = self.process.stdout.readline()
        match = re.search(r"listening on (http://\S+?)/?\s*$", line)
        if not match:
            sys.exit(f"kvalreg serve did not start: {line!r}, see {self.log}")
        self.url = match.group(1)
        self.startup = time.time() - started
        # keep draining stdout so the server never blocks on a full pipe
        subprocess.Popen(["cat"], stdin=self.process.stdout, stdout=subprocess.DEVNULL)
        text = open(self.log).read()
        built = re.search(r"indicators: (\d+) registrations read and built into columns in ([\d.]+) s "
                          r"\((\d+) MiB held\)", text)
        self.counted, self.build_s, self.columns_mib = (int(built.group(1)), float(built.group(2)),
                                                        int(built.group(3))) if built else (0, 0.0, 0)
        return self

    def applied_s(self):
        """The follower's time to apply each batch of changes so far (from its log)."""
        return [float(t) for t in re.findall(r"change\(s\) applied in ([\d.]+) s", open(self.log).read())]

    def rss_mib(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            return int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1)) / 1024

    def get(self, path):
        request = urllib.request.Request(self.url + path, headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()

    def post(self, path, body):
        request = urllib.request.Request(self.url + path, data=body.encode(), method="POST", headers={
            "Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def paths_of(demo):
    """The hospitals with most demo registrations, each with every filter."""
    counts = {}
    with open(demo) as f:
        for line in f:
            hospital = json.loads(line).get("hospital")
            counts[hospital] = counts.get(hospital, 0) + 1
    hospitals = sorted(counts, key=lambda h: -counts[h])[:HOSPITALS]
    return [f"/h/{h}/quality" + (f"?{q}" if q else "") for q in FILTERS for h in hospitals]


def wrk(server, paths, connections, seconds):
    threads = 1 if connections == 1 else 2
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
               "-s", os.path.join(HERE, "dashboard.lua"), server.url]
    print("$ " + " ".join(command), flush=True)
    out = subprocess.run(command, check=True, text=True, capture_output=True,
                         env={**os.environ, "BENCH_TOKEN": server.token, "BENCH_PATHS": " ".join(paths)}).stdout
    line = next(l for l in out.splitlines() if l.startswith("BENCH_JSON "))
    result = json.loads(line[len("BENCH_JSON "):])
    result["rate"] = result["requests"] / result["seconds"]
    ok = sum(n for code, n in result["statuses"].items() if code == "200")
    result["failed"] = result["requests"] - ok + result["errors"]
    print(f"  {result['rate']:.0f}/s p50 {result['p50_ms']:.1f} p95 {result['p95_ms']:.1f} "
          f"p99 {result['p99_ms']:.1f} max {result['max_ms']:.1f} ms, statuses {result['statuses']}", flush=True)
    return result


def national_count(server):
    """Registrations counted nationally for `stroke_unit` (every registration), all years."""
    _, body = server.get("/api/v1/registers/stroke/indicators")
    report = json.loads(body)
    return sum(r["denominator"] for r in report["results"]
               if r["indicator"] == "stroke_unit" and r["level_of_unit"] == "nation")


def write_to_visible(server, args, skip):
    """Seconds the POST of a complete registration took, and seconds from its answer (the
    write committed) until the indicator API counts it (None if not within 30 s)."""
    templates = os.path.join(args.work, "dashboard-templates.ndjson")
    ids = os.path.join(args.work, "dashboard-ids.txt")
    run([sys.executable, GENERATE, "load", args.demo, "1", templates, ids, "--skip", str(skip)])
    nid = open(ids).read().split()[1]
    texts = [t for t in open(templates).read().splitlines() if '"status":"complete"' in t]
    body = texts[0].replace("__NID__", nid, 1)
    before = national_count(server)
    posted = time.time()
    status, _ = server.post("/api/v1/registers/stroke/registrations", body)
    if status != 201:
        sys.exit(f"the probe write answered {status}")
    written = time.time()
    while time.time() - written < 30:
        if national_count(server) == before + 1:
            return written - posted, time.time() - written
        time.sleep(0.02)
    return written - posted, None


def measure(args, rows, paths):
    data = data_dir(args, rows, args.data if rows else None)
    server = Server(args.binary, data, os.path.join(args.work, f"dashboard-serve-{rows}.log")).start()
    figures = {"startup_s": server.startup, "build_s": server.build_s, "counted": server.counted,
               "columns_mib": server.columns_mib}
    try:
        figures["rss_start_mib"] = server.rss_mib()
        cold = []
        for path in paths[::HOSPITALS]:
            started = time.time()
            status, _ = server.get(path)
            cold.append((time.time() - started) * 1000)
            if status != 200:
                sys.exit(f"{path} answered {status}")
        figures["cold_ms"] = cold
        print(f"  first request per filter: {', '.join(f'{c:.0f}' for c in cold)} ms", flush=True)
        figures["wrk"] = {c: wrk(server, paths, c, args.seconds) for c in CONNECTIONS}
        figures["rss_after_mib"] = server.rss_mib()
        applied_before = len(server.applied_s())
        figures["post_s"], figures["visible_s"] = write_to_visible(
            server, args, skip=rows + 1_000_000 + os.getpid() % 1000)
        time.sleep(0.5)
        figures["applied_s"] = server.applied_s()[applied_before:]
        print(f"  POST took {figures['post_s']:.2f} s, visible {figures['visible_s']} s after it, "
              f"follower applied it in {figures['applied_s']} s", flush=True)
    finally:
        server.stop()
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "kvalreg"))
    parser.add_argument("--demo", required=True, help="NDJSON export of the demo data")
    parser.add_argument("--work", default=os.path.join(ROOT, "target", "bench-run"))
    parser.add_argument("--results", required=True)
    parser.add_argument("--rows", type=int, default=int(os.environ.get("BENCH_DASHBOARD_ROWS", "1000000")))
    parser.add_argument("--data", default=os.environ.get("BENCH_DASHBOARD_DATA"),
                        help="data dir of the large database (made when missing, reused)")
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", "10")))
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    paths = paths_of(args.demo)
    peer = measure(args, 0, paths)
    large = measure(args, args.rows, paths)

    n = f"{large['counted']:,}"
    rows = []
    for c in CONNECTIONS:
        r, p = large["wrk"][c], peer["wrk"][c]
        rows.append({"figure": f"dashboard {n} counted ({args.rows:,} imported), {HOSPITALS} hospitals x "
                               f"{len(FILTERS)} filters, {c} conn",
                     "value": f"p95 {r['p95_ms']:.1f} ms (p50 {r['p50_ms']:.1f}, p99 {r['p99_ms']:.1f}, "
                              f"{r['rate']:.0f}/s)" + (f", {r['failed']} failed" if r["failed"] else ""),
                     "goal": f"p95 < {GOAL_MS:.0f} ms",
                     "peer": f"{peer['counted']:,} counted: p95 {p['p95_ms']:.1f} ms, {p['rate']:.0f}/s",
                     "pass": r["p95_ms"] < GOAL_MS and r["failed"] == 0})
    rows.append({"figure": f"dashboard {n}: first request per filter (report computed)",
                 "value": ", ".join(f"{c:.0f}" for c in large["cold_ms"]) + " ms",
                 "goal": "", "peer": ", ".join(f"{c:.0f}" for c in peer["cold_ms"]) + " ms", "pass": None})
    rows.append({"figure": f"start-up with {n} counted: columns built from the database",
                 "value": f"{large['build_s']:.1f} s (listening after {large['startup_s']:.1f} s)",
                 "goal": "", "peer": f"{peer['build_s']:.2f} s", "pass": None})
    rows.append({"figure": f"memory held by the columns and row map, {n} counted",
                 "value": f"{large['columns_mib']} MiB (server RSS {large['rss_start_mib']:.0f} MiB at start, "
                          f"{large['rss_after_mib']:.0f} MiB after the reads)",
                 "goal": "< 1 GB (columns)",
                 "peer": f"{peer['columns_mib']} MiB, RSS {peer['rss_after_mib']:.0f} MiB",
                 "pass": large["columns_mib"] < 1024})
    def visible_text(f):
        seen = "not seen in 30 s" if f["visible_s"] is None else f"{f['visible_s']:.2f} s"
        applied = ", ".join(f"{a:.3f}" for a in f["applied_s"]) or "-"
        return f"{seen} (follower applied it in {applied} s; the POST itself took {f['post_s']:.2f} s)"
    visible = large["visible_s"]
    rows.append({"figure": f"write (POST answered) to visible in the indicator API, {n} counted",
                 "value": visible_text(large), "goal": "< 1 s", "peer": visible_text(peer),
                 "pass": visible is not None and visible < 1})
    with open(args.results, "w") as f:
        json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
