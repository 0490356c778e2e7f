"""`benchy compare` on `benchy run` results: one row per scenario, the same
tests as a load level's, and the gates."""
import json

from conftest import run_cli

SCRIPT = """
local benchy = require "benchy"
benchy.scenario("short", function(s)
  s:chat{messages = {{role = "user", content = "hi"}}, max_tokens = 8}
end)
benchy.scenario("long", function(s)
  s:chat{messages = {{role = "user", content = "tell me more"}}, max_tokens = 24}
end)
"""


def run_saved(sim, tmp_path, name):
    script = tmp_path / "two.lua"
    script.write_text(SCRIPT)
    out = tmp_path / name
    p = run_cli("run", script, "--base-url", sim.base_url, "--users", "2", "--iterations", "12",
                "--quiet", "--save-result", out, timeout=120)
    assert p.returncode == 0, p.stderr
    return out


def test_a_slower_decode_is_flagged_per_scenario(sim_factory, tmp_path):
    # TPOT 2.5 ms against 5 ms: far past any noise of a loaded machine.
    base = run_saved(sim_factory("--decode-tps", "400", "--overhead-ms", "1"), tmp_path, "base.json")
    new = run_saved(sim_factory("--decode-tps", "200", "--overhead-ms", "1"), tmp_path, "new.json")
    p = run_cli("compare", base, new, "--format", "json", "--fail-if-latency-grows", "20%")
    assert p.returncode == 1, p.stderr
    doc = json.loads(p.stdout)
    assert doc["kind"] == "run"
    tpot = {r["row"]: r for r in doc["rows"] if r["metric"] == "TPOT mean ms"}
    assert set(tpot) == {"short", "long"}
    for row in tpot.values():
        assert row["verdict"] == "slower", row
    assert any("short" in r and "TPOT" in r for r in doc["regressions"]), doc["regressions"]
    # and the other way round it is faster, and passes the gate
    p = run_cli("compare", new, base, "--format", "json", "--fail-if-latency-grows", "20%")
    assert p.returncode == 0, p.stderr
    assert {r["verdict"] for r in json.loads(p.stdout)["rows"] if r["metric"] == "TPOT mean ms"} == {"faster"}


def test_a_scenario_only_one_side_has_is_said(sim_factory, tmp_path):
    sim = sim_factory("--decode-tps", "2000", "--overhead-ms", "1")
    base = run_saved(sim, tmp_path, "base.json")
    doc = json.loads(base.read_text())
    doc["aggregates"] = [a for a in doc["aggregates"] if a["scenario"] == "short"]
    new = tmp_path / "only_short.json"
    new.write_text(json.dumps(doc))
    p = run_cli("compare", base, new, "--format", "json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert {r["row"] for r in out["rows"] if r["metric"] == "TTFT mean ms"} == {"short"}
    assert "long only in BASE: not compared" in out["notes"]
