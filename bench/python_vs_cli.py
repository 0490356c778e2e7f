#!/usr/bin/env python3
"""`import benchy` beside the CLI: the same load sweep and bench table on
simulators of the same settings (in this process), run from Python and from
the `benchy` command beside this interpreter (the wheel's), printed side by
side with the difference in percent. A figure, not a test
(tests/python/test_python_vs_cli.py is the test).

    .venv/bin/python bench/python_vs_cli.py
    .venv/bin/python bench/python_vs_cli.py --repeat 3 --num-prompts 64
"""
import argparse
import json
import pathlib
import subprocess
import sys
import time

import benchy

CLI = pathlib.Path(sys.executable).parent / "benchy"
SIM = dict(prefill_tps=8000, decode_tps=400, seed=1)
LOAD_FIGURES = ["median_ttft_ms", "p99_ttft_ms", "median_tpot_ms", "median_itl_ms",
                "median_e2el_ms", "request_throughput", "output_throughput"]
BENCH_FIGURES = ["mean_t_s_total", "mean_t_s_req", "mean_ttfr_ms"]


def cli_args(options):
    args = []
    for name, value in options.items():
        values = value if isinstance(value, list) else [value]
        args += [f"--{name.replace('_', '-')}", ",".join(str(v) for v in values)]
    return args


def run_python(command, options):
    with benchy.Simulator(**SIM) as sim:
        start = time.monotonic()
        r = getattr(benchy, command)(base_url=sim.base_url, model="sim", progress=False, **options)
        return r.summary, time.monotonic() - start


def run_cli(command, options):
    with benchy.Simulator(**SIM) as sim:
        start = time.monotonic()
        out = subprocess.run([str(CLI), command, "--base-url", sim.base_url, "--model", "sim",
                              "--format", "json", "--quiet", *cli_args(options)],
                             capture_output=True, text=True, timeout=600, check=True)
        return json.loads(out.stdout)["aggregates"], time.monotonic() - start


def row_name(row):
    return str(row.get("label") or row.get("test") or "?")


def show(title, figures, py_rows, cli_rows, py_s, cli_s):
    print(f"\n## {title} (wall time: Python {py_s:.2f} s, CLI {cli_s:.2f} s incl. process start)\n")
    print(f"| row | figure | Python | CLI | diff % |")
    print(f"|---|---|---:|---:|---:|")
    for py, cli in zip(py_rows, cli_rows):
        for key in figures:
            if key not in py or py[key] is None or cli.get(key) is None:
                continue
            a, b = float(py[key]), float(cli[key])
            diff = (a - b) / b * 100 if b else 0.0
            print(f"| {row_name(py)} | {key} | {a:.3f} | {b:.3f} | {diff:+.1f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-prompts", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=1, help="run each side this many times")
    args = parser.parse_args()
    load = dict(num_prompts=args.num_prompts, request_rate=[10, 40, "inf"], random_input_len=256,
                random_output_len=32, seed=3)
    bench = dict(pp=[128, 512], tg=[16, 64], runs=3)
    print(f"benchy {benchy.__version__}; simulator {SIM}; CLI {CLI}")
    for i in range(args.repeat):
        if args.repeat > 1:
            print(f"\n# repeat {i + 1}")
        show(f"load {load}", LOAD_FIGURES, *zip_runs(run_python("load", load), run_cli("load", load)))
        show(f"bench {bench}", BENCH_FIGURES,
             *zip_runs(run_python("bench", bench), run_cli("bench", bench)))


def zip_runs(py, cli):
    return py[0], cli[0], py[1], cli[1]


if __name__ == "__main__":
    main()
