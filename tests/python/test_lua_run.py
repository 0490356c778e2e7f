"""`benchy run SCRIPT.lua`: the Lua test scripts under tests/lua/ (one per
documented function group, asserting in Lua: any failed assert is a script
error and makes the run exit 1) against `benchy sim`, and the error cases:
syntax errors, bytecode, bad thresholds, a runtime error / runaway loop /
memory exhaustion in one user while the others go on, Ctrl-C keeping the
completed records, --jsonl never overwritten, and 200 users at once."""
import json
import os
import pathlib
import signal
import subprocess
import time

import pytest

from conftest import CLI, ROOT, run_cli

LUA = ROOT / "tests" / "lua"
FAST = ("--decode-tps", "5000", "--prefill-tps", "1000000", "--overhead-ms", "1")


def run_script(sim, script, *args, timeout=120):
    return run_cli("run", script, "--base-url", sim.base_url, "--quiet", *args, timeout=timeout)


def result_of(proc):
    return json.loads(proc.stdout)


@pytest.mark.parametrize("script", ["chat", "complete", "sleep", "conversation", "safety", "nesting",
                                    "on_chunk", "multi_turn", "validate", "grading"])
def test_lua_function_group_scripts_pass(sim_factory, script):
    sim = sim_factory(*FAST)
    p = run_script(sim, LUA / f"{script}.lua", "--users", "3", "--iterations", "2", "--format", "json")
    assert p.returncode == 0, p.stderr
    doc = result_of(p)
    assert doc["kind"] == "run" and doc["status"] == "OK"
    assert doc["script_errors"] == 0
    agg = doc["aggregates"][0]
    assert agg["scenario"] == script
    assert agg["iterations"] == 6
    assert agg["completed"] >= 6 and agg["failed"] == 0
    for rec in doc["records"]:
        assert rec["scenario"] == script and 1 <= rec["user"] <= 3 and rec["turn"] >= 1


def test_a_failing_assert_in_a_test_script_fails_the_run(sim_factory, tmp_path):
    """The scripts above prove something only if a failed assert is seen."""
    sim = sim_factory(*FAST)
    bad = tmp_path / "bad.lua"
    bad.write_text('benchy.scenario("x", function(s)\n'
                   '  local r = s:chat{messages = {{role = "user", content = "x"}}, max_tokens = 3}\n'
                   '  assert(r.metrics.output_tokens == 4, "wrong count")\nend)\n')
    p = run_script(sim, bad)
    assert p.returncode == 1
    assert "bad.lua:3: wrong count" in p.stderr


def test_scenarios_checks_metrics_thresholds_and_options(sim_factory):
    sim = sim_factory(*FAST)
    p = run_script(sim, LUA / "scenarios.lua", "--users", "4", "--iterations", "10",
                   "-e", "greeting=hello", "--format", "json")
    assert p.returncode == 0, p.stderr
    doc = result_of(p)
    aggs = {a["scenario"]: a for a in doc["aggregates"]}
    assert set(aggs) == {"heavy", "light"}
    # 40 iterations shared 3:1 by weight, exactly (smooth weighted round robin)
    assert aggs["heavy"]["iterations"] == 30 and aggs["light"]["iterations"] == 10
    heavy = aggs["heavy"]
    assert heavy["completed"] == heavy["iterations"]
    assert heavy["checks"]["always fails"] == {"passed": 0, "failed": heavy["iterations"]}
    assert heavy["checks"]["answered"]["failed"] == 0
    assert heavy["checks_failed"] == heavy["iterations"]
    for key in ("p50_ttft_ms", "p99_ttft_ms", "median_tpot_ms", "p99_itl_ms", "p99_e2el_ms",
                "output_throughput"):
        assert heavy[key] > 0, key
    wait = aggs["light"]["metrics"]["wait_ms"]
    assert wait["count"] == 2 * aggs["light"]["iterations"]
    assert 0 < wait["min"] <= wait["p50"] <= wait["max"]
    assert {t["name"]: t["ok"] for t in doc["thresholds"]} == {
        "heavy.ttft.p99": True, "light.failed": True, "light.wait_ms.mean": True}
    assert doc["metadata"]["users"] == 4 and doc["metadata"]["script"].endswith("scenarios.lua")
    assert doc["config"]["define"] == ["greeting=hello"]
    # the markdown table has one row per scenario and the checks
    md = run_script(sim, LUA / "scenarios.lua", "--users", "4", "--iterations", "10", "-e", "greeting=hello")
    assert md.returncode == 0, md.stderr
    assert "| heavy |" in md.stdout and "| light |" in md.stdout
    assert "| heavy | always fails | 0 |" in md.stdout
    assert "| light.failed | == 0 |" in md.stdout


def test_a_violated_threshold_exits_non_zero_and_says_which(sim_factory, tmp_path):
    sim = sim_factory(*FAST)
    s = tmp_path / "th.lua"
    s.write_text('thresholds = {["x.ttft.p99"] = "< 0.0001"}\n'
                 'benchy.scenario("x", function(s) s:chat{messages = {{role = "user", content = "x"}}, '
                 'max_tokens = 2} end)\n')
    p = run_script(sim, s, "--format", "json")
    assert p.returncode == 1
    assert "x.ttft.p99" in p.stderr and "wanted < 0.0001" in p.stderr
    doc = result_of(p)
    assert doc["thresholds"][0]["ok"] is False and doc["thresholds"][0]["value"] > 0


@pytest.mark.parametrize("threshold,message", [
    ('["x.ttfx.p99"] = "< 3"', "unknown metric 'ttfx'"),
    ('["y.ttft.p99"] = "< 3"', "names no scenario"),
    ('["x.ttft.p99"] = "3"', "does not parse"),
    ('["x.ttft.q9"] = "< 3"', "takes a statistic"),
    ('["x.mine.p50"] = "< 3"', "unknown metric 'mine'"),
])
def test_a_bad_threshold_is_refused_before_anything_is_sent(tmp_path, threshold, message):
    s = tmp_path / "th.lua"
    s.write_text(f'thresholds = {{{threshold}}}\nbenchy.scenario("x", function(s) end)\n')
    # Nothing listens there: reaching the server would be a connection error instead.
    p = run_cli("run", s, "--base-url", "http://127.0.0.1:9/v1", "--quiet")
    assert p.returncode == 2
    assert message in p.stderr, p.stderr


def test_syntax_error_names_file_and_line_before_anything_is_sent(tmp_path):
    s = tmp_path / "syn.lua"
    s.write_text('benchy.scenario("x", function(s)\n  if then\nend)\n')
    p = run_cli("run", s, "--base-url", "http://127.0.0.1:9/v1", "--quiet")
    assert p.returncode == 2
    assert "syntax error in" in p.stderr and "syn.lua:2:" in p.stderr
    assert p.stdout == ""


def test_precompiled_bytecode_is_refused(tmp_path):
    s = tmp_path / "b.luac"
    s.write_bytes(b"\x1bLuaT\x00\x19\x93\r\n\x1a\n")  # a bytecode header
    p = run_cli("run", s, "--base-url", "http://127.0.0.1:9/v1", "--quiet")
    assert p.returncode == 2
    assert "precompiled Lua bytecode" in p.stderr


def test_one_users_error_runaway_or_memory_does_not_stop_the_others(sim_factory, tmp_path):
    sim = sim_factory(*FAST)
    s = tmp_path / "bad_users.lua"
    s.write_text('benchy.scenario("x", function(s)\n'
                 '  local r = s:chat{messages = {{role = "user", content = "hi"}}, max_tokens = 2}\n'
                 '  if s.user == 1 then while true do end end\n'
                 '  if s.user == 2 then local t = string.rep("x", 1024 * 1024 * 1024) end\n'
                 '  if s.user == 3 then error("boom") end\n'
                 '  s:check(r.ok, "ok")\nend)\n')
    start = time.monotonic()
    p = run_script(sim, s, "--users", "6", "--iterations", "2", "--format", "json")
    assert time.monotonic() - start < 60
    assert p.returncode == 1
    doc = result_of(p)
    assert doc["status"] == "ERR_SCRIPT"
    errors = [r for r in doc["records"] if r.get("type") == "script_error"]
    by_user = {}
    for e in errors:
        by_user.setdefault(e["user"], []).append(e["error"])
    assert sorted(by_user) == [1, 2, 3]
    assert all(len(v) == 2 for v in by_user.values())  # each of their iterations
    assert "instruction budget exceeded" in by_user[1][0]
    assert "not enough memory" in by_user[2][0]
    assert "boom" in by_user[3][0] and "stack traceback" in by_user[3][0]
    # the first errors are shown on stderr, the rest only counted
    assert p.stderr.count("warning: script error") == 5
    assert "further script errors are counted" in p.stderr
    # every user sent both its requests; users 4-6 passed their checks
    requests = [r for r in doc["records"] if r.get("type") != "script_error"]
    assert len(requests) == 12 and all(r["status"] == "OK" for r in requests)
    agg = doc["aggregates"][0]
    assert agg["script_errors"] == 6 and agg["checks"]["ok"]["passed"] == 6


def test_ctrl_c_keeps_every_completed_record(sim_factory, tmp_path):
    sim = sim_factory(*FAST)
    journal = tmp_path / "run.jsonl"
    proc = subprocess.Popen([str(CLI), "run", str(LUA / "multi_turn.lua"), "--base-url", sim.base_url,
                             "--users", "4", "--duration", "120", "--jsonl", str(journal),
                             "--format", "json", "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    lines = 0
    while time.monotonic() < deadline and lines < 21:
        lines = len(journal.read_text().splitlines()) if journal.exists() else 0
        time.sleep(0.02)  # polling the file's contents, bounded by the deadline
    assert lines >= 21, "no records were written"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    doc = json.loads(out)
    assert doc["status"] == "ERR_CANCELLED"
    kept = [json.loads(l) for l in journal.read_text().splitlines()[1:]]
    kept = [l for l in kept if l["type"] == "record"]  # iteration lines mark what --resume keeps
    assert len(kept) >= 10
    # the result holds every record the journal holds, and nothing cancelled
    assert len(doc["records"]) == len(kept)
    assert all(r["status"] == "OK" for r in doc["records"])
    assert "every request that completed" in err


def test_jsonl_is_appended_and_never_overwritten(sim_factory, tmp_path):
    sim = sim_factory(*FAST)
    journal = tmp_path / "j.jsonl"
    p = run_script(sim, LUA / "complete.lua", "--users", "2", "--iterations", "3", "--jsonl", journal)
    assert p.returncode == 0, p.stderr
    lines = [json.loads(l) for l in journal.read_text().splitlines()]
    assert lines[0]["kind"] == "run" and lines[0]["type"] == "config"
    # each request's record, and each finished iteration's line (for --resume)
    assert len(lines) == 1 + 6 + 6
    assert all(l["scenario"] == "complete" for l in lines[1:])
    assert [l["type"] for l in lines[1:]] == ["record", "iteration"] * 6 or \
        sorted(l["type"] for l in lines[1:]) == ["iteration"] * 6 + ["record"] * 6
    assert all(l["status"] == "OK" for l in lines[1:] if l["type"] == "record")
    assert sorted((l["user"], l["iteration"]) for l in lines[1:] if l["type"] == "iteration") == \
        [(u, i) for u in (1, 2) for i in (1, 2, 3)]
    before = journal.read_bytes()
    again = run_script(sim, LUA / "complete.lua", "--jsonl", journal)
    assert again.returncode == 2 and "never overwrites" in again.stderr
    assert journal.read_bytes() == before


def test_save_result_writes_the_run_document(sim_factory, tmp_path):
    sim = sim_factory(*FAST)
    out = tmp_path / "r.json"
    p = run_script(sim, LUA / "complete.lua", "--save-result", out)
    assert p.returncode == 0, p.stderr
    doc = json.loads(out.read_text())
    assert doc["kind"] == "run" and doc["aggregates"][0]["scenario"] == "complete"
    assert "collector" in doc["aggregates"][0]


def test_open_loop_rate_starts_the_asked_number_of_iterations(sim_factory):
    sim = sim_factory(*FAST)
    p = run_script(sim, LUA / "complete.lua", "--rate", "200", "--iterations", "30", "--format", "json")
    assert p.returncode == 0, p.stderr
    doc = result_of(p)
    assert doc["metadata"]["arrival"] == "poisson"
    assert doc["aggregates"][0]["iterations"] == 30
    assert len({r["user"] for r in doc["records"]}) == 30


def test_two_hundred_users_of_a_multi_turn_script(sim_factory):
    sim = sim_factory(*FAST, "--slots", "256")
    start = time.monotonic()
    p = run_script(sim, LUA / "multi_turn.lua", "--users", "200", "--iterations", "1", "--format", "json",
                   timeout=300)
    elapsed = time.monotonic() - start
    assert p.returncode == 0, p.stderr[-2000:]
    doc = result_of(p)
    agg = doc["aggregates"][0]
    assert agg["completed"] == 1000 and agg["failed"] == 0
    assert agg["checks"]["turn answered"] == {"passed": 1000, "failed": 0}
    assert len({r["user"] for r in doc["records"]}) == 200
    assert elapsed < 120


def test_help_lists_the_run_options():
    p = run_cli("run", "--help")
    assert p.returncode == 0
    for opt in ("--users", "--iterations", "--rate", "--duration", "--ramp-up", "--define", "-e"):
        assert opt in p.stdout, opt


def test_usage_names_the_script_and_a_terminal_sees_the_live_counter(sim_factory):
    import pty
    p = run_cli("run", "--help")
    assert p.stdout.startswith("usage: benchy run FILE.lua [OPTIONS]")
    sim = sim_factory(*FAST)
    master, slave = pty.openpty()
    proc = subprocess.Popen([str(CLI), "run", str(LUA / "multi_turn.lua"), "--base-url", sim.base_url,
                             "--users", "20", "--iterations", "2"],
                            stdout=subprocess.PIPE, stderr=slave, text=True)
    os.close(slave)
    out, _ = proc.communicate(timeout=120)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert proc.returncode == 0
    assert b"benchy run: 200 done, 0 failed, 0 in flight" in seen
    assert "| multi_turn |" in out
