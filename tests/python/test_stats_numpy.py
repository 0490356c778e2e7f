"""The C statistics, cross-checked against numpy through the public C API (ctypes)."""
import ctypes
import json

import numpy as np
import pytest

from conftest import LIB, run_cli


class Moments(ctypes.Structure):
    _fields_ = [("n", ctypes.c_uint64), ("mean", ctypes.c_double), ("m2", ctypes.c_double),
                ("min", ctypes.c_double), ("max", ctypes.c_double)]


@pytest.fixture(scope="module")
def lib():
    lib = ctypes.CDLL(str(LIB))
    lib.benchy_percentiles.argtypes = [ctypes.POINTER(ctypes.c_double), ctypes.c_size_t,
                                       ctypes.POINTER(ctypes.c_double), ctypes.c_size_t,
                                       ctypes.POINTER(ctypes.c_double)]
    lib.benchy_moments_stddev.restype = ctypes.c_double
    lib.benchy_moments_mean.restype = ctypes.c_double
    lib.benchy_moments_add.argtypes = [ctypes.POINTER(Moments), ctypes.c_double]
    lib.benchy_moments_merge.argtypes = [ctypes.POINTER(Moments), ctypes.POINTER(Moments)]
    lib.benchy_moments_stddev.argtypes = [ctypes.POINTER(Moments), ctypes.c_int]
    lib.benchy_moments_mean.argtypes = [ctypes.POINTER(Moments)]
    lib.benchy_hist_new.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int]
    lib.benchy_hist_add.argtypes = [ctypes.c_void_p, ctypes.c_int64]
    lib.benchy_hist_percentile.argtypes = [ctypes.c_void_p, ctypes.c_double]
    lib.benchy_hist_percentile.restype = ctypes.c_int64
    lib.benchy_hist_free.argtypes = [ctypes.c_void_p]
    return lib


@pytest.mark.parametrize("n", [1, 2, 3, 10, 101, 1000])
def test_percentiles_match_numpy_linear(lib, n):
    rng = np.random.default_rng(n)
    values = rng.lognormal(3.0, 1.0, n)
    ps = [0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 100]
    buf = (ctypes.c_double * n)(*values)
    pbuf = (ctypes.c_double * len(ps))(*ps)
    out = (ctypes.c_double * len(ps))()
    lib.benchy_percentiles(buf, n, pbuf, len(ps), out)
    expected = np.percentile(values, ps)  # numpy's default method is "linear"
    assert list(out) == pytest.approx(list(expected), rel=1e-12, abs=1e-12)


def test_moments_match_numpy_both_ddofs(lib):
    rng = np.random.default_rng(7)
    values = rng.normal(1e6, 250.0, 5000)
    a, b = Moments(), Moments()
    for v in values[:1234]:
        lib.benchy_moments_add(ctypes.byref(a), v)
    for v in values[1234:]:
        lib.benchy_moments_add(ctypes.byref(b), v)
    lib.benchy_moments_merge(ctypes.byref(a), ctypes.byref(b))
    assert a.n == len(values)
    assert lib.benchy_moments_mean(ctypes.byref(a)) == pytest.approx(np.mean(values), rel=1e-12)
    assert lib.benchy_moments_stddev(ctypes.byref(a), 1) == pytest.approx(np.std(values, ddof=1), rel=1e-9)
    assert lib.benchy_moments_stddev(ctypes.byref(a), 0) == pytest.approx(np.std(values, ddof=0), rel=1e-9)


def test_histogram_within_its_error_bound(lib):
    rng = np.random.default_rng(3)
    values = rng.integers(1, 10**9, 20000)
    h = ctypes.c_void_p()
    assert lib.benchy_hist_new(ctypes.byref(h), 7) == 0
    for v in values:
        lib.benchy_hist_add(h, int(v))
    ordered = np.sort(values)
    for p in [1, 50, 90, 99, 99.9]:
        rank = max(1, int(np.ceil(p / 100 * len(values))))
        exact = ordered[rank - 1]
        got = lib.benchy_hist_percentile(h, p)
        assert abs(got - exact) <= exact * 2**-7 + 1
    lib.benchy_hist_free(h)


def test_load_result_percentiles_are_numpys_to_the_bit(sim_factory, tmp_path):
    """A load result's percentiles, recomputed with numpy from the records
    in the same file, are the same doubles: nothing in between (ns to ms,
    interpolation, the JSON writer) moves a value by even one ulp."""
    sim = sim_factory("--decode-tps", "400", "--jitter", "0.3", "--seed", "7")
    out = tmp_path / "load.json"
    r = run_cli("load", "--base-url", sim.base_url, "--model", "sim", "--num-prompts", "120",
                "--concurrency", "8", "--input-len", "40", "--output-len", "12", "--seed", "3",
                "--percentiles", "50,90,95,99,99.9", "--max-records", "1000",
                "--save-result", out, "--quiet")
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    level = doc["aggregates"][0]
    records = [rec for rec in doc["records"] if rec.get("status") == "OK"]
    assert len(records) == level["completed"] == 120
    assert level["request_percentiles_from"] == "samples"
    for metric in ("ttft", "tpot", "e2el"):
        values = np.array([rec[f"{metric}_ms"] for rec in records if rec.get(f"{metric}_ms") is not None])
        assert len(values) > 100
        for p in (50, 90, 95, 99, 99.9):
            key = f"p{p:g}_{metric}_ms"
            want = float(np.percentile(values, p))
            assert level[key] == want, f"{key}: {level[key]!r} in the file, numpy {want!r}"
        assert level[f"median_{metric}_ms"] == float(np.median(values))
