"""benchy.run_script(): a Lua workload (docs/lua.md) from Python, on the run
handle as bench and load run, against the in-process simulator."""
import _thread
import sys
import textwrap
import threading
import time

import pytest

try:
    import benchy
    benchy.run_script
except (ImportError, AttributeError) as exc:
    pytest.fail(f"`import benchy` with run_script() failed in {sys.executable} ({exc}): "
                "pip install . into this interpreter first", pytrace=False)

TWO_SCENARIOS = """
local benchy = require "benchy"
local n = tonumber(benchy.options.n or "4")
benchy.scenario("short", function(s)
  local r = s:chat{messages = {{role = "user", content = "Hi!"}}, max_tokens = n}
  s:check(r.ok, "answered")
end)
benchy.scenario("long", function(s)
  local r = s:complete{prompt = "Once", max_tokens = 2 * n}
  s:check(r.ok, "answered")
end)
thresholds = { ["short.failed"] = "== 0" }
"""


def script(tmp_path, text, name="w.lua"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def sim():
    with benchy.Simulator(decode_tps=1000, seed=5) as s:
        yield s


def test_per_scenario_summary_and_records(sim, tmp_path):
    path = script(tmp_path, TWO_SCENARIOS)
    r = benchy.run_script(path, base_url=sim.base_url, users=2, iterations=3, seed=1,
                          define={"n": 5}, progress=False)
    assert r.kind == "run" and r.status == "OK"
    rows = {row["scenario"]: row for row in r.summary}
    assert set(rows) <= {"short", "long"} and sum(row["iterations"] for row in rows.values()) == 6
    assert all(row["failed"] == 0 and row["checks_failed"] == 0 for row in rows.values())
    assert len(r.requests) == 6
    # define= reached the script: max_tokens n for short, 2n for long
    for rec in r.requests:
        assert rec["output_tokens"] == (5 if rec["scenario"] == "short" else 10), rec
    assert r.document["thresholds"] == [{"name": "short.failed", "condition": "== 0", "value": 0,
                                         "ok": True}]
    assert "| short |" in r.to_markdown() or "| long |" in r.to_markdown()
    assert r.config["users"] == 2


def test_define_as_a_list_and_str_path(sim, tmp_path):
    path = script(tmp_path, TWO_SCENARIOS)
    r = benchy.run_script(str(path), base_url=sim.base_url, define=["n=2"], progress=False)
    assert r.status == "OK" and len(r.requests) == 1
    assert r.requests[0]["output_tokens"] in (2, 4)


def test_script_error_is_an_error_with_the_result(sim, tmp_path):
    path = script(tmp_path, """
        local benchy = require "benchy"
        benchy.scenario("boom", function(s) error("kaboom") end)
    """)
    with pytest.warns(RuntimeWarning, match="kaboom"):
        with pytest.raises(benchy.Error) as e:
            benchy.run_script(path, base_url=sim.base_url, progress=False)
    assert e.value.status == "ERR_SCRIPT" and "kaboom" in str(e.value)
    assert e.value.result.kind == "run"
    assert e.value.result.requests[0]["type"] == "script_error"


def test_bad_arguments(sim, tmp_path):
    with pytest.raises(benchy.Error, match="nope.lua") as e:
        benchy.run_script(tmp_path / "nope.lua", base_url=sim.base_url, progress=False)
    assert e.value.result is None
    path = script(tmp_path, TWO_SCENARIOS)
    with pytest.raises(TypeError, match="did you mean 'users'"):
        benchy.run_script(path, usrs=3)
    with pytest.raises(TypeError, match="define"):
        benchy.run_script(path, define=3)
    with pytest.raises(ValueError, match="users"):
        benchy.run_script(path, users=0)
    with pytest.raises(TypeError, match="benchy.Simulator"):
        benchy.run_script(path, prefill_tps=10)
    with pytest.raises(TypeError):
        benchy.run_script()


def test_progress_and_ctrl_c_returns_the_completed_records(tmp_path):
    path = script(tmp_path, """
        local benchy = require "benchy"
        benchy.scenario("slow", function(s)
          s:chat{messages = {{role = "user", content = "Hi!"}}, max_tokens = 20}
        end)
    """)
    events = []
    with benchy.Simulator(decode_tps=100) as sim:  # 200 ms a request, 100 of them: 20 s
        def progress(event):
            events.append(event)
            if event["requests_done"] >= 2 and not any(e.get("fired") for e in events):
                events.append({"fired": True, "kind": "mark"})
                threading.Timer(0.0, _thread.interrupt_main).start()

        start = time.monotonic()
        with pytest.raises(KeyboardInterrupt) as e:
            benchy.run_script(path, base_url=sim.base_url, iterations=100, progress=progress)
        assert time.monotonic() - start < 15
    partial = e.value.result
    assert partial.status == "ERR_CANCELLED"
    assert 2 <= sum(rec.get("status") == "OK" for rec in partial.requests) < 100
    assert any(ev["kind"] == "phase" for ev in events)


def test_options_table_for_run():
    names = {row["name"] for row in benchy.options("run")}
    assert {"users", "iterations", "rate", "define", "base_url"} <= names
    assert "define" in benchy.run_script.__doc__ and "iterations" in benchy.run_script.__doc__


def test_a_violated_threshold_raises_with_the_result(sim, tmp_path):
    path = script(tmp_path, """
        local benchy = require "benchy"
        benchy.scenario("a", function(s)
          s:chat{messages = {{role = "user", content = "Hi!"}}, max_tokens = 2}
        end)
        thresholds = { ["a.ttft.p99"] = "< 0.0001" }
    """)
    with pytest.raises(benchy.Error, match="a.ttft.p99") as e:
        benchy.run_script(path, base_url=sim.base_url, progress=False)
    assert e.value.status == "ERR_LIMIT"
    assert e.value.result.document["thresholds"][0]["ok"] is False


@pytest.mark.parametrize("call", [
    lambda: benchy.bench(save_result="r.json"),
    lambda: benchy.load(format="json"),
    lambda: benchy.load(result_dir="/tmp"),
    lambda: benchy.run_script("x.lua", overwrite_result=True),
    lambda: benchy.bench(o="json"),
])
def test_options_only_the_cli_acts_on_are_refused(call):
    # Taken and ignored, save_result= would leave a user without the file.
    with pytest.raises(TypeError, match=r"only the benchy command acts on it.*Result\.save"):
        call()


def test_compare_refuses_format(tmp_path):
    with pytest.raises(TypeError, match=r"Comparison\.to_markdown"):
        benchy.compare("a.json", "b.json", format="json")
    assert not any(row["name"] == "format" for row in benchy.options("compare")
                   if not row["cli_only"]) and "save_result" not in benchy.bench.__doc__
