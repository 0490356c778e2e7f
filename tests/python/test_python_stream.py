"""benchy.stream(): one request's chunks as they arrive, its record last.

Against the in-process simulator, whose timing is known: one token per
chunk, so chunks and token counts can be checked against the record.
"""
import _thread
import socket
import sys
import threading
import time

import pytest

try:
    import benchy
    benchy.stream
except (ImportError, AttributeError) as exc:
    pytest.fail(f"`import benchy` with stream() failed in {sys.executable} ({exc}): "
                "pip install . into this interpreter first", pytrace=False)

HELLO = [{"role": "user", "content": "Say hello."}]


def closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture
def sim():
    with benchy.Simulator(prefill_tps=4000, decode_tps=400, seed=3) as s:
        yield s


def split(items):
    *chunks, record = items
    return chunks, record


def test_chunks_then_the_record(sim):
    chunks, record = split(list(benchy.stream(base_url=sim.base_url, model="sim", messages=HELLO,
                                              max_tokens=12)))
    assert record["status"] == "OK" and record["http_status"] == 200
    assert all(set(c) == {"kind", "text", "tokens", "t_ms"} for c in chunks)
    assert [c["kind"] for c in chunks] == ["content"] * 12
    assert sum(c["tokens"] for c in chunks) == record["output_tokens"] == 12
    assert "".join(c["text"] for c in chunks) == record["content"]
    times = [c["t_ms"] for c in chunks]
    assert times == sorted(times) and times[0] > 0
    # The engine's clock: the chunk times are the record's own.
    assert times[0] == pytest.approx(record["t_ms"]["first_content"], abs=1e-6)
    assert times[-1] == pytest.approx(record["t_ms"]["last_token"], abs=1e-6)
    assert record["ttft_ms"] == pytest.approx(times[0] - record["t_ms"]["dispatched"], abs=1e-3)


def test_the_record_is_a_result_record(sim):
    record = list(benchy.stream(base_url=sim.base_url, messages=HELLO, max_tokens=4))[-1]
    load = benchy.load(base_url=sim.base_url, model="sim", num_prompts=2, progress=False)
    workload_fields = {"level", "index", "input_tokens_expected", "max_tokens"}
    assert set(record) - {"content"} == set(load.requests[0]) - workload_fields


def test_reasoning_and_completions():
    with benchy.Simulator(decode_tps=1000, reasoning_tokens=3) as sim:
        chunks, record = split(list(benchy.stream(base_url=sim.base_url, messages=HELLO,
                                                  max_tokens=8)))
        assert [c["kind"] for c in chunks[:3]] == ["reasoning"] * 3
        assert {c["kind"] for c in chunks[3:]} == {"content"}
        chunks, record = split(list(benchy.stream(base_url=sim.base_url, prompt="Once upon",
                                                  max_tokens=5)))
        assert record["status"] == "OK" and len(chunks) == 5
        assert benchy.stream(base_url=sim.base_url, prompt="x").__repr__().endswith("/v1/completions open>")


def test_body_fields_reach_the_server():
    with benchy.Simulator(decode_tps=1000, max_tokens=3) as sim:
        # no max_tokens: the simulator's own default; body= adds any field
        chunks, record = split(list(benchy.stream(base_url=sim.base_url, messages=HELLO,
                                                  body={"temperature": 0.5})))
        assert len(chunks) == 3 and record["finish_reason"] == "length"


def test_dead_server_raises_naming_the_url():
    url = closed_port_url()
    with pytest.raises(benchy.Error) as e:
        list(benchy.stream(base_url=url, messages=HELLO))
    assert f"{url}/chat/completions" in str(e.value)
    assert e.value.status == "ERR_CONNECT"
    assert e.value.record["status"] == "ERR_CONNECT"


def test_http_error_raises_with_the_record():
    with benchy.Simulator(fault_500=1) as sim:
        with pytest.raises(benchy.Error) as e:
            list(benchy.stream(base_url=sim.base_url, messages=HELLO))
    assert e.value.record["http_status"] == 500
    assert e.value.status == "ERR_HTTP" and "/chat/completions" in str(e.value)


def test_api_key_is_sent_and_never_shown():
    secret = "sk-stream-test-0123456789"
    with benchy.Simulator(api_key=secret) as sim:
        record = list(benchy.stream(base_url=sim.base_url, messages=HELLO, max_tokens=2,
                                    api_key=secret))[-1]
        assert record["status"] == "OK"
        with pytest.raises(benchy.Error) as e:
            list(benchy.stream(base_url=sim.base_url, messages=HELLO, api_key="sk-wrong-key-987654"))
        assert e.value.record["http_status"] == 401
        assert "sk-wrong-key-987654" not in str(e.value) + repr(e.value.record)


def test_bad_arguments():
    with pytest.raises(TypeError, match="messages"):
        benchy.stream(messages=HELLO, prompt="x")
    with pytest.raises(TypeError, match="messages"):
        benchy.stream()
    with pytest.raises(TypeError, match="'pp'"):
        benchy.stream(messages=HELLO, pp=[1])
    with pytest.raises(TypeError, match="'timeot'"):
        benchy.stream(messages=HELLO, timeot=3)
    with pytest.raises(ValueError, match="timeout"):
        benchy.stream(messages=HELLO, timeout=-1)
    with pytest.raises(TypeError, match="JSON"):
        benchy.stream(messages=HELLO, body={"x": object()})
    with pytest.raises(benchy.Error) as e:
        benchy.stream(base_url="ftp://example.com/v1", messages=HELLO)
    assert e.value.status == "ERR_INVALID" and "ftp" in str(e.value)


def slow_stream(sim, **extra):
    return benchy.stream(base_url=sim.base_url, messages=HELLO, max_tokens=10000, **extra)


def test_close_and_with_cancel_the_request():
    with benchy.Simulator(decode_tps=20) as sim:  # 10,000 tokens: 500 s if not cancelled
        start = time.monotonic()
        with slow_stream(sim) as s:
            first = next(s)
        assert first["kind"] == "content"
        assert s.record["status"] == "ERR_CANCELLED" and s.record["output_tokens"] >= 1
        assert list(s) == []  # ended: nothing more
        s2 = slow_stream(sim)
        for _ in s2:
            break
        s2.close()
        s2.close()  # idempotent
        assert s2.record["status"] == "ERR_CANCELLED"
        assert time.monotonic() - start < 20


def test_dropping_an_unfinished_stream_cancels_it():
    with benchy.Simulator(decode_tps=20) as sim:
        start = time.monotonic()
        for _ in range(3):
            for _chunk in slow_stream(sim):
                break  # the iterator goes with the loop: cancelled, its thread joined
        # the simulator served three streams and is idle again: a new one runs at once
        chunks, record = split(list(benchy.stream(base_url=sim.base_url, messages=HELLO,
                                                  max_tokens=2)))
        assert record["status"] == "OK"
        assert sim.stats()["streams"] == 4
        assert time.monotonic() - start < 20


def test_ctrl_c_cancels_and_carries_the_record():
    with benchy.Simulator(decode_tps=50) as sim:
        got = []
        timer = threading.Timer(0.5, _thread.interrupt_main)
        start = time.monotonic()
        timer.start()
        try:
            with pytest.raises(KeyboardInterrupt) as e:
                for chunk in slow_stream(sim):
                    got.append(chunk)
        finally:
            timer.cancel()
        elapsed = time.monotonic() - start
    assert elapsed < 10, elapsed
    assert e.value.record["status"] == "ERR_CANCELLED"
    assert got and e.value.record["token_chunks"] >= len(got)


def test_ctrl_c_while_waiting_for_the_first_token():
    # Nothing arrives for a minute: the wait itself must see the signal.
    with benchy.Simulator(overhead_ms=60000) as sim:
        timer = threading.Timer(0.3, _thread.interrupt_main)
        start = time.monotonic()
        timer.start()
        try:
            with pytest.raises(KeyboardInterrupt) as e:
                list(slow_stream(sim))
        finally:
            timer.cancel()
        assert time.monotonic() - start < 10
    assert e.value.record["status"] == "ERR_CANCELLED" and e.value.record["chunks"] == 0


def test_the_gil_is_released_while_waiting():
    with benchy.Simulator(overhead_ms=300, decode_tps=1000) as sim:
        ticks = []
        stop = threading.Event()

        def tick():
            while not stop.is_set():
                ticks.append(1)
                stop.wait(0.01)

        t = threading.Thread(target=tick)
        t.start()
        try:
            record = list(benchy.stream(base_url=sim.base_url, messages=HELLO, max_tokens=2))[-1]
        finally:
            stop.set()
            t.join()
    assert record["status"] == "OK"
    assert len(ticks) >= 5  # ~30 in 300 ms; a held GIL would allow about one


def test_two_streams_in_two_threads(sim):
    records, errors = [], []

    def one():
        try:
            records.append(list(benchy.stream(base_url=sim.base_url, messages=HELLO,
                                              max_tokens=20))[-1])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert [r["output_tokens"] for r in records] == [20] * 4


def test_errors_of_runs_have_no_record():
    with pytest.raises(benchy.Error) as e:
        benchy.load(base_url=closed_port_url(), model="sim", num_prompts=1, progress=False)
    assert e.value.record is None and e.value.status == "ERR_CONNECT"
