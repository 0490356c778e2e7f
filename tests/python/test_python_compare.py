"""benchy.compare(): compare.h over two Results or saved result files, with
the `benchy compare` options of the table as keyword arguments."""
import json
import subprocess
import sys
import pathlib

import pytest

try:
    import benchy
    benchy.compare
except (ImportError, AttributeError) as exc:
    pytest.fail(f"`import benchy` with compare() failed in {sys.executable} ({exc}): "
                "pip install . into this interpreter first", pytrace=False)

WHEEL_CLI = pathlib.Path(sys.executable).parent / "benchy"


def bench_on(decode_tps):
    with benchy.Simulator(prefill_tps=4000, decode_tps=decode_tps, seed=2) as sim:
        return benchy.bench(base_url=sim.base_url, model="sim", pp=[64], tg=[16], runs=5,
                            progress=False)


@pytest.fixture(scope="module")
def base():
    return bench_on(400)


@pytest.fixture(scope="module")
def slower():
    # a quarter of the decode rate: tg t/s falls by about 75%, far past what a
    # busy machine's noise does to one of the two runs
    return bench_on(100)


def test_same_server_passes(base):
    again = bench_on(400)
    c = benchy.compare(base, again, fail_if_slower="50%")
    assert c.passed and c.regressions == [] and c.kind == "bench"
    assert c.rows and all({"row", "metric", "base", "new", "diff_pct", "verdict", "regression"}
                          <= set(row) for row in c.rows)
    assert {row["row"] for row in c.rows} >= {"pp64", "tg16"}
    assert "tg16" in c.to_markdown()
    assert repr(c).startswith("<benchy.Comparison passed")


def test_slower_server_is_a_regression(base, slower):
    c = benchy.compare(base, slower, fail_if_slower="3%")
    assert not c.passed
    assert any("tg16" in text and "t/s" in text for text in c.regressions), c.regressions
    flagged = [row for row in c.rows if row["regression"]]
    assert flagged and all(row["diff_pct"] < -3 for row in flagged)
    # without a gate the same difference is reported, never failed
    ungated = benchy.compare(base, slower)
    assert ungated.passed and any(row["verdict"] == "slower" for row in ungated.rows)


def test_paths_give_what_the_cli_gives(base, slower, tmp_path):
    base.save(tmp_path / "base.json")
    slower.save(tmp_path / "new.json")
    c = benchy.compare(tmp_path / "base.json", str(tmp_path / "new.json"), fail_if_slower="3%")
    out = subprocess.run([str(WHEEL_CLI), "compare", str(tmp_path / "base.json"),
                          str(tmp_path / "new.json"), "--fail-if-slower", "3%", "--format", "json"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1, out.stderr  # the CLI's gate agrees
    assert json.loads(out.stdout) == c.document == json.loads(c.to_json())
    assert benchy.compare(base, slower, fail_if_slower="3%").document == c.document


def test_what_cannot_be_compared(base, tmp_path):
    with benchy.Simulator(decode_tps=1000) as sim:
        load = benchy.load(base_url=sim.base_url, model="sim", num_prompts=3, progress=False)
    with pytest.raises(benchy.Error) as e:
        benchy.compare(base, load)
    assert e.value.status == "ERR_INVALID" and "load" in str(e.value)
    with pytest.raises(benchy.Error, match="missing.json"):
        benchy.compare(base, tmp_path / "missing.json")
    with pytest.raises(benchy.Error, match="abc"):
        benchy.compare(base, base, fail_if_slower="abc")
    with pytest.raises(TypeError, match="did you mean 'fail_if_slower'"):
        benchy.compare(base, base, fail_if_slowr="3%")
    with pytest.raises(ValueError, match="alpha"):
        benchy.compare(base, base, alpha=2)
    with pytest.raises(TypeError, match="Result or the path"):
        benchy.compare(base, 42)


def test_options_table_for_compare():
    names = {row["name"] for row in benchy.options("compare")}
    assert {"fail_if_slower", "fail_if_latency_grows", "alpha", "ignore_config"} <= names
    assert "fail_if_slower" in benchy.compare.__doc__
