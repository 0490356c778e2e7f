"""The documentation says what the tool does: each claim here is checked
against the CLI or the headers, so that a change to either shows up as a
failing test instead of a doc that quietly became wrong."""
import csv
import io
import json
import re

from conftest import ROOT, run_cli

DOCS = ROOT / "docs"
HEADERS = ROOT / "libbenchy" / "include" / "benchy"


def _json(proc):
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_c_api_doc_gives_every_public_function():
    doc = (DOCS / "c-api.md").read_text()
    declared = set()
    for header in HEADERS.glob("*.h"):
        text = header.read_text()
        declared.update(re.findall(r"BENCHY_API[^;(]*?\b(benchy_\w+)\s*\(", text))
    assert len(declared) > 90, declared  # the pattern found the API, not a few names
    missing = sorted(name for name in declared if not re.search(rf"\b{name}\(", doc))
    assert not missing, f"docs/c-api.md does not give the signature of {missing}"


def test_c_api_doc_example_is_the_compiled_example():
    doc = (DOCS / "c-api.md").read_text()
    block = re.search(r"<!-- begin examples/c/stream_one.c -->\n```c\n(.*?)```\n<!-- end", doc, re.S)
    assert block, "docs/c-api.md has no worked example between the markers"
    assert block.group(1) == (ROOT / "examples" / "c" / "stream_one.c").read_text()


def test_loop_header_names_both_transports(sim_factory):
    """loop.h used to say every stream goes through libcurl; http:// is benchy's
    own reader, which is the one that dates reads by the kernel's stamp."""
    sim = sim_factory("--decode-tps", "1000")
    result = _json(run_cli("bench", "--base-url", sim.base_url, "--pp", "32", "--tg", "4", "--runs", "1",
                           "--no-warmup", "--quiet", "--format", "json"))
    assert {r["rx_clock"] for r in result["records"]} == {"kernel"}  # not libcurl's read clock
    loop_h = (HEADERS / "loop.h").read_text()
    assert "own HTTP/1.1 reader" in loop_h and "https://" in loop_h


def test_load_doc_states_the_stddev_default_load_uses(sim_factory):
    sim = sim_factory("--decode-tps", "1000")
    result = _json(run_cli("load", "--base-url", sim.base_url, "--num-prompts", "2", "--input-len", "32", "--output-len", "4",
                           "--quiet", "--format", "json"))
    used = result["metadata"]["stddev"]
    text = (DOCS / "load.md").read_text()
    documented = re.findall(r"`(sample|population)` \([^)]*the default", text)
    assert documented == [used], f"docs/load.md gives {documented} as the default, load uses {used}"


def test_readme_says_what_bench_csv_holds(sim_factory):
    sim = sim_factory("--decode-tps", "1000")
    args = ("bench", "--base-url", sim.base_url, "--pp", "32", "--tg", "4", "--runs", "3", "--no-warmup", "--quiet")
    records = _json(run_cli(*args, "--format", "json"))["records"]
    proc = run_cli(*args, "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert len(records) == 3 and len(rows) == 2  # per request vs per test (pp32, tg4)
    assert [r["test"] for r in rows] == ["pp32", "tg4"]
    readme = (ROOT / "README.md").read_text()
    assert "CSV hold every per-request record" not in readme
    assert "CSV one row per test" in readme


def _cached_tokens(result):
    return [r["cached_tokens"] for r in result["records"]]


def test_bench_doc_on_when_prompts_repeat(sim_factory):
    """docs/bench.md: new prompts in every invocation unless --seed is given on
    the command line; with it the same prompts again, and the pp row flagged."""
    doc = (DOCS / "bench.md").read_text()
    assert "Without\n`--seed` the texts are also new in every invocation" in doc
    sim = sim_factory("--decode-tps", "1000")
    args = ("bench", "--base-url", sim.base_url, "--pp", "256", "--tg", "4", "--runs", "2", "--quiet",
            "--format", "json")
    for _ in range(2):
        fresh = _json(run_cli(*args))
        assert _cached_tokens(fresh) == [0, 0]
    first = _json(run_cli(*args, "--seed", "7"))
    assert _cached_tokens(first) == [0, 0]
    again = _json(run_cli(*args, "--seed", "7"))
    assert all(c >= 200 for c in _cached_tokens(again)), _cached_tokens(again)
    assert "the server had seen these prompts" in json.dumps(again["aggregates"])


def test_bad_base_url_names_the_problem():
    proc = run_cli("load", "--base-url", "http://127.0.0.1:99999/v1", "--num-prompts", "1")
    assert proc.returncode != 0
    assert "port out of range: 99999 (a port is 1-65535)" in proc.stderr
    assert "http://127.0.0.1:8090/v1" in proc.stderr  # what a valid one looks like
    proc = run_cli("bench", "--base-url", "http:///v1", "--pp", "8", "--tg", "2")
    assert proc.returncode != 0
    assert "has no host" in proc.stderr
    proc = run_cli("load", "--base-url", "http://alice:hunter2@127.0.0.1:0/v1", "--num-prompts", "1")
    assert proc.returncode != 0 and "port out of range" in proc.stderr
    assert "hunter2" not in proc.stderr + proc.stdout
