"""benchy compare and benchy table end to end (issue 13): two simulators
whose decode rates differ by 10% are told apart and gate a CI run; two runs
of one simulator pass; results that measured different things are refused
unless told which difference to ignore; one table across three results."""
import json

from conftest import run_cli

# Times long enough (a 256-token prefill at 20k t/s is 13 ms) and jittered
# enough that the simulator's model, not a busy test machine, sets them.
SIM = ("--prefill-tps", "20000", "--overhead-ms", "1", "--jitter", "0.05")


def bench(sim, path, *extra):
    r = run_cli("bench", "--base-url", sim.base_url, "--pp", "256", "--tg", "64", "--runs", "8",
                "--quiet", "--save-result", path, *extra)
    assert r.returncode == 0, r.stderr
    return path


def test_a_10_percent_slower_decode_is_a_regression(sim_factory, tmp_path):
    fast = sim_factory("--decode-tps", "2000", *SIM)
    slow = sim_factory("--decode-tps", "1800", *SIM)
    base = bench(fast, tmp_path / "base.json")
    new = bench(slow, tmp_path / "new.json")

    r = run_cli("compare", base, new, "--fail-if-slower", "3%")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "regression: tg64 t/s total" in r.stderr
    row = next(line for line in r.stdout.splitlines() if line.startswith("| tg64 | t/s total |"))
    assert "slower" in row and "REGRESSION" in row

    doc = json.loads(run_cli("compare", base, new, "--format", "json").stdout)
    tg = next(x for x in doc["rows"] if x["row"] == "tg64" and x["metric"] == "t/s total")
    # A busy test machine can slow one run: bounds are generous, the verdict is not.
    assert tg["verdict"] == "slower" and tg["p"] < 0.05, tg
    assert -16 < tg["diff_pct"] < -5, tg
    assert tg["ci_pct"][0] < tg["diff_pct"] < tg["ci_pct"][1]
    assert tg["test"].startswith("welch t, 8 vs 8 per-run values")

    # The other way round it is an improvement, and nothing fails.
    r = run_cli("compare", new, base, "--fail-if-slower", "3%")
    assert r.returncode == 0, r.stderr
    assert "faster" in next(l for l in r.stdout.splitlines() if l.startswith("| tg64 | t/s total |"))
    # Past the threshold only: 10% slower does not fail a 15% gate.
    assert run_cli("compare", base, new, "--fail-if-slower", "15%").returncode == 0


def test_two_runs_of_one_simulator_pass(sim_factory, tmp_path):
    sim = sim_factory("--decode-tps", "2000", *SIM)
    a = bench(sim, tmp_path / "a.json")
    b = bench(sim, tmp_path / "b.json")
    r = run_cli("compare", a, b, "--fail-if-slower", "3%", "--fail-if-latency-grows", "5%",
                "--fail-if-memory-grows", "1GB")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Regressions: none" in r.stdout
    assert "no memory figures in these results" in r.stdout
    doc = json.loads(run_cli("compare", a, b, "--format", "json").stdout)
    tg = next(x for x in doc["rows"] if x["row"] == "tg64" and x["metric"] == "t/s total")
    assert abs(tg["diff_pct"]) < 3, tg


def test_load_levels_compare_and_say_what_they_cannot_test(sim_factory, tmp_path):
    sim = sim_factory("--decode-tps", "2000", *SIM)
    paths = []
    for name in ("a", "b"):
        path = tmp_path / f"{name}.json"
        r = run_cli("load", "--base-url", sim.base_url, "--num-prompts", "40", "--input-len", "32",
                    "--output-len", "8", "--concurrency", "1,4", "--quiet", "--save-result", path)
        assert r.returncode == 0, r.stderr
        paths.append(path)
    r = run_cli("compare", *paths, "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    levels = {x["row"] for x in doc["rows"]}
    assert levels == {"c=1", "c=4"}
    p99 = next(x for x in doc["rows"] if x["row"] == "c=1" and x["metric"] == "TTFT p99 ms")
    assert p99["verdict"] == "not tested" and "--num-prompts >= 500" in p99["note"]
    p50 = next(x for x in doc["rows"] if x["row"] == "c=1" and x["metric"] == "TTFT p50 ms")
    assert p50["test"] == "bootstrap p50, 40 vs 40 requests" and p50["p"] is not None


def test_differing_config_is_refused_unless_ignored(sim_factory, tmp_path):
    sim = sim_factory("--decode-tps", "2000", *SIM)
    a = bench(sim, tmp_path / "a.json")
    b = bench(sim, tmp_path / "b.json", "--depth", "128")
    r = run_cli("compare", a, b)
    assert r.returncode == 2
    assert "depth (BASE [0], NEW [128])" in r.stderr and "--ignore-config" in r.stderr
    assert r.stdout == ""
    r = run_cli("compare", a, b, "--ignore-config", "depth")
    assert r.returncode == 0, r.stderr
    assert "--ignore-config): depth" in r.stdout
    # Usage errors are 2 as well, naming the problem.
    r = run_cli("compare", a)
    assert r.returncode == 2 and "give two result files" in r.stderr
    r = run_cli("compare", a, b, "--fail-if-slower", "3x", "--ignore-config", "depth")
    assert r.returncode == 2 and "--fail-if-slower '3x'" in r.stderr
    r = run_cli("compare", a, tmp_path / "missing.json")
    assert r.returncode == 2 and "missing.json" in r.stderr


def test_table_over_three_results(sim_factory, tmp_path):
    fast = sim_factory("--decode-tps", "2000", *SIM)
    slow = sim_factory("--decode-tps", "1800", *SIM)
    a = bench(fast, tmp_path / "fast.json")
    b = bench(slow, tmp_path / "slow.json")
    c = tmp_path / "load.json"
    r = run_cli("load", "--base-url", fast.base_url, "--num-prompts", "10", "--input-len", "32",
                "--output-len", "8", "--quiet", "--save-result", c)
    assert r.returncode == 0, r.stderr
    r = run_cli("table", a, b, c)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "| result | pp256 t/s | tg64 t/s | rate=inf TTFT p50 ms | rate=inf TTFT p99 ms | validity |"
    fast_row = next(l for l in lines if l.startswith(f"| {a} |"))
    slow_row = next(l for l in lines if l.startswith(f"| {b} |"))
    tg = lambda row: float(row.split("|")[3].split("±")[0])
    assert 1400 < tg(slow_row) < tg(fast_row) < 2100
    assert fast_row.endswith("| valid |")
    doc = json.loads(run_cli("table", a, b, c, "--format", "json").stdout)
    assert [row["kind"] for row in doc["rows"]] == ["bench", "bench", "load"]
    assert doc["rows"][2]["cells"][2]["value"] > 0
    assert run_cli("table").returncode == 2


def test_an_invalid_result_is_never_a_baseline(sim_factory, tmp_path):
    sim = sim_factory("--decode-tps", "2000", *SIM)
    good = bench(sim, tmp_path / "good.json")
    doc = json.loads(good.read_text())
    # What the server-lifecycle checks write when an expected kernel did not run.
    doc["metadata"]["invalid"] = {"reason": "--expect-log 'marlin_' matched no line"}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    r = run_cli("compare", bad, good)
    assert r.returncode == 2 and "never a baseline" in r.stderr
    r = run_cli("compare", good, bad)
    assert r.returncode == 0, r.stderr
    assert "NEW is marked invalid" in r.stdout
    r = run_cli("table", good, bad)
    assert r.stdout.splitlines()[-1].endswith("| INVALID |")
