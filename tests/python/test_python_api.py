"""`import benchy`: the CPython extension, against its in-process simulator.

Runs with the interpreter the extension is installed into (scripts/test.sh
does `.venv/bin/pip install .`), so `benchy` here is the installed package
and `benchy` beside sys.executable the command its wheel installs.
"""
import _thread
import json
import pathlib
import socket
import subprocess
import sys
import threading
import time

import pytest

try:
    import benchy
    benchy.Simulator  # a namespace package of that name would import, but without it
except (ImportError, AttributeError) as exc:
    # A failure, not a skip: a suite that skips every test here proves nothing.
    pytest.fail(f"`import benchy` failed in {sys.executable} ({exc}): install the extension into "
                "this interpreter first with `pip install .` (scripts/test.sh does, into .venv)",
                pytrace=False)

WHEEL_CLI = pathlib.Path(sys.executable).parent / "benchy"


def closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture
def sim():
    with benchy.Simulator(prefill_tps=4000, decode_tps=400, seed=7) as s:
        yield s


def small_bench(sim, **extra):
    return benchy.bench(base_url=sim.base_url, model="sim", pp=[64], tg=[8], runs=2,
                        progress=False, **extra)


def small_load(sim, **extra):
    extra.setdefault("progress", False)
    return benchy.load(base_url=sim.base_url, model="sim", num_prompts=6, **extra)


def test_version_and_wheel_cli():
    assert benchy.__version__.count(".") == 2
    out = subprocess.run([str(WHEEL_CLI), "--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert f"benchy {benchy.__version__}" in out.stdout


def test_simulator_urls_and_close():
    s = benchy.Simulator()
    assert s.running and s.port > 0
    assert s.url == f"http://127.0.0.1:{s.port}"
    assert s.base_url == s.url + "/v1"
    s.close()
    assert not s.running
    # the host asked for, not a fixed loopback address
    with benchy.Simulator(host="127.0.0.2") as other:
        assert other.url == f"http://127.0.0.2:{other.port}"
        assert other.base_url == other.url + "/v1"
    with pytest.raises(ValueError, match="stopped"):
        s.url
    s.close()  # idempotent


def test_bench_result(sim):
    r = small_bench(sim)
    assert isinstance(r, benchy.Result)
    assert (r.kind, r.status) == ("bench", "OK")
    assert [row["kind"] for row in r.summary] == ["pp", "tg"]
    assert all(row["runs_completed"] == 2 for row in r.summary)
    assert len(r.requests) == 2
    tg = r.summary[1]["mean_t_s_req"]
    assert 400 * 0.5 < tg < 400 * 1.1, tg  # the decode rate the simulator was given; generous: a busy machine is slower
    assert r.metadata["model"] == "sim"
    assert r.config["tg"] == [8]
    assert "| sim" in r.to_markdown() and "tg8" in r.to_markdown()
    assert json.loads(r.to_json()) == r.document


def test_load_result_and_formats(sim, tmp_path):
    r = small_load(sim)
    assert (r.kind, r.status) == ("load", "OK")
    assert len(r.requests) == 6 and r.summary[0]["completed"] == 6
    assert r.render("csv").count("\n") >= 2
    path = tmp_path / "r.json"
    r.save(path)
    back = benchy.load_result(path)
    assert back.document == r.document and back.status == "OK"
    with pytest.raises(ValueError, match="vllm"):
        small_bench(sim).render("vllm")
    with pytest.raises(benchy.Error) as e:
        benchy.load_result(tmp_path / "missing.json")
    assert "missing.json" in str(e.value) and e.value.status == "ERR_NOT_FOUND"


def test_to_pandas_or_a_clear_import_error(sim):
    r = small_load(sim)
    try:
        import pandas  # noqa: F401 -- not a dependency
    except ImportError:
        with pytest.raises(ImportError, match="pip install pandas"):
            r.to_pandas()
        return
    frame = r.to_pandas()
    assert len(frame) == 6
    assert len(r.to_pandas("summary")) == 1


def test_unknown_argument_names_it_and_the_nearest():
    with pytest.raises(TypeError, match=r"'concurency'.*did you mean 'concurrency'"):
        benchy.bench(base_url="http://127.0.0.1:1/v1", concurency=[2])
    with pytest.raises(TypeError, match=r"'prefill_tps'.*option of benchy.Simulator\(\)"):
        benchy.bench(base_url="http://127.0.0.1:1/v1", prefill_tps=10)
    with pytest.raises(TypeError, match="positional"):
        benchy.load("http://127.0.0.1:1/v1")


@pytest.mark.parametrize("kwargs, exc, words", [
    (dict(runs=1.5), TypeError, ["'runs'", "int", "float"]),
    (dict(no_warmup=1), TypeError, ["'no_warmup'", "True or False"]),
    (dict(pp=[512, None]), TypeError, ["'pp'"]),
    (dict(runs=0), ValueError, ["'runs'", "out of range"]),
    (dict(pp=[512, "x"]), ValueError, ["'pp'", "'x' is not an integer"]),
    (dict(api="nope"), ValueError, ["'api'", "chat|completions"]),
])
def test_bad_values_name_the_argument(kwargs, exc, words):
    with pytest.raises(exc) as e:
        benchy.bench(base_url="http://127.0.0.1:1/v1", model="m", progress=False, **kwargs)
    for w in words:
        assert w in str(e.value)


def test_simulator_bad_value():
    with pytest.raises(ValueError, match="'decode_tps'.*not a number"):
        benchy.Simulator(decode_tps="fast")


def test_dead_server_names_the_url():
    url = closed_port_url()
    with pytest.raises(benchy.Error) as e:
        benchy.load(base_url=url, model="m", num_prompts=2, progress=False)
    assert url in str(e.value)
    assert (e.value.status, e.value.result) == ("ERR_CONNECT", None)


def test_server_errors_mid_run():
    with benchy.Simulator(decode_tps=500, fault_500=0.3, seed=3) as s:
        with pytest.raises(benchy.Error) as e:
            benchy.load(base_url=s.base_url, model="sim", num_prompts=20, progress=False)
        assert e.value.status == "ERR_FAILURE_RATE" and "max-failure-rate" in str(e.value)
        partial = e.value.result
        assert partial.status == "ERR_FAILURE_RATE" and len(partial.requests) == 20
        failed = partial.summary[0]["failed"]
        assert failed == s.stats()["faults"] > 0
        # Accepting failures makes the same run a result.
        r = benchy.load(base_url=s.base_url, model="sim", num_prompts=20, max_failure_rate=1,
                        progress=False)
        assert r.status == "OK" and 0 < r.summary[0]["failed"] < 20


def test_progress_events_on_the_calling_thread(sim):
    seen = []
    caller = threading.get_ident()

    def progress(event):
        assert threading.get_ident() == caller
        seen.append(event)

    small_load(sim, progress=progress)
    kinds = [e["kind"] for e in seen]
    assert kinds[-1] == "done" and kinds.count("done") == 1 and "phase" in kinds
    assert seen[-1]["requests_done"] >= 6 and seen[-1]["status"] == "OK"


def test_progress_exception_cancels_and_propagates(sim):
    def progress(event):
        if event["requests_done"] >= 1:
            raise LookupError("stop here")

    with pytest.raises(LookupError, match="stop here") as e:
        benchy.load(base_url=sim.base_url, model="sim", num_prompts=200, max_concurrency=2,
                    progress=progress)
    assert e.value.result is not None and e.value.result.status == "ERR_CANCELLED"


def test_keyboard_interrupt_returns_promptly_with_completed_records():
    # 200 requests of 64 tokens at 50 tok/s, two at a time: about 2 minutes
    # if nothing stops it.
    with benchy.Simulator(decode_tps=50) as s:
        fired = threading.Event()

        def progress(event):
            # requests_done counts the warm-up request too.
            if event["requests_done"] >= 3 and not fired.is_set():
                fired.set()
                threading.Timer(0.0, _thread.interrupt_main).start()

        start = time.monotonic()
        with pytest.raises(KeyboardInterrupt) as e:
            benchy.load(base_url=s.base_url, model="sim", num_prompts=200, max_concurrency=2,
                        random_output_len=64, progress=progress)
        elapsed = time.monotonic() - start
    assert fired.is_set()
    partial = e.value.result
    assert partial.status == "ERR_CANCELLED"
    done = [rec for rec in partial.requests if rec["status"] == "OK"]
    assert 2 <= len(done) < 200
    assert elapsed < 30, elapsed


def test_keyboard_interrupt_while_no_python_code_runs():
    # Without a callback nothing runs Python code while the run goes: the
    # interrupt must be seen by the waiting loop itself, GIL released.
    with benchy.Simulator(decode_tps=50) as s:
        fired = threading.Event()

        def interrupt_once_two_requests_ended():
            # warm-up, then two at a time: a 5th stream starts only after
            # the first two measured requests ended.
            deadline = time.monotonic() + 60
            while s.stats()["streams"] < 5:
                if time.monotonic() > deadline:
                    return
                fired.wait(0.02)
            fired.set()
            _thread.interrupt_main()

        watcher = threading.Thread(target=interrupt_once_two_requests_ended)
        start = time.monotonic()
        watcher.start()
        try:
            with pytest.raises(KeyboardInterrupt) as e:
                benchy.load(base_url=s.base_url, model="sim", num_prompts=200, max_concurrency=2,
                            random_output_len=64, progress=False)
        finally:
            watcher.join(timeout=70)
        elapsed = time.monotonic() - start
    assert fired.is_set()
    partial = e.value.result
    assert partial.status == "ERR_CANCELLED"
    assert 2 <= sum(rec["status"] == "OK" for rec in partial.requests) < 200
    assert elapsed < 30, elapsed


def test_two_runs_in_two_threads(sim):
    results, errors = {}, []

    def run(name, fn):
        try:
            results[name] = fn(sim)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=("bench", small_bench)),
               threading.Thread(target=run, args=("load", small_load))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and not any(t.is_alive() for t in threads)
    assert results["bench"].status == results["load"].status == "OK"
    assert len(results["load"].requests) == 6


def test_no_reference_leaks(sim, tmp_path):
    r = small_load(sim)
    r.save(tmp_path / "r.json")

    def once():
        r.summary, r.requests, r.metadata, r.to_json(), r.to_markdown(), repr(r)
        benchy.load_result(tmp_path / "r.json")
        small_load(sim)
        with benchy.Simulator() as other:
            other.base_url

    once()  # the interpreter's own caches settle on the first calls
    counts = lambda: (sys.getrefcount(r), sys.getrefcount(benchy.Result),  # noqa: E731
                      sys.getrefcount(benchy.Simulator))
    before = counts()
    for _ in range(20):
        once()
    # Each live Result or Simulator holds its (heap) type: one not freed
    # shows in the type's count.
    assert counts() == before


def test_python_and_cli_agree_structurally(sim):
    def cli(*args):
        out = subprocess.run([str(WHEEL_CLI), *args, "--base-url", sim.base_url, "--model", "sim",
                              "--format", "json", "--quiet"], capture_output=True, text=True,
                             timeout=120)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    for py, doc in [(small_load(sim), cli("load", "--num-prompts", "6")),
                    (small_bench(sim), cli("bench", "--pp", "64", "--tg", "8", "--runs", "2"))]:
        assert set(py.document) == set(doc)
        assert len(py.requests) == len(doc["records"])
        assert len(py.summary) == len(doc["aggregates"])
        assert [set(row) for row in py.summary] == [set(row) for row in doc["aggregates"]]
        assert set(py.requests[0]) == set(doc["records"][0])
        assert set(py.metadata) == set(doc["metadata"])
        if py.kind == "bench":  # the same figures, within noise (generous: a busy machine)
            ours, theirs = py.summary[1]["mean_t_s_req"], doc["aggregates"][1]["mean_t_s_req"]
            assert abs(ours - theirs) < 0.25 * theirs, (ours, theirs)


def test_options_table_and_docstrings():
    rows = {row["name"]: row for row in benchy.options("bench")}
    assert rows["pp"]["type"] == "int_list" and rows["pp"]["cli_name"] == "pp"
    assert "prefill_tps" in {row["name"] for row in benchy.options("sim")}
    assert "num_prompts" in benchy.load.__doc__ and "KeyboardInterrupt" in benchy.bench.__doc__
    with pytest.raises(ValueError, match="bench"):
        benchy.options("nope")


def test_default_progress_stays_quiet_without_a_terminal(sim, capfd):
    # pytest's captured stderr is no terminal: no bar, nothing written.
    r = benchy.load(base_url=sim.base_url, model="sim", num_prompts=3)
    assert r.status == "OK"
    assert capfd.readouterr().err == ""
