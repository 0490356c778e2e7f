"""The command lines users bring from vllm bench serve, llama-bench and
llama-benchy run with only the command name changed (issue 9, item 9), and
what a mistyped flag or --help shows them."""
import json
import re

import pytest

from conftest import run_cli


def fast_sim(sim_factory, *args):
    return sim_factory("--decode-tps", "2000", "--prefill-tps", "200000", *args)


def server_root(sim):
    return sim.base_url[: -len("/v1")]


def vllm_line(root, result_dir, *extra, backend="openai-chat", endpoint="/v1/chat/completions"):
    """`vllm bench serve` flags as its users type them, the command name changed."""
    return ["load", "--backend", backend, "--base-url", root, "--endpoint", endpoint,
            "--model", "sim", "--dataset-name", "random", "--random-input-len", "64",
            "--random-output-len", "16", "--num-prompts", "20", "--request-rate", "inf",
            "--max-concurrency", "4", "--percentile-metrics", "ttft,tpot,itl",
            "--metric-percentiles", "50,99", "--save-result", "--result-dir", result_dir,
            "--result-filename", "r.json", "--label", "x", "--metadata", "a=b", "--seed", "1",
            *extra]


@pytest.mark.parametrize("backend,endpoint,api", [
    ("openai-chat", "/v1/chat/completions", "chat"),
    ("vllm", "/v1/completions", "completions"),
])
def test_vllm_bench_serve_line(sim_factory, tmp_path, backend, endpoint, api):
    sim = fast_sim(sim_factory)
    result_dir = tmp_path / "results"  # vLLM creates it; so do we
    r = run_cli(*vllm_line(server_root(sim), result_dir, backend=backend, endpoint=endpoint))
    assert r.returncode == 0, r.stderr
    saved = result_dir / "r.json"
    assert f"saved to {saved}" in r.stderr
    doc = json.loads(saved.read_text())
    md = doc["metadata"]
    # --base-url is the server root: /v1 is added once, where the URL is read.
    assert md["base_url"] == sim.base_url
    assert md["api"] == api
    assert md["name"] == "x"
    assert md["user"] == {"a": "b"}
    assert md["percentiles"] == [50, 99]
    assert md["percentile_metrics"] == ["ttft", "tpot", "itl"]
    assert md["dataset"]["kind"] == "random"
    cfg = doc["config"]
    assert (cfg["input-len"], cfg["output-len"], cfg["num-prompts"], cfg["max-concurrency"],
            cfg["seed"]) == (64, 16, 20, 4, 1)
    level = doc["aggregates"][0]
    assert level["completed"] == 20 and level["failed"] == 0
    assert level["total_output_tokens"] == 20 * 16
    assert level["max_concurrency"] == 4
    assert "p99_ttft_ms" in level and "p90_ttft_ms" not in level
    assert all(rec["max_tokens"] == 16 for rec in doc["records"])
    # The table shows the metrics asked for, with the percentiles asked for.
    assert "Time to First Token" in r.stdout and "P99 TTFT (ms):" in r.stdout
    assert "Inter-token Latency" in r.stdout
    assert "End-to-end Latency" not in r.stdout
    assert "P90" not in r.stdout


def test_percentile_metrics_choose_the_sweep_columns(sim_factory):
    sim = fast_sim(sim_factory)
    r = run_cli("load", "--base-url", sim.base_url, "--model", "sim", "--num-prompts", "2",
                "--input-len", "16", "--output-len", "4", "--concurrency", "1,2",
                "--percentile-metrics", "ttft,e2el", "--quiet")
    assert r.returncode == 0, r.stderr
    header = next(line for line in r.stdout.splitlines() if line.startswith("| level |"))
    assert "TTFT p50" in header and "E2EL p99" in header
    assert "TPOT" not in header and "ITL" not in header
    rows = [line for line in r.stdout.splitlines() if line.startswith("| c=")]
    assert len(rows) == 2 and all(row.count("|") == header.count("|") for row in rows)
    assert "Time per Output Token" not in r.stdout and "Inter-token Latency" not in r.stdout


def test_vllm_host_and_port(sim_factory):
    """vLLM's other way to name the server; the simulator keeps its own --port."""
    sim = fast_sim(sim_factory)
    r = run_cli("load", "--host", "127.0.0.1", "--port", sim.port, "--model", "sim",
                "--num-prompts", "2", "--random-input-len", "16", "--random-output-len", "4",
                "--format", "json", "--quiet")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["metadata"]["base_url"] == sim.base_url
    assert doc["aggregates"][0]["completed"] == 2


def test_llama_bench_line(sim_factory):
    sim = fast_sim(sim_factory)
    r = run_cli("bench", "-p", "512", "-n", "128", "-r", "5", "-o", "json",
                "--base-url", server_root(sim))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["metadata"]["base_url"] == sim.base_url
    assert doc["config"]["pp"] == [512] and doc["config"]["tg"] == [128]
    assert doc["config"]["runs"] == 5
    tests = {row["test"].split(" ")[0]: row["requests"] for row in doc["aggregates"]}
    assert tests == {"pp512": 5, "tg128": 5}, tests


def test_llama_bench_lists_and_depth(sim_factory):
    sim = fast_sim(sim_factory)
    r = run_cli("bench", "-m", "sim", "-p", "64,128", "-n", "8", "-d", "0,256", "-r", "1",
                "-o", "json", "--base-url", sim.base_url)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["metadata"]["model"] == "sim"
    assert doc["config"]["pp"] == [64, 128] and doc["config"]["depth"] == [0, 256]


def test_llama_bench_unsupported_output_format_is_named():
    r = run_cli("bench", "-o", "sql")
    assert r.returncode == 2
    assert "--format: 'sql' is not one of" in r.stderr


def test_llama_benchy_endpoint_url_and_save_file(sim_factory, tmp_path):
    sim = fast_sim(sim_factory)
    out = tmp_path / "out.json"
    args = ["bench", "--endpoint", server_root(sim), "--model", "sim", "--pp", "64", "--tg", "8",
            "--runs", "1", "--save-result", out, "--quiet"]
    r = run_cli(*args)
    assert r.returncode == 0, r.stderr
    first = out.read_text()
    assert json.loads(first)["metadata"]["base_url"] == sim.base_url
    assert f"saved to {out}" in r.stderr
    # A second run does not replace the first one's file unless asked.
    again = run_cli(*args)
    assert again.returncode == 2
    assert str(out) in again.stderr and "--overwrite-result" in again.stderr
    assert out.read_text() == first
    forced = run_cli(*args, "--overwrite-result")
    assert forced.returncode == 0, forced.stderr
    assert out.read_text() != first  # a new run: new timestamps


def test_save_result_flag_does_not_swallow_the_next_flag(sim_factory, tmp_path):
    sim = fast_sim(sim_factory)
    r = run_cli("load", "--base-url", sim.base_url, "--model", "sim", "--num-prompts", "2",
                "--input-len", "16", "--output-len", "4", "--save-result", "--label", "mine",
                "--result-dir", tmp_path, "--quiet")
    assert r.returncode == 0, r.stderr
    saved = list(tmp_path.glob("benchy-load-sim-*.json"))
    assert len(saved) == 1, list(tmp_path.iterdir())
    assert re.fullmatch(r"benchy-load-sim-\d{8}-\d{6}\.json", saved[0].name)
    assert f"saved to {saved[0]}" in r.stderr
    assert json.loads(saved[0].read_text())["metadata"]["name"] == "mine"


def test_metadata_secrets_are_redacted(sim_factory, tmp_path):
    sim = fast_sim(sim_factory)
    out = tmp_path / "r.json"
    r = run_cli("load", "--base-url", sim.base_url, "--model", "sim", "--num-prompts", "2",
                "--input-len", "16", "--output-len", "4", "--metadata", "gpu=H200",
                "HF_TOKEN=hf_s3cr3t", "--metadata", "db_password=pw-s3cr3t", "--tokenizer",
                "meta-llama/Llama-3.1-8B", "--save-result", out, "--format", "json")
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    for secret in ("hf_s3cr3t", "pw-s3cr3t"):
        assert secret not in text and secret not in r.stdout and secret not in r.stderr
    md = json.loads(text)["metadata"]
    assert md["user"] == {"gpu": "H200", "HF_TOKEN": "[redacted]", "db_password": "[redacted]"}
    assert md["tokenizer"]["given"] == "meta-llama/Llama-3.1-8B"
    assert md["tokenizer"]["used"] == "server"


@pytest.mark.parametrize("command,typo,suggestion", [
    ("load", "--reqest-rate", "--request-rate"),
    ("bench", "--concurency", "--concurrency"),
    ("load", "--random-input-length", "--random-input-len"),
    ("sim", "--decode-tp", "--decode-tps"),
])
def test_unknown_flag_suggests_the_nearest(command, typo, suggestion):
    r = run_cli(command, typo, "5")
    assert r.returncode == 2
    assert f"did you mean {suggestion}?" in r.stderr, r.stderr


@pytest.mark.parametrize("value,accepted", [
    (["--backend", "tgi"], "openai-chat"),
    (["--dataset-name", "sonnet"], "prefix_repetition"),
    (["--endpoint", "/v1/embeddings"], "/v1/chat/completions"),
    (["--percentile-metrics", "ttft,goodput"], "e2el"),
])
def test_unsupported_values_name_what_is_supported(value, accepted):
    r = run_cli("load", *value)
    assert r.returncode == 2
    assert value[0] in r.stderr and accepted in r.stderr, r.stderr


def help_sections(command):
    r = run_cli(command, "--help")
    assert r.returncode == 0, r.stderr
    sections, current = {}, None
    for line in r.stdout.splitlines():
        if line.endswith(" options:"):
            current = line[: -len(" options:")]
        elif current and line.startswith("  -"):
            sections.setdefault(current, []).append(line.split()[0])
    flat = " ".join(r.stdout.split())
    return sections, flat


def test_help_headings_fit_the_command():
    sections, _ = help_sections("load")
    assert "bench" not in sections and "sim" not in sections
    assert "--concurrency" in sections["load"]
    sections, _ = help_sections("bench")
    assert "load" not in sections
    assert "--concurrency" in sections["bench"] and "-p" in sections["bench"]


@pytest.mark.parametrize("command,choices", [
    ("load", "[choices: md, json, jsonl, csv"),
    ("load", "[choices: poisson, gamma, constant]"),
    ("load", "[choices: random, sharegpt, jsonl, prefix]"),
    ("load", "[choices: random, sharegpt, custom, prefix_repetition]"),
    ("load", "[choices: vllm, openai, openai-chat,"),
    ("sim", "[choices: llama, vllm, sglang]"),
    ("bench", "[choices: api, generation, none]"),
])
def test_help_lists_choices(command, choices):
    _, flat = help_sections(command)
    assert choices in flat
