"""benchy: benchmark OpenAI-compatible LLM inference servers from Python.

A thin layer over libbenchy (the C engine behind the `benchy` command):
options come from the library's one option table, runs happen on the
library's threads with the GIL released, results are plain Python data.

    import benchy
    with benchy.Simulator(prefill_tps=4000, decode_tps=80) as sim:
        r = benchy.bench(base_url=sim.base_url, model="sim", pp=[512], tg=[32], runs=3)
    print(r.to_markdown())
"""
import json as _json
import os as _os

from ._benchy import (Comparison, Error, Result, Simulator, Stream, __version__, load_result,
                      options)
from . import _benchy
from ._progress import default_progress

__all__ = ["bench", "load", "run_script", "stream", "compare", "Simulator", "Result", "Stream",
           "Comparison", "Error", "load_result", "options", "__version__"]

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


def _options_doc(command, only=None):
    lines = []
    for row in options(command):
        if row["alias"] or row["cli_only"] or (only is not None and row["name"] not in only):
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


def run_script(path, *, define=None, progress=None, **options):
    return _benchy.run_script(path, define=define, progress=_progress_for(progress, "run"),
                              **options)


def stream(*, messages=None, prompt=None, model=None, max_tokens=None, body=None, **connection):
    if (messages is None) == (prompt is None):
        raise TypeError("stream() takes messages=[...] (the chat API) or prompt='...' (the "
                        "completions API), one of the two")
    fields = dict(body or {})
    if messages is not None:
        fields["messages"] = messages
    else:
        fields["prompt"] = prompt
    if model is not None:
        fields["model"] = model
    if max_tokens is not None:
        fields["max_tokens"] = max_tokens
    try:
        text = _json.dumps(fields)
    except (TypeError, ValueError) as e:
        raise TypeError(f"stream(): the request body is not JSON: {e}") from None
    return _benchy.stream(text, "chat" if messages is not None else "completions", **connection)


def compare(base, new, **options):
    return _benchy.compare(_os.fspath(base) if isinstance(base, _os.PathLike) else base,
                           _os.fspath(new) if isinstance(new, _os.PathLike) else new, **options)


bench.__doc__ = _RUN_DOC.format(
    head="bench(**options) -> Result: a llama-bench style pp/tg table over HTTP.",
    command="bench", options=_options_doc("bench"))
load.__doc__ = _RUN_DOC.format(
    head="load(**options) -> Result: a vLLM style load test (request rates or concurrency levels).",
    command="load", options=_options_doc("load"))

Simulator.__doc__ = (Simulator.__doc__ or "") + "\n\nOptions:\n" + _options_doc("sim")
run_script.__doc__ = _RUN_DOC.format(
    head="run_script(path, *, define=None, **options) -> Result: a Lua workload (benchy run "
         "PATH, docs/lua.md).\n\ndefine: a dict, {\"key\": \"value\"} is -e key=value "
         "(benchy.options.key in the script); values are turned into str. The Result's summary "
         "has one row per scenario.",
    command="run", options=_options_doc("run"))

stream.__doc__ = """stream(*, messages=None, prompt=None, model=None, max_tokens=None, body=None,
       base_url=..., api_key=None, api_key_env=None, header=None, timeout=None) -> Stream

One streamed request, for interactive use: iterate the Stream for its
chunks as they arrive, each a dict

    {{"kind": "content" | "reasoning" | "tool", "text": str,
     "tokens": int or None (when the server did not say), "t_ms": float}}

where t_ms is the socket read's receive time (the kernel's, for http://)
in milliseconds since the request started, the same clock and origin as
the record's "t_ms" block. The last item is the request's record, the
dict Result.requests holds (status, ttft_ms, tpot_ms, output_tokens,
t_ms, ..., and "content"), also kept as Stream.record.

messages= calls the chat API, prompt= the completions API; model and
max_tokens go into the body when given; body= is a dict of more request
fields (temperature, tools, ...). The connection options are the table's:

{options}

The GIL is released while waiting. Ctrl-C (KeyboardInterrupt) and leaving
the loop early (break, close(), a with block) cancel the request; the
exception carries the record so far as .record. A request that fails (a
dead server, an HTTP error, a broken stream) raises benchy.Error naming the
URL, with .status and the record as .record.
""".format(options=_options_doc("load", {"base_url", "api_key", "api_key_env", "header", "timeout"}))

compare.__doc__ = """compare(base, new, **options) -> Comparison

base and new are Results or paths of saved results (Result.save,
--save-result). The `benchy compare` options are keyword arguments;
fail_if_slower="3%" and fail_if_latency_grows="5%" make it a gate:
Comparison.passed is False and .regressions names each regression.
Results that cannot be compared (different kinds or configuration, an
invalid base) raise benchy.Error.

Options:
{options}
""".format(options=_options_doc("compare"))
