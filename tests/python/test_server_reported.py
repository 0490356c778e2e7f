"""Every result says how the server described itself (issue 13), asked at
startup while the server is known to answer."""
import json

import pytest

from conftest import run_cli

LUA = """
local benchy = require "benchy"
benchy.scenario("one", function(s) s:chat{messages = {{role = "user", content = "hi"}}, max_tokens = 2} end)
"""


@pytest.mark.parametrize("kind", ["bench", "load", "run"])
def test_result_carries_server_reported(sim_factory, tmp_path, kind):
    sim = sim_factory("--decode-tps", "5000", "--overhead-ms", "1", "--flavour", "llama")
    args = {
        "bench": ["bench", "-p", "16", "-n", "2", "-r", "1"],
        "load": ["load", "--num-prompts", "2", "--random-output-len", "2"],
        "run": ["run", tmp_path / "one.lua"],
    }[kind]
    (tmp_path / "one.lua").write_text(LUA)
    url = sim.base_url.replace("http://", "http://user:hunter2secret@")
    p = run_cli(*args, "--base-url", url, "--format", "json", "--quiet", timeout=120)
    assert p.returncode == 0, p.stderr
    reported = json.loads(p.stdout)["metadata"]["server_reported"]
    assert [m["id"] for m in reported["models"]] == ["sim"]
    assert reported["props"]["build_info"].startswith("benchy-sim")
    assert "hunter2secret" not in p.stdout and "hunter2secret" not in p.stderr
