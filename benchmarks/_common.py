"""Shared plumbing of the benchmark scripts: timing, machine description, the results JSON.

Schema of ``benchmarks/results/<topic>.json`` (DESIGN.md)::

    {"topic", "date", "machine", "python", "versions", "quick",
     "cases": [{"case", "genlib": {...}, "peer": {...}, "ratio", "target", "met"}]}

A ratio is genlib's median time divided by the peer's, both measured in the same run with
the two alternating, so machine load affects both alike.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import statistics
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Callable

RESULTS = Path(__file__).resolve().parent / "results"


def parse_args(description: str) -> argparse.Namespace:
    """The command line every benchmark takes: ``--quick`` and ``--out``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="small sizes; finishes in under a minute")
    parser.add_argument("--out", type=Path, default=None, help="results file (default benchmarks/results/<topic>.json)")
    return parser.parse_args()


def machine() -> str:
    """A one-line description of the CPU the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} logical cores, {platform.system()}"


def versions(*packages: str) -> dict:
    out = {}
    for name in ("genlib", "numpy", "scipy", "scikit-learn", "torch", *packages):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def alternate(fns: dict[str, Callable[[], object]], repeat: int = 3) -> dict[str, dict]:
    """Run each callable ``repeat`` times, alternating between them; return medians and last results.

    Returns ``{name: {"seconds": median, "runs": [...], "result": last return value}}``.
    """
    if repeat < 1:
        raise ValueError(f"repeat must be >= 1, got {repeat}.")
    times: dict[str, list[float]] = {k: [] for k in fns}
    results: dict[str, object] = {}
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            results[name] = fn()
            times[name].append(time.perf_counter() - t0)
    return {k: {"seconds": statistics.median(v), "runs": v, "result": results[k]} for k, v in times.items()}


def case(name: str, genlib: dict, peer: dict | None, *, target: str, met: bool | None, ratio: float | None = None,
         **extra) -> dict:
    """One row of the results; ``ratio`` defaults to genlib seconds / peer seconds."""
    if ratio is None and peer and "seconds" in genlib and "seconds" in peer:
        ratio = genlib["seconds"] / peer["seconds"]
    row = {"case": name, "genlib": genlib, "peer": peer, "ratio": ratio, "target": target, "met": met}
    row.update(extra)
    return row


def write(topic: str, cases: list[dict], *, quick: bool, out: Path | None = None, extra_versions=()) -> Path:
    """Write the results JSON and print a one-line summary per case."""
    path = out or (RESULTS / f"{topic}{'_quick' if quick else ''}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "topic": topic,
        "date": _dt.date.today().isoformat(),
        "machine": machine(),
        "python": sys.version.split()[0],
        "versions": versions(*extra_versions),
        "quick": quick,
        "cases": cases,
    }
    path.write_text(json.dumps(doc, indent=2, default=float) + "\n")
    for c in cases:
        ratio = "" if c.get("ratio") is None else f" ratio={c['ratio']:.2f}"
        print(f"{topic}: {c['case']}:{ratio} met={c.get('met')} ({c.get('target')})")
    print(f"wrote {path}")
    return path
