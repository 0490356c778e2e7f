"""How `benchy run` shares iterations out among a script's scenarios: by
weight, exactly and in a fixed order, and a scenario that never ran is said."""
import json

from conftest import run_cli

SCRIPT = """
local benchy = require "benchy"
for _, name in ipairs{"a", "b", "c", "d", "e"} do
  benchy.scenario(name, function(s)
    s:chat{messages = {{role = "user", content = name}}, max_tokens = 2}
  end, {weight = name == "a" and 2 or 1})
end
"""


def run(sim, tmp_path, *args):
    script = tmp_path / "mix.lua"
    script.write_text(SCRIPT)
    p = run_cli("run", script, "--base-url", sim.base_url, "--format", "json", *args, timeout=120)
    return p, (json.loads(p.stdout) if p.stdout.strip() else None)


def iterations(doc):
    return {a["scenario"]: a["iterations"] for a in doc["aggregates"]}


def test_weights_share_iterations_exactly(sim_factory, tmp_path):
    sim = sim_factory("--decode-tps", "20000", "--overhead-ms", "1")
    p, doc = run(sim, tmp_path, "--users", "3", "--iterations", "8")  # 24 = 4 rounds of 2+1+1+1+1
    assert p.returncode == 0, p.stderr
    assert iterations(doc) == {"a": 8, "b": 4, "c": 4, "d": 4, "e": 4}
    assert "never ran" not in p.stderr and "warnings" not in doc


def test_first_round_reaches_every_scenario(sim_factory, tmp_path):
    sim = sim_factory("--decode-tps", "20000", "--overhead-ms", "1")
    p, doc = run(sim, tmp_path, "--iterations", "6")
    assert p.returncode == 0, p.stderr
    assert iterations(doc) == {"a": 2, "b": 1, "c": 1, "d": 1, "e": 1}


def test_a_scenario_that_never_ran_is_said(sim_factory, tmp_path):
    sim = sim_factory("--decode-tps", "20000", "--overhead-ms", "1")
    p, doc = run(sim, tmp_path, "--iterations", "2")
    assert p.returncode == 0, p.stderr
    ran = {k for k, v in iterations(doc).items() if v}
    assert len(ran) == 2 and "a" in ran
    unrun = sorted(set("abcde") - ran)
    (warning,) = doc["warnings"]
    assert warning.startswith(f"3 of 5 scenarios never ran ({', '.join(unrun)})")
    assert "take 5 to reach every scenario" in warning  # a, b, c, d, e; then a again
    assert warning in p.stderr


def test_csv_quotes_a_scenario_name(sim_factory, tmp_path):
    import csv
    import io
    script = tmp_path / "odd.lua"
    script.write_text('local benchy = require "benchy"\n'
                      'benchy.scenario(\'say "hi", then go\', function(s)\n'
                      '  s:chat{messages = {{role = "user", content = "x"}}, max_tokens = 2}\nend)\n')
    sim = sim_factory("--decode-tps", "20000", "--overhead-ms", "1")
    p = run_cli("run", script, "--base-url", sim.base_url, "--format", "csv", "--quiet", timeout=120)
    assert p.returncode == 0, p.stderr
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    assert [r["scenario"] for r in rows] == ['say "hi", then go']
    assert rows[0]["completed"] == "1"
