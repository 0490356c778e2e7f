"""The transport end to end: no request is sent on a connection the server
has closed or said it will close. llama-server closes the connection after
every stream although it advertised keep-alive; `benchy sim --flavour llama`
does the same, so each request sent on the old connection would fail, be
retried on a fresh one and show `retries: 1` in its record."""
import json

import pytest

from conftest import run_cli


@pytest.mark.parametrize("close", ["auto", "announced"], ids=["silent-close", "connection-close"])
@pytest.mark.parametrize("transport", ["h1", "curl"])
@pytest.mark.parametrize("concurrency", [1, 8])
def test_no_retry_on_a_closed_connection(sim_factory, tmp_path, close, transport, concurrency):
    sim = sim_factory("--flavour", "llama", "--close-after-stream", close, "--decode-tps", "5000",
                      "--overhead-ms", "0")
    jsonl = tmp_path / "run.jsonl"
    r = run_cli("load", "--base-url", sim.base_url, "--model", "sim", "--concurrency", concurrency,
                "--num-prompts", "40", "--input-len", "16", "--output-len", "4", "--jsonl", jsonl,
                "--quiet", env={"BENCHY_TRANSPORT": transport})
    assert r.returncode == 0, r.stderr
    records = [rec for rec in map(json.loads, jsonl.read_text().splitlines()) if "retries" in rec]
    assert len(records) == 40
    assert all(rec["status"] == "OK" for rec in records), records
    retried = [rec["id"] for rec in records if rec["retries"] > 0]
    assert retried == [], f"{len(retried)} of 40 requests were retried on a fresh connection"
