"""benchy report end to end (issue 14): reports of a bench result, a load
sweep, a Lua workload and a base/new pair, all measured against benchy sim,
opened in headless Chromium. The page writes a self-check into its DOM
(charts, their series and points, pixels painted in series colours, every
JavaScript error it caught); Chromium's --dump-dom gives it back. Screenshots
go to build/<preset>/report-screenshots/."""
import html
import json
import re
import shutil
import subprocess

import pytest

from conftest import BUILD, ROOT, Sim, run_cli

CHROMIUM = shutil.which("chromium")
SHOTS = BUILD / "report-screenshots"
SECRET_KEY = "sk-report-test-0123456789abcdef"
SECRET_HEADER = "hdr-secret-value-4242"
SIM = ("--decode-tps", "2000", "--prefill-tps", "50000", "--jitter", "0.05")



def chromium(*args, timeout=60):
    # Not a skip: a report nobody opened in a browser is not tested.
    assert CHROMIUM, "needs Debian's chromium on PATH (scripts/install-deps.sh installs it)"
    return subprocess.run([CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox",
                           "--hide-scrollbars", "--virtual-time-budget=10000", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


def open_page(page):
    """The page's self-check, as the browser left it in the DOM."""
    p = chromium("--enable-logging=stderr", "--v=0", "--dump-dom", page)
    assert p.returncode == 0, p.stderr[-2000:]
    # The page logs nothing: any console line (an error before the page's
    # own catcher ran, a warning from Chart.js) is a failure.
    console = [line for line in p.stderr.splitlines() if ":CONSOLE" in line]
    assert not console, console
    m = re.search(r'<pre id="benchy-selfcheck"[^>]*>([^<]*)</pre>', p.stdout)
    assert m and m.group(1), "the page wrote no self-check: its script did not run to the end"
    return json.loads(html.unescape(m.group(1))), p.stdout


def screenshot(page, name, height=2600):
    SHOTS.mkdir(parents=True, exist_ok=True)
    out = SHOTS / f"{name}.png"
    if out.exists():
        out.unlink()
    p = chromium(f"--window-size=1400,{height}", f"--screenshot={out}", page)
    assert p.returncode == 0 and out.stat().st_size > 10000, p.stderr[-2000:]
    return out


def assert_drawn(check, expected_charts):
    assert check["errors"] == [], check["errors"]
    assert check["drawn_ms"] is not None
    charts = {c["id"]: c for c in check["charts"]}
    missing = [c for c in expected_charts if c not in charts]
    assert not missing, f"charts not drawn: {missing}; notes: {check['notes']}"
    for c in check["charts"]:
        assert c["series"] >= 1 and c["empty_series"] == 0, c
        assert c["points"] >= 1, c
        # A blank canvas (or one with axes only) paints no saturated pixel.
        assert c["painted"] > 100, c
    return charts


def report(tmp_path, name, *args):
    out = tmp_path / f"{name}.html"
    r = run_cli("report", *args, "-o", out)
    assert r.returncode == 0, r.stderr
    assert f"written to {out}" in r.stderr
    return out


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """One of each kind, saved as a user would (--save-result)."""
    d = tmp_path_factory.mktemp("results")
    fast, slow = Sim(*SIM), Sim("--decode-tps", "1500", "--prefill-tps", "50000", "--jitter", "0.05")
    try:
        def load(sim, path):
            # With a key and a secret header: neither may reach a page.
            r = run_cli("load", "--base-url", sim.base_url, "--concurrency", "1,4,8",
                        "--num-prompts", "48", "--random-input-len", "64", "--random-output-len", "32",
                        "--header", f"X-Team-Token: {SECRET_HEADER}",
                        "--quiet", "--save-result", path, env={"OPENAI_API_KEY": SECRET_KEY})
            assert r.returncode == 0, r.stderr
            return path
        out = {"load": load(fast, d / "sweep.json"), "new": load(slow, d / "sweep-new.json")}
        r = run_cli("bench", "--base-url", fast.base_url, "--pp", "64,128", "--tg", "16",
                    "--depth", "0,256", "--runs", "3", "--quiet", "--save-result", d / "bench.json")
        assert r.returncode == 0, r.stderr
        out["bench"] = d / "bench.json"
        r = run_cli("run", ROOT / "tests" / "lua" / "scenarios.lua", "--base-url", fast.base_url,
                    "--users", "4", "--iterations", "10", "-e", "greeting=hello",
                    "--save-result", d / "run.json")
        assert r.returncode == 0, r.stderr
        out["run"] = d / "run.json"
        faulty = Sim("--decode-tps", "2000", "--fault-500", "0.2", "--fault-disconnect", "0.1", "--seed", "3")
        try:
            r = run_cli("load", "--base-url", faulty.base_url, "--concurrency", "2,4", "--num-prompts", "40",
                        "--max-failure-rate", "1", "--quiet", "--save-result", d / "faults.json")
            assert r.returncode == 0, r.stderr
            out["faults"] = d / "faults.json"
        finally:
            faulty.stop()
    finally:
        fast.stop()
        slow.stop()
    return out


LOAD_CHARTS = ["cdf-ttft", "cdf-tpot", "cdf-itl", "cdf-e2el", "pareto-ttft", "pareto-tpot",
               "spread-ttft", "spread-tpot", "timeline-0"]


def test_load_sweep_report_draws_every_chart(results, tmp_path):
    page = report(tmp_path, "load", results["load"])
    check, dom = open_page(page)
    charts = assert_drawn(check, LOAD_CHARTS)
    # One CDF per level, the sweep's three levels labelled on its curve.
    assert charts["cdf-ttft"]["series"] == 3
    assert charts["pareto-ttft"]["points"] == 3
    assert "c=1" in dom and "c=8" in dom
    screenshot(page, "load-sweep")


def test_bench_report_draws_bars_and_depth(results, tmp_path):
    page = report(tmp_path, "bench", results["bench"])
    check, dom = open_page(page)
    charts = assert_drawn(check, ["bench-pp", "bench-tg", "bench-depth-pp", "bench-depth-tg"])
    # Client-measured and server-reported rates side by side.
    assert charts["bench-pp"]["series"] == 2
    assert charts["bench-depth-pp"]["series"] == 2  # pp64 and pp128 across depths 0 and 256
    screenshot(page, "bench")


def test_lua_run_report_draws_scenarios(results, tmp_path):
    page = report(tmp_path, "run", results["run"])
    check, dom = open_page(page)
    charts = assert_drawn(check, ["run-latency", "run-validity", "run-metrics", "cdf-e2el-scenarios"])
    assert charts["cdf-e2el-scenarios"]["series"] == 2  # heavy and light
    assert "always fails" in dom  # the failing check is listed
    screenshot(page, "lua-run")


def test_time_to_first_sentence_is_drawn_when_the_result_has_it(results, tmp_path):
    def change(doc):
        for i, scenario in enumerate(doc["aggregates"]):
            scenario["p50_ttfs_ms"] = 7.5 + i
            scenario["mean_ttfs_ms"] = 8.0 + i
    page = report(tmp_path, "ttfs", doctored(results["run"], tmp_path, "ttfs.json", change))
    check, dom = open_page(page)
    charts = assert_drawn(check, ["run-latency"])
    assert charts["run-latency"]["series"] == 4  # E2EL p50, p99, TTFT p50, TTFS p50
    assert "time to first sentence p50" in page.read_text() or "time to first sentence" in dom
    plain, _ = open_page(report(tmp_path, "plain-run", results["run"]))
    assert {c["id"]: c for c in plain["charts"]}["run-latency"]["series"] == 3


def test_base_new_pair_has_the_comparison_table_and_overlays(results, tmp_path):
    page = report(tmp_path, "pair", results["load"], results["new"], "--compare")
    check, dom = open_page(page)
    charts = assert_drawn(check, LOAD_CHARTS + ["timeline-1"])
    assert charts["cdf-tpot"]["series"] == 6  # both results' three levels overlaid
    assert "Comparison: " in dom and "(base)" in dom and "(new)" in dom
    # TPOT grew by a third (2000 → 1500 t/s decode): significantly worse at every level.
    tpot_rows = [row for row in re.findall(r"<tr>(.*?)</tr>", dom) if '<td class="text">TPOT mean ms</td>' in row]
    assert len(tpot_rows) == 3, tpot_rows
    assert all('<td class="text worse">slower' in row for row in tpot_rows), tpot_rows
    # Rows with nothing to test on are folded away, their reason kept.
    assert re.search(r"<summary>\d+ rows compared but not tested", dom)
    screenshot(page, "base-new", height=3200)


def test_failures_are_drawn_by_kind(results, tmp_path):
    doc = json.loads(results["faults"].read_text())
    kinds = {k for level in doc["aggregates"] for k, n in level["failed_by_kind"].items() if n}
    assert kinds, "the simulator's faults failed no request"
    page = report(tmp_path, "faults", results["faults"])
    check, dom = open_page(page)
    charts = assert_drawn(check, LOAD_CHARTS + ["failures"])
    assert charts["failures"]["series"] == len(kinds)
    assert charts["failures"]["points"] == 2 * len(kinds)  # every kind at both levels
    screenshot(page, "load-failures")


def test_compare_needs_two_comparable_results(results, tmp_path):
    r = run_cli("report", results["load"], "--compare", "-o", tmp_path / "x.html")
    assert r.returncode == 2 and "--compare takes exactly two results" in r.stderr
    r = run_cli("report", results["load"], results["bench"], "--compare", "-o", tmp_path / "x.html")
    assert r.returncode == 2 and "--compare" in r.stderr
    assert not (tmp_path / "x.html").exists()


def test_results_of_every_kind_in_one_page(results, tmp_path):
    page = report(tmp_path, "all", results["load"], results["bench"], results["run"])
    check, _ = open_page(page)
    assert_drawn(check, LOAD_CHARTS + ["bench-pp", "run-latency"])


def doctored(path, tmp_path, name, change):
    doc = json.loads(path.read_text())
    change(doc)
    out = tmp_path / name
    out.write_text(json.dumps(doc))
    return out


def test_text_from_a_result_cannot_break_the_page(results, tmp_path):
    evil = '</script><script>window.benchyPwned=1</script><img src=x onerror="window.benchyPwned=2">&amp;'

    def change(doc):
        doc["metadata"]["model"] = evil
        doc["metadata"]["name"] = evil
        doc["aggregates"][0]["label"] = evil
    page = report(tmp_path, "evil", doctored(results["load"], tmp_path, "evil.json", change))
    text = page.read_text()
    assert "</script><script>window.benchyPwned" not in text
    assert "<img src=x" not in text
    check, dom = open_page(page)
    assert_drawn(check, LOAD_CHARTS)
    assert "benchyPwned=1</script>" not in dom.replace("&lt;", "<") or "&lt;/script&gt;" in dom
    # Shown as text, exactly as given.
    assert html.escape(evil, quote=False) in dom
    assert "<img src=\"x\"" not in dom and "<img src=x" not in dom


def test_the_page_loads_nothing_from_the_network(results, tmp_path):
    page = report(tmp_path, "offline", results["load"], results["bench"])
    text = page.read_text()
    assert not re.search(r"""(src|href|action)\s*=\s*["']?\s*(https?:)?//""", text, re.I)
    assert not re.search(r"""url\(\s*["']?\s*(https?:)?//""", text, re.I)
    assert not re.search(r"""@import|\bfetch\(|XMLHttpRequest|\bimport\(""", text)
    # The browser itself is told to refuse any other load.
    assert "default-src 'none'" in text
    # Chart.js is in the page, with its licence.
    assert "Chart.js v3.9.1" in text and "Permission is hereby granted" in text


def test_no_secret_reaches_the_page(results, tmp_path):
    page = report(tmp_path, "secrets", results["load"], results["new"], "--compare")
    text = page.read_text()
    assert SECRET_KEY not in text and SECRET_HEADER not in text
    assert "X-Team-Token" in text  # the header's name is kept, as in the result


def test_an_invalid_result_is_shown_as_such(results, tmp_path):
    def change(doc):
        doc["metadata"]["valid"] = False
        doc["metadata"]["invalid"] = "server log matched --reject-log: 'CUDA error'"
    page = report(tmp_path, "invalid", doctored(results["load"], tmp_path, "invalid.json", change))
    check, dom = open_page(page)
    assert_drawn(check, LOAD_CHARTS)
    assert ">INVALID</span>" in dom
    assert "Marked invalid: server log matched --reject-log" in dom


def with_gpu_samples(doc):
    """GPU samples in the shape the sampler writes (docs/results.md)."""
    gib = 1024 ** 3
    levels, timeline, t = [], [], 0.0
    for i, level in enumerate(doc["aggregates"]):
        start = t
        for k in range(8):
            t = round(t + 0.25, 2)
            for gpu in (0, 1):
                timeline.append({"t_s": t, "gpu": gpu, "mem_used_bytes": int((20 + i * 4 + k * 0.2 + gpu) * gib),
                                 "util_pct": 40 + 10 * i + gpu, "sm_mhz": 1980, "power_w": 300.5, "temp_c": 60})
        levels.append({"label": level["label"], "t_start_s": start, "t_end_s": t})
        level["gpu"] = [{"gpu": g, "mem_used_bytes": {"peak": int((21 + i * 4 + g) * gib), "mean": int((20 + i * 4) * gib)},
                         "util_pct": {"mean": 45.0, "max": 60.0}} for g in (0, 1)]
    doc["sampling"] = {"source": "nvml", "why": "libnvidia-ml.so.1 loaded", "interval_ms": 250,
                       "gpus": [{"index": 0, "name": "H100", "uuid": "GPU-0"},
                                {"index": 1, "name": "H100", "uuid": "GPU-1"}],
                       "idle": [{"gpu": 0, "mem_used_bytes": 1 * gib}, {"gpu": 1, "mem_used_bytes": 1 * gib}],
                       "timeline": timeline, "levels": levels, "client_cpu": {"mean_pct": 12.5}}


def test_gpu_samples_are_drawn_when_present(results, tmp_path):
    page = report(tmp_path, "gpu", doctored(results["load"], tmp_path, "gpu.json", with_gpu_samples))
    check, dom = open_page(page)
    charts = assert_drawn(check, LOAD_CHARTS + ["gpu-mem-0", "gpu-util-0", "gpu-peak-0"])
    assert charts["gpu-mem-0"]["series"] == 2 and charts["gpu-mem-0"]["points"] == 48
    assert charts["gpu-peak-0"]["points"] == 6
    screenshot(page, "gpu-samples", height=3000)


def test_no_gpu_samples_says_why(results, tmp_path):
    def change(doc):
        doc["sampling"] = {"source": "none", "why": "no NVIDIA driver", "interval_ms": 250, "gpus": [],
                           "idle": [], "timeline": [], "levels": []}
    page = report(tmp_path, "nogpu", doctored(results["load"], tmp_path, "nogpu.json", change))
    check, dom = open_page(page)
    assert_drawn(check, LOAD_CHARTS)
    assert "no GPU samples (source none: no NVIDIA driver)" in dom


def test_existing_output_is_refused_unless_overwrite(results, tmp_path):
    out = tmp_path / "r.html"
    out.write_text("keep me")
    r = run_cli("report", results["load"], "-o", out)
    assert r.returncode == 2
    assert f"{out} exists" in r.stderr and "--overwrite" in r.stderr
    assert out.read_text() == "keep me"
    r = run_cli("report", results["load"], "-o", out, "--overwrite")
    assert r.returncode == 0, r.stderr
    assert out.read_text().startswith("<!DOCTYPE html>")
    r = run_cli("report", results["load"], "--output", out, "--force")
    assert r.returncode == 0, r.stderr
    assert not list(tmp_path.glob("r.html.tmp-*"))


def test_bad_inputs_name_the_file(results, tmp_path):
    out = tmp_path / "r.html"
    r = run_cli("report", tmp_path / "missing.json", "-o", out)
    assert r.returncode == 2 and "missing.json" in r.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    r = run_cli("report", results["load"], bad, "-o", out)
    assert r.returncode == 2 and "bad.json" in r.stderr
    r = run_cli("report", results["load"])
    assert r.returncode == 2 and "-o FILE.html" in r.stderr
    r = run_cli("report", "-o", out)
    assert r.returncode == 2 and "give one or more result files" in r.stderr
    assert not out.exists()


def test_jsonl_of_results_and_journals(results, tmp_path):
    many = tmp_path / "many.jsonl"
    many.write_text(json.dumps(json.loads(results["load"].read_text())) + "\n" +
                    json.dumps(json.loads(results["new"].read_text())) + "\n")
    page = report(tmp_path, "many", many)
    check, dom = open_page(page)
    charts = assert_drawn(check, LOAD_CHARTS + ["timeline-1"])
    assert charts["cdf-ttft"]["series"] == 6
    assert f"{many}:2" in dom
    bad = tmp_path / "bad.jsonl"
    bad.write_text(many.read_text().splitlines()[0] + "\n{\"type\": \"record\"}\n")
    r = run_cli("report", bad, "-o", tmp_path / "x.html")
    assert r.returncode == 2 and f"{bad} line 2" in r.stderr
    journal = tmp_path / "run.jsonl"
    journal.write_text('{"type": "config", "kind": "load", "result_version": 2, "config": {}}\n'
                       '{"type": "record", "id": 1, "status": "OK"}\n')
    r = run_cli("report", journal, "-o", tmp_path / "x.html")
    assert r.returncode == 2 and f"{journal} is a --jsonl journal" in r.stderr
    assert not (tmp_path / "x.html").exists()


def test_help_lists_the_report_options():
    r = run_cli("report", "--help")
    assert r.returncode == 0
    for opt in ("--output", "--overwrite", "--compare", "--title", "--max-points", "--alpha"):
        assert opt in r.stdout
    assert "report" in run_cli("--help").stdout
