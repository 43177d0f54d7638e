"""pytest configuration shared by the unit tests and the nbval run over the book.

Chapters are re-executed by nbval in lax mode: only cells marked ``# NBVAL_CHECK_OUTPUT``
(outputs exact by construction) are compared, and every other result is covered by the
chapter's claims (``genlib.claims.claim``), which raise when they fail. ``--claims-only``
compares no output at all, for runs under another seed, other CPU kernels or newer
libraries. The run ends with the count of claims each chapter checks.

Records how long each chapter takes to execute under nbval (the sum of its cells' call
times) and writes ``_build/reports/notebook_times.json`` at the end of the session, so the
course's time budget (each chapter <= 90 s, the whole book <= 10 min on 2 CPU cores) is
reported on every run. It is a report, not an assertion: timings vary with the machine.
"""

from __future__ import annotations

import json
import os
import platform
import re
from collections import defaultdict
from pathlib import Path

# pytest-xdist runs two workers on CI's two cores, and nbval starts one notebook kernel per worker
# (kernels inherit this environment). NumPy's and SciPy's OpenBLAS would give each process a thread
# per core, and their spinning threads then take turns with the other worker's work: side by side,
# the DCGAN and cGAN chapters took 104 s each, against 28 s and 13 s with one BLAS thread per
# process. Set before NumPy loads; an explicit setting in the environment wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import matplotlib  # noqa: E402  (after the thread setting)

# Figures in unit tests never need a display.
matplotlib.use("Agg")

# pytest-xdist runs two workers on CI's two cores: one torch thread each avoids
# oversubscription. Only the test processes are affected; the notebook kernels that nbval
# starts keep torch's default, as when the chapters were executed.
try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # genlib's NumPy half is tested without torch too
    pass

_ROOT = Path(__file__).resolve().parent
_CLAIM_CALL = re.compile(r"^\s*claim\(", re.M)


def pytest_addoption(parser):
    parser.addoption(
        "--claims-only", action="store_true", default=os.environ.get("GENLIB_CLAIMS_ONLY") == "1",
        help="re-execute the chapters checking their claims and errors only, comparing no output "
             "(for another seed, other CPU kernels or newer libraries; also GENLIB_CLAIMS_ONLY=1)",
    )


def pytest_collection_modifyitems(config, items):
    """Under --claims-only, nbval compares no cell's output: a chapter fails only where a cell
    raises, and a failing claim raises. Without it, nbval's lax mode (pyproject.toml) compares
    the cells marked ``# NBVAL_CHECK_OUTPUT``, the outputs that are exact by construction."""
    if not config.getoption("--claims-only"):
        return
    for item in items:
        options = getattr(item, "options", None)
        if item.nodeid.split("::", 1)[0].endswith(".ipynb") and options is not None:
            options["check"] = False


def claims_per_chapter(paths) -> dict[str, int]:
    """How many claims each chapter checks: calls of ``claim(`` at the start of a code line."""
    counts = {}
    for path in paths:
        cells = json.loads(Path(path).read_text())["cells"]
        code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
        counts[str(path)] = sum(len(_CLAIM_CALL.findall(src)) for src in code)
    return counts


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _TIMES:
        return
    counts = claims_per_chapter(sorted(_TIMES))
    terminalreporter.write_sep("-", f"claims checked per chapter ({sum(counts.values())} in all)")
    for path, n in counts.items():
        terminalreporter.write_line(f"{n:4d}  {path}")
_TIMES: dict[str, float] = defaultdict(float)
_SPAN: list[float] = []  # start and stop times of every notebook cell, for the book's wall time


def pytest_runtest_logreport(report):
    # With pytest-xdist this runs on the controller for every forwarded report.
    if report.when != "call":
        return
    path = report.nodeid.split("::", 1)[0]
    if path.endswith(".ipynb"):
        _TIMES[path] += report.duration
        _SPAN.extend((report.start, report.stop))


def pytest_sessionfinish(session, exitstatus):
    if not _TIMES or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    out = _ROOT / "_build" / "reports" / "notebook_times.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    chapters = {k: round(v, 1) for k, v in sorted(_TIMES.items())}
    report = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "budget_seconds": {"chapter": 90, "book": 600},
        "chapters": chapters,
        # the sum of the chapters' times (chapters run two at a time under xdist, so each is
        # slowed by the other), and the wall time of executing the whole book on this machine
        "total_seconds": round(sum(chapters.values()), 1),
        "book_wall_seconds": round(max(_SPAN) - min(_SPAN), 1),
        "workers": getattr(session.config.option, "numprocesses", None) or 1,
        "over_budget": [k for k, v in chapters.items() if v > 90],
    }
    out.write_text(json.dumps(report, indent=2) + "\n")
    terminal = session.config.pluginmanager.get_plugin("terminalreporter")
    if terminal is not None:
        terminal.write_line(f"notebook execution times -> {out.relative_to(_ROOT)} "
                            f"(sum {report['total_seconds']} s, whole book {report['book_wall_seconds']} s wall, "
                            f"chapters over 90 s: {report['over_budget'] or 'none'})")
