"""A real text corpus that every machine has: the docstrings of Python's standard library.

Documents are the docstrings of a fixed list of standard-library modules and of the
classes, functions and methods they define, in sorted order. The corpus is therefore
the same on every run on one Python version (docstrings change between versions).
Each document's label is the module it came from, a rough ground truth for topics.

- :func:`stdlib_docstrings` - the raw documents and their module labels;
- :func:`load_stdlib_corpus` - a document-term count matrix for topic models;
- :func:`load_stdlib_characters` - the text as a 27-symbol sequence (``a``-``z`` and space)
  for character-level HMMs.

Beside it, a synthetic corpus whose topics are known: :func:`make_bars` (with its topics
:func:`bars_topics`), the bars of Griffiths & Steyvers (2004), drawn by LDA's generative story.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np

from .._validation import check_float, check_int, check_random_state

__all__ = ["STDLIB_MODULES", "STOP_WORDS", "ALPHABET", "stdlib_docstrings", "load_stdlib_corpus",
           "load_stdlib_characters", "bars_topics", "make_bars"]

#: Modules whose docstrings form the corpus: importable everywhere, free of side effects.
STDLIB_MODULES = (
    "argparse", "ast", "asyncio.events", "asyncio.streams", "asyncio.tasks", "base64", "bisect",
    "bz2", "calendar", "cmath", "codecs", "collections", "concurrent.futures", "configparser",
    "contextlib", "copy", "csv", "dataclasses", "datetime", "decimal", "difflib", "email.message",
    "email.utils", "enum", "filecmp", "fnmatch", "fractions", "ftplib", "functools", "getopt",
    "gettext", "glob", "gzip", "hashlib", "heapq", "hmac", "html.parser", "http.client",
    "http.cookiejar", "http.server", "imaplib", "inspect", "io", "ipaddress", "itertools", "json",
    "locale", "logging", "logging.handlers", "lzma", "mailbox", "math", "mimetypes",
    "multiprocessing.pool", "netrc", "numbers", "operator", "optparse", "os", "os.path",
    "pathlib", "pickle", "pkgutil", "platform", "plistlib", "poplib", "pprint", "queue",
    "quopri", "random", "re", "reprlib", "sched", "secrets", "selectors", "shelve", "shlex",
    "shutil", "signal", "smtplib", "socket", "socketserver", "sqlite3", "ssl", "stat",
    "statistics", "string", "struct", "subprocess", "sys", "tarfile", "tempfile", "textwrap",
    "threading", "time", "timeit", "tokenize", "trace", "traceback", "types", "typing",
    "unittest.case", "unittest.mock", "urllib.parse", "urllib.request", "uuid", "warnings",
    "wave", "weakref", "xml.dom.minidom", "xml.etree.ElementTree", "zipfile", "zlib",
)

#: English function words and docstring boilerplate left out of the vocabulary.
STOP_WORDS = frozenset("""
a about above after again against all also an and any are as at be because been before being
below between both but by can could did do does doing done down during each either else etc
even ever every few for from further had has have having he her here hers herself him himself his
how however i if in into is it its itself just may me might more most must my myself no nor not
now of off on once one only or other otherwise our ours ourselves out over own per rather same
see shall she should since so some such than that the their theirs them themselves then there
these they this those though through thus to too under until up upon us use used uses using
very via was we were what when where whether which while who whom whose why will with within
without would yet you your yours yourself yourselves e g ie eg return returns returned default
none true false self cls args kwargs object given new value values first second two three
""".split())

#: The 27 symbols of the character corpus: space, then a..z.
ALPHABET = " abcdefghijklmnopqrstuvwxyz"

_WORD = re.compile(r"[a-z]+")


def _own_members(module):
    """Classes and functions defined in ``module`` (not re-exported), with their methods."""
    members = []
    for name, obj in sorted(inspect.getmembers(module), key=lambda item: item[0]):
        if name.startswith("_"):
            continue
        if not (inspect.isclass(obj) or inspect.isfunction(obj) or inspect.isbuiltin(obj)):
            continue
        if getattr(obj, "__module__", None) != module.__name__:
            continue
        members.append(obj)
        if inspect.isclass(obj):
            for mname, meth in sorted(vars(obj).items(), key=lambda item: item[0]):
                if mname.startswith("_") or not callable(meth):
                    continue
                members.append(meth)
    return members


def _collect_here():
    """Collect the documents in this interpreter (used inside the clean child process)."""
    docs, labels, seen = [], [], set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for module_name in STDLIB_MODULES:
            try:
                module = importlib.import_module(module_name)
            except ImportError:  # e.g. a Python built without sqlite3 or ssl
                continue
            for obj in [module, *_own_members(module)]:
                doc = inspect.getdoc(obj) if obj is not module else module.__doc__
                if not doc:
                    continue
                doc = doc.strip()
                if doc in seen:
                    continue
                seen.add(doc)
                docs.append(doc)
                labels.append(module_name)
    return docs, labels


@functools.lru_cache(maxsize=1)
def _collect():
    """The corpus, collected in a fresh, isolated interpreter.

    Environments patch the standard library at run time (Jupyter kernels replace
    ``sys.excepthook`` and ``sys.displayhook``, for example), which would change which
    docstrings are found. A child ``python -I`` sees the standard library as shipped, so the
    corpus is the same in a script, a test and a notebook.
    """
    code = (
        "import json, sys; from genlib.datasets.text import _collect_here;"
        "json.dump(_collect_here(), sys.stdout)"
    )
    package_root = str(Path(__file__).resolve().parents[2])
    env = {"PYTHONPATH": package_root, "PYTHONHASHSEED": "0", "PATH": os.environ.get("PATH", "")}
    run = subprocess.run([sys.executable, "-s", "-c", code], capture_output=True, text=True, env=env,
                         check=True)
    docs, labels = json.loads(run.stdout)
    return tuple(docs), tuple(labels)


def stdlib_docstrings():
    """Return ``(documents, modules)``: the docstrings and the module each came from.

    Examples
    --------
    >>> docs, modules = stdlib_docstrings()
    >>> len(docs) == len(modules) and len(docs) > 1000
    True
    """
    docs, labels = _collect()
    return list(docs), list(labels)


def _tokens(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in STOP_WORDS]


def load_stdlib_corpus(*, min_words=20, min_df=5, max_df=0.25, max_features=2000):
    """The standard-library docstrings as a document-term count matrix.

    Parameters
    ----------
    min_words : int
        Keep documents with at least this many words after the vocabulary is chosen.
    min_df : int
        Keep words that occur in at least this many documents.
    max_df : float in (0, 1]
        Drop words that occur in more than this fraction of documents (too common to
        tell topics apart).
    max_features : int
        Keep at most this many words, the most frequent first (ties broken alphabetically).

    Returns
    -------
    dict
        ``counts``: scipy.sparse CSR int64 matrix (n_documents, n_words);
        ``vocabulary``: list of the words (column order);
        ``documents``: the raw docstrings kept; ``modules``: the module of each.

    Examples
    --------
    >>> corpus = load_stdlib_corpus()
    >>> corpus["counts"].shape[1] == len(corpus["vocabulary"])
    True
    """
    import scipy.sparse as sp

    min_words = check_int(min_words, "min_words", minimum=1)
    min_df = check_int(min_df, "min_df", minimum=1)
    max_df = check_float(max_df, "max_df", minimum=0.0, maximum=1.0, strict=True)
    max_features = check_int(max_features, "max_features", minimum=1)

    docs, labels = _collect()
    tokens = [_tokens(d) for d in docs]
    n_docs = len(docs)
    df: dict[str, int] = {}
    tf: dict[str, int] = {}
    for toks in tokens:
        for w in toks:
            tf[w] = tf.get(w, 0) + 1
        for w in set(toks):
            df[w] = df.get(w, 0) + 1
    keep = [w for w in df if df[w] >= min_df and df[w] <= max_df * n_docs]
    keep.sort(key=lambda w: (-tf[w], w))
    vocabulary = sorted(keep[:max_features])
    index = {w: i for i, w in enumerate(vocabulary)}

    rows, cols, kept_docs, kept_labels = [], [], [], []
    for doc, label, toks in zip(docs, labels, tokens):
        ids = [index[w] for w in toks if w in index]
        if len(ids) < min_words:
            continue
        r = len(kept_docs)
        rows.extend([r] * len(ids))
        cols.extend(ids)
        kept_docs.append(doc)
        kept_labels.append(label)
    counts = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.int64), (rows, cols)), shape=(len(kept_docs), len(vocabulary))
    )
    counts.sum_duplicates()
    return {"counts": counts, "vocabulary": vocabulary, "documents": kept_docs, "modules": kept_labels}


def load_stdlib_characters(n_chars=None):
    """The docstring text as a sequence of 27 symbols: 0 = space, 1..26 = ``a``..``z``.

    Letters are lower-cased; every run of other characters becomes one space.

    Parameters
    ----------
    n_chars : int, optional
        Return only the first ``n_chars`` symbols.

    Returns
    -------
    X : ndarray of int64, shape (n_chars, 1)
        One symbol per row, the layout HMMs take (as in hmmlearn).
    alphabet : str
        ``ALPHABET``; ``alphabet[s]`` is the character of symbol ``s``.

    Examples
    --------
    >>> X, alphabet = load_stdlib_characters(20)
    >>> X.shape, len(alphabet)
    ((20, 1), 27)
    """
    docs, _ = _collect()
    text = re.sub(r"[^a-z]+", " ", " ".join(docs).lower()).strip()
    if n_chars is not None:
        n_chars = check_int(n_chars, "n_chars", minimum=1)
        if n_chars > len(text):
            raise ValueError(f"n_chars={n_chars} exceeds the corpus length {len(text)}; pass a smaller n_chars or None.")
        text = text[:n_chars]
    codes = np.frombuffer(text.encode("ascii"), dtype=np.uint8).astype(np.int64)
    symbols = np.where(codes == ord(" "), 0, codes - ord("a") + 1)
    return symbols.reshape(-1, 1), ALPHABET


# --------------------------------------------------------------------------------------------
# The bars corpus: topics known by construction
# --------------------------------------------------------------------------------------------
def bars_topics(side: int = 5) -> np.ndarray:
    """The 2 * ``side`` true topics of the bars data set, one bar each.

    Topic ``k < side`` is uniform over the pixels of row ``k`` of a ``side`` x ``side`` image;
    topic ``side + j`` is uniform over column ``j``.

    Returns
    -------
    ndarray of shape (2 * side, side * side)
        Row-stochastic topic-word matrix.

    Examples
    --------
    >>> bars_topics(3).sum(axis=1).tolist()
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    """
    side = check_int(side, "side", minimum=2)
    topics = np.zeros((2 * side, side, side))
    for k in range(side):
        topics[k, k, :] = 1.0 / side  # horizontal bar
        topics[side + k, :, k] = 1.0 / side  # vertical bar
    return topics.reshape(2 * side, side * side)


def make_bars(n_docs: int = 500, *, side: int = 5, doc_length: int = 100, alpha: float = 1.0,
              random_state=None) -> dict:
    """The "bars" corpus of Griffiths & Steyvers (2004): documents are images of bars.

    The vocabulary is the ``side * side`` pixels of a grid; each of the ``2 * side`` topics
    puts equal mass on the pixels of one horizontal or vertical bar (:func:`bars_topics`).
    Each document draws topic proportions ``theta ~ Dirichlet(alpha)`` and then
    ``doc_length`` pixels from LDA's generative story; its counts, seen as an image, are a
    superposition of a few bars.

    Parameters
    ----------
    n_docs : int
        Number of documents.
    side : int
        The images are ``side`` x ``side``; there are ``2 * side`` topics.
    doc_length : int
        Words (pixels drawn) per document.
    alpha : float > 0
        Concentration of the symmetric Dirichlet prior on the topic proportions.
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    dict
        ``counts``: int64 array (n_docs, side * side); ``topics``: the true topic-word matrix
        (2 * side, side * side); ``theta``: the true proportions (n_docs, 2 * side);
        ``doc_topic_counts``: the true n_dk, how many of each document's words every topic drew
        (n_docs, 2 * side).

    Examples
    --------
    >>> bars = make_bars(4, doc_length=10, random_state=0)
    >>> bars["counts"].shape, bars["counts"].sum(axis=1).tolist()
    ((4, 25), [10, 10, 10, 10])
    """
    n_docs = check_int(n_docs, "n_docs", minimum=1)
    doc_length = check_int(doc_length, "doc_length", minimum=1)
    alpha = check_float(alpha, "alpha", minimum=0.0, strict=True)
    rng = check_random_state(random_state)
    from ..classic.lda import sample_dirichlet, sample_documents  # LDA's generative story

    topics = bars_topics(side)
    theta = sample_dirichlet(np.full((n_docs, topics.shape[0]), alpha), rng)
    counts, n_dk = sample_documents(theta, topics, np.full(n_docs, doc_length), rng)
    return {"counts": counts, "topics": topics, "theta": theta, "doc_topic_counts": n_dk}
