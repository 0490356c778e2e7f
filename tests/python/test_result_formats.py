"""`--format vllm`: a load result in the shape `vllm bench serve --save-result`
writes, so scripts written for vLLM's files read ours. The per-request lists
(in seconds, as vLLM writes them) must give the aggregates (in ms) in the
same file when numpy recomputes them."""
import json

import numpy as np

from conftest import run_cli

AGGREGATE_KEYS = {
    "date", "backend", "model_id", "tokenizer_id", "num_prompts", "request_rate", "burstiness",
    "max_concurrency", "duration", "completed", "failed", "total_input_tokens",
    "total_output_tokens", "request_throughput", "request_goodput", "output_throughput",
    "total_token_throughput", "max_output_tokens_per_s", "max_concurrent_requests",
}
LIST_KEYS = {"input_lens", "output_lens", "ttfts", "itls", "generated_texts", "errors"}
PERCENTILES = ["50", "90", "99", "99.9"]


def expected_keys():
    keys = set(AGGREGATE_KEYS) | LIST_KEYS
    for metric in ("ttft", "tpot", "itl", "e2el"):
        keys |= {f"mean_{metric}_ms", f"median_{metric}_ms", f"std_{metric}_ms"}
        keys |= {f"p{p}_{metric}_ms" for p in PERCENTILES}
    return keys


def run_load(sim, *extra):
    r = run_cli("load", "--base-url", sim.base_url, "--num-prompts", "40", "--concurrency", "4",
                "--input-len", "30", "--output-len", "12", "--percentiles", ",".join(PERCENTILES),
                "--raw", "--quiet", "--format", "vllm", *extra)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def check_level(v):
    assert set(v) == expected_keys()
    completed = v["completed"]
    assert completed == 40 and v["failed"] == 0
    for key in LIST_KEYS:
        assert len(v[key]) == completed, key
    assert v["errors"] == [""] * completed
    assert v["generated_texts"] == [""] * completed  # texts are not kept
    assert sum(v["output_lens"]) == v["total_output_tokens"]
    assert sum(v["input_lens"]) == v["total_input_tokens"]
    # Seconds per request, ms in the aggregates: vLLM's units.
    ttfts_ms = np.array(v["ttfts"]) * 1e3
    assert 0 < ttfts_ms.max() < 10_000
    itls_ms = np.array([x for one in v["itls"] for x in one]) * 1e3
    assert len(itls_ms) > completed
    for name, values in (("ttft", ttfts_ms), ("itl", itls_ms)):
        assert np.isclose(values.mean(), v[f"mean_{name}_ms"], rtol=1e-9), name
        assert np.isclose(np.median(values), v[f"median_{name}_ms"], rtol=1e-9), name
        assert np.isclose(values.std(), v[f"std_{name}_ms"], rtol=1e-9), name
        for p in PERCENTILES:
            assert np.isclose(np.percentile(values, float(p)), v[f"p{p}_{name}_ms"], rtol=1e-9), (name, p)


def test_vllm_format_of_one_level(sim_factory):
    sim = sim_factory("--decode-tps", "800", "--jitter", "0.3", "--seed", "5")
    v = run_load(sim)
    assert isinstance(v, dict)
    check_level(v)
    assert v["backend"] == "openai-chat"
    assert v["model_id"] == "sim"
    assert v["request_rate"] == "inf"  # as vLLM writes an unbounded rate


def test_vllm_format_of_a_sweep_is_one_object_per_level(sim_factory, tmp_path):
    sim = sim_factory("--decode-tps", "800", "--jitter", "0.3", "--seed", "5")
    saved = tmp_path / "sweep.json"
    levels = run_load(sim, "--concurrency", "2,4", "--save-result", saved)
    assert isinstance(levels, list) and len(levels) == 2
    for v in levels:
        check_level(v)
    assert [v["max_concurrency"] for v in levels] == [2, 4]
    # The saved result keeps benchy's own shape; the export matches its levels.
    doc = json.loads(saved.read_text())
    for v, level in zip(levels, doc["aggregates"]):
        assert v["mean_e2el_ms"] == level["mean_e2el_ms"]
        assert v["p99_tpot_ms"] == level["p99_tpot_ms"]


def test_vllm_format_is_refused_for_bench_without_losing_the_result(sim_factory):
    sim = sim_factory()
    r = run_cli("bench", "--base-url", sim.base_url, "--pp", "16", "--tg", "4", "--runs", "1",
                "--format", "vllm")
    assert r.returncode != 0
    assert "--format vllm" in r.stderr and "only for load results" in r.stderr
    doc = json.loads(r.stdout)  # the result, as JSON, so the run is not wasted
    assert doc["kind"] == "bench"


def test_unknown_format_names_the_choices(sim_factory):
    r = run_cli("load", "--base-url", "http://127.0.0.1:9/v1", "--format", "xml")
    assert r.returncode != 0
    assert "vllm" in r.stderr


def test_vllm_format_lists_failed_requests_as_vllm_does(sim_factory):
    sim = sim_factory("--fault-500", "0.4", "--seed", "3")
    r = run_cli("load", "--base-url", sim.base_url, "--num-prompts", "20", "--input-len", "20",
                "--output-len", "5", "--raw", "--quiet", "--format", "vllm",
                "--max-failure-rate", "1")
    assert r.returncode == 0, r.stderr
    v = json.loads(r.stdout)
    assert v["failed"] > 0 and v["completed"] > 0
    assert len(v["errors"]) == v["num_prompts"] == 20
    failed = [i for i, e in enumerate(v["errors"]) if e]
    assert len(failed) == v["failed"]
    for i in failed:
        assert "500" in v["errors"][i]
        assert v["ttfts"][i] == 0 and v["output_lens"][i] == 0 and v["itls"][i] == []
    ok_ttfts = [t * 1e3 for i, t in enumerate(v["ttfts"]) if i not in failed]
    assert np.isclose(np.mean(ok_ttfts), v["mean_ttft_ms"], rtol=1e-9)


def test_a_long_save_result_path_is_used_whole(sim_factory, tmp_path):
    # It was copied into a 256-byte buffer and the result saved under a cut name.
    deep = tmp_path / ("d" * 200)
    deep.mkdir()
    target = deep / ("r" * 80 + ".json")
    sim = sim_factory("--decode-tps", "20000", "--overhead-ms", "1")
    p = run_cli("load", "--base-url", sim.base_url, "--model", "sim", "--num-prompts", "1",
                "--quiet", "--save-result", target, timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(target.read_text())["kind"] == "load"
    assert [f.name for f in deep.iterdir()] == [target.name]
