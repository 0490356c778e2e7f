"""Python and the CLI measure the same: a benchy.load / benchy.bench and the
wheel's `benchy load|bench --format json` on simulators of the same
settings give documents of the same shape, the same counts and token
totals (the prompts are seeded), and figures within noise.
bench/python_vs_cli.py prints the figures side by side."""
import json
import pathlib
import subprocess
import sys

import pytest

try:
    import benchy
    benchy.Simulator
except (ImportError, AttributeError) as exc:
    pytest.fail(f"`import benchy` failed in {sys.executable} ({exc}): pip install . into this "
                "interpreter first", pytrace=False)

WHEEL_CLI = pathlib.Path(sys.executable).parent / "benchy"
SIM = dict(prefill_tps=8000, decode_tps=400, seed=1)
LOAD = dict(num_prompts=16, request_rate=[40, "inf"], random_input_len=256, random_output_len=24,
            seed=3)
BENCH = dict(pp=[128], tg=[16], runs=3)
# Medians, not means: on a busy machine one late request moves a mean of 16
# by more than the noise allows. Bounds generous (close() below).
FIGURES = {"load": ["median_ttft_ms", "median_tpot_ms", "median_e2el_ms", "output_throughput"],
           "bench": ["mean_t_s_req", "mean_t_s_total"]}


def cli_args(options):
    args = []
    for name, value in options.items():
        values = value if isinstance(value, list) else [value]
        args += [f"--{name.replace('_', '-')}", ",".join(str(v) for v in values)]
    return args


def both(command, options):
    with benchy.Simulator(**SIM) as sim:
        py = getattr(benchy, command)(base_url=sim.base_url, model="sim", progress=False,
                                      **options)
    with benchy.Simulator(**SIM) as sim:
        out = subprocess.run([str(WHEEL_CLI), command, "--base-url", sim.base_url, "--model", "sim",
                              "--format", "json", "--quiet", *cli_args(options)],
                             capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return py, json.loads(out.stdout)


def close(a, b, rel=0.25, floor=2.0):
    return abs(a - b) <= max(rel * max(abs(a), abs(b)), floor)


@pytest.mark.parametrize("command,options", [("load", LOAD), ("bench", BENCH)])
def test_same_shape_counts_and_figures(command, options):
    py, doc = both(command, options)
    assert set(py.document) == set(doc)
    # every option as the CLI parsed it, but for the port and the CLI's output flags
    differing = {k for k in doc["config"] if py.config.get(k) != doc["config"][k]}
    assert differing <= {"base-url", "format", "quiet"}, differing
    assert set(py.metadata) == set(doc["metadata"])
    assert len(py.requests) == len(doc["records"])
    assert [set(r) for r in py.requests] == [set(r) for r in doc["records"]]
    assert len(py.summary) == len(doc["aggregates"])
    for ours, theirs in zip(py.summary, doc["aggregates"]):
        assert set(ours) == set(theirs)
        for key in ("completed", "failed", "num_requests", "total_input_tokens",
                    "total_output_tokens", "label", "request_rate", "test", "n"):
            assert ours.get(key) == theirs.get(key), key
        for key in FIGURES[command]:
            if key in ours:
                assert close(ours[key], theirs[key]), (key, ours[key], theirs[key])
    assert sorted(r["output_tokens"] for r in py.requests) == \
        sorted(r["output_tokens"] for r in doc["records"])
