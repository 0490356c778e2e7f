#!/usr/bin/env python3
"""Memory of `import benchy` over many small runs: prints RSS and the bytes
malloc has handed out (all threads' arenas, glibc's mallinfo2) at the start
and the end of N runs of each kind, against the in-process simulator.

    .venv/bin/python bench/python_rss.py            # 1,000 of each
    .venv/bin/python bench/python_rss.py --runs 200 --kinds stream,load

A figure, not a test (tests/python/test_python_leaks.py is the test). The
simulator runs without its prefix cache unless --prefix-cache: the cache
keeps every prompt's blocks up to its bound (2^20 blocks, docs/simulator.md)
and would show as growth here although it is the server's, not the client's.
"""
import argparse
import ctypes
import gc
import time

import benchy


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
                 "uordblks", "fordblks", "keepcost")]


_libc = ctypes.CDLL(None)
_libc.mallinfo2.restype = _MallInfo2


def rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def malloc_kb():
    info = _libc.mallinfo2()
    return (info.uordblks + info.hblkhd) / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000, help="runs of each kind (1000)")
    parser.add_argument("--kinds", default="stream,load,bench",
                        help="comma-separated: stream, load, bench (all three)")
    parser.add_argument("--prefix-cache", action="store_true",
                        help="keep the simulator's prefix cache on (it grows up to its bound)")
    args = parser.parse_args()

    with benchy.Simulator(decode_tps=20000, prefill_tps=1e6, overhead_ms=0, seed=1,
                          no_prefix_cache=not args.prefix_cache) as sim:
        kinds = {
            "stream": lambda: list(benchy.stream(base_url=sim.base_url, max_tokens=8,
                                                 messages=[{"role": "user", "content": "Hi"}])),
            "load": lambda: benchy.load(base_url=sim.base_url, model="sim", num_prompts=2,
                                        random_output_len=4, progress=False).summary,
            "bench": lambda: benchy.bench(base_url=sim.base_url, model="sim", pp=[32], tg=[4],
                                          runs=1, progress=False).summary,
        }
        print(f"benchy {benchy.__version__}, {args.runs} runs of each kind, in-process simulator "
              f"(prefix cache {'on' if args.prefix_cache else 'off'})")
        print(f"{'kind':<8} {'RSS start':>10} {'RSS end':>10} {'per run':>9} "
              f"{'malloc start':>13} {'malloc end':>11} {'per run':>9} {'runs/s':>8}")
        for name in args.kinds.split(","):
            run = kinds[name.strip()]
            for _ in range(20):  # allocator and interpreter caches settle
                run()
            gc.collect()
            rss0, mal0, t0 = rss_kb(), malloc_kb(), time.monotonic()
            for _ in range(args.runs):
                run()
            gc.collect()
            rss1, mal1, dt = rss_kb(), malloc_kb(), time.monotonic() - t0
            print(f"{name:<8} {rss0:>8} KB {rss1:>7} KB {(rss1 - rss0) * 1024 / args.runs:>7.0f} B "
                  f"{mal0:>10.0f} KB {mal1:>8.0f} KB {(mal1 - mal0) * 1024 / args.runs:>7.0f} B "
                  f"{args.runs / dt:>8.0f}")


if __name__ == "__main__":
    main()
