"""Sampling during the run, end to end through the CLI (docs/metadata.md,
"Sampling during the run"): the simulator's /metrics deltas checked exactly
against the records, a server without /metrics, no GPU, nvidia-smi as the
GPU source (a fake one on PATH), NVML through the fake library, the client
saturation warning on screen, and the markdown lines."""
import json
import stat

from conftest import BUILD, run_cli

FAKE_NVML = BUILD / "tests" / "libfake_nvml.so"
GiB = 1024 ** 3


def load(sim, tmp_path, *args, env=None, name="load.json"):
    out = tmp_path / name
    r = run_cli("load", "--base-url", sim.base_url, "--input-len", "40", "--output-len", "12",
                "--num-prompts", "6", "--save-result", out, *map(str, args), env=env)
    assert r.returncode == 0, r.stderr
    return json.loads(out.read_text()), r


def no_gpu_env(tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir(exist_ok=True)
    return {"BENCHY_NVML_LIBRARY": str(tmp_path / "none" / "libnvidia-ml.so.1"), "PATH": str(empty)}


def test_sim_metrics_deltas_match_the_records(sim_factory, tmp_path):
    sim = sim_factory("--metrics", "--no-prefix-cache", "--decode-tps", "2000")
    doc, r = load(sim, tmp_path, "--concurrency", "1,3", "--warmup", "2")
    levels = doc["aggregates"]
    assert len(levels) == 2
    for i, level in enumerate(levels):
        m = level["server_metrics"]
        assert m["source"] == "llama.cpp"
        recs = [x for x in doc["records"] if x["level"] == i]
        assert len(recs) == 6
        # Exactly this level's requests: not the warm-up, not the other level.
        assert m["deltas"]["llamacpp:prompt_tokens_total"] == sum(x["prompt_tokens"] for x in recs)
        assert m["deltas"]["llamacpp:tokens_predicted_total"] == sum(x["completion_tokens"] for x in recs)
        assert m["gauges_after"] == {"llamacpp:requests_processing": 0, "llamacpp:requests_deferred": 0}
    # The markdown summary has a line per level.
    assert r.stdout.count("server /metrics (llama.cpp): llamacpp:prompt_tokens_total +") == 2


def test_server_without_metrics_is_no_error(sim_factory, tmp_path):
    sim = sim_factory("--decode-tps", "2000")  # /metrics answers 501, as llama-server without --metrics
    doc, r = load(sim, tmp_path, "--concurrency", "2")
    level = doc["aggregates"][0]
    assert "server_metrics" not in level
    assert level["completed"] == 6 and level["failed"] == 0
    assert "/metrics" not in r.stderr and "warning" not in r.stderr
    assert "server /metrics" not in r.stdout


def test_no_gpu_says_why_and_changes_nothing_else(sim_factory, tmp_path):
    sim = sim_factory("--decode-tps", "2000")
    doc, _ = load(sim, tmp_path, "--concurrency", "1,2", env=no_gpu_env(tmp_path))
    s = doc["sampling"]
    assert s["source"] == "none"
    assert "NVML: cannot load" in s["why"] and "nvidia-smi: not found on PATH" in s["why"]
    assert s["gpus"] == [] and s["idle"] == [] and s["timeline"] == []
    assert [lv["label"] for lv in s["levels"]] == [lv["label"] for lv in doc["aggregates"]]
    for level in doc["aggregates"]:
        assert level["gpu"] == []
        assert level["client_cpu"]["saturated"] is False
    assert s["client_cpu"]["cores"] >= 1


def fake_nvidia_smi(tmp_path, mem_file):
    """An nvidia-smi that answers the sampling query with two GPUs, GPU 0's
    memory (MiB) read from mem_file at each call; anything else fails."""
    bin_dir = tmp_path / "smi-bin"
    bin_dir.mkdir()
    smi = bin_dir / "nvidia-smi"
    smi.write_text(
        "#!/bin/sh\n"
        "case \"$*\" in *--query-gpu=index,name,uuid,memory.used,utilization.gpu,clocks.sm,power.draw,"
        "temperature.gpu*--format=csv,noheader,nounits*) ;; *) exit 9;; esac\n"
        f"m=$(cat '{mem_file}')\n"
        "echo \"0, NVIDIA H200, GPU-smi-0, $m, 71, 1980, 655.25, 63\"\n"
        "echo \"1, NVIDIA H200, GPU-smi-1, 512, [N/A], 1980, [N/A], 40\"\n")
    smi.chmod(smi.stat().st_mode | stat.S_IEXEC)
    return bin_dir


def test_nvidia_smi_fallback(sim_factory, tmp_path):
    mem = tmp_path / "mib"
    mem.write_text("2048")
    bin_dir = fake_nvidia_smi(tmp_path, mem)
    env = {"BENCHY_NVML_LIBRARY": str(tmp_path / "none.so"),
           "PATH": f"{bin_dir}:/usr/bin:/bin"}
    sim = sim_factory("--decode-tps", "2000")
    doc, _ = load(sim, tmp_path, "--concurrency", "2", env=env)
    s = doc["sampling"]
    assert s["source"] == "nvidia-smi"
    assert "why" not in s
    assert s["interval_ms"] == 1000  # a process per reading: at most once a second
    assert [(g["index"], g["name"], g["uuid"]) for g in s["gpus"]] == [
        (0, "NVIDIA H200", "GPU-smi-0"), (1, "NVIDIA H200", "GPU-smi-1")]
    assert s["idle"] == [{"gpu": 0, "mem_used_bytes": 2048 * 2 ** 20}, {"gpu": 1, "mem_used_bytes": 512 * 2 ** 20}]
    g0, g1 = doc["aggregates"][0]["gpu"]
    assert g0["mem_used_bytes"]["peak"] == 2048 * 2 ** 20
    assert g0["util_pct"] == {"mean": 71, "max": 71}
    assert g0["power_w"] == {"mean": 655.25, "max": 655.25}
    assert g0["temp_c"] == {"max": 63}
    # [N/A] is no reading, not zero.
    assert g1["util_pct"] == {"mean": None, "max": None}
    assert g1["power_w"]["max"] is None
    point = next(p for p in s["timeline"] if p["gpu"] == 1)
    assert point["util_pct"] is None and point["mem_used_bytes"] == 512 * 2 ** 20


def test_nvml_figures_in_bench_rows_and_markdown(sim_factory, tmp_path):
    mem = tmp_path / "gpu-memory"
    mem.write_text(f"{3 * GiB} {GiB}")
    env = {"BENCHY_NVML_LIBRARY": str(FAKE_NVML), "FAKE_NVML_MEMORY_FILE": str(mem)}
    sim = sim_factory("--decode-tps", "2000", "--metrics", "--no-prefix-cache")
    out = tmp_path / "bench.json"
    r = run_cli("bench", "--base-url", sim.base_url, "-p", "64", "-n", "8", "-r", "2",
                "--sample-interval", "10", "--save-result", out, env=env)
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    assert doc["sampling"]["source"] == "nvml"
    assert [lv["label"] for lv in doc["sampling"]["levels"]] == ["pp64 tg8 (c1)"]
    for row in doc["aggregates"]:
        g0 = row["gpu"][0]
        assert g0["mem_used_bytes"] == {"peak": 3 * GiB, "mean": 3 * GiB}
        assert row["gpu"][1]["mem_used_bytes"]["peak"] == GiB
        assert row["server_metrics"]["source"] == "llama.cpp"
    # The pp and tg rows share the one shape: the same tokens were sent.
    pp, tg = doc["aggregates"]
    assert pp["server_metrics"]["deltas"] == tg["server_metrics"]["deltas"]
    assert pp["server_metrics"]["deltas"]["llamacpp:tokens_predicted_total"] == 2 * 8
    assert "pp64: GPU memory peak gpu0 3.00 GiB (mean 3.00 GiB), util 40%" in r.stdout
    assert "tg8: client CPU" in r.stdout


def test_saturation_warning_on_screen_even_quiet(sim_factory, tmp_path):
    sim = sim_factory("--decode-tps", "2000")
    env = dict(no_gpu_env(tmp_path), BENCHY_TEST_SATURATION_PCT="0")
    doc, r = load(sim, tmp_path, "--concurrency", "2", "--quiet", env=env)
    level = doc["aggregates"][0]
    assert level["client_cpu"]["saturated"] is True
    assert any("the client itself was busy" in w for w in level["warnings"])
    assert "warning: level 1/1 (c=2): the client itself was busy" in r.stderr


def test_sampling_off(sim_factory, tmp_path):
    sim = sim_factory("--decode-tps", "2000")
    doc, _ = load(sim, tmp_path, "--sample-interval", "0")
    assert doc["sampling"]["source"] == "none"
    assert "--sample-interval 0" in doc["sampling"]["why"]
    assert "gpu" not in doc["aggregates"][0] and "client_cpu" not in doc["aggregates"][0]


def test_run_script_is_one_sampled_level(sim_factory, tmp_path):
    sim = sim_factory("--decode-tps", "2000", "--metrics", "--no-prefix-cache")
    script = tmp_path / "two.lua"
    script.write_text(
        'local benchy = require "benchy"\n'
        'benchy.scenario("a", function(s) s:chat{messages = {{role = "user", content = "hello"}}, max_tokens = 8} end)\n'
        'benchy.scenario("b", function(s) s:complete{prompt = "once upon a time", max_tokens = 5} end)\n')
    out = tmp_path / "run.json"
    r = run_cli("run", script, "--base-url", sim.base_url, "--users", "2", "--iterations", "3",
                "--save-result", out, env=no_gpu_env(tmp_path))
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    whole = doc["whole_run"]
    assert whole["label"] == "run"
    assert [lv["label"] for lv in doc["sampling"]["levels"]] == ["run"]
    ok = [x for x in doc["records"] if x.get("prompt_tokens") is not None]
    assert len(ok) >= 6
    deltas = whole["server_metrics"]["deltas"]
    assert deltas["llamacpp:prompt_tokens_total"] == sum(x["prompt_tokens"] for x in ok)
    assert deltas["llamacpp:tokens_predicted_total"] == sum(x["completion_tokens"] for x in ok)
    assert "whole run: server /metrics (llama.cpp)" in r.stdout


# ---- benchy compare --fail-if-memory-grows and benchy table, on constructed results ----

def with_peaks(doc, peaks_per_level, path):
    """doc with each load level's per-GPU peak memory set (bytes), written to path."""
    doc = json.loads(json.dumps(doc))
    for level, peaks in zip(doc["aggregates"], peaks_per_level):
        level["gpu"] = [{"gpu": i, "mem_used_bytes": {"peak": p, "mean": p * 0.9}} for i, p in enumerate(peaks)]
    path.write_text(json.dumps(doc))
    return path


def test_compare_gates_on_peak_memory(sim_factory, tmp_path):
    sim = sim_factory("--decode-tps", "2000")
    doc, _ = load(sim, tmp_path, "--concurrency", "1,2", "--sample-interval", "0")
    # The figure is the largest over the GPUs: base 20 GiB (GPU 1), new 25 GiB (GPU 0).
    base = with_peaks(doc, [[10 * GiB, 20 * GiB], [11 * GiB, 12 * GiB]], tmp_path / "base.json")
    grew = with_peaks(doc, [[25 * GiB, 5 * GiB], [11.5 * GiB, 12 * GiB]], tmp_path / "new.json")
    r = run_cli("compare", base, grew, "--fail-if-memory-grows", "4GiB")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "c=1 peak GPU memory: 20.00 GiB -> 25.00 GiB" in r.stdout
    assert "c=2 peak GPU memory" not in r.stdout.split("Regressions")[-1]
    # the table's verdict cell is bold from end to end
    (cell,) = [line.rsplit("|", 2)[1] for line in r.stdout.splitlines()
               if line.startswith("| c=1 | peak GPU memory")]
    assert cell.strip().startswith("**") and cell.strip().endswith("REGRESSION**"), cell
    out = json.loads(run_cli("compare", base, grew, "--fail-if-memory-grows", "4GiB", "--format", "json").stdout)
    rows = [x for x in out["rows"] if x["metric"] == "peak GPU memory GiB"]
    assert [(x["row"], x["base"], x["new"], x["regression"]) for x in rows] == [
        ("c=1", 20, 25, True), ("c=2", 12, 12, False)]
    assert out["thresholds"]["memory_grows_bytes"] == 4 * GiB
    assert out["memory"].startswith("2 rows compared; largest growth +5.00 GiB; 1 past 4.00 GiB")
    # Under the threshold (decimal GB: 6e9 bytes > 5 GiB): passes, the rows still shown.
    r = run_cli("compare", base, grew, "--fail-if-memory-grows", "6GB")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "peak GPU memory GiB" in r.stdout
    # Memory that shrank never fails.
    assert run_cli("compare", grew, base, "--fail-if-memory-grows", "1GB").returncode == 0


def test_compare_without_memory_figures_says_so(sim_factory, tmp_path):
    sim = sim_factory("--decode-tps", "2000")
    doc, _ = load(sim, tmp_path, "--concurrency", "2", "--sample-interval", "0")
    a = tmp_path / "a.json"
    a.write_text(json.dumps(doc))
    r = run_cli("compare", a, a, "--fail-if-memory-grows", "1GB")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no memory figures in these results" in r.stdout
    # One side without them: the row says which.
    b = with_peaks(doc, [[3 * GiB]], tmp_path / "b.json")
    out = json.loads(run_cli("compare", a, b, "--fail-if-memory-grows", "1GB", "--format", "json").stdout)
    row = next(x for x in out["rows"] if x["metric"] == "peak GPU memory GiB")
    assert row["note"] == "BASE has no GPU memory figures for this row" and row["regression"] is False


def test_table_peak_memory_column(sim_factory, tmp_path):
    sim = sim_factory("--decode-tps", "2000")
    doc, _ = load(sim, tmp_path, "--concurrency", "1,2", "--sample-interval", "0")
    a = with_peaks(doc, [[10 * GiB, 20 * GiB], [11 * GiB, 12 * GiB]], tmp_path / "a.json")
    b = tmp_path / "b.json"
    b.write_text(json.dumps(doc))
    r = run_cli("table", a, b)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].endswith("| peak GPU memory GiB | validity |")
    assert next(l for l in lines if l.startswith(f"| {a} |")).endswith("| 20.00 | valid |")
    assert next(l for l in lines if l.startswith(f"| {b} |")).endswith("| — | valid |")
    rows = json.loads(run_cli("table", a, b, "--format", "json").stdout)["rows"]
    assert [x["peak_gpu_memory_bytes"] for x in rows] == [20 * GiB, None]
    # Without any figures the column is not shown.
    assert "peak GPU memory" not in run_cli("table", b).stdout


def test_open_loop_dispatch_lag(sim_factory, tmp_path):
    sim = sim_factory("--decode-tps", "2000")
    doc, r = load(sim, tmp_path, "--request-rate", "100", "--quiet", env=no_gpu_env(tmp_path))
    level = doc["aggregates"][0]
    lag = level["dispatch_lag_ms"]
    assert 0 <= lag["first_half_mean"] <= lag["max"] and 0 <= lag["second_half_mean"] <= lag["max"]
    # A busy machine may make even 100 req/s late: the warning follows the figures, 10 ms of growth.
    warned = any("fell behind" in w for w in level.get("warnings", []))
    assert warned == (lag["second_half_mean"] - lag["first_half_mean"] > 10)
    assert ("fell behind" in r.stderr) == warned
    # The growth threshold lowered through the test seam: any level has grown past it.
    env = dict(no_gpu_env(tmp_path), BENCHY_TEST_DISPATCH_LAG_MS="-1000")
    doc, r = load(sim, tmp_path, "--request-rate", "100", "--quiet", env=env, name="lag.json")
    assert any("the client fell behind its schedule" in w for w in doc["aggregates"][0]["warnings"])
    assert "warning: level 1/1 (rate=100): the client fell behind its schedule" in r.stderr
    # A closed loop, or a cap on concurrency, has no schedule of its own to fall behind.
    doc, _ = load(sim, tmp_path, "--concurrency", "2", env=env, name="closed.json")
    assert "dispatch_lag_ms" not in doc["aggregates"][0]
    doc, _ = load(sim, tmp_path, "--request-rate", "100", "--max-concurrency", "2", env=env, name="cap.json")
    assert "dispatch_lag_ms" not in doc["aggregates"][0]


def test_python_extension_sees_the_same_figures(tmp_path, monkeypatch):
    """`import benchy`: the option is a keyword argument (from the option
    table), the simulator's --metrics one too, and the result's levels carry
    the figures."""
    import benchy
    mem = tmp_path / "gpu-memory"
    mem.write_text(f"{4 * GiB} {2 * GiB}")
    monkeypatch.setenv("BENCHY_NVML_LIBRARY", str(FAKE_NVML))
    monkeypatch.setenv("FAKE_NVML_MEMORY_FILE", str(mem))
    with benchy.Simulator(decode_tps=2000, metrics=True, no_prefix_cache=True) as s:
        r = benchy.load(base_url=s.base_url, model="sim", num_prompts=4, concurrency=[1, 2],
                        sample_interval=10, progress=False)
    assert (r.kind, r.status) == ("load", "OK")
    assert r.document["sampling"]["source"] == "nvml"
    for i, level in enumerate(r.summary):
        assert level["gpu"][0]["mem_used_bytes"]["peak"] == 4 * GiB
        recs = [x for x in r.requests if x["level"] == i]
        assert level["server_metrics"]["deltas"]["llamacpp:prompt_tokens_total"] == sum(
            x["prompt_tokens"] for x in recs)
