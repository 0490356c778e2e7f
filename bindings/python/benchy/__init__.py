"""benchy: benchmark OpenAI-compatible LLM inference servers from Python.

A thin layer over libbenchy (the C engine behind the `benchy` command):
options come from the library's one option table, runs happen on the
library's threads with the GIL released, results are plain Python data.

    import benchy
    with benchy.Simulator(prefill_tps=4000, decode_tps=80) as sim:
        r = benchy.bench(base_url=sim.base_url, model="sim", pp=[512], tg=[32], runs=3)
    print(r.to_markdown())
"""
from ._benchy import Error, Result, Simulator, __version__, load_result, options
from . import _benchy
from ._progress import default_progress

__all__ = ["bench", "load", "Simulator", "Result", "Error", "load_result", "options", "__version__"]

_RUN_DOC = """{head}

Every option of `benchy {command}` is a keyword argument, spelled with '_'
for '-' (prefill_tps for --prefill-tps); lists are Python lists, flags are
bools, None leaves the default. A wrong name or type raises TypeError
naming the argument; a bad value ValueError with the library's message.

progress: a callable, called with a dict (kind, phase, index, count,
requests_done, requests_failed, requests_in_flight, elapsed_s, message,
status) on the calling thread with the GIL held; None (the default) shows
a tqdm bar when tqdm is installed and stderr is a terminal or this is a
notebook; False shows nothing. Library warnings then become
RuntimeWarnings.

Returns a Result. Raises benchy.Error (.status, .code, .result: the
partial Result or None) when the run did not end OK. Ctrl-C
(KeyboardInterrupt) cancels the run promptly; the KeyboardInterrupt then
carries the partial result, every request that completed, as `.result`
(None when nothing had been measured).

Options:
{options}
"""


def _options_doc(command):
    lines = []
    for row in options(command):
        if row["alias"]:
            continue
        default = "" if row["default"] is None else f" (default {row['default']})"
        lines.append(f"  {row['name']}: {row['type']}{default}")
        lines.append(f"      {row['help']}")
    return "\n".join(lines)


def _progress_for(progress, command):
    if progress is None:
        return default_progress(command)
    if progress is False:
        return None
    return progress


def bench(*, progress=None, **options):
    return _benchy.bench(progress=_progress_for(progress, "bench"), **options)


def load(*, progress=None, **options):
    return _benchy.load(progress=_progress_for(progress, "load"), **options)


bench.__doc__ = _RUN_DOC.format(
    head="bench(**options) -> Result: a llama-bench style pp/tg table over HTTP.",
    command="bench", options=_options_doc("bench"))
load.__doc__ = _RUN_DOC.format(
    head="load(**options) -> Result: a vLLM style load test (request rates or concurrency levels).",
    command="load", options=_options_doc("load"))

Simulator.__doc__ = (Simulator.__doc__ or "") + "\n\nOptions:\n" + _options_doc("sim")
