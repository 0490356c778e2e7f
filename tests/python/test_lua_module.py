"""The Lua API around `benchy run`: script-declared options (benchy.option,
-e, --help), several targets (benchy.target), `require "benchy"` from a
plain lua5.4, and --resume of a script run."""
import json
import shutil

import pytest

from conftest import ROOT, run_cli

LUA = ROOT / "tests" / "lua"
FAST = ("--decode-tps", "5000", "--prefill-tps", "1000000", "--overhead-ms", "1")


def run_script(sim, script, *args, timeout=120):
    return run_cli("run", script, "--base-url", sim.base_url, "--quiet", *args, timeout=timeout)


# ---- script-declared options ----

def test_declared_options_take_their_values_from_e(sim_factory):
    sim = sim_factory(*FAST)
    p = run_script(sim, LUA / "options.lua", "-e", "mode=fast", "--users", "2", "--format", "json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["status"] == "OK" and doc["aggregates"][0]["completed"] == 2


def test_help_lists_the_script_options_after_the_tables():
    p = run_cli("run", LUA / "options.lua", "-e", "mode=fast", "--help")
    assert p.returncode == 0, p.stderr
    table_part, _, script_part = p.stdout.partition("options.lua options (-e NAME=VALUE):")
    assert "--users N" in table_part, "the table's options come first"
    assert "-e mode=slow|fast" in script_part and "How fast to go. [default: slow]" in script_part
    assert "-e tokens=VALUE" in script_part and "[default: 5]" in script_part
    assert "-e nothing=VALUE" in script_part and "[no default]" in script_part


def test_an_unknown_e_name_is_an_error_naming_the_declared_ones():
    # Nothing listens there: the error must come before the server is asked.
    p = run_cli("run", LUA / "options.lua", "-e", "mode=fast", "-e", "mdoe=slow",
                "--base-url", "http://127.0.0.1:9/v1", "--quiet")
    assert p.returncode == 2
    assert "-e mdoe: " in p.stderr and "its options are mode, tokens, nothing" in p.stderr, p.stderr


def test_a_value_outside_choices_is_an_error():
    p = run_cli("run", LUA / "options.lua", "-e", "mode=medium", "--base-url", "http://127.0.0.1:9/v1",
                "--quiet")
    assert p.returncode == 2
    assert "-e mode=medium" in p.stderr and "takes one of slow|fast" in p.stderr, p.stderr


def test_a_script_without_declarations_keeps_free_form_defines(sim_factory, tmp_path):
    sim = sim_factory(*FAST)
    s = tmp_path / "free.lua"
    s.write_text('assert(benchy.options.anything == "goes")\n'
                 'benchy.scenario("x", function(s) end)\n')
    p = run_script(sim, s, "-e", "anything=goes")
    assert p.returncode == 0, p.stderr
    h = run_cli("run", s, "-e", "anything=goes", "--help")
    assert "(none declared" in h.stdout


# ---- several targets ----

def test_targets_send_to_their_server_and_name_it_in_records_and_rows(sim_factory):
    a, b = sim_factory(*FAST), sim_factory(*FAST)
    url_a = a.base_url.replace("http://", "http://user:hunter2@")
    # no --base-url: a script with targets needs none
    p = run_cli("run", LUA / "targets.lua", "-e", f"url_a={url_a}", "-e", f"url_b={b.base_url}",
                "--users", "2", "--iterations", "2", "--format", "json", "--quiet")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    agg = doc["aggregates"][0]
    assert agg["targets"] == ["a", "b"]
    assert agg["by_target"]["a"]["completed"] == 4 and agg["by_target"]["b"]["completed"] == 4
    assert agg["by_target"]["a"]["total_output_tokens"] == 12
    assert agg["by_target"]["b"]["total_output_tokens"] == 16
    by_target = {}
    for rec in doc["records"]:
        by_target.setdefault(rec["target"], []).append(rec["output_tokens"])
    assert by_target == {"a": [3] * 4, "b": [4] * 4}
    assert {t["name"]: t["base_url"] for t in doc["metadata"]["targets"]} == {
        "a": a.base_url, "b": b.base_url}
    assert "hunter2" not in p.stdout and "hunter2" not in p.stderr


def test_a_target_that_is_down_is_named_before_the_run(sim_factory):
    b = sim_factory(*FAST)
    p = run_cli("run", LUA / "targets.lua", "-e", "url_a=http://127.0.0.1:9/v1",
                "-e", f"url_b={b.base_url}", "--quiet")
    assert p.returncode == 2
    assert "target 'a' (http://127.0.0.1:9/v1)" in p.stderr and "cannot reach" in p.stderr


# ---- require "benchy" from a plain lua5.4 ----

MODULE_DIR = ROOT / "build" / "release" / "bindings" / "lua"


def run_lua(*args, timeout=120):
    import subprocess
    lua = shutil.which("lua5.4")
    assert lua, "lua5.4 is missing: scripts/install-deps.sh installs it"
    assert (MODULE_DIR / "benchy.so").exists(), "build benchy.so first (cmake --build --preset release)"
    cpath = f'package.cpath = "{MODULE_DIR}/?.so;" .. package.cpath'
    return subprocess.run([lua, "-e", cpath, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def test_require_benchy_from_plain_lua_runs_and_returns_the_result(sim_factory):
    a, b = sim_factory(*FAST), sim_factory(*FAST)
    p = run_lua(LUA / "standalone.lua", a.base_url, b.base_url)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "standalone ok"


def test_plain_lua_result_is_the_document_benchy_run_writes(sim_factory, tmp_path):
    sim = sim_factory(*FAST)
    script = tmp_path / "doc.lua"
    script.write_text(
        'local benchy = require "benchy"\n'
        'benchy.scenario("x", function(s) s:chat{messages = {{role = "user", content = "x"}}, max_tokens = 4} end)\n'
        f'local r = benchy.run{{base_url = "{sim.base_url}", users = 2, quiet = true}}\n'
        'io.write(benchy.json_encode(r))\n')
    p = run_lua(script)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    cli = run_cli("run", script, "--base-url", sim.base_url, "--format", "json", "--quiet")
    # under benchy run the command line runs the scenarios: benchy.run says so
    assert cli.returncode == 2 and "benchy.run{} is for a plain lua5.4" in cli.stderr
    assert doc["kind"] == "run" and doc["result_version"] >= 1
    assert set(doc) >= {"config", "metadata", "status", "aggregates", "records", "thresholds"}
    assert doc["aggregates"][0]["completed"] == 2 and doc["aggregates"][0]["total_output_tokens"] == 8


# ---- --resume ----

def start_run(sim, journal, *args):
    import subprocess
    from conftest import CLI
    return subprocess.Popen([str(CLI), "run", str(LUA / "multi_turn.lua"), "--base-url", sim.base_url,
                             "--jsonl", str(journal), "--format", "json", "--quiet", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def journal_lines(journal, type_):
    if not journal.exists():
        return []
    out = []
    for line in journal.read_text().splitlines():
        try:
            obj = json.loads(line)
        except ValueError:
            continue  # a line being written
        if obj.get("type") == type_:
            out.append(obj)
    return out


def interrupt_after(proc, journal, type_, n, timeout=60):
    import signal
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(journal_lines(journal, type_)) < n:
        time.sleep(0.01)  # polls the journal's contents, bounded by the deadline
    assert len(journal_lines(journal, type_)) >= n, "the run wrote too little"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    return out, err


def test_resume_runs_each_remaining_iteration_once(sim_factory, tmp_path):
    # slow enough that the run is still going when 6 iterations are in the journal
    sim = sim_factory("--decode-tps", "400", "--prefill-tps", "1000000", "--overhead-ms", "1")
    journal = tmp_path / "run.jsonl"
    proc = start_run(sim, journal, "--users", "4", "--iterations", "5")
    out, err = interrupt_after(proc, journal, "iteration", 6)
    assert proc.returncode == 130, err
    first = json.loads(out)
    finished_first = {(l["user"], l["iteration"]) for l in journal_lines(journal, "iteration")}
    assert 6 <= len(finished_first) < 20, "interrupted part-way"

    p = run_cli("run", LUA / "multi_turn.lua", "--base-url", sim.base_url, "--users", "4",
                "--iterations", "5", "--jsonl", journal, "--resume", "--format", "json", "--quiet")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["status"] == "OK"
    agg = doc["aggregates"][0]
    # every iteration of every user once: 4 users x 5 iterations x 5 turns
    assert agg["iterations"] == 20 and agg["completed"] == 100 and agg["failed"] == 0
    turns = {}
    for r in doc["records"]:
        turns.setdefault((r["user"], r["iteration"]), []).append(r["turn"])
    assert sorted(turns) == [(u, i) for u in range(1, 5) for i in range(1, 6)]
    assert all(sorted(t) == [1, 2, 3, 4, 5] for t in turns.values())
    resume = doc["metadata"]["resume"]
    assert resume["restored_iterations"] == len(finished_first)
    assert resume["restored_records"] == 5 * len(finished_first)
    # records of iterations cut short are dropped, and those iterations ran again
    partial = len(journal_lines(journal, "record")) - 100
    assert resume["dropped_partial_records"] == partial >= 0
    assert len(first["records"]) >= resume["restored_records"]
    # the restored records are the journal's own, not sent again
    restored = [r for r in doc["records"] if "segment" not in r]
    assert len(restored) == resume["restored_records"]


def test_resume_refuses_other_options_and_needs_jsonl(sim_factory, tmp_path):
    sim = sim_factory(*FAST)
    journal = tmp_path / "run.jsonl"
    p = run_cli("run", LUA / "multi_turn.lua", "--base-url", sim.base_url, "--jsonl", journal, "--quiet")
    assert p.returncode == 0, p.stderr
    other = run_cli("run", LUA / "multi_turn.lua", "--base-url", sim.base_url, "--users", "3",
                    "--jsonl", journal, "--resume", "--quiet")
    assert other.returncode == 2 and "written by a run with other options" in other.stderr
    bare = run_cli("run", LUA / "multi_turn.lua", "--base-url", sim.base_url, "--resume", "--quiet")
    assert bare.returncode == 2 and "give that --jsonl FILE" in bare.stderr
    # a finished run resumed: nothing left to do, everything restored
    again = run_cli("run", LUA / "multi_turn.lua", "--base-url", sim.base_url, "--jsonl", journal,
                    "--resume", "--format", "json", "--quiet")
    assert again.returncode == 0, again.stderr
    doc = json.loads(again.stdout)
    assert doc["aggregates"][0]["completed"] == 5 and doc["metadata"]["resume"]["restored_iterations"] == 1


# ---- timestamps mean what benchy load's mean ----

def test_script_ttft_is_the_receive_stamp_just_after_the_servers_send_stamp(sim_factory):
    sim = sim_factory("--decode-tps", "500", "--overhead-ms", "2")
    p = run_script(sim, LUA / "stamps.lua", "--users", "20", "--iterations", "3", "--format", "json")
    assert p.returncode == 0, p.stderr
    agg = json.loads(p.stdout)["aggregates"][0]
    assert agg["completed"] == 60 and agg["script_errors"] == 0
    delivery = agg["metrics"]["delivery_ms"]
    assert delivery["count"] == 60 and 0 <= delivery["min"] <= delivery["p50"] < 250
    # and benchy load against the same server: its TTFT is measured the same way,
    # so for the same short prompt the two medians agree within a generous bound
    load = run_cli("load", "--base-url", sim.base_url, "--num-prompts", "20", "--max-concurrency", "20",
                   "--input-len", "8", "--output-len", "12", "--format", "json", "--quiet")
    assert load.returncode == 0, load.stderr
    load_ttft = json.loads(load.stdout)["aggregates"][0]["median_ttft_ms"]
    assert abs(agg["median_ttft_ms"] - load_ttft) < 50, (agg["median_ttft_ms"], load_ttft)

