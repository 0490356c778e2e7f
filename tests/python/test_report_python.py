"""Result.report(path): the HTML report from Python (issue 14), thin over
benchy_report_save. Runs with the interpreter the extension is installed
into, as test_python_api.py; the page is opened in headless Chromium."""
import html
import json
import re
import shutil
import subprocess
import sys

import pytest

try:
    import benchy
    benchy.Simulator
except (ImportError, AttributeError) as exc:
    pytest.fail(f"`import benchy` failed in {sys.executable} ({exc}): install the extension into "
                "this interpreter first with `pip install .`", pytrace=False)


@pytest.fixture(scope="module")
def sweeps():
    with benchy.Simulator(prefill_tps=20000, decode_tps=1000, seed=7) as s:
        def sweep():
            return benchy.load(base_url=s.base_url, model="sim", num_prompts=12, concurrency=[1, 4],
                               random_output_len=16, progress=False)
        return sweep(), sweep()


def self_check(page):
    chromium = shutil.which("chromium")
    assert chromium, "needs Debian's chromium on PATH (scripts/install-deps.sh installs it)"
    p = subprocess.run([chromium, "--headless", "--disable-gpu", "--no-sandbox", "--enable-logging=stderr",
                        "--v=0", "--virtual-time-budget=10000", "--dump-dom", str(page)],
                       capture_output=True, text=True, timeout=60)
    assert not [line for line in p.stderr.splitlines() if ":CONSOLE" in line], p.stderr[-2000:]
    m = re.search(r'<pre id="benchy-selfcheck"[^>]*>([^<]*)</pre>', p.stdout)
    assert m and m.group(1), p.stderr[-2000:]
    return json.loads(html.unescape(m.group(1))), p.stdout


def test_report_writes_a_page_that_draws(sweeps, tmp_path):
    base, _ = sweeps
    page = tmp_path / "r.html"
    assert base.report(page, title="from Python") is None
    check, dom = self_check(page)
    assert check["errors"] == []
    charts = {c["id"]: c for c in check["charts"]}
    assert charts["cdf-ttft"]["series"] == 2 and charts["cdf-ttft"]["painted"] > 100
    assert "from Python" in dom


def test_report_with_others_and_compare(sweeps, tmp_path):
    base, new = sweeps
    page = tmp_path / "ab.html"
    base.report(page, [new], compare=True, alpha=0.01)
    check, dom = self_check(page)
    assert check["errors"] == []
    assert {c["id"]: c for c in check["charts"]}["cdf-ttft"]["series"] == 4
    assert "Comparison: result 1 (base)" in dom and "99% confidence" in dom


def test_report_refuses_an_existing_file_and_bad_arguments(sweeps, tmp_path):
    base, _ = sweeps
    page = tmp_path / "r.html"
    page.write_text("keep")
    with pytest.raises(benchy.Error) as e:
        base.report(page)
    assert "exists" in str(e.value) and "overwrite" in str(e.value)
    assert page.read_text() == "keep"
    base.report(page, overwrite=True)
    assert page.read_text().startswith("<!DOCTYPE html>")
    with pytest.raises(benchy.Error, match="--compare takes exactly two results"):
        base.report(tmp_path / "c.html", compare=True)
    with pytest.raises(TypeError, match="others"):
        base.report(tmp_path / "t.html", ["not a result"])
    with pytest.raises(TypeError, match="titel"):
        base.report(tmp_path / "t.html", titel="x")
