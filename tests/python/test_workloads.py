"""The shipped workloads (workloads/*.lua) run against `benchy sim` as a new
user would run them: annie.lua prints its five scenario rows and writes the
result, its tool turn passes on the simulator's calls and fails, counted and
named by bucket, under --fault-bad-tool-args; tool_calling.lua under
concurrency; smoke.lua fails its 731 check on the simulator as its header
says; and `cmake --install` puts them under share/benchy/workloads."""
import json
import subprocess

import pytest

from conftest import BUILD, ROOT, run_cli

WORKLOADS = ROOT / "workloads"
FAST = ("--decode-tps", "5000", "--prefill-tps", "1000000", "--overhead-ms", "1")
SCENARIOS = ["greeting", "conversational", "tool_call", "five_turns", "briefing"]


def run(sim, name, *args):
    return run_cli("run", WORKLOADS / name, "--base-url", sim.base_url, *args, timeout=300)


def table_rows(md):
    """The first table's rows: {scenario: [cells]}."""
    lines = md.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| scenario | ok |"))
    rows = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


@pytest.mark.parametrize("name", ["annie.lua", "smoke.lua", "tool_calling.lua"])
def test_each_workload_says_what_it_measures_and_how_to_run_it(name):
    head = (WORKLOADS / name).read_text().split("local benchy")[0]
    assert head.startswith(f"-- {name} — ")
    assert f"benchy run workloads/{name}" in head


def test_annie_prints_five_scenario_rows_and_writes_the_result(sim_factory, tmp_path):
    sim = sim_factory(*FAST, "--sentence-every", "12")
    out = tmp_path / "annie.json"
    p = run(sim, "annie.lua", "--users", "3", "--iterations", "10", "--save-result", str(out))
    assert p.returncode == 0, p.stderr
    rows = table_rows(p.stdout)
    assert list(rows) == SCENARIOS
    for name, cells in rows.items():
        assert int(cells[0]) > 0 and cells[1] == "0", (name, cells)  # ok, failed
        assert cells[14 - 1] == "0", (name, cells)                     # checks failed
    assert "| tool_call | " in p.stdout.split("| tool turns |")[1]
    doc = json.loads(out.read_text())
    assert doc["kind"] == "run" and doc["status"] == "OK"
    aggs = {a["scenario"]: a for a in doc["aggregates"]}
    assert list(aggs) == SCENARIOS
    for a in aggs.values():
        assert a["checks_failed"] == 0, a["checks"]
        assert a["ttfs_count"] > 0 and a["median_ttfs_ms"] >= a["median_ttft_ms"] * 0.5
    tool = aggs["tool_call"]
    assert tool["tool_graded"] == tool["iterations"] and tool["tool_valid_rate"] == 1
    assert tool["tool_result_ttft_count"] == tool["iterations"]
    assert tool["checks"]["tool call is search_memory with well-formed arguments"]["passed"] == tool["iterations"]
    greeting = [r for r in doc["records"] if r["scenario"] == "greeting"]
    assert all(r["output_tokens"] < 50 for r in greeting)
    briefing = [r for r in doc["records"] if r["scenario"] == "briefing"]
    assert all(r["prompt_tokens"] >= 1500 for r in briefing)
    turns = [r for r in doc["records"] if r["scenario"] == "five_turns"]
    assert max(r["turn"] for r in turns) == 5


def test_annie_tool_checks_fail_counted_and_named_with_bad_tool_arguments(sim_factory):
    sim = sim_factory(*FAST, "--fault-bad-tool-args", "1")
    p = run(sim, "annie.lua", "--users", "4", "--iterations", "10", "--format", "json", "--quiet")
    assert p.returncode == 0, p.stderr  # annie sets no thresholds: the checks count, the run goes on
    doc = json.loads(p.stdout)
    tool = next(a for a in doc["aggregates"] if a["scenario"] == "tool_call")
    n = tool["iterations"]
    assert n > 0 and tool["tool_graded"] == n and tool["tool_valid"] == 0
    buckets = tool["tool_buckets"]
    assert buckets["unparsed_arguments"] + buckets["missing_required"] + buckets["wrong_type"] == n
    checks = tool["checks"]
    assert checks["tool call is search_memory with well-formed arguments"] == {"passed": 0, "failed": n}
    named = {k[len("tool call: "):]: v["failed"] for k, v in checks.items() if k.startswith("tool call: ")}
    assert named == {k: v for k, v in buckets.items() if v}, (named, buckets)
    assert "answered after the tool result" not in checks  # no answer to a broken call
    md = run(sim, "annie.lua", "--users", "4", "--iterations", "10", "--quiet").stdout
    assert "| tool_call | tool call is search_memory with well-formed arguments | 0 |" in md


def test_annie_thinking_on_and_off_reach_the_server(sim_factory):
    sim = sim_factory(*FAST, "--reasoning-tokens", "6")
    seen = {}
    for mode in ("on", "off"):
        p = run(sim, "annie.lua", "--iterations", "6", "-e", f"thinking={mode}", "--format", "json", "--quiet")
        assert p.returncode == 0, p.stderr
        seen[mode] = {r["reasoning_tokens"] for r in json.loads(p.stdout)["records"]}
    assert seen["on"] == {6} and seen["off"] == {0}
    p = run(sim, "annie.lua", "-e", "thinking=maybe", "--quiet")
    assert p.returncode == 2 and "-e thinking=maybe" in p.stderr and "takes one of on|off" in p.stderr, p.stderr


def test_tool_calling_under_concurrency(sim_factory):
    sim = sim_factory("--decode-tps", "2000", "--prefill-tps", "1000000", "--overhead-ms", "2")
    p = run(sim, "tool_calling.lua", "--users", "24", "--iterations", "3", "--format", "json", "--quiet")
    assert p.returncode == 0, p.stderr
    a = json.loads(p.stdout)["aggregates"][0]
    assert a["iterations"] == 72 and a["failed"] == 0
    assert a["tool_graded"] == 72 and a["tool_valid_rate"] == 1
    assert a["completed"] == 144  # the call and the answer to its result
    assert a["metrics"]["first_tool_ms"]["count"] == 72
    assert a["metrics"]["first_tool_ms"]["max"] <= a["metrics"]["args_done_ms"]["max"]
    assert a["tool_result_ttft_count"] == 72


def test_tool_calling_threshold_fails_on_broken_calls(sim_factory):
    sim = sim_factory(*FAST, "--fault-bad-tool-args", "0.5")
    p = run(sim, "tool_calling.lua", "--users", "8", "--iterations", "4", "--quiet")
    assert p.returncode == 1
    assert "tool_call.tool_valid_rate" in p.stderr
    assert "| tool_call | 32 |" in p.stdout


def test_smoke_fails_its_731_check_on_the_simulator_as_documented(sim_factory):
    assert "FAILS, as expected" in (WORKLOADS / "smoke.lua").read_text()
    sim = sim_factory(*FAST)
    p = run(sim, "smoke.lua", "--format", "json", "--quiet")
    assert p.returncode == 1
    assert "smoke.lua: expected 731, the server said:" in p.stderr
    assert "1 threshold failed: smoke.checks_failed" in p.stderr
    checks = json.loads(p.stdout)["aggregates"][0]["checks"]
    assert checks["answer contains 731"] == {"passed": 0, "failed": 1}
    for ok in ("server answered", "answer streamed in more than one chunk", "server reports usage",
               "server reports timings (llama-server only)"):
        assert checks[ok] == {"passed": 1, "failed": 0}, ok


def test_workloads_are_installed(tmp_path):
    subprocess.run(["cmake", "--install", str(BUILD), "--prefix", str(tmp_path)], check=True,
                   capture_output=True)
    installed = sorted(p.name for p in (tmp_path / "share" / "benchy" / "workloads").iterdir())
    assert installed == sorted(p.name for p in WORKLOADS.glob("*.lua"))
