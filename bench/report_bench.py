#!/usr/bin/env python3
"""How big a report of a 250K-request load run is, and how long headless
Chromium takes to draw it (issue 14: under 2 s, a few MB).

The result is measured, not synthesised: benchy sim with no overhead, many
slots and a near-instant decode, driven by `benchy load --request-rate inf`
(max rate) for --requests requests in --levels levels (a sweep over
the concurrency limit). The report holds no per-request records, so its size is
set by levels and --max-points, not requests; the run's own result keeps
--max-records records per level.

  bench/report_bench.py [--requests 250000] [--levels 2] [--repeat 3] [--keep DIR]

Prints the result's and the page's size, the time `benchy report` took, and
for each Chromium run the page's own drawn_ms (performance.now() when the
last chart was drawn, from the page's self-check) and the wall time of the
whole browser process. Timings are printed, never asserted: the machine is
shared.
"""
import argparse
import html
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUILD = pathlib.Path(os.environ.get("BENCHY_BUILD", ROOT / "build" / "release"))
CLI = BUILD / "bindings" / "cli" / "benchy"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sim():
    port = free_port()
    proc = subprocess.Popen([str(CLI), "sim", "--port", str(port), "--slots", "1024",
                             "--overhead-ms", "0", "--decode-tps", "1000000",
                             "--prefill-tps", "100000000", "--batch-slowdown", "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return proc, f"http://127.0.0.1:{port}/v1"
        except OSError:
            if proc.poll() is not None:
                sys.exit("benchy sim exited")
            time.sleep(0.05)
    proc.kill()
    sys.exit("benchy sim did not become healthy")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=250000)
    ap.add_argument("--levels", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", help="keep the result and the page in this folder")
    args = ap.parse_args()
    chromium = shutil.which("chromium")
    if not chromium:
        sys.exit("needs Debian's chromium (scripts/install-deps.sh)")
    work = pathlib.Path(args.keep or tempfile.mkdtemp(prefix="benchy-report-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    result, page = work / "load-250k.json", work / "load-250k.html"

    if not result.exists():
        sim, url = start_sim()
        try:
            conc = ",".join(str(64 * 2 ** i) for i in range(args.levels))
            per_level = args.requests // args.levels
            t = time.monotonic()
            r = subprocess.run([str(CLI), "load", "--base-url", url, "--request-rate", "inf",
                                "--concurrency", conc, "--num-prompts", str(per_level),
                                "--random-input-len", "16", "--random-output-len", "4",
                                "--max-records", "1000", "--quiet", "--save-result", str(result)],
                               capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(r.stderr)
            print(f"measured {per_level * args.levels} requests in {args.levels} levels "
                  f"({conc} in flight) in {time.monotonic() - t:.1f} s")
        finally:
            sim.terminate()
            sim.wait()
    doc = json.loads(result.read_text())
    n = sum(level["num_requests"] for level in doc["aggregates"])
    print(f"result: {n} requests, {result.stat().st_size / 1e6:.2f} MB")

    t = time.monotonic()
    r = subprocess.run([str(CLI), "report", str(result), "-o", str(page), "--overwrite"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(r.stderr)
    print(f"benchy report: {time.monotonic() - t:.2f} s, page {page.stat().st_size / 1e6:.2f} MB")

    for i in range(args.repeat):
        t = time.monotonic()
        p = subprocess.run([chromium, "--headless", "--disable-gpu", "--no-sandbox",
                            "--virtual-time-budget=10000", "--dump-dom", str(page)],
                           capture_output=True, text=True)
        wall = time.monotonic() - t
        m = re.search(r'<pre id="benchy-selfcheck"[^>]*>([^<]*)</pre>', p.stdout)
        if not m:
            sys.exit("the page wrote no self-check")
        check = json.loads(html.unescape(m.group(1)))
        if check["errors"]:
            sys.exit(f"page errors: {check['errors']}")
        print(f"chromium run {i + 1}: drawn at {check['drawn_ms']:.0f} ms after navigation "
              f"({len(check['charts'])} charts); whole browser process {wall:.2f} s")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
