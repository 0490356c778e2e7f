"""Server lifecycle and matrices (issue 13) end to end, with `benchy sim` as
the server that benchy starts, checks and stops itself."""
import json
import os
import pathlib
import signal
import subprocess
import time

import pytest

from conftest import CLI, free_port, run_cli

BENCH = ("--pp", "64", "--tg", "8", "--runs", "1", "--quiet")


def server_cmd(port, *extra):
    return " ".join([str(CLI), "sim", "--port", str(port), "--model", "sim",
                     "--prefill-tps", "50000", "--decode-tps", "2000", *extra])


def lifecycle_args(port, *extra):
    return ["--base-url", f"http://127.0.0.1:{port}/v1", "--server-cmd", server_cmd(port, *extra)]


def sim_pids(port):
    """Processes of a simulator on port, found by its command line."""
    found = []
    for d in pathlib.Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            argv = (d / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"sim" in argv and str(port).encode() in argv:
            found.append(int(d.name))
    return found


def group_gone(pgid):
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def wait_for(condition, what, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_startup_recorded_log_captured_and_expect_log_passes(tmp_path):
    port = free_port()
    result = tmp_path / "r.json"
    r = run_cli("bench", *lifecycle_args(port), *BENCH, "--save-result", result,
                "--server-env", "HF_TOKEN=hf_abcdefghijkl", "BACKEND=marlin",
                "--expect-log", "listening on .*:%d" % port)
    assert r.returncode == 0, r.stderr
    meta = json.loads(result.read_text())["metadata"]
    sp = meta["server_process"]
    assert 0 < sp["startup_s"] < 30
    assert sp["peak_rss_bytes"] > 1 << 20
    assert sp["cpu_s"] >= 0
    assert sp["validation"]["passed"] is True
    assert sp["env"] == {"HF_TOKEN": "[redacted]", "BACKEND": "marlin"}
    assert "invalid" not in meta
    log = pathlib.Path(sp["log"])
    assert log == tmp_path / "r.server.log"
    assert f"listening on http://127.0.0.1:{port}" in log.read_text()
    assert "stopped (SIGTERM)" in log.read_text()  # a clean stop, not a kill
    assert group_gone(sp["pid"])
    everything = result.read_text() + r.stdout + r.stderr
    assert "hf_abcdefghijkl" not in everything
    # The default log name is taken now: the next run gets another, nothing is replaced.
    result2 = tmp_path / "sub" / "r.json"
    r = run_cli("bench", *lifecycle_args(port), *BENCH, "--save-result", result2,
                "--server-log", log)
    assert r.returncode == 2
    assert f"server log {log}" in r.stderr and "never replaced" in r.stderr


def test_secret_flags_in_the_command_are_redacted(tmp_path):
    port = free_port()
    result = tmp_path / "r.json"
    r = run_cli("bench", "--base-url", f"http://127.0.0.1:{port}/v1", "--server-cmd",
                "HF_TOKEN=hf_leakme123 " + server_cmd(port, "--max-tokens", "77", "--api-key",
                                                      "s3cretvalue42"),
                "--api-key", "s3cretvalue42",
                *BENCH, "--save-result", result)
    assert r.returncode == 0, r.stderr
    sp = json.loads(result.read_text())["metadata"]["server_process"]
    assert sp["command"].startswith("HF_TOKEN=[redacted] ")
    assert sp["command"].endswith("--max-tokens 77 --api-key [redacted]")
    for secret in ("s3cretvalue42", "hf_leakme123"):
        assert secret not in result.read_text() + r.stdout + r.stderr


@pytest.mark.parametrize("check", [("--expect-log", "marlin_"),
                                   ("--reject-log", "listening on")])
def test_a_failed_log_check_marks_the_result_invalid(tmp_path, check):
    port = free_port()
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    assert run_cli("bench", *lifecycle_args(port), *BENCH, "--save-result", good).returncode == 0
    r = run_cli("bench", *lifecycle_args(port), *BENCH, "--save-result", bad, *check)
    assert r.returncode == 1, r.stderr
    assert "INVALID" in r.stderr and check[1] in r.stderr
    meta = json.loads(bad.read_text())["metadata"]
    assert meta["valid"] is False
    failure = meta["invalid"]["failures"][0]
    assert failure["pattern"] == check[1]
    if check[0] == "--reject-log":
        assert failure["check"] == "reject"
        assert f"listening on http://127.0.0.1:{port}" in failure["lines"][0]
    else:
        assert failure["check"] == "expect"
    assert group_gone(meta["server_process"]["pid"])
    r = run_cli("compare", bad, good)
    assert r.returncode == 2
    assert "invalid" in r.stderr
    assert run_cli("compare", good, bad).returncode in (0, 1)  # NEW may be invalid
    assert "INVALID" in run_cli("table", good, bad).stdout


def test_a_bad_regex_is_refused_before_the_server_starts(tmp_path):
    port = free_port()
    r = run_cli("bench", *lifecycle_args(port), *BENCH, "--server-log", tmp_path / "s.log",
                "--expect-log", "(unclosed")
    assert r.returncode == 2
    assert "--expect-log '(unclosed'" in r.stderr
    assert not (tmp_path / "s.log").exists()


def test_group_gone_when_the_benchmark_fails(tmp_path):
    port = free_port()
    log = tmp_path / "s.log"
    r = run_cli("bench", *lifecycle_args(port), *BENCH, "--model", "wrong", "--server-log", log)
    assert r.returncode == 2
    assert "does not serve model 'wrong'" in r.stderr
    assert "listening on" in log.read_text()
    assert "stopped (SIGTERM)" in log.read_text()
    assert sim_pids(port) == []


def test_group_gone_when_interrupted(tmp_path):
    port = free_port()
    log = tmp_path / "s.log"
    # A sleep child shows that the whole group goes, not only the leader.
    cmd = f"sleep 300 & exec {server_cmd(port, '--decode-tps', '5')}"
    proc = subprocess.Popen([str(CLI), "load", "--base-url", f"http://127.0.0.1:{port}/v1",
                             "--server-cmd", cmd, "--server-log", str(log), "--num-prompts", "4",
                             "--output-len", "500", "--input-len", "16", "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: log.exists() and "listening on" in log.read_text(), "the server's start")
        pgid = os.getpgid(wait_for(lambda: sim_pids(port), "the simulator's pid")[0])
        assert pgid != os.getpgid(proc.pid)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert group_gone(pgid)


def test_a_server_that_exits_at_once_is_named_with_its_log(tmp_path):
    log = tmp_path / "s.log"
    r = run_cli("bench", "--base-url", f"http://127.0.0.1:{free_port()}/v1", "--server-cmd",
                "echo cannot load model xyz >&2; exit 3", "--server-log", log, *BENCH)
    assert r.returncode == 2
    assert "exited with status 3 before it was ready" in r.stderr
    assert str(log) in r.stderr
    assert "cannot load model xyz" in r.stderr


def test_not_ready_in_time_is_an_error(tmp_path):
    log = tmp_path / "s.log"
    r = run_cli("bench", "--base-url", f"http://127.0.0.1:{free_port()}/v1", "--server-cmd",
                "echo still loading; exec sleep 300", "--server-log", log,
                "--ready-timeout", "0.5", "--stop-grace", "1", *BENCH)
    assert r.returncode == 2
    assert "not ready after --ready-timeout 0.5 s" in r.stderr
    assert "still loading" in r.stderr


def test_matrix_2x2_end_to_end_and_resumable(tmp_path):
    port = free_port()
    out = tmp_path / "m"
    args = ["matrix", "--base-url", f"http://127.0.0.1:{port}/v1",
            "--server-cmd", f"{CLI} sim --port {port} --model sim",
            "--vary", "--decode-tps=500,1000", "--vary", "SIM_FLAVOUR=a,b",
            "--expect-log-for", "b=no such line", *BENCH, "--result-dir", out]
    r = run_cli(*args)
    assert r.returncode == 1, r.stderr  # the b combinations are invalid
    names = ["decode-tps=500_SIM_FLAVOUR=a", "decode-tps=500_SIM_FLAVOUR=b",
             "decode-tps=1000_SIM_FLAVOUR=a", "decode-tps=1000_SIM_FLAVOUR=b"]
    for name in names:
        doc = json.loads((out / f"{name}.json").read_text())
        sp = doc["metadata"]["server_process"]
        assert sp["command"].endswith("--decode-tps='%s'" % name.split("=")[1].split("_")[0])
        assert sp["env"]["SIM_FLAVOUR"] == name[-1]
        assert ("invalid" in doc["metadata"]) == name.endswith("b")
        assert (out / f"{name}.server.log").exists()
    tg = {}
    for line in r.stdout.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0] in names:
            tg[cells[0]] = (float(cells[2].split()[0]), cells[-1])
    assert set(tg) == set(names)
    assert 400 < tg[names[0]][0] < 600 and 800 < tg[names[2]][0] < 1200
    assert tg[names[1]][1] == "INVALID" and tg[names[0]][1] == "valid"
    before = {p: p.stat().st_mtime_ns for p in out.iterdir()}
    r = run_cli(*args)
    assert r.stderr.count("done already") == 4
    assert {p: p.stat().st_mtime_ns for p in out.iterdir()} == before
    assert r.stdout.count("INVALID") == 2
    r = run_cli(*args, "--server-log", tmp_path / "one.log")
    assert r.returncode == 2 and "each combination has its own log" in r.stderr
