"""Reference and memory leaks of the extension's main objects.

Each check runs an operation a few times so that the interpreter's own
caches settle, then many more times, and asserts that what a leak would
grow stayed flat: the number of objects the garbage collector tracks
(every dict, list or Result a leaked reference keeps alive is one or more),
the reference counts of the extension's types (each live Result,
Simulator, Stream or Comparison holds its heap type), and, for memory the
C side allocates (queued chunks, records, results), the process's RSS.
sys.gettotalrefcount() would be the direct figure, but it exists only in
debug builds of CPython.
"""
import ctypes
import gc
import json
import sys
import urllib.request

import pytest

try:
    import benchy
    benchy.stream
except (ImportError, AttributeError) as exc:
    pytest.fail(f"`import benchy` failed in {sys.executable} ({exc}): pip install . into this "
                "interpreter first", pytrace=False)

HELLO = [{"role": "user", "content": "Hi"}]
TYPES = ("Result", "Simulator", "Stream", "Comparison")


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
                 "uordblks", "fordblks", "keepcost")]


def malloc_in_use():
    """Bytes malloc has handed out and not had back, over every thread's
    arena (glibc's mallinfo2). RSS would miss a small leak: it is served
    from memory freed earlier and already resident. Python's own objects
    come from pymalloc's arenas, which this does not count."""
    info = _libc.mallinfo2()
    return info.uordblks + info.hblkhd


_libc = ctypes.CDLL(None)
_libc.mallinfo2.restype = _MallInfo2


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def type_refs():
    return {name: sys.getrefcount(getattr(benchy, name)) for name in TYPES}


def assert_flat(operation, warmup=3, repeat=40, slack=3):
    for _ in range(warmup):
        operation()
    gc.collect()
    objects, refs = len(gc.get_objects()), type_refs()
    for _ in range(repeat):
        operation()
    gc.collect()
    grown = len(gc.get_objects()) - objects
    # a leak of one object per call shows as `repeat`; a few come and go with caches
    assert grown <= slack, f"{grown} more tracked objects after {repeat} calls"
    assert type_refs() == refs


@pytest.fixture(scope="module")
def sim():
    # Without its prefix cache: the simulator runs in this process, and the
    # cache growing with new prompts (up to its bound, the last test) would
    # be counted here as the client's memory.
    with benchy.Simulator(decode_tps=20000, prefill_tps=1e6, overhead_ms=0, seed=1,
                          no_prefix_cache=True) as s:
        yield s


@pytest.fixture(scope="module")
def saved(sim, tmp_path_factory):
    path = tmp_path_factory.mktemp("leaks") / "r.json"
    benchy.bench(base_url=sim.base_url, model="sim", pp=[32], tg=[4], runs=2,
                 progress=False).save(path)
    return path


def test_result_and_its_data(sim, saved):
    r = benchy.load_result(saved)

    def use():
        r.summary, r.requests, r.metadata, r.config, r.document, repr(r)
        r.to_json(), r.to_markdown(), r.render("csv")
        benchy.load_result(saved).requests

    refs = sys.getrefcount(r)
    assert_flat(use)
    assert sys.getrefcount(r) == refs


def test_runs(sim):
    assert_flat(lambda: benchy.load(base_url=sim.base_url, model="sim", num_prompts=2,
                                    random_output_len=2, progress=False).summary, repeat=20)
    assert_flat(lambda: benchy.bench(base_url=sim.base_url, model="sim", pp=[16], tg=[2], runs=1,
                                     progress=lambda event: None).requests, repeat=10)


def test_simulator():
    def one():
        with benchy.Simulator(port=0) as s:
            s.url, s.base_url, s.stats(), repr(s)
    assert_flat(one, repeat=20)


def test_options_dicts_and_docstrings():
    assert_flat(lambda: [benchy.options(c) for c in ("bench", "load", "run", "compare", "sim")])


def test_errors():
    def bad_calls():
        for call in (lambda: benchy.load(num_promts=3),           # TypeError, with a suggestion
                     lambda: benchy.bench(runs=0),                # ValueError from the table
                     lambda: benchy.options("nope"),
                     lambda: benchy.stream(base_url="ftp://x/v1", messages=HELLO),  # benchy.Error
                     lambda: benchy.load_result("/nonexistent/r.json")):
            try:
                call()
            except (TypeError, ValueError, benchy.Error):
                pass
            else:
                raise AssertionError("no error")
    assert_flat(bad_calls)


def test_failed_request_error_and_its_record():
    with benchy.Simulator(fault_500=1) as s:
        def failing():
            try:
                list(benchy.stream(base_url=s.base_url, messages=HELLO))
            except benchy.Error as e:
                assert e.record["http_status"] == 500
        assert_flat(failing)


def test_stream_finished_closed_and_dropped(sim):
    def finished():
        list(benchy.stream(base_url=sim.base_url, messages=HELLO, max_tokens=3))

    def closed():
        with benchy.stream(base_url=sim.base_url, messages=HELLO, max_tokens=50) as s:
            next(s)

    def dropped():
        for _ in benchy.stream(base_url=sim.base_url, messages=HELLO, max_tokens=50):
            break

    for op in (finished, closed, dropped):
        assert_flat(op)


def test_comparison(saved):
    r = benchy.load_result(saved)
    assert_flat(lambda: (lambda c: (c.rows, c.regressions, c.passed, c.to_markdown(), repr(c)))(
        benchy.compare(r, saved, fail_if_slower="50%")), repeat=20)


def test_script(sim, tmp_path):
    path = tmp_path / "s.lua"
    path.write_text('local benchy = require "benchy"\n'
                    'benchy.scenario("a", function(s) s:chat{messages = {{role = "user", '
                    'content = "Hi"}}, max_tokens = 2} end)\n')
    assert_flat(lambda: benchy.run_script(path, base_url=sim.base_url, define={"k": "v"},
                                          progress=False).summary, repeat=20)


def assert_native_flat(operation, n, per_call_bytes=64, warmup=20):
    # Two measured batches: a leak grows memory in both, while a one-off
    # (an interpreter cache, an allocator arena settling after what other
    # tests did in this process) lands in one of them at most.
    for _ in range(warmup):
        operation()
    grown = []
    for _batch in range(2):
        gc.collect()
        before = malloc_in_use()
        for _ in range(n):
            operation()
        gc.collect()
        grown.append(malloc_in_use() - before)
    assert min(grown) < n * per_call_bytes, f"malloc'd memory grew {grown} bytes over two batches of {n} calls"


def test_native_memory_stays_flat(sim, saved):
    # What the C side allocates (the loop, session, request, queued chunks,
    # the record's JSON; runs, results, comparisons) is invisible to the
    # collector. Less than 64 bytes a stream: a leaked chunk's text alone is
    # more. A run's allocator caches settle slowly (a few KB over the first
    # hundred runs); a leaked result or record would be kilobytes a run.
    assert_native_flat(lambda: list(benchy.stream(base_url=sim.base_url, messages=HELLO,
                                                  max_tokens=20)), 1000)
    assert_native_flat(lambda: benchy.load(base_url=sim.base_url, model="sim", num_prompts=2,
                                           random_output_len=2, progress=False).summary, 100,
                       per_call_bytes=512, warmup=50)
    r = benchy.load_result(saved)
    assert_native_flat(lambda: benchy.compare(r, r).rows, 100)


def test_simulator_memory_is_bounded_by_its_prefix_cache():
    # The in-process simulator grows with the prompts it serves: each is
    # kept as 16-token blocks in its prefix cache (docs/simulator.md), about
    # 2.8 KB per 2,048-token prompt. The cache holds at most 2^20 blocks:
    # past that, serving more new prompts costs nothing more.
    words = " ".join(f"w{i % 1000}" for i in range(32768))  # 2,048 blocks a prompt
    with benchy.Simulator(decode_tps=1e6, prefill_tps=1e9, overhead_ms=0) as s:
        def blocks():
            with urllib.request.urlopen(s.url + "/sim/stats", timeout=10) as f:
                return json.load(f)["cache_blocks"]

        def serve(first, n):
            for i in range(first, first + n):
                rec = list(benchy.stream(base_url=s.base_url, prompt=f"user {i} {words}",
                                         max_tokens=1))[-1]
                assert rec["status"] == "OK"

        start = rss_bytes()
        serve(0, 512)  # 2^20 blocks: the cache is full
        full = rss_bytes()
        assert blocks() == 1 << 20
        serve(512, 512)  # as many new prompts again
        assert blocks() == 1 << 20
        after = rss_bytes()
    assert full - start > 8 << 20  # the cache did fill (16 B a block and its table slot)
    assert after - full < 2 << 20, f"RSS grew {(after - full) >> 10} KB past the cache's bound"
