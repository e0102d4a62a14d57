#!/usr/bin/env python3
"""Load benchmark: the real `kvalreg serve` (release build) on a fresh data dir, SQLite and
then PostgreSQL, driven by wrk. Writes POST complete stroke registrations (each a new
synthetic person, so duplicate detection passes without confirming); reads GET a hospital's
quality dashboard page. Throughput, p50 and p99 at 1, 16 and 64 connections. As a peer in
the same run: GET /healthz on the same server at 64 connections (the HTTP stack without
the application's work). See bench/README.md.

  load.py --binary target/release/kvalreg --demo DEMO.ndjson --work DIR --results FILE.json
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://kvalreg:kvalreg@localhost:5432/kvalreg_test")
CONNECTIONS = [1, 16, 64]
HOSPITAL = os.environ.get("BENCH_HOSPITAL", "UNN-TRO")


def run(command, **kwargs):
    print("$ " + " ".join(command), flush=True)
    return subprocess.run(command, check=True, text=True, capture_output=True, **kwargs)


def pg_url(database):
    return re.sub(r"/[^/]*$", "/" + database, PG_ADMIN_URL)


def psql(sql):
    run(["psql", PG_ADMIN_URL, "-v", "ON_ERROR_STOP=1", "-c", sql])


class Server:
    def __init__(self, binary, base):
        self.binary, self.base = binary, base
        self.process = None

    def start(self):
        command = self.binary + self.base + ["serve", "--listen", "127.0.0.1:0"]
        print("$ " + " ".join(command), flush=True)
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + 120
        while time.time() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            match = re.search(r"listening on (http://\S+?)/?\s*$", line)
            if match:
                self.url = match.group(1)
                # keep draining the server's output so it never blocks on a full pipe
                subprocess.Popen(["cat"], stdin=self.process.stdout, stdout=subprocess.DEVNULL)
                return self.url
        sys.exit("kvalreg serve did not report its address")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def wrk(url, script, connections, seconds, env):
    threads = 1 if connections == 1 else 2
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
               "--timeout", "10s", "-s", script, url]
    print("$ " + " ".join(command), flush=True)
    out = subprocess.run(command, check=True, text=True, capture_output=True,
                         env={**os.environ, **env, "BENCH_THREADS": str(threads)}).stdout
    line = next(l for l in out.splitlines() if l.startswith("BENCH_JSON "))
    result = json.loads(line[len("BENCH_JSON "):])
    result["rate"] = result["requests"] / result["seconds"]
    ok = sum(n for code, n in result["statuses"].items() if code.startswith("2"))
    result["failed"] = result["requests"] - ok + result["errors"]
    print(f"  {result['rate']:.0f}/s p50 {result['p50_ms']:.2f} ms p99 {result['p99_ms']:.2f} ms "
          f"statuses {result['statuses']} socket errors {result['errors']}", flush=True)
    return result


def bench_backend(args, backend, templates, ids, slices):
    data = os.path.join(args.work, f"load-{backend}")
    shutil.rmtree(data, ignore_errors=True)
    base = ["--data-dir", data, "--registers", os.path.join(ROOT, "registers")]
    database = None
    if backend == "postgresql":
        database = f"kvalreg_bench_{os.getpid()}"
        psql(f"DROP DATABASE IF EXISTS {database}")
        psql(f"CREATE DATABASE {database}")
        base += ["--database-url", pg_url(database)]
    binary = [args.binary]
    server = Server(binary, base)
    results = {}
    try:
        run(binary + base + ["init"])
        # the demo registrations, so the dashboard has something to show
        run(binary + base + ["import", "--register", "stroke", args.demo])
        out = run(binary + base + ["token", "add", "bench", "--grant", "register_admin:stroke"]).stdout
        token = re.search(r"kvr_\S+", out).group(0)
        url = server.start()
        env = {"BENCH_TOKEN": token, "BENCH_TEMPLATES": templates}
        for connections, ids_file in zip(CONNECTIONS, slices):
            results[("write", connections)] = wrk(
                url + "/api/v1/registers/stroke/registrations", os.path.join(HERE, "post.lua"),
                connections, args.seconds, {**env, "BENCH_IDS": ids_file})
        for connections in CONNECTIONS:
            results[("read", connections)] = wrk(
                url + f"/h/{HOSPITAL}/quality", os.path.join(HERE, "get.lua"), connections, args.seconds, env)
        results[("healthz", 64)] = wrk(url + "/healthz", os.path.join(HERE, "get.lua"), 64, args.seconds, env)
    finally:
        server.stop()
        if database:
            psql(f"DROP DATABASE IF EXISTS {database}")
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "kvalreg"))
    parser.add_argument("--demo", required=True, help="NDJSON export of the demo data")
    parser.add_argument("--work", default=os.path.join(ROOT, "target", "bench-run"))
    parser.add_argument("--results", required=True)
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", "10")))
    parser.add_argument("--backends", default=os.environ.get("BENCH_BACKENDS", "sqlite,postgresql"))
    parser.add_argument("--per-run", type=int, default=60000, help="distinct persons per write run")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)

    templates = os.path.join(args.work, "load-templates.ndjson")
    pool = os.path.join(args.work, "load-ids.txt")
    count = args.per_run * len(CONNECTIONS)
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "import_export", "generate.py"), "load",
                    args.demo, str(count), templates, pool], check=True)
    with open(pool) as f:
        lines = f.readlines()
    slices = []
    for i in range(len(CONNECTIONS)):
        path = os.path.join(args.work, f"load-ids-{i}.txt")
        with open(path, "w") as f:
            f.writelines(lines[i * args.per_run:(i + 1) * args.per_run])
        slices.append(path)

    all_results = {b: bench_backend(args, b, templates, pool, slices) for b in args.backends.split(",")}
    rows = []
    for backend, results in all_results.items():
        others = [b for b in all_results if b != backend]
        for (kind, connections), r in results.items():
            if kind == "healthz":
                continue
            peer = ""
            if others:
                o = all_results[others[0]][(kind, connections)]
                peer = f"{others[0]}: {o['rate']:.0f}/s, p99 {o['p99_ms']:.1f} ms"
            if kind == "read" and connections == 64:
                h = results[("healthz", 64)]
                peer += f"; GET /healthz: {h['rate']:.0f}/s, p99 {h['p99_ms']:.1f} ms"
            what = "writes (POST complete registration)" if kind == "write" else f"reads (GET /h/{HOSPITAL}/quality)"
            value = (f"{r['rate']:.0f}/s, p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms"
                     + (f", {r['failed']} failed" if r["failed"] else ""))
            goal, passed = "", None
            if kind == "write" and connections == 64:
                goal = ">= 2,000/s and p99 < 50 ms"
                passed = r["rate"] >= 2000 and r["p99_ms"] < 50 and r["failed"] == 0
            elif r["failed"]:
                passed = False
            rows.append({"figure": f"load {backend}: {what}, {connections} conn", "value": value,
                         "goal": goal, "peer": peer, "pass": passed})
    with open(args.results, "w") as f:
        json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
