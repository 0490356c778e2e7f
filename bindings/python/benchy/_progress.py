"""The default progress display: a tqdm bar, when tqdm is installed and
someone can see it (stderr is a terminal, or this is a notebook)."""
import sys


def _in_notebook():
    shell = sys.modules.get("IPython")
    try:
        return shell is not None and shell.get_ipython().__class__.__name__ == "ZMQInteractiveShell"
    except Exception:  # an IPython without a running shell
        return False


def default_progress(command):
    notebook = _in_notebook()
    if not notebook and not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()):
        return None
    try:
        if notebook:
            from tqdm.auto import tqdm
        else:
            from tqdm import tqdm
    except ImportError:
        return None
    return _TqdmProgress(tqdm, command)


class _TqdmProgress:
    def __init__(self, tqdm, command):
        self._tqdm = tqdm
        self._command = command
        self._bar = None

    def __call__(self, event):
        if self._bar is None:
            # The total is not known ahead (bench probes, load levels stop
            # early), so a count and a rate, not a percentage.
            self._bar = self._tqdm(desc=f"benchy {self._command}", unit="req", leave=True,
                                   bar_format="{desc}: {n_fmt} requests [{elapsed}, {rate_fmt}{postfix}]")
        kind = event["kind"]
        if kind == "phase":
            where = event["phase"]
            if event["count"]:
                where += f" {event['index'] + 1}/{event['count']}"
            self._bar.set_description_str(f"benchy {self._command}: {where}")
        elif kind == "warning":
            self._bar.write(f"benchy {self._command}: {event['message']}")
        self._bar.n = event["requests_done"]
        self._bar.set_postfix(failed=event["requests_failed"], in_flight=event["requests_in_flight"],
                              refresh=False)
        self._bar.refresh()
        if kind == "done":
            self._bar.close()
