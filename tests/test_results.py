"""Tests of genlib.metrics.results: the benchmark results shipped as package data.

The copies in genlib/metrics/benchmark_results/ must be the files the benchmarks wrote
(byte for byte), every full run must have its copy, and the published numbers must agree
with the constants of the benchmark scripts and cite keys of book/references.bib. The
checks against benchmarks/ and book/ are skipped where they are absent (an installed wheel).
"""

import ast
import json
import re
from pathlib import Path

import pytest

from genlib.metrics.results import (BENCHMARK_TOPICS, PUBLISHED, available_benchmark_results,
                                    load_benchmark_results)

ROOT = Path(__file__).resolve().parents[1]
BENCH_RESULTS = ROOT / "benchmarks" / "results"
SHIPPED = ROOT / "genlib" / "metrics" / "benchmark_results"
needs_benchmarks = pytest.mark.skipif(not BENCH_RESULTS.is_dir(), reason="benchmarks/ is not here (installed wheel)")


def _full_runs(folder: Path) -> dict[str, Path]:
    return {p.stem: p for p in folder.glob("*.json") if not p.stem.endswith("_quick")}


# ---- the loaders -----------------------------------------------------------------------------------

def test_available_lists_full_runs_of_known_benchmarks():
    topics = available_benchmark_results()
    assert topics == sorted(topics)
    assert {"gmm", "hmm", "lda"} <= set(topics)
    assert set(topics) <= set(BENCHMARK_TOPICS)
    assert not any(t.endswith("_quick") for t in topics)


def test_load_returns_the_shipped_json():
    for topic in available_benchmark_results():
        doc = load_benchmark_results(topic)
        assert doc["topic"] == topic
        assert doc["quick"] is False, f"{topic}: a --quick run was shipped as a full run"
        assert doc["cases"] and all({"case", "genlib", "peer", "target", "met"} <= set(c) for c in doc["cases"])
        if SHIPPED.is_dir():  # the same bytes, parsed independently
            assert doc == json.loads((SHIPPED / f"{topic}.json").read_bytes())


def test_unknown_topic_is_rejected_with_the_list_of_topics():
    with pytest.raises(ValueError, match=r"topic must be one of .*'gmm'.*got 'mnist'"):
        load_benchmark_results("mnist")
    with pytest.raises(ValueError, match="quick"):
        load_benchmark_results("gmm_quick")
    with pytest.raises(TypeError, match="topic must be a string"):
        load_benchmark_results(3)


def test_benchmark_without_a_full_run_says_how_to_get_one():
    missing = [t for t in BENCHMARK_TOPICS if t not in available_benchmark_results()]
    if not missing:
        pytest.skip("every benchmark has a shipped full run")
    topic = missing[0]
    with pytest.raises(FileNotFoundError, match=rf"python -m benchmarks\.{topic}.*benchmark_results"):
        load_benchmark_results(topic)


# ---- the copies against benchmarks/results ---------------------------------------------------------

@needs_benchmarks
def test_every_full_run_is_shipped_byte_for_byte():
    source, shipped = _full_runs(BENCH_RESULTS), _full_runs(SHIPPED)
    assert sorted(source) == sorted(shipped), (
        f"benchmarks/results has full runs {sorted(source)} but genlib/metrics/benchmark_results has "
        f"{sorted(shipped)}; copy (or delete) them so the two folders agree.")
    for topic, path in source.items():
        assert shipped[topic].read_bytes() == path.read_bytes(), (
            f"genlib/metrics/benchmark_results/{topic}.json differs from benchmarks/results/{topic}.json; "
            f"copy it again.")
    assert available_benchmark_results() == sorted(source)


@needs_benchmarks
def test_every_benchmark_script_is_a_topic():
    scripts = {p.stem for p in (ROOT / "benchmarks").glob("*.py") if not p.stem.startswith("_")}
    assert scripts == set(BENCHMARK_TOPICS)


# ---- the published numbers -------------------------------------------------------------------------

def _published_constant(topic: str) -> dict:
    """The ``PUBLISHED = {...}`` literal of benchmarks/<topic>.py, read without importing the script."""
    tree = ast.parse((ROOT / "benchmarks" / f"{topic}.py").read_text())
    for node in tree.body:
        targets = [node.target] if isinstance(node, ast.AnnAssign) else getattr(node, "targets", [])
        if any(isinstance(t, ast.Name) and t.id == "PUBLISHED" for t in targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"benchmarks/{topic}.py defines no PUBLISHED constant")


@needs_benchmarks
def test_published_numbers_agree_with_the_benchmark_scripts():
    keys = {"RBM 500 hidden, CD-1": ("rbm", "CD-1"), "RBM 500 hidden, CD-3": ("rbm", "CD-3"),
            "RBM 500 hidden, CD-25": ("rbm", "CD-25"), "DBN 500-2000": ("dbn_dbm", "dbn"),
            "DBM 500-1000": ("dbn_dbm", "dbm"), "VAE 200-200-50, k=1": ("vae", "vae"),
            "IWAE 200-200-50, k=50": ("vae", "iwae")}
    assert sorted(p.model for p in PUBLISHED) == sorted(keys)
    for p in PUBLISHED:
        topic, name = keys[p.model]
        assert p.topic == topic
        assert p.test_log_likelihood == _published_constant(topic)[name], p.model
    # every number the scripts target is listed
    assert sum(len(_published_constant(t)) for t in ("rbm", "dbn_dbm", "vae")) == len(PUBLISHED)


def test_published_rows_are_well_formed():
    for p in PUBLISHED:
        assert p.topic in BENCHMARK_TOPICS
        assert -200.0 < p.test_log_likelihood < -50.0  # nats per binarised MNIST image
        assert p.kind in ("AIS estimate", "AIS bound", "IWAE bound (k=5000)")
        assert p.value_key in ("test_log_likelihood", "test_log_likelihood_bound")


@pytest.mark.skipif(not (ROOT / "book" / "references.bib").is_file(), reason="book/ is not here")
def test_published_citations_are_in_the_bibliography():
    keys = set(re.findall(r"^@\w+\{([^,]+),", (ROOT / "book" / "references.bib").read_text(), flags=re.M))
    for p in PUBLISHED:
        assert p.citation in keys, f"{p.citation} is not a key of book/references.bib"


@needs_benchmarks
def test_case_prefixes_match_the_case_names_the_benchmarks_write():
    """A prefix finds at most one case in any results file of its topic (full or quick), and at least
    one prefix per topic finds a case in the quick run, so a renamed case cannot go unnoticed."""
    for topic in {p.topic for p in PUBLISHED}:
        rows = [p for p in PUBLISHED if p.topic == topic and p.case]
        docs = [json.loads(f.read_text()) for f in BENCH_RESULTS.glob(f"{topic}*.json")]
        if not docs:
            continue
        for doc in docs:
            for p in rows:
                hits = [c for c in doc["cases"] if c["case"].startswith(p.case)]
                assert len(hits) <= 1, (topic, p.case)
                if hits and not doc["quick"]:
                    assert isinstance(hits[0]["genlib"][p.value_key], float)
        assert any(c["case"].startswith(p.case) for doc in docs for c in doc["cases"] for p in rows), topic
