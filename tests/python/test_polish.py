"""Small fixes found while merging issues 12-14, each through the CLI:
`benchy compare` and `benchy table` name a bench row as `benchy bench`'s
table does (the depth and concurrency once)."""
import json

from conftest import run_cli

FAST = ("--decode-tps", "5000", "--prefill-tps", "1000000", "--overhead-ms", "1")


# ---- bench rows in compare and table --------------------------------------

def bench_with_depth(sim, path):
    r = run_cli("bench", "--base-url", sim.base_url, "--pp", "64", "--tg", "8", "--depth", "256",
                "--concurrency", "1,2", "--runs", "2", "--no-warmup", "--quiet",
                "--save-result", path, "--format", "json")
    assert r.returncode == 0, r.stderr
    return [row["test"] for row in json.loads(r.stdout)["aggregates"]]


def test_compare_and_table_name_deeper_bench_rows_as_bench_does(sim_factory, tmp_path):
    sim = sim_factory(*FAST)
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    tests = bench_with_depth(sim, a)
    assert bench_with_depth(sim, b) == tests
    # What bench's own table calls them: depth and concurrency once each.
    assert tests == ["pp64 @ d256 (c1)", "tg8 @ d256 (c1)", "pp64 @ d256 (c2)", "tg8 @ d256 (c2)"]

    doc = json.loads(run_cli("compare", a, b, "--format", "json").stdout)
    assert {row["row"] for row in doc["rows"]} == set(tests), doc["rows"]
    md = run_cli("compare", a, b)
    assert md.returncode == 0, md.stderr
    for name in tests:
        assert f"| {name} | t/s total |" in md.stdout, md.stdout
    assert "@ d256 @" not in md.stdout and ") c2" not in md.stdout, md.stdout

    table = json.loads(run_cli("table", a, b, "--format", "json").stdout)
    assert table["columns"] == [f"{name} t/s" for name in tests], table["columns"]
