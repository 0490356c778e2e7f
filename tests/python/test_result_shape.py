"""One metadata block and one key shape for every kind of result, end to end
through the CLI: bench's --format jsonl and csv carry the same flat keys as
its JSON, and bench and load write the same common metadata."""
import csv
import io
import json

from conftest import run_cli

COMMON = ["benchy_version", "build", "started_at", "name", "model", "served_model_name",
          "base_url", "api", "stddev", "percentiles", "request_body", "prompt_lengths"]
STATS = ["t_s_total", "t_s_req", "peak_t_s", "ttfr_ms", "est_ppt_ms", "e2e_ttft_ms", "e2e_ms"]


def cli(kind, sim, *args, fmt):
    r = run_cli(kind, "--base-url", sim.base_url, "--quiet", "--format", fmt, *map(str, args))
    assert r.returncode == 0, r.stderr
    return r.stdout


def pkey(p, stat):
    # benchy_percentile_key: an integral percentile without a decimal point.
    return f"p{int(p)}_{stat}" if p == int(p) else f"p{p:g}_{stat}"


def test_bench_jsonl_and_csv_use_the_flat_keys(sim_factory):
    sim = sim_factory("--decode-tps", "1000")
    args = ("--pp", "32", "--tg", "4", "--runs", "2", "--percentiles", "50,99.9")
    rows = [json.loads(line) for line in cli("bench", sim, *args, fmt="jsonl").splitlines()]
    assert [r["kind"] for r in rows] == ["pp", "tg"]
    for row in rows:
        # The sampled figures are objects by design (docs/results.md, "sampling").
        assert not any(isinstance(v, dict) and k not in ("cache", "client_cpu", "server_metrics")
                       for k, v in row.items()), row
        for stat in STATS:
            for fig in ("mean", "std", "n", "min", "max"):
                assert f"{fig}_{stat}" in row, (fig, stat)
            for p in (50, 99.9):
                assert pkey(p, stat) in row
            has = row[f"n_{stat}"] > 0
            assert (row[pkey(99.9, stat)] is not None) == has, stat
    table = list(csv.DictReader(io.StringIO(cli("bench", sim, *args, fmt="csv"))))
    assert len(table) == 2
    for stat in STATS:
        assert {f"mean_{stat}", f"std_{stat}", f"n_{stat}"} <= set(table[0]), stat
    assert table[0]["n_t_s_req"] == "2" and table[0]["n_peak_t_s"] == ""


def test_bench_and_load_write_the_same_common_metadata(sim_factory):
    sim = sim_factory("--decode-tps", "1000")
    same = ("--percentiles", "50,99", "--stddev", "sample", "--name", "shape-check")
    b = json.loads(cli("bench", sim, "--pp", "32", "--tg", "4", "--runs", "1", *same, fmt="json"))
    l = json.loads(cli("load", sim, "--num-prompts", "2", "--input-len", "32", "--output-len", "4",
                       *same, fmt="json"))
    for doc in (b, l):
        assert doc["result_version"] == 2 and doc["record_version"] == 1
        assert [k for k in COMMON if k not in doc["metadata"]] == []
    for key in ("benchy_version", "build", "name", "model", "served_model_name", "base_url", "api",
                "stddev", "percentiles"):
        assert b["metadata"][key] == l["metadata"][key], key


def test_a_result_whose_run_failed_loads_back(sim_factory, tmp_path):
    # Most failed requests: status ERR_FAILURE_RATE, exit 1, and the saved
    # result must still load for table, compare and report (it did not: the
    # reader knew statuses only up to ERR_LIMIT).
    sim = sim_factory("--fault-500", "0.6", "--decode-tps", "5000", "--overhead-ms", "1")
    saved = tmp_path / "failed.json"
    p = run_cli("load", "--base-url", sim.base_url, "--model", "sim", "--num-prompts", "20",
                "--quiet", "--save-result", saved, timeout=120)
    assert p.returncode == 1, p.stderr
    assert json.loads(saved.read_text())["status"] == "ERR_FAILURE_RATE"
    t = run_cli("table", saved)
    assert t.returncode == 0, t.stderr
    assert "ERR_FAILURE_RATE" in t.stdout
