"""The benchy command end to end: the simulator, bench and load as a user runs them."""
import json
import os
import signal
import subprocess
import time

from conftest import CLI, run_cli


def test_version_and_help():
    r = run_cli("version")
    assert r.returncode == 0 and r.stdout.startswith("benchy ")
    r = run_cli("--help")
    assert r.returncode == 0
    for cmd in ("bench", "load", "sim"):
        assert cmd in r.stdout
    r = run_cli("sim", "--help")
    assert r.returncode == 0
    # The timing model and every sim option come from the library.
    assert "--prefill-tps" in r.stdout and "--fault-disconnect" in r.stdout
    assert "prefill" in r.stdout.lower()
    r = run_cli("bench", "--help")
    assert "--pp" in r.stdout and "--depth-mode" in r.stdout and "--prefill-tps" not in r.stdout


def test_bad_options_are_named():
    r = run_cli("bench", "--pp", "abc")
    assert r.returncode == 2
    assert "--pp" in r.stderr and "abc" in r.stderr
    r = run_cli("bench", "--no-such-flag", "1")
    assert r.returncode == 2 and "no-such-flag" in r.stderr
    r = run_cli("sim", "--port", "70000")
    assert r.returncode == 2 and "--port" in r.stderr and "65535" in r.stderr
    r = run_cli("frobnicate")
    assert r.returncode == 2 and "unknown command" in r.stderr


def test_server_down_is_explained():
    r = run_cli("bench", "--base-url", "http://127.0.0.1:1/v1", "--model", "x", "--pp", "16",
                "--tg", "4", "--runs", "1")
    assert r.returncode != 0
    assert "127.0.0.1:1" in r.stderr


def test_bench_against_sim_prints_the_table(sim_factory):
    sim = sim_factory("--prefill-tps", "4000", "--decode-tps", "100")
    r = run_cli("bench", "--base-url", sim.base_url, "--model", "sim", "--pp", "512", "--tg", "16",
                "--runs", "2", "--quiet")
    assert r.returncode == 0, r.stderr
    lines = [l for l in r.stdout.splitlines() if l.startswith("|")]
    header = [c.strip() for c in lines[0].split("|")]
    assert header[1] == "model"
    col = header.index("test")  # after llama-bench's size, params, backend when known
    tests = [l.split("|")[col].strip() for l in lines[2:]]
    assert any(t.startswith("pp512") for t in tests)
    assert any(t.startswith("tg16") for t in tests)


def test_argument_forms(sim_factory, tmp_path):
    """Lists as separate words or with commas, --name=value, and a repeated
    list option taking several words: all reach the run as typed."""
    sim = sim_factory("--decode-tps", "1000")
    out = tmp_path / "r.json"
    r = run_cli("bench", f"--base-url={sim.base_url}", "--model", "sim", "--pp", "64", "128",
                "--tg=4,8", "--runs", "1", "--header", "X-A: 1", "X-B: 2", "--save-result", out,
                "--quiet")
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    tests = {row["test"] for row in doc["aggregates"]}
    assert {"pp64", "pp128", "tg4", "tg8"} == {t.split(" ")[0] for t in tests}, tests
    config = json.dumps(doc["config"])
    assert "X-A" in config and "X-B" in config


def test_aliases_users_already_type(sim_factory, tmp_path):
    """--endpoint (a server root, /v1 appended), --prompt-length,
    --output-lengths and --num-requests, each as a separate word and with =."""
    sim = sim_factory("--decode-tps", "1000")
    root = sim.base_url[: -len("/v1")]
    for i, form in enumerate((["--endpoint", root], [f"--endpoint={root}"])):
        out = tmp_path / f"r{i}.json"  # --save-result never replaces a file
        r = run_cli("bench", *form, "--model", "sim", "--prompt-length", "48",
                    "--output-lengths", "4,6", "--num-requests=2", "--save-result", out, "--quiet")
        assert r.returncode == 0, r.stderr
        doc = json.loads(out.read_text())
        assert doc["metadata"]["base_url"] == sim.base_url
        tests = {row["test"].split(" ")[0]: row["requests"] for row in doc["aggregates"]}
        # One pp48 row pools the prefill of both tg shapes.
        assert tests == {"pp48": 4, "tg4": 2, "tg6": 2}, tests


def test_api_key_never_written(sim_factory, tmp_path):
    sim = sim_factory("--decode-tps", "1000")
    out = tmp_path / "r.json"
    jsonl = tmp_path / "r.jsonl"
    r = run_cli("bench", "--base-url", sim.base_url, "--model", "sim", "--pp", "64", "--tg", "4",
                "--runs", "1", "--save-result", out, "--jsonl", jsonl, "--format", "json",
                "--header", "X-Custom: hunter2", "--quiet",
                env={"OPENAI_API_KEY": "sk-very-secret-key"})
    assert r.returncode == 0, r.stderr
    for text in (r.stdout, r.stderr, out.read_text(), jsonl.read_text()):
        assert "sk-very-secret-key" not in text
        assert "hunter2" not in text
    doc = json.loads(out.read_text())
    assert doc["kind"] == "bench"


def test_ctrl_c_keeps_completed_results(sim_factory, tmp_path):
    sim = sim_factory("--decode-tps", "50")
    jsonl = tmp_path / "run.jsonl"
    proc = subprocess.Popen([str(CLI), "load", "--base-url", sim.base_url, "--model", "sim",
                             "--num-prompts", "400", "--max-concurrency", "4", "--input-len", "32",
                             "--output-len", "8", "--jsonl", str(jsonl), "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Interrupt once some records are on disk (bounded wait, polling the file).
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if jsonl.exists() and jsonl.read_text().count('"record"') >= 3:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    lines = [json.loads(l) for l in jsonl.read_text().splitlines()]
    records = [l for l in lines if l.get("type") == "record"]
    assert len(records) >= 3
    assert "interrupted" in err
