"""The shipped workloads multi_turn.lua and interference.lua against
`benchy sim`, run as a user would (benchy run workloads/X.lua ...)."""
import json

from conftest import ROOT, run_cli

WL = ROOT / "workloads"
FAST = ("--decode-tps", "5000", "--prefill-tps", "200000", "--overhead-ms", "1")


def test_multi_turn_200_users_in_one_process_without_error(sim_factory):
    sim = sim_factory(*FAST)
    p = run_cli("run", WL / "multi_turn.lua", "--base-url", sim.base_url, "--users", "200",
                "-e", "turns=4", "-e", "max_tokens=7", "--format", "json", "--quiet", timeout=300)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["status"] == "OK" and doc["script_errors"] == 0
    agg = doc["aggregates"][0]
    assert agg["iterations"] == 200 and agg["completed"] == 800 and agg["failed"] == 0
    # -e max_tokens reaches the script (a name with TOKEN in it once arrived as "[redacted]")
    assert agg["total_output_tokens"] == 800 * 7
    m = agg["metrics"]
    # context grows turn by turn; from turn 2 on part of it comes from the prefix cache
    assert m["turn1_prompt_tokens"]["mean"] < m["turn2_prompt_tokens"]["mean"] < m["turn4_prompt_tokens"]["mean"]
    assert m["turn4_cached_pct"]["min"] > 50
    assert agg["checks"]["prefix cache hit from turn 2"] == {"passed": 600, "failed": 0}
    assert all(m[f"turn{t}_ttft_ms"]["count"] == 200 for t in range(1, 5))


def test_multi_turn_without_a_prefix_cache_fails_its_cache_check(sim_factory):
    sim = sim_factory(*FAST, "--no-prefix-cache")
    p = run_cli("run", WL / "multi_turn.lua", "--base-url", sim.base_url, "--users", "3",
                "-e", "turns=3", "--format", "json", "--quiet")
    assert p.returncode == 0, p.stderr
    agg = json.loads(p.stdout)["aggregates"][0]
    assert agg["checks"]["prefix cache hit from turn 2"] == {"passed": 0, "failed": 6}
    assert agg["metrics"]["turn3_cached_pct"]["max"] == 0


def test_interference_against_two_sims_reports_each_as_a_share_of_solo(sim_factory):
    a, b = sim_factory(*FAST), sim_factory(*FAST)
    p = run_cli("run", WL / "interference.lua", "--users", "4", "-e", f"base_url_a={a.base_url}",
                "-e", f"base_url_b={b.base_url}", "-e", "requests=3", "-e", "max_tokens=16",
                "--format", "json", "--quiet")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    agg = doc["aggregates"][0]
    assert agg["targets"] == ["a", "b"] and agg["script_errors"] == 0
    # 2 users per server, 3 requests each in its solo phase and in the shared one
    assert agg["by_target"]["a"]["completed"] == 12 and agg["by_target"]["b"]["completed"] == 12
    m = agg["metrics"]
    for srv in ("a", "b"):
        assert m[f"{srv}_solo_ttft_ms"]["count"] == 6 and m[f"{srv}_shared_tok_s"]["count"] == 6
        for figure in ("tok_s", "ttft"):
            pct = m[f"{srv}_{figure}_pct_of_solo"]
            assert pct["count"] == 1
            # two independent simulators: close to 100% (generous: the machine is shared)
            assert 30 < pct["mean"] < 300, (srv, figure, pct)
        check = agg["checks"][f"{srv} keeps > 95% of solo"]
        assert check["passed"] + check["failed"] == 1
    assert "interference: a: tok/s" in p.stderr and "% of solo" in p.stderr
    # solo phases really were alone: a's solo requests all ended before b's began
    recs = doc["records"]
    a_solo_end = max(r["t_ms"]["done"] for r in recs if r["target"] == "a" and r["turn"] <= 3)
    b_solo_start = min(r["t_ms"]["dispatched"] for r in recs if r["target"] == "b" and r["turn"] <= 3)
    assert a_solo_end <= b_solo_start


def test_interference_names_its_missing_options():
    p = run_cli("run", WL / "interference.lua", "--users", "2", "--quiet")
    assert p.returncode == 2
    assert "-e base_url_a=URL is required" in p.stderr
    # --help lists the options even though the script stops without them
    h = run_cli("run", WL / "interference.lua", "--help")
    assert h.returncode == 0, h.stderr
    assert "-e base_url_a=VALUE" in h.stdout and "-e requests=VALUE" in h.stdout
