"""--jsonl never destroys a file, and the exit status says what happened
(issue 9, items 2 and 4), for bench and load, end to end against benchy sim."""
import json
import signal
import subprocess
import time
import urllib.request

import pytest

from conftest import CLI, free_port, run_cli

# Small, quick runs of each client command against a sim at base_url.
FAST = {
    "bench": ["--pp", "32", "--tg", "4", "--runs", "2", "--no-warmup", "--latency-mode", "none"],
    "load": ["--num-prompts", "6", "--input-len", "16", "--output-len", "4", "--no-warmup"],
}


def client(cmd, base_url, *extra, env=None):
    return run_cli(cmd, "--base-url", base_url, *FAST[cmd], "--quiet", *extra, env=env)


def sim_requests(sim):
    """Requests the sim has answered, this one included."""
    with urllib.request.urlopen(f"http://127.0.0.1:{sim.port}/sim/stats", timeout=5) as r:
        return json.load(r)["requests"]


def foreign_file(path, torn_tail):
    """48 lines that are not a benchy journal; optionally a last line without
    its newline, which a resume of a journal of ours would cut off."""
    text = "".join(f'{{"line": {i}, "note": "my own data"}}\n' for i in range(48))
    if torn_tail:
        text += '{"line": 48, "note": "no newline'
    path.write_text(text)
    return path.read_bytes()


def assert_refused_untouched(r, path, before):
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert path.read_bytes() == before
    assert str(path) in r.stderr
    assert r.stdout == ""  # nothing was measured, so no table


# ---- item 2: --jsonl never truncates, and resumes only a journal of ours ----

@pytest.mark.parametrize("cmd", ["bench", "load"])
def test_existing_journal_without_resume_is_refused_before_any_request(cmd, sim_factory, tmp_path):
    sim = sim_factory()
    journal = tmp_path / "run.jsonl"
    first = client(cmd, sim.base_url, "--jsonl", journal)
    assert first.returncode == 0, first.stderr
    before = journal.read_bytes()
    assert before.count(b"\n") >= 3

    asked = sim_requests(sim)
    r = client(cmd, sim.base_url, "--jsonl", journal)
    assert_refused_untouched(r, journal, before)
    # The two ways forward: continue it, or start elsewhere.
    assert "--resume" in r.stderr and "another --jsonl path" in r.stderr
    # Refused before the server was asked anything (only our stats call since).
    assert sim_requests(sim) == asked + 1


@pytest.mark.parametrize("cmd", ["bench", "load"])
def test_foreign_file_without_resume_is_refused(cmd, sim_factory, tmp_path):
    sim = sim_factory()
    path = tmp_path / "notes.jsonl"
    before = foreign_file(path, torn_tail=False)
    r = client(cmd, sim.base_url, "--jsonl", path)
    assert_refused_untouched(r, path, before)
    assert "another --jsonl path" in r.stderr and "remove the file" in r.stderr


@pytest.mark.parametrize("cmd", ["bench", "load"])
def test_resume_of_a_foreign_file_leaves_it_byte_for_byte(cmd, sim_factory, tmp_path):
    sim = sim_factory()
    path = tmp_path / "notes.jsonl"
    before = foreign_file(path, torn_tail=True)
    asked = sim_requests(sim)
    r = client(cmd, sim.base_url, "--jsonl", path, "--resume")
    assert_refused_untouched(r, path, before)
    assert "not a benchy journal" in r.stderr
    assert sim_requests(sim) == asked + 1


def test_resume_of_another_commands_journal_is_refused(sim_factory, tmp_path):
    sim = sim_factory()
    journal = tmp_path / "load.jsonl"
    assert client("load", sim.base_url, "--jsonl", journal).returncode == 0
    before = journal.read_bytes()
    r = client("bench", sim.base_url, "--jsonl", journal, "--resume")
    assert_refused_untouched(r, journal, before)
    assert "benchy load" in r.stderr


@pytest.mark.parametrize("cmd", ["bench", "load"])
def test_an_empty_existing_file_is_used(cmd, sim_factory, tmp_path):
    sim = sim_factory()
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    r = client(cmd, sim.base_url, "--jsonl", path)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(l) for l in path.read_text().splitlines()]
    assert lines[0]["kind"] == cmd
    assert len(lines) > 2


@pytest.mark.parametrize("cmd", ["bench", "load"])
def test_resume_of_a_real_journal_repairs_a_torn_tail_and_continues(cmd, sim_factory, tmp_path):
    sim = sim_factory()
    journal = tmp_path / "run.jsonl"
    assert client(cmd, sim.base_url, "--jsonl", journal).returncode == 0
    complete = journal.read_bytes()
    # A run that died mid-write leaves a torn last line: ours to repair.
    journal.write_bytes(complete + b'{"type":"record","lev')
    r = client(cmd, sim.base_url, "--jsonl", journal, "--resume", "--format", "json")
    assert r.returncode == 0, r.stderr
    after = journal.read_bytes()
    assert after.startswith(complete)
    assert b'"lev{' not in after and after.endswith(b"\n")
    doc = json.loads(r.stdout)
    if cmd == "load":
        assert doc["aggregates"][0]["restored_from_jsonl"] is True
    else:
        assert doc["metadata"]["resumed"] is True
    assert doc["status"] == "OK"


# ---- item 4: exit codes CI can trust ----

def test_load_with_a_wrong_model_sends_nothing_and_lists_the_served_models(sim_factory):
    sim = sim_factory("--model", "served-one")
    r = client("load", sim.base_url, "--model", "wrongmodel")
    assert r.returncode == 2, r.stderr
    assert "wrongmodel" in r.stderr and "served-one" in r.stderr
    with urllib.request.urlopen(f"http://127.0.0.1:{sim.port}/sim/stats", timeout=5) as resp:
        assert json.load(resp)["streams"] == 0


@pytest.mark.parametrize("cmd", ["bench", "load"])
def test_server_down_is_exit_2(cmd):
    r = run_cli(cmd, "--base-url", f"http://127.0.0.1:{free_port()}/v1", *FAST[cmd], "--quiet")
    assert r.returncode == 2
    assert "cannot reach the server" in r.stderr


def test_usage_errors_are_exit_2():
    assert run_cli("load", "--max-failure-rate", "2").returncode == 2
    assert run_cli("bench", "--no-such-option").returncode == 2
    assert run_cli("load", "--resume").returncode == 2  # --resume without --jsonl


def test_sim_that_cannot_listen_is_exit_2(sim_factory):
    sim = sim_factory()
    r = run_cli("sim", "--port", sim.port, timeout=30)
    assert r.returncode == 2 and "cannot listen" in r.stderr


def test_every_request_refused_401_fails_the_load_run(sim_factory):
    sim = sim_factory("--api-key", "sk-sim-key-123")
    key_var = ["--api-key-env", "BENCHY_TEST_SIM_KEY"]
    r = client("load", sim.base_url, "--format", "json", *key_var)
    assert r.returncode == 1, r.stderr
    assert "level 1/1" in r.stderr and "http_error 6" in r.stderr and "HTTP 401" in r.stderr
    doc = json.loads(r.stdout)
    assert doc["status"] == "ERR_FAILURE_RATE"
    rule = doc["failure_rule"]
    assert rule["passed"] is False and rule["max_failure_rate"] == 0.05
    assert rule["failed_groups"][0]["failed_by_kind"] == {"http_error": 6}
    # The same run with the key passes, and the key is written nowhere.
    ok = client("load", sim.base_url, "--format", "json", *key_var,
                env={"BENCHY_TEST_SIM_KEY": "sk-sim-key-123"})
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["failure_rule"]["passed"] is True
    for text in (r.stdout, r.stderr, ok.stdout, ok.stderr):
        assert "sk-sim-key-123" not in text


def test_sim_api_key_answers_401_like_llama_server(sim_factory):
    sim = sim_factory("--api-key", "k1")
    req = urllib.request.Request(f"{sim.base_url}/chat/completions", data=b"{}",
                                 headers={"Authorization": "Bearer wrong"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=5)
    assert e.value.code == 401
    body = json.load(e.value)
    assert body["error"]["type"] == "authentication_error" and body["error"]["code"] == 401
    # /health and /v1/models stay open, as in llama-server.
    with urllib.request.urlopen(f"{sim.base_url}/models", timeout=5) as resp:
        assert resp.status == 200
    # The key is a secret: not in --help's defaults, not in /sim/stats.
    with urllib.request.urlopen(f"http://127.0.0.1:{sim.port}/sim/stats", timeout=5) as resp:
        assert "k1\"" not in resp.read().decode()


def test_bench_with_too_many_failed_requests_fails_unless_allowed(sim_factory):
    # The sim's faults are seeded by request number: a fresh sim for each
    # run fails the same requests (and lets the probes through).
    args = ["--pp", "32", "--tg", "4", "--runs", "10", "--no-warmup", "--latency-mode", "none",
            "--quiet", "--format", "json"]
    r = run_cli("bench", "--base-url", sim_factory("--fault-500", "0.5").base_url, *args)
    assert r.returncode == 1, r.stderr
    assert "test pp32/tg4 (c1)" in r.stderr and "http_error" in r.stderr
    assert "--max-failure-rate" in r.stderr
    doc = json.loads(r.stdout)
    assert doc["failure_rule"]["passed"] is False
    md = run_cli("bench", "--base-url", sim_factory("--fault-500", "0.5").base_url,
                 *[a for a in args if a not in ("--format", "json")])
    assert md.returncode == 1 and "more requests failed than --max-failure-rate" in md.stdout
    allowed = run_cli("bench", "--base-url", sim_factory("--fault-500", "0.5").base_url, *args,
                      "--max-failure-rate", "1")
    assert allowed.returncode == 0, allowed.stderr
    assert json.loads(allowed.stdout)["failure_rule"]["passed"] is True


def test_failures_within_the_rate_pass(sim_factory):
    sim = sim_factory("--fault-500", "0.5")
    r = client("load", sim.base_url, "--num-prompts", "40", "--max-failure-rate", "0.9")
    assert r.returncode == 0, r.stderr


def test_a_server_that_dies_mid_run_fails_the_run(sim_factory, tmp_path):
    sim = sim_factory("--decode-tps", "50")
    journal = tmp_path / "run.jsonl"
    proc = subprocess.Popen([str(CLI), "load", "--base-url", sim.base_url, "--num-prompts", "60",
                             "--max-concurrency", "2", "--input-len", "16", "--output-len", "20",
                             "--no-warmup", "--jsonl", str(journal), "--quiet", "--format", "json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if journal.exists() and journal.read_text().count('"type":"record"') >= 3:
            break
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("no records reached the journal")
    sim.proc.kill()
    sim.proc.wait()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    doc = json.loads(out)
    assert doc["status"] != "OK"
    # What completed before the server died is kept, in the file and the result.
    records = [json.loads(l) for l in journal.read_text().splitlines() if '"type":"record"' in l]
    assert sum(1 for rec in records if rec["status"] == "OK") >= 3


@pytest.mark.parametrize("cmd", ["bench", "load"])
def test_a_jsonl_path_that_cannot_be_created_is_refused_before_any_request(cmd, sim_factory, tmp_path):
    sim = sim_factory()
    asked = sim_requests(sim)
    for path in (tmp_path, tmp_path / "no-such-dir" / "run.jsonl"):
        r = client(cmd, sim.base_url, "--jsonl", path)
        assert r.returncode == 2, r.stderr
        assert str(path) in r.stderr
    assert sim_requests(sim) == asked + 1


def test_sigterm_is_exit_130_with_the_completed_records_kept(sim_factory, tmp_path):
    sim = sim_factory("--decode-tps", "50")
    journal = tmp_path / "run.jsonl"
    proc = subprocess.Popen([str(CLI), "load", "--base-url", sim.base_url, "--num-prompts", "400",
                             "--max-concurrency", "2", "--input-len", "16", "--output-len", "20",
                             "--no-warmup", "--jsonl", str(journal), "--quiet", "--format", "json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if journal.exists() and journal.read_text().count('"type":"record"') >= 3:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert json.loads(out)["status"] == "ERR_CANCELLED"
