"""The example notebook (examples/python/benchy_tour.ipynb) runs headless:
nbclient executes every cell in an IPython kernel of this interpreter (the
one the extension is installed into) and any cell's error fails the test.
Its report cell writes the load sweep's HTML report into a new folder of the
notebook's working directory (tmp_path here) and shows it inline; without a
browser the test checks the page written, not pixels."""
import pathlib
import sys
import time

import pytest

try:
    import nbclient
    import nbformat
    import ipykernel  # noqa: F401  (the kernel nbclient starts)
    import matplotlib  # noqa: F401
except ImportError as exc:
    # A failure, not a skip: scripts/test.sh installs them (requirements-dev.txt).
    pytest.fail(f"the notebook test needs nbclient, ipykernel and matplotlib in {sys.executable} "
                f"({exc}): pip install -r requirements-dev.txt", pytrace=False)

NOTEBOOK = pathlib.Path(__file__).resolve().parents[2] / "examples" / "python" / "benchy_tour.ipynb"


def test_the_tour_runs_headless(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"), \
        "commit the notebook without outputs"
    # Which Python the kernel is: the extension must be this interpreter's.
    nb.cells.insert(0, nbformat.v4.new_code_cell("import sys; print(sys.executable)"))
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=120,
                                     resources={"metadata": {"path": str(tmp_path)}})
    start = time.monotonic()
    client.execute()  # raises CellExecutionError naming the cell that failed
    elapsed = time.monotonic() - start
    assert nb.cells[0].outputs[0]["text"].strip() == sys.executable
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 2  # both figures drawn
    assert elapsed < 120, elapsed

    report_cell = next((cell for cell in nb.cells
                        if cell.cell_type == "code" and ".report(" in cell.source), None)
    assert report_cell is not None, "the tour shows the load sweep's Result.report()"
    shown = [o["data"]["text/html"] for o in report_cell.outputs if "text/html" in o.get("data", {})]
    assert len(shown) == 1 and "<iframe srcdoc=" in shown[0], report_cell.outputs
    pages = list(tmp_path.glob("benchy-tour-report-*/load_sweep.html"))
    assert len(pages) == 1, pages
    page = pages[0].read_text()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert '<pre id="benchy-selfcheck"' in page  # where the page reports what it drew
    assert "benchy tour: a sweep of request rates" in page  # the title the cell gave
    assert pages[0].parent.name in shown[0]  # the link names the file written
    assert 'id=&quot;benchy-selfcheck&quot;' in shown[0]  # and the frame holds the page
