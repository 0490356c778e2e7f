"""`benchy load` measures the server, not its prompt cache, and says what it did.

Issue 9, items 1, 5 and two of 8: prompts are new to the server on every run
unless repeats are asked for, cached prompt tokens are reported per level with
a warning when a level was served from cache unexpectedly, --resume continues
an interrupted level and --retry-failed re-sends failed requests, and a
closed-loop result does not claim an arrival process.
"""
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import CLI, run_cli

# 512-token prompts take ~130 ms of prefill on the default sim, ~5 ms when
# cached: a cache hit cannot hide in the noise.
LOAD = ("load", "--model", "sim", "--concurrency", "4", "--num-prompts", "12",
        "--input-len", "512", "--output-len", "8", "--no-warmup")


def load_json(sim, *extra):
    r = run_cli(*LOAD, "--base-url", sim.base_url, "--format", "json", *extra)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout), r.stderr


def only_level(doc):
    assert len(doc["aggregates"]) == 1
    return doc["aggregates"][0]


def test_same_command_twice_same_ttft(sim_factory):
    sim = sim_factory()
    first, _ = load_json(sim)
    second, err = load_json(sim)
    a, b = only_level(first), only_level(second)
    # Generous: the cached run was 25x faster before the fix.
    assert 0.5 < b["median_ttft_ms"] / a["median_ttft_ms"] < 2.0, (a["median_ttft_ms"], b["median_ttft_ms"])
    assert b["total_cached_tokens"] == 0
    for lv in (a, b):
        assert lv["completed"] == 12
        assert lv["prompt_cache"]["reported_by"] == 12
        assert lv["prompt_cache"]["cached_tokens"] == 0
        assert lv["prompt_cache"]["warning"] is None
    assert a["median_ttft_ms"] > 50  # prefill happened
    assert "warning" not in err
    n1, n2 = first["metadata"]["prompts"]["nonce"], second["metadata"]["prompts"]["nonce"]
    assert n1 != n2 and n1 > 0 and n2 > 0
    # Lengths are the seed's, whatever the nonce.
    assert a["total_input_tokens"] == b["total_input_tokens"] == 12 * 512


def test_repeat_prompts_shows_cache_hits(sim_factory):
    sim = sim_factory()
    load_json(sim, "--repeat-prompts")
    r = run_cli(*LOAD, "--base-url", sim.base_url, "--repeat-prompts")
    assert r.returncode == 0, r.stderr
    table = r.stdout
    row = [l for l in table.splitlines() if l.startswith("Cached prompt tokens:")]
    assert len(row) == 1, table
    share = float(row[0].split("(")[1].rstrip("%)"))
    assert share > 90, row
    assert "cache hits expected here (repeat-prompts)" in table
    assert "warning" not in r.stderr  # asked for: no warning
    doc, _ = load_json(sim, "--repeat-prompts")
    pc = only_level(doc)["prompt_cache"]
    assert pc["expected"] == "repeat-prompts"
    assert pc["cached_share"] > 0.9 and pc["unexpected_requests"] == 0
    assert doc["metadata"]["prompts"]["nonce"] == 0
    assert only_level(doc)["median_ttft_ms"] < 40


def test_unexpected_cache_hits_warn(sim_factory):
    # The same nonce twice is a repeat nobody asked for: warned in the
    # table, the result and on stderr, with what to do.
    sim = sim_factory()
    load_json(sim, "--prompt-nonce", "12345")
    r = run_cli(*LOAD, "--base-url", sim.base_url, "--prompt-nonce", "12345")
    assert r.returncode == 0, r.stderr
    assert "served from the server's prompt cache" in r.stderr
    assert "warning: 12 of 12 requests were served from the server's prompt cache" in r.stdout
    doc, err = load_json(sim, "--prompt-nonce", "12345")
    lv = only_level(doc)
    assert lv["prompt_cache"]["unexpected_requests"] == 12
    assert "--prompt-nonce" in lv["prompt_cache"]["warning"]
    assert lv["warnings"] == [lv["prompt_cache"]["warning"]]
    assert "served from the server's prompt cache" in err


def test_duration_does_not_cycle_prompts(sim_factory):
    sim = sim_factory("--prefill-tps", "100000", "--decode-tps", "2000")
    r = run_cli("load", "--base-url", sim.base_url, "--model", "sim", "--concurrency", "2",
                "--duration", "3", "--num-prompts", "6", "--input-len", "256",
                "--output-len", "4", "--no-warmup", "--format", "json")
    assert r.returncode == 0, r.stderr
    lv = only_level(json.loads(r.stdout))
    # Six prompts, each sent once; then the level stops and says why.
    assert lv["completed"] == 6
    assert lv["prompt_cache"]["cached_tokens"] == 0
    assert lv["stopped_by"] == "prompts"
    assert "larger --num-prompts" in r.stderr and "--repeat-prompts" in r.stderr
    # Asked to repeat: cycled, and the cache shows it.
    r = run_cli("load", "--base-url", sim.base_url, "--model", "sim", "--concurrency", "2",
                "--duration", "1", "--num-prompts", "6", "--input-len", "256",
                "--output-len", "4", "--no-warmup", "--format", "json", "--repeat-prompts")
    assert r.returncode == 0, r.stderr
    lv = only_level(json.loads(r.stdout))
    assert lv["completed"] > 12 and lv["stopped_by"] == "duration"
    assert lv["prompt_cache"]["cached_share"] > 0.5


@pytest.mark.parametrize("args,arrival", [
    (("--concurrency", "2"), "closed_loop"),
    (("--request-rate", "200"), "poisson"),
    (("--request-rate", "200", "--arrival", "constant"), "constant"),
    (("--request-rate", "inf", "--max-concurrency", "2"), "all_at_once"),
])
def test_arrival_says_what_happened(sim_factory, args, arrival):
    sim = sim_factory()
    r = run_cli("load", "--base-url", sim.base_url, "--model", "sim", "--num-prompts", "4",
                "--input-len", "16", "--output-len", "2", "--no-warmup", "--format", "json", *args)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["metadata"]["arrival"] == arrival
    assert only_level(doc)["arrival"] == arrival
    assert ("burstiness" in doc["metadata"]) is False


def records_in(path):
    if not os.path.exists(path):
        return []
    out = []
    with open(path) as f:
        for line in f:
            try:
                obj = json.loads(line)
            except ValueError:
                continue  # a line still being written
            if obj.get("type") == "record":
                out.append(obj)
    return out


def test_resume_continues_an_interrupted_level(sim_factory, tmp_path):
    sim = sim_factory("--decode-tps", "100")
    jl = tmp_path / "run.jsonl"
    args = ["load", "--base-url", sim.base_url, "--model", "sim", "--concurrency", "2",
            "--num-prompts", "20", "--input-len", "64", "--output-len", "20", "--no-warmup",
            "--jsonl", str(jl), "--format", "json"]
    proc = subprocess.Popen([str(CLI), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    # Interrupt once six requests are on file (a condition, not a sleep).
    deadline = time.monotonic() + 60
    while len(records_in(jl)) < 6:
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "no records appeared"
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=30)
    done_before = {r["index"] for r in records_in(jl)}
    assert 6 <= len(done_before) < 20

    r = run_cli(*args, "--resume")
    assert r.returncode == 0, r.stderr
    lv = only_level(json.loads(r.stdout))
    assert lv["completed"] == 20 and lv["failed"] == 0 and lv["not_started"] == 0
    res = lv["resumed"]
    assert res["from"] == "interrupted"
    assert res["restored_requests"] == len(done_before)
    assert res["sent_now"] == 20 - len(done_before)  # where it stopped, not from zero
    assert "continuing where it stopped" in r.stderr
    # Every index exactly once in the file, and the new ones are new to the
    # server: fresh prompts, nothing cached.
    indices = sorted(rec["index"] for rec in records_in(jl))
    assert indices == list(range(20))
    assert lv["prompt_cache"]["cached_tokens"] == 0
    doc = json.loads(r.stdout)
    assert doc["metadata"]["resume"]["levels_continued"] == 1


def start_sim_on(port, *args):
    from conftest import wait_healthy
    proc = subprocess.Popen([str(CLI), "sim", "--port", str(port), *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_healthy(port, proc)
    return proc


def stop(proc):
    proc.terminate()
    proc.wait(timeout=10)


def test_resume_retry_failed(tmp_path):
    from conftest import free_port
    port = free_port()
    jl = tmp_path / "faults.jsonl"
    args = ["load", "--base-url", f"http://127.0.0.1:{port}/v1", "--model", "sim",
            "--concurrency", "2", "--num-prompts", "20", "--input-len", "64",
            "--output-len", "8", "--no-warmup", "--jsonl", str(jl), "--format", "json"]
    sim = start_sim_on(port, "--fault-500", "0.3")
    try:
        first = run_cli(*args)
    finally:
        stop(sim)
    assert first.returncode in (0, 1), first.stderr  # exit codes are another item's
    failed = [rec["index"] for rec in records_in(jl) if rec["status"] != "OK"]
    assert failed, "the faulty sim failed nothing"
    sim = start_sim_on(port)  # healthy now, same address
    try:
        # Plain --resume: restored as it was, nothing sent, and it says how to retry.
        plain = run_cli(*args, "--resume")
        assert "--retry-failed sends them again" in plain.stderr
        lv = only_level(json.loads(plain.stdout))
        assert lv["failed"] == len(failed) and lv.get("restored_from_jsonl") is True
        retry = run_cli(*args, "--resume", "--retry-failed")
        assert retry.returncode == 0, retry.stderr
        doc = json.loads(retry.stdout)
        lv = only_level(doc)
        assert lv["completed"] == 20 and lv["failed"] == 0
        assert lv["resumed"]["from"] == "complete"
        assert lv["resumed"]["retried_failed"] == len(failed)
        assert lv["resumed"]["sent_now"] == len(failed)
        assert lv["resumed"]["restored_requests"] == 20 - len(failed)
        assert f"retrying its {len(failed)} failed requests" in retry.stderr
        assert doc["metadata"]["resume"]["levels_retried"] == 1
        assert sorted(rec["index"] for rec in doc["records"]) == list(range(20))
        assert all(rec["status"] == "OK" for rec in doc["records"])
        # The file now reads as complete: a further resume sends nothing.
        again = run_cli(*args, "--resume", "--retry-failed")
        lv = only_level(json.loads(again.stdout))
        assert lv.get("restored_from_jsonl") is True and lv["failed"] == 0 and lv["completed"] == 20
    finally:
        stop(sim)


def test_retry_failed_needs_resume(tmp_path):
    r = run_cli("load", "--base-url", "http://127.0.0.1:9/v1", "--model", "sim",
                "--retry-failed", "--jsonl", str(tmp_path / "x.jsonl"))
    assert r.returncode != 0
    assert "--retry-failed" in r.stderr and "--resume" in r.stderr
