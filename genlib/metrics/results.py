"""Paper-scale benchmark results shipped with genlib, and the published numbers they target.

The scripts in the repository's ``benchmarks/`` folder (``python -m benchmarks.<topic>``)
train genlib's models at paper scale, often for hours on a GPU, and write
``benchmarks/results/<topic>.json`` (schema in ``benchmarks/_common.py``). The book's
chapters show those numbers, but a chapter must also run outside the repository (in Colab,
or in CI against an installed wheel), where ``benchmarks/`` does not exist. So the results
of *full* runs (not the ``*_quick.json`` smoke tests) are copied into
``genlib/metrics/benchmark_results/`` and shipped as package data; ``tests/test_results.py``
checks that every copy is byte-for-byte the file in ``benchmarks/results/`` and that every
full run has its copy.

- :func:`available_benchmark_results` lists the topics with a shipped full run;
- :func:`load_benchmark_results` reads one of them;
- :data:`PUBLISHED` holds the published MNIST test log-likelihoods that the paper-scale
  benchmarks aim at, with the citation key of each (``book/references.bib``).

After a new full run: ``cp benchmarks/results/<topic>.json genlib/metrics/benchmark_results/``.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import NamedTuple

__all__ = ["BENCHMARK_TOPICS", "PublishedResult", "PUBLISHED", "available_benchmark_results",
           "load_benchmark_results"]

#: One topic per benchmark script ``benchmarks/<topic>.py``, full run or not.
BENCHMARK_TOPICS = ("gmm", "hmm", "lda", "rbm", "dbn_dbm", "vae", "gan", "fccgan", "stackgan", "beyond",
                    "pixelcnn")

_PACKAGE_DIR = "benchmark_results"


class PublishedResult(NamedTuple):
    """A published test log-likelihood on binarised MNIST that a benchmark targets."""

    model: str
    """The model and its training, as the book prints it."""
    test_log_likelihood: float
    """Mean log-likelihood of the 10,000 MNIST test images, nats per image (higher is better)."""
    kind: str
    """How the paper measured it: "AIS estimate", "AIS bound" or "IWAE bound (k=5000)"."""
    citation: str
    """Key of the paper in ``book/references.bib``."""
    topic: str
    """The benchmark that reproduces it: ``benchmarks/<topic>.py``."""
    case: str | None
    """Start of the name of the benchmark case that measures genlib's number (None: not trained there)."""
    value_key: str
    """Key of genlib's number in that case's ``"genlib"`` dict."""


#: Published MNIST numbers, copied from the constants of benchmarks/rbm.py, dbn_dbm.py and vae.py
#: (tests/test_results.py checks that they agree).
PUBLISHED: tuple[PublishedResult, ...] = (
    PublishedResult("RBM 500 hidden, CD-1", -125.53, "AIS estimate", "salakhutdinov2008", "rbm",
                    "MNIST CD-1,", "test_log_likelihood"),
    PublishedResult("RBM 500 hidden, CD-3", -105.50, "AIS estimate", "salakhutdinov2008", "rbm",
                    None, "test_log_likelihood"),
    PublishedResult("RBM 500 hidden, CD-25", -86.34, "AIS estimate", "salakhutdinov2008", "rbm",
                    "MNIST CD-25,", "test_log_likelihood"),
    PublishedResult("DBN 500-2000", -86.22, "AIS bound", "salakhutdinov2008", "dbn_dbm",
                    "(a) DBN", "test_log_likelihood_bound"),
    PublishedResult("DBM 500-1000", -84.62, "AIS bound", "salakhutdinov2009dbm", "dbn_dbm",
                    "(b) DBM", "test_log_likelihood_bound"),
    PublishedResult("VAE 200-200-50, k=1", -86.76, "IWAE bound (k=5000)", "burda2016", "vae",
                    "vae (k=1", "test_log_likelihood"),
    PublishedResult("IWAE 200-200-50, k=50", -84.78, "IWAE bound (k=5000)", "burda2016", "vae",
                    "iwae (k=50", "test_log_likelihood"),
)


def _results_dir():
    return resources.files(__package__).joinpath(_PACKAGE_DIR)


def available_benchmark_results() -> list[str]:
    """Topics whose full benchmark run ships with genlib, sorted.

    Returns
    -------
    list of str
        Names ``t`` for which ``benchmarks/results/t.json`` was a full (not ``--quick``) run.

    Examples
    --------
    >>> "gmm" in available_benchmark_results()
    True
    """
    folder = _results_dir()
    if not folder.is_dir():
        return []
    return sorted(p.name[:-len(".json")] for p in folder.iterdir()
                  if p.name.endswith(".json") and not p.name.endswith("_quick.json"))


def load_benchmark_results(topic: str) -> dict:
    """The results of the full run of ``benchmarks/<topic>.py``, as the JSON dict it wrote.

    Parameters
    ----------
    topic : str
        One of :data:`BENCHMARK_TOPICS`; its full run must ship with genlib (see
        :func:`available_benchmark_results`).

    Returns
    -------
    dict
        ``{"topic", "date", "machine", "python", "versions", "quick", "cases": [...]}``;
        each case has ``"case"``, ``"genlib"``, ``"peer"``, ``"ratio"``, ``"target"`` and ``"met"``.

    Raises
    ------
    ValueError
        ``topic`` is not a benchmark of genlib.
    FileNotFoundError
        The benchmark exists but no full run has been shipped yet (it may need a GPU).

    Examples
    --------
    >>> doc = load_benchmark_results("gmm")
    >>> doc["topic"], doc["quick"]
    ('gmm', False)
    """
    if not isinstance(topic, str):
        raise TypeError(f"topic must be a string such as 'gmm', got {type(topic).__name__}.")
    if topic.endswith("_quick"):
        raise ValueError(f"topic {topic!r} names a --quick smoke test; only full runs ship with genlib. "
                         f"Use {topic[:-len('_quick')]!r}.")
    if topic not in BENCHMARK_TOPICS:
        raise ValueError(f"topic must be one of genlib's benchmarks {list(BENCHMARK_TOPICS)} "
                         f"(the scripts benchmarks/<topic>.py), got {topic!r}.")
    path = _results_dir().joinpath(f"{topic}.json")
    if not path.is_file():
        available = ", ".join(available_benchmark_results()) or "none"
        raise FileNotFoundError(
            f"no full run of benchmarks/{topic}.py ships with this genlib (available: {available}); run "
            f"`python -m benchmarks.{topic}` from the repository root (see its docstring for the budget; "
            f"paper-scale runs need a GPU), then copy benchmarks/results/{topic}.json to "
            f"genlib/metrics/{_PACKAGE_DIR}/.")
    return json.loads(path.read_text(encoding="utf-8"))
