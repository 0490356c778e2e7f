"""`benchy bench`'s table read as llama-bench's: one row per distinct test,
(cN) only with a concurrency sweep, pp-only and tg-only runs, the model's
size/params/backend when the server states them, a peak rate that a stream
can produce, time to first byte beside prefill, and jsonl output."""
import json

from conftest import run_cli


def table(stdout):
    """The main markdown table: header cells and rows as {column: cell}."""
    lines = []
    for line in stdout.splitlines():
        if line.startswith("|"):
            lines.append(line)
        elif lines:
            break  # the notes and the server-side table come after a blank line
    header = [c.strip() for c in lines[0].split("|")[1:-1]]
    rows = [dict(zip(header, (c.strip() for c in l.split("|")[1:-1]))) for l in lines[2:]]
    return header, rows


def bench(sim, *args, fmt="md"):
    r = run_cli("bench", "--base-url", sim.base_url, "--quiet", "--format", fmt, *map(str, args))
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_one_row_per_distinct_test(sim_factory):
    sim = sim_factory("--decode-tps", "1000")
    out = bench(sim, "--pp", "64,128", "--tg", "4,8", "--runs", "2")
    _, rows = table(out)
    names = [r["test"] for r in rows]
    assert len(names) == len(set(names)), names
    assert sorted(names) == ["pp128", "pp64", "tg4", "tg8"], names
    doc = json.loads(bench(sim, "--pp", "64,128", "--tg", "4,8", "--runs", "2", fmt="json"))
    by_name = {r["test"]: r for r in doc["aggregates"]}
    # A pp row pools the prefill of every shape with that pp (2 tg values x
    # 2 runs); a tg row the decode of every shape with that tg.
    assert by_name["pp64"]["n_t_s_req"] == 4
    assert by_name["pp64"]["n_t_s_total"] == 4
    assert by_name["tg8"]["requests"] == 4
    assert sorted(by_name["pp64"]["keys"]) == ["pp64-tg4-d0-c1", "pp64-tg8-d0-c1"]
    # Every request is still kept as its own record.
    assert len(doc["records"]) == 2 * 2 * 2


def test_concurrency_suffix_only_with_a_sweep(sim_factory):
    sim = sim_factory("--decode-tps", "1000")
    _, rows = table(bench(sim, "--pp", "32", "--tg", "4", "--runs", "1"))
    assert [r["test"] for r in rows] == ["pp32", "tg4"]
    _, rows = table(bench(sim, "--pp", "32", "--tg", "4", "--runs", "1", "--concurrency", "1,2"))
    assert [r["test"] for r in rows] == ["pp32 (c1)", "tg4 (c1)", "pp32 (c2)", "tg4 (c2)"]
    _, rows = table(bench(sim, "--pp", "32", "--tg", "4", "--runs", "1", "--concurrency", "2"))
    assert [r["test"] for r in rows] == ["pp32 (c2)", "tg4 (c2)"]


def test_pp_only_and_tg_only(sim_factory):
    sim = sim_factory("--decode-tps", "1000")
    _, rows = table(bench(sim, "--pp", "32,64", "--tg", "0", "--runs", "1"))
    assert [r["test"] for r in rows] == ["pp32", "pp64"]
    assert all(r["t/s (req)"] for r in rows)
    _, rows = table(bench(sim, "--pp", "0", "--tg", "4,8", "--depth", "0,128", "--runs", "1"))
    assert [r["test"] for r in rows] == ["tg4", "tg8", "tg4 @ d128", "tg8 @ d128"]
    assert all(r["t/s (req)"] and r["peak t/s"] for r in rows)
    # A 0 among others drops only that test.
    _, rows = table(bench(sim, "--pp", "32", "--tg", "0,4", "--runs", "1"))
    assert [r["test"] for r in rows] == ["pp32", "tg4"]
    r = run_cli("bench", "--base-url", sim.base_url, "--pp", "0", "--tg", "0", "--quiet")
    assert r.returncode == 2
    assert "nothing to measure" in r.stderr and r.stdout == ""


def test_model_columns_when_the_server_states_them(sim_factory):
    sim = sim_factory("--decode-tps", "1000")
    header, rows = table(bench(sim, "--pp", "32", "--tg", "4", "--runs", "1"))
    assert header[:5] == ["model", "size", "params", "backend", "test"]
    for r in rows:
        assert (r["size"], r["params"], r["backend"]) == ("4.58 GiB", "8.03 B", "benchy-sim")
    doc = json.loads(bench(sim, "--pp", "32", "--tg", "4", "--runs", "1", fmt="json"))
    assert doc["aggregates"][0]["model_n_params"] == 8030261248
    assert doc["aggregates"][0]["model_size"] == 4920739840


def test_no_model_columns_when_the_server_does_not_say(sim_factory):
    # vLLM's /v1/models has no meta: no size or params, never a made-up one.
    sim = sim_factory("--decode-tps", "1000", "--flavour", "vllm")
    header, _ = table(bench(sim, "--pp", "32", "--tg", "4", "--runs", "1"))
    assert "size" not in header and "params" not in header
    doc = json.loads(bench(sim, "--pp", "32", "--tg", "4", "--runs", "1", fmt="json"))
    for row in doc["aggregates"]:
        assert "model_size" not in row and "model_n_params" not in row


def test_peak_does_not_exceed_the_stream_rate(sim_factory):
    # Long enough that the 1-second window slides over the decode (1.5 s at
    # 20 t/s); counting both ends of the window read 21 t/s here (100 t/s
    # read 101). The 2% allows for stalls on a busy machine.
    sim = sim_factory("--decode-tps", "20")
    doc = json.loads(bench(sim, "--pp", "16", "--tg", "30", "--runs", "2", fmt="json"))
    tg = next(r for r in doc["aggregates"] if r["kind"] == "tg")
    assert tg["n_peak_t_s"] == 2
    assert tg["max_peak_t_s"] <= 20 * 1.02, tg
    assert tg["min_peak_t_s"] >= 18, tg


def test_server_table_says_what_the_gap_holds_and_shows_ttfb(sim_factory):
    sim = sim_factory("--decode-tps", "1000")
    out = bench(sim, "--pp", "64", "--tg", "4", "--runs", "2")
    assert "HTTP and client overhead" not in out
    server_part = out[out.index("server-side rates"):]
    for words in ("request parsing", "tokenization", "scheduling", "network"):
        assert words in server_part, words
    lines = [l for l in server_part.splitlines() if l.startswith("|")]
    header = [c.strip() for c in lines[0].split("|")[1:-1]]
    assert "ttfb (ms)" in header
    rows = {l.split("|")[2].strip(): [c.strip() for c in l.split("|")[1:-1]] for l in lines[2:]}
    ttfb = rows["pp64"][header.index("ttfb (ms)")]
    assert " ± " in ttfb and float(ttfb.split(" ")[0]) > 0
    assert rows["tg4"][header.index("ttfb (ms)")] == ""


def test_jsonl_one_object_per_row(sim_factory, tmp_path):
    sim = sim_factory("--decode-tps", "1000")
    saved = tmp_path / "rows.jsonl"
    r = run_cli("bench", "--base-url", sim.base_url, "--pp", "32", "--tg", "4,8", "--runs", "1",
                "--quiet", "--format", "jsonl", "--save-result", saved)
    assert r.returncode == 0, r.stderr
    for text in (r.stdout, saved.read_text()):
        lines = text.splitlines()
        objs = [json.loads(line) for line in lines]  # each line parses on its own
        assert [o["test"] for o in objs] == ["pp32", "tg4", "tg8"]
        assert all(o["model"] == "sim" for o in objs)
    r = run_cli("load", "--base-url", sim.base_url, "--concurrency", "1,2", "--num-prompts", "2",
                "--input-len", "32", "--output-len", "4", "--quiet", "--format", "jsonl")
    assert r.returncode == 0, r.stderr
    levels = [json.loads(line) for line in r.stdout.splitlines()]
    assert [lv["label"] for lv in levels] == ["c=1", "c=2"]


def test_resume_reads_a_journal_without_ttfb(sim_factory, tmp_path):
    """Journals written before ttfb_ms existed still resume: their records
    load, and the pp row has no TTFB rather than a wrong one."""
    sim = sim_factory("--decode-tps", "1000")
    journal = tmp_path / "run.jsonl"
    args = ("bench", "--base-url", sim.base_url, "--pp", "32", "--tg", "4", "--runs", "2",
            "--seed", "7", "--quiet", "--format", "json", "--jsonl", journal)
    r = run_cli(*args)
    assert r.returncode == 0, r.stderr
    old = []
    for line in journal.read_text().splitlines():
        obj = json.loads(line)
        if obj.get("type") == "record":
            del obj["record"]["bench"]["ttfb_ms"]
        old.append(json.dumps(obj))
    journal.write_text("\n".join(old) + "\n")
    r = run_cli(*args, "--resume")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["metadata"]["resumed"] is True
    pp = next(row for row in doc["aggregates"] if row["test"] == "pp32")
    assert pp["runs_completed"] == 2 and pp["requests"] == 2
    assert pp["mean_ttfb_ms"] is None and pp["n_ttfb_ms"] == 0
    assert len(journal.read_text().splitlines()) == len(old)  # nothing was re-measured
