"""Latent Dirichlet allocation (LDA) fitted by Gibbs sampling.

LDA (chapter ``02_ml/03_lda``; Blei, Ng & Jordan, 2003) explains a corpus of D documents over a
vocabulary of V words with K topics. Its generative story::

    phi_k   ~ Dirichlet(beta)            k = 1..K     topic k's distribution over words
    theta_d ~ Dirichlet(alpha)           d = 1..D     document d's topic proportions
    z_dn    ~ Categorical(theta_d)       n = 1..N_d   the topic of the n-th word of d
    w_dn    ~ Categorical(phi_{z_dn})                 the word itself

so that the joint distribution is (eq. lda-joint)::

    p(phi, theta, z, w) = prod_k p(phi_k | beta) prod_d p(theta_d | alpha)
                          prod_n p(z_dn | theta_d) p(w_dn | phi, z_dn).

Integrating theta and phi out (Dirichlet-multinomial conjugacy) gives the collapsed joint
(eq. lda-collapsed-joint) of Griffiths & Steyvers (2004)::

    log p(w, z) = sum_d [ log G(K a) - log G(N_d + K a) + sum_k log G(n_dk + a) - K log G(a) ]
                + sum_k [ log G(V b) - log G(n_k + V b) + sum_w log G(n_kw + b) - V log G(b) ]

(G the Gamma function, n_dk the words of document d given topic k, n_kw the tokens of word w
given topic k, n_k = sum_w n_kw), and the conditional of one assignment (eq. lda-conditional)::

    p(z_i = k | z_-i, w)  ∝  (n_dk^-i + alpha) (n_kw^-i + beta) / (n_k^-i + V beta),

where ``^-i`` means "counted without token i". Two samplers use these equations:

- ``method="collapsed"`` (the default): the exact sequential collapsed Gibbs sampler, one
  token at a time (:func:`collapsed_gibbs_sweep`). The loop is written for reading, and numba
  compiles that same function to machine code (:func:`_compiled_sweep`), which
  makes it the fastest of the two per token as well as per sweep.
- ``method="blocked"``: an *uncollapsed* blocked Gibbs sampler (:func:`blocked_gibbs_sweep`)
  that alternates ``theta, phi | z`` (independent Dirichlets, eq. lda-theta-post) and
  ``z | theta, phi`` (every token independently, eq. lda-z-post, p(z_i = k) ∝ theta_dk phi_kw).
  Both blocks are exact conditionals of the joint (eq. lda-joint), so the chain targets exactly
  the same posterior; it needs more sweeps than the collapsed sampler (theta and phi are not
  integrated out), and one sweep is a handful of vectorised NumPy operations over all tokens,
  so it needs no compiler.

The priors are learned by default (Wallach, 2008; Wallach, Mimno & McCallum, 2009, "Rethinking
LDA: why priors matter"), as MALLET does: every few sweeps the current counts n_dk and n_kw are
two sets of draws from Dirichlet-multinomial distributions (eq. lda-collapsed-joint), and
alpha (asymmetric, one value per topic) and beta (symmetric) move to the maximum of that
likelihood by Minka's (2000) fixed-point iteration (:func:`minka_alpha_update`,
:func:`minka_beta_update`; Minka 2000, eq. 55)::

    alpha_k <- alpha_k * sum_d [psi(n_dk + alpha_k) - psi(alpha_k)] / sum_d [psi(N_d + A) - psi(A)],  A = sum_k alpha_k
    beta    <- beta * sum_{k,w} [psi(n_kw + beta) - psi(beta)] / (V sum_k [psi(n_k + V beta) - psi(V beta)])

(psi the digamma function). A sampler step with the priors fixed, then a step that maximises
p(z | alpha, beta) over them, is a stochastic EM algorithm for the hyper-parameters.

Held-out quality is measured by document-completion perplexity (Wallach et al., 2009)
(:func:`document_completion_perplexity`): half of each held-out document's tokens estimate its
theta with the topics fixed, the other half is scored. Any topic-word matrix can be plugged
in, e.g. scikit-learn's variational estimate, so models fitted differently are compared by
one protocol.

The bars data set of Griffiths & Steyvers (:func:`genlib.datasets.make_bars`, drawn by this
module's generative story, :func:`sample_documents`) has known topics, so the samplers can be
checked against the truth.
"""

from __future__ import annotations

import functools
import time
import warnings

import numpy as np
import scipy.sparse as sp
from scipy.special import digamma, gammaln
from sklearn.base import BaseEstimator

from ._checks import atomic_fit, check_verbose
from .._validation import (
    _to_numeric,
    check_array,
    check_bool,
    check_counts,
    check_float,
    check_int,
    check_is_fitted,
    check_n_features,
    check_option,
    check_random_state,
    check_stochastic,
)
from ..datasets.text import bars_topics, make_bars  # noqa: F401  (their home before genlib.datasets)

__all__ = [
    "LatentDirichletAllocation",
    "counts_to_tokens",
    "topic_counts",
    "collapsed_log_joint",
    "dirichlet_multinomial_log_likelihood",
    "minka_alpha_update",
    "minka_beta_update",
    "collapsed_conditional",
    "collapsed_gibbs_sweep",
    "blocked_gibbs_sweep",
    "sample_dirichlet",
    "sample_documents",
    "sample_theta_given_topics",
    "document_completion_perplexity",
]

# The smallest positive double: Dirichlet draws with tiny shape parameters can underflow to 0
# in floating point; flooring them here keeps every probability strictly positive.
_TINY = np.finfo(np.float64).tiny
# Learned concentrations are kept above this: a topic that loses all its tokens drives its
# alpha_k towards 0 (the fixed point of an unused topic), and digamma(0) is -inf.
_MIN_CONCENTRATION = 1e-4


def _check_concentration(value, name: str, size: int) -> np.ndarray:
    """A Dirichlet concentration: a positive float (symmetric) or ``size`` positive floats; as (size,)."""
    if np.ndim(value) == 0:
        return np.full(size, check_float(value, name, minimum=0.0, strict=True))
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a positive number or {size} positive numbers, got {value!r}.") from None
    if arr.shape != (size,) or not np.all(np.isfinite(arr)) or not np.all(arr > 0):
        raise ValueError(f"{name} must be a positive number or an array of {size} finite positive numbers "
                         f"(one per topic), got {np.array2string(arr.ravel()[:6])} of shape {arr.shape}.")
    return arr


def _check_tokens(name: str, value, n: int | None = None, upper: int | None = None, what: str = "") -> np.ndarray:
    """A 1-D array of non-negative integer indices (tokens' documents, words or topics), as int64."""
    arr = _to_numeric(value, name)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array with one entry per token, got shape {arr.shape}; "
                         f"build the token arrays with counts_to_tokens(X).")
    if arr.dtype.kind not in "iu" and not (arr.dtype.kind == "b" and arr.size == 0):
        if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise TypeError(f"{name} must hold integer indices, got dtype {arr.dtype}; pass an int array.")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} must have one entry per token ({n}, the length of doc), got {arr.shape[0]}; "
                         f"pass arrays built together by counts_to_tokens.")
    if arr.size and (arr.min() < 0 or (upper is not None and arr.max() >= upper)):
        bound = f"[0, {upper})" if upper is not None else ">= 0"
        raise ValueError(f"{name} must hold indices in {bound}{what}, got range [{arr.min()}, {arr.max()}].")
    return arr.astype(np.int64, copy=False)


def _check_count_matrix(value, name: str, shape: str, *, dtype=np.float64) -> np.ndarray:
    """A 2-D array of finite non-negative counts (integers in principle; the Gamma functions take any)."""
    arr = check_array(value, name, ndim=2, dtype=dtype)
    if arr.shape[1] == 0:
        raise ValueError(f"{name} must have shape {shape} with at least one column, got {arr.shape}.")
    if arr.min() < -1e-9:  # rounding of counts kept with their priors added (n + alpha - alpha) is tolerated
        raise ValueError(f"{name} must hold counts >= 0, got a minimum of {arr.min():.3g}; "
                         f"build it with topic_counts(doc, word, z, ...).")
    return np.maximum(arr, 0.0)


def _rows_with_counts(counts: np.ndarray, name: str, rows: str) -> np.ndarray:
    """The rows of a checked count matrix that hold a token: a Dirichlet concentration is estimated from them."""
    kept = counts[counts.sum(axis=1) > 0]
    if kept.shape[0] == 0:
        raise ValueError(f"{name} holds no counts (every row sums to 0); the concentration is estimated from "
                         f"{rows} with at least one token.")
    return kept


# --------------------------------------------------------------------------------------------
# Data: the token representation
# --------------------------------------------------------------------------------------------
def counts_to_tokens(X) -> tuple[np.ndarray, np.ndarray]:
    """Expand a document-term count matrix into one entry per token.

    Parameters
    ----------
    X : scipy.sparse matrix (CSR) of int, shape (D, V)

    Returns
    -------
    doc, word : int64 arrays of shape (N,)
        Document and word of every token, documents in order (N = X.sum()).

    Examples
    --------
    >>> doc, word = counts_to_tokens(sp.csr_matrix([[2, 0, 1], [0, 1, 0]]))
    >>> doc.tolist(), word.tolist()
    ([0, 0, 0, 1], [0, 0, 2, 1])
    """
    X = check_counts(X, "X", allow_empty_rows=True)  # CSR of int64
    rows = np.repeat(np.arange(X.shape[0], dtype=np.int64), np.diff(X.indptr))
    data = X.data.astype(np.int64)
    return np.repeat(rows, data), np.repeat(X.indices.astype(np.int64), data)


def topic_counts(doc, word, z, n_docs: int, n_words: int, n_topics: int):
    """Count matrices of an assignment: ``n_dk`` (D, K) and ``n_kw`` (K, V).

    Examples
    --------
    >>> n_dk, n_kw = topic_counts(np.array([0, 0, 1]), np.array([1, 0, 1]), np.array([1, 1, 0]), 2, 2, 2)
    >>> n_dk.tolist(), n_kw.tolist()
    ([[0, 2], [1, 0]], [[0, 1], [1, 1]])
    """
    n_docs = check_int(n_docs, "n_docs", minimum=1)
    n_words = check_int(n_words, "n_words", minimum=1)
    n_topics = check_int(n_topics, "n_topics", minimum=1)
    doc = _check_tokens("doc", doc, upper=n_docs, what=" (n_docs)")
    word = _check_tokens("word", word, doc.shape[0], upper=n_words, what=" (n_words)")
    z = _check_tokens("z", z, doc.shape[0], upper=n_topics, what=" (n_topics)")
    return _topic_counts(doc, word, z, n_docs, n_words, n_topics)


def _topic_counts(doc, word, z, n_docs: int, n_words: int, n_topics: int):
    """:func:`topic_counts` without the checks, for the samplers' own arrays."""
    n_dk = np.bincount(doc * n_topics + z, minlength=n_docs * n_topics).reshape(n_docs, n_topics)
    n_kw = np.bincount(z * n_words + word, minlength=n_topics * n_words).reshape(n_topics, n_words)
    return n_dk, n_kw


# --------------------------------------------------------------------------------------------
# The collapsed joint and conditional (the maths the tests check by brute force)
# --------------------------------------------------------------------------------------------
def collapsed_log_joint(n_dk, n_kw, alpha: float, beta: float) -> float:
    """log p(w, z | alpha, beta) with theta and phi integrated out, eq. (lda-collapsed-joint).

    Parameters
    ----------
    n_dk : array (D, K)
        Tokens of document d assigned to topic k.
    n_kw : array (K, V)
        Tokens of word w assigned to topic k.
    alpha : float > 0 or array (K,)
        Dirichlet concentration of theta (symmetric, or one value per topic).
    beta : float > 0
        Symmetric Dirichlet concentration of phi.

    Examples
    --------
    >>> # one token, one topic, two words: p(w) = 1/2 under a symmetric prior on phi
    >>> round(float(np.exp(collapsed_log_joint(np.array([[1]]), np.array([[1, 0]]), 0.5, 1.0))), 6)
    0.5
    """
    n_dk = _check_count_matrix(n_dk, "n_dk", "(n_documents, n_topics)")
    n_kw = _check_count_matrix(n_kw, "n_kw", "(n_topics, n_words)")
    K, V = n_kw.shape
    if n_dk.shape[1] != K:
        raise ValueError(f"n_dk has {n_dk.shape[1]} topics (columns) but n_kw has {K} (rows); pass the two count "
                         f"matrices of one assignment, as topic_counts returns them.")
    if not np.isclose(n_dk.sum(), n_kw.sum()):
        raise ValueError(f"n_dk counts {n_dk.sum():g} tokens but n_kw counts {n_kw.sum():g}; both must count the "
                         f"tokens of one assignment (topic_counts).")
    alpha = _check_concentration(alpha, "alpha", K)  # (K,)
    beta = check_float(beta, "beta", minimum=0.0, strict=True)
    # sum_d [log G(A) - log G(N_d + A) + sum_k (log G(n_dk + a_k) - log G(a_k))], A = sum_k a_k
    docs = dirichlet_multinomial_log_likelihood(n_dk, alpha)
    # sum_k [log G(V b) - log G(n_k + V b) + sum_w log G(n_kw + b) - V log G(b)]
    topics = dirichlet_multinomial_log_likelihood(n_kw, beta)
    return docs + topics


# --------------------------------------------------------------------------------------------
# Learning the priors: Minka's fixed point for Dirichlet-multinomial counts
# --------------------------------------------------------------------------------------------
def dirichlet_multinomial_log_likelihood(counts, concentration) -> float:
    """sum_d log p(n_d | a) of count vectors under Dirichlet-multinomial(a), without the
    multinomial coefficients (they do not depend on a): the sequence probability of the tokens.

        sum_d [log G(A) - log G(N_d + A) + sum_k (log G(n_dk + a_k) - log G(a_k))],  A = sum_k a_k.

    This is the document half of eq. (lda-collapsed-joint) with counts = n_dk and a = alpha, and
    the topic half with counts = n_kw and a = (beta, ..., beta).

    Parameters
    ----------
    counts : array (D, K)
    concentration : float or array (K,)

    Examples
    --------
    >>> # one token among two outcomes under a symmetric prior: probability 1/2
    >>> round(float(np.exp(dirichlet_multinomial_log_likelihood(np.array([[1, 0]]), 0.3))), 6)
    0.5
    """
    counts = _check_count_matrix(counts, "counts", "(n_draws, n_outcomes)")
    a = _check_concentration(concentration, "concentration", counts.shape[1])  # (K,)
    A = a.sum()
    return float(counts.shape[0] * (gammaln(A) - gammaln(a).sum()) - gammaln(counts.sum(axis=1) + A).sum()
                 + gammaln(counts + a).sum())


def minka_alpha_update(n_dk, alpha, *, n_iter: int = 200, tol: float = 1e-7) -> np.ndarray:
    """Asymmetric Dirichlet concentration maximising the likelihood of the counts ``n_dk``.

    Minka's (2000) fixed-point iteration for the Dirichlet-multinomial (his eq. 55; Wallach,
    2008, ch. 2)::

        alpha_k <- alpha_k * sum_d [psi(n_dk + alpha_k) - psi(alpha_k)]
                           / sum_d [psi(N_d + A) - psi(A)],          A = sum_k alpha_k,

    iterated from ``alpha`` until no alpha_k moves by more than ``tol`` relatively. Each step
    maximises a lower bound of the likelihood that touches it at the current alpha, so the
    likelihood (:func:`dirichlet_multinomial_log_likelihood`) never decreases.

    Parameters
    ----------
    n_dk : int array (D, K)
        Counts of D draws (documents' topic counts); rows with no counts carry no information.
    alpha : float or array (K,)
        Starting point.

    Returns
    -------
    ndarray (K,)

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> theta = rng.dirichlet([2.0, 0.5, 0.5], size=3000)
    >>> n_dk = np.array([rng.multinomial(30, t) for t in theta])
    >>> minka_alpha_update(n_dk, 1.0).round(1).tolist()
    [2.0, 0.5, 0.5]
    """
    n_dk = _check_count_matrix(n_dk, "n_dk", "(n_documents, n_topics)")
    alpha = _check_concentration(alpha, "alpha", n_dk.shape[1]).copy()  # (K,)
    n_iter = check_int(n_iter, "n_iter", minimum=1)
    tol = check_float(tol, "tol", minimum=0.0)
    n_dk = _rows_with_counts(n_dk, "n_dk", "documents")
    N_d = n_dk.sum(axis=1)  # (D,)
    for _ in range(n_iter):
        A = alpha.sum()
        denominator = (digamma(N_d + A) - digamma(A)).sum()
        numerator = (digamma(n_dk + alpha) - digamma(alpha)).sum(axis=0)  # (K,)
        new = np.maximum(alpha * numerator / denominator, _MIN_CONCENTRATION)
        converged = np.all(np.abs(new - alpha) <= tol * alpha)
        alpha = new
        if converged:
            break
    return alpha


def minka_beta_update(n_kw, beta: float, *, n_iter: int = 200, tol: float = 1e-7) -> float:
    """Symmetric Dirichlet concentration maximising the likelihood of the topic-word counts.

    Minka's fixed point with every component equal (Wallach, 2008)::

        beta <- beta * sum_{k,w} [psi(n_kw + beta) - psi(beta)]
                     / (V sum_k [psi(n_k + V beta) - psi(V beta)]).

    Parameters
    ----------
    n_kw : int array (K, V)
    beta : float
        Starting point.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> phi = rng.dirichlet(np.full(50, 0.1), size=2000)
    >>> n_kw = np.array([rng.multinomial(200, p) for p in phi])
    >>> round(minka_beta_update(n_kw, 1.0), 2)
    0.1
    """
    n_kw = _check_count_matrix(n_kw, "n_kw", "(n_topics, n_words)")
    beta = check_float(beta, "beta", minimum=0.0, strict=True)
    n_iter = check_int(n_iter, "n_iter", minimum=1)
    tol = check_float(tol, "tol", minimum=0.0)
    n_kw = _rows_with_counts(n_kw, "n_kw", "topics")
    V = n_kw.shape[1]
    n_k = n_kw.sum(axis=1)  # (K,)
    for _ in range(n_iter):
        numerator = (digamma(n_kw + beta) - digamma(beta)).sum()
        denominator = V * (digamma(n_k + V * beta) - digamma(V * beta)).sum()
        new = max(float(beta * numerator / denominator), _MIN_CONCENTRATION)
        converged = abs(new - beta) <= tol * beta
        beta = new
        if converged:
            break
    return beta


class _CollapsedLogJoint:
    """eq. (lda-collapsed-joint) for one corpus, with log G(n + a) tabulated over integer counts n.

    Equal to :func:`collapsed_log_joint` (the tests check it); table look-ups instead of
    ``gammaln`` calls keep the per-sweep record cheap.
    """

    def __init__(self, N_d, n_words: int, n_topics: int, alpha, beta: float):
        K, V, N = n_topics, n_words, int(N_d.sum())
        alpha = np.broadcast_to(np.asarray(alpha, dtype=float), (K,))  # (K,)
        A = alpha.sum()
        counts = np.arange(N + 1)
        self.table_alpha = gammaln(counts[: int(N_d.max()) + 1, None] + alpha)  # (max N_d + 1, K): log G(n + a_k)
        self.table_beta = gammaln(counts + beta)  # log G(n_kw + b)
        self.table_Vbeta = gammaln(counts + V * beta)  # log G(n_k + V b)
        self.topics = np.arange(K)
        self.constant = (len(N_d) * (gammaln(A) - gammaln(alpha).sum()) - gammaln(N_d + A).sum()
                         + K * (gammaln(V * beta) - V * gammaln(beta)))

    def __call__(self, n_dk, n_kw) -> float:
        return float(self.constant + self.table_alpha[n_dk, self.topics].sum() + self.table_beta[n_kw].sum()
                     - self.table_Vbeta[n_kw.sum(axis=1)].sum())


def collapsed_conditional(i: int, doc, word, z, n_topics: int, n_words: int, alpha: float,
                          beta: float) -> np.ndarray:
    """p(z_i = k | z_-i, w) for one token ``i``, eq. (lda-conditional); shape (K,).

    Computed from scratch (counts without token ``i``), for tests and teaching; the samplers
    keep the counts up to date instead of recounting.

    Examples
    --------
    >>> # one document "w0 w1" with z = (0, 1): without token 0, topic 1 already holds a word
    >>> # of the document, so p(z_0 = k) ∝ (0 + 1)(0 + 1)/(0 + 2), (1 + 1)(0 + 1)/(1 + 2)
    >>> p = collapsed_conditional(0, np.array([0, 0]), np.array([0, 1]), np.array([0, 1]), 2, 2, 1.0, 1.0)
    >>> p.round(3).tolist()
    [0.429, 0.571]
    """
    n_topics = check_int(n_topics, "n_topics", minimum=1)
    n_words = check_int(n_words, "n_words", minimum=1)
    doc = _check_tokens("doc", doc)
    word = _check_tokens("word", word, doc.shape[0], upper=n_words, what=" (n_words)")
    z = _check_tokens("z", z, doc.shape[0], upper=n_topics, what=" (n_topics)")
    i = check_int(i, "i", minimum=0, maximum=doc.shape[0] - 1)
    alpha = _check_concentration(alpha, "alpha", n_topics)  # (K,)
    beta = check_float(beta, "beta", minimum=0.0, strict=True)
    keep = np.arange(z.size) != i  # counts without token i: n^-i
    d, w = doc[i], word[i]
    n_dk = np.bincount(z[keep & (doc == d)], minlength=n_topics)  # (K,)
    n_kw = np.bincount(z[keep & (word == w)], minlength=n_topics)  # (K,)
    n_k = np.bincount(z[keep], minlength=n_topics)  # (K,)
    p = (n_dk + alpha) * (n_kw + beta) / (n_k + n_words * beta)
    return p / p.sum()


def _draw_categorical_columns(p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One inverse-CDF draw per column of unnormalised probabilities ``p`` (K, N); ``p`` is overwritten.

    A column whose weights are all zero (underflow) gets a uniform draw.
    """
    K, N = p.shape
    for k in range(1, K):  # running sums: p[k] becomes the CDF up to k
        np.add(p[k - 1], p[k], out=p[k])
    x = rng.random(N, dtype=p.dtype) * p[-1]  # (N,) uniform on [0, total)
    z = (p[:-1] <= x).sum(axis=0, dtype=np.int64)  # first k with cdf_k > x
    dead = p[-1] <= 0
    if dead.any():
        z[dead] = rng.integers(K, size=int(dead.sum()))
    return z


def sample_dirichlet(concentration, rng=None) -> np.ndarray:
    """One Dirichlet draw per row of ``concentration`` (..., K), via normalised Gamma variables.

    Examples
    --------
    >>> theta = sample_dirichlet(np.full((3, 4), 0.5), np.random.default_rng(0))
    >>> theta.shape, bool(np.allclose(theta.sum(axis=1), 1.0))
    ((3, 4), True)
    """
    concentration = check_array(concentration, "concentration", ndim=None)
    if concentration.size == 0 or concentration.min() <= 0:
        raise ValueError(f"concentration must hold positive numbers (one Dirichlet per row), got "
                         f"{'an empty array' if concentration.size == 0 else f'a minimum of {concentration.min():.3g}'}.")
    return _sample_dirichlet(concentration, check_random_state(rng, "rng"))


def _sample_dirichlet(concentration: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """:func:`sample_dirichlet` without the checks, for the samplers' own arrays."""
    g = np.maximum(rng.standard_gamma(concentration), _TINY)
    return g / g.sum(axis=-1, keepdims=True)


# --------------------------------------------------------------------------------------------
# The two samplers: one sweep each
# --------------------------------------------------------------------------------------------
def collapsed_gibbs_sweep(doc, word, z, doc_topic, word_topic, topic_total, u, *, compiled: bool = True) -> None:
    """One sweep of the sequential collapsed Gibbs sampler (Griffiths & Steyvers, 2004).

    Visits the tokens in order and resamples each from eq. (lda-conditional) given all the
    others. ``z`` and the three count arrays are updated in place. The loop is
    :func:`_collapsed_sweep_loop`, written for reading; by default it runs compiled to machine
    code by numba (:func:`_compiled_sweep`, tens of millions of token updates per second), and
    as Python where numba does not import. Both do the same floating-point operations in the
    same order, so they give the same assignments for the same ``u``.

    Parameters
    ----------
    doc, word : int arrays (N,)
        Document and word of every token.
    z : int64 ndarray (N,)
        Current topic of every token (updated in place).
    doc_topic : float64 ndarray (D, K)
        n_dk + alpha_k for the assignment ``z`` (updated in place).
    word_topic : float64 ndarray (V, K)
        n_kw + beta, stored word-major (transposed) so the row of one word is contiguous
        (updated in place).
    topic_total : float64 ndarray (K,)
        n_k + V beta (updated in place).
    u : float array (N,)
        One uniform draw on [0, 1) per token: token i takes the first topic whose cumulative
        weight exceeds ``u[i]`` times the total (inverse-CDF sampling).
    compiled : bool
        Run the loop compiled by numba (default) or as Python (the same function).

    Notes
    -----
    The counts are kept with their priors already added, as floats, so the conditional is
    one multiply and one divide per topic; adding and removing 1 is exact (integers plus a
    fixed prior, far below 2**53). The arguments are checked first (the counts must hold those
    of ``z`` plus a positive remainder), so a refused call changes nothing.

    Examples
    --------
    >>> doc, word, z = np.array([0, 0]), np.array([0, 1]), np.array([0, 1])
    >>> doc_topic = np.array([[1.5, 1.5]])  # n_dk + alpha, alpha = 0.5
    >>> word_topic = np.array([[1.5, 0.5], [0.5, 1.5]])  # (V, K): n_kw + beta, beta = 0.5
    >>> topic_total = np.array([2.0, 2.0])  # n_k + V beta
    >>> collapsed_gibbs_sweep(doc, word, z, doc_topic, word_topic, topic_total, np.array([0.9, 0.1]))
    >>> z.tolist(), doc_topic.tolist()
    ([1, 0], [[1.5, 1.5]])
    """
    compiled = check_bool(compiled, "compiled")
    for name, value, ndim in (("doc_topic", doc_topic, 2), ("word_topic", word_topic, 2),
                              ("topic_total", topic_total, 1), ("z", z, 1)):
        if not (isinstance(value, np.ndarray) and value.ndim == ndim and value.flags.writeable):
            raise TypeError(f"{name} must be a writable {ndim}-D numpy array (the sweep updates it "
                            f"in place), got {type(value).__name__}"
                            f"{f' of shape {value.shape}' if isinstance(value, np.ndarray) else ''}; "
                            f"pass a numpy array of the counts.")
    if z.dtype != np.int64:
        raise TypeError(f"z must be an int64 array (updated in place), got dtype {z.dtype}; pass z.astype(np.int64).")
    for name, value in (("doc_topic", doc_topic), ("word_topic", word_topic), ("topic_total", topic_total)):
        if value.dtype != np.float64:
            raise TypeError(f"{name} must be a float64 array (counts plus priors), got dtype {value.dtype}; "
                            f"pass {name}.astype(np.float64).")
    (D, K), V = doc_topic.shape, word_topic.shape[0]
    if word_topic.shape[1] != K or topic_total.shape[0] != K:
        raise ValueError(f"doc_topic (D, K), word_topic (V, K) and topic_total (K,) must agree on K, got shapes "
                         f"{doc_topic.shape}, {word_topic.shape} and {topic_total.shape}.")
    doc = _check_tokens("doc", doc, upper=D, what=" (rows of doc_topic)")
    word = _check_tokens("word", word, doc.shape[0], upper=V, what=" (rows of word_topic)")
    _check_tokens("z", z, doc.shape[0], upper=K, what=" (columns of doc_topic)")
    u = check_array(u, "u", ndim=1, min_samples=0)
    if u.shape[0] != doc.shape[0] or (u.size and (u.min() < 0 or u.max() >= 1)):
        raise ValueError(f"u must hold one uniform number in [0, 1) per token ({doc.shape[0]}), got "
                         f"{u.shape[0]} in [{u.min() if u.size else 0:.3g}, {u.max() if u.size else 0:.3g}]; "
                         f"pass rng.random(len(doc)).")
    # the counts must hold at least the tokens of z, plus a positive remainder (the priors, and the counts of
    # tokens not passed, as when a corpus is swept in parts): then every weight of the conditional is positive
    n_dk, n_kw = _topic_counts(doc, word, z, D, V, K)
    rest = (doc_topic - n_dk, word_topic - n_kw.T, topic_total - n_kw.sum(axis=1))
    if not all(np.all(np.isfinite(r)) and (r.size == 0 or r.min() > 0) for r in rest):
        raise ValueError("doc_topic, word_topic and topic_total must hold the counts of z plus a positive "
                         "remainder (n_dk + alpha_k, n_kw + beta, n_k + V beta); build them from "
                         "topic_counts(doc, word, z, ...) and the priors.")
    sweep = _compiled_sweep() if compiled else _collapsed_sweep_loop
    sweep(doc, word, z, doc_topic, word_topic, topic_total, u)


def _collapsed_sweep_loop(doc, word, z, doc_topic, word_topic, topic_total, u) -> None:
    """The loop of :func:`collapsed_gibbs_sweep` (same arguments, no checks); numba compiles this function."""
    K = topic_total.shape[0]
    cdf = np.empty(K)  # running sums of the conditional's weights
    for i in range(z.shape[0]):
        d, w, k = doc[i], word[i], z[i]
        # remove token i from the counts: n^-i
        doc_topic[d, k] -= 1.0
        word_topic[w, k] -= 1.0
        topic_total[k] -= 1.0
        # eq. (lda-conditional): p(z_i = k | z_-i, w) ∝ (n_dk + alpha_k)(n_kw + beta)/(n_k + V beta)
        total = 0.0
        for j in range(K):
            total += doc_topic[d, j] * word_topic[w, j] / topic_total[j]
            cdf[j] = total
        # the first topic whose cumulative weight exceeds u_i * total
        x = u[i] * total
        k = 0
        while k < K - 1 and cdf[k] <= x:
            k += 1
        # put token i back with its new topic
        doc_topic[d, k] += 1.0
        word_topic[w, k] += 1.0
        topic_total[k] += 1.0
        z[i] = k


@functools.cache
def _compiled_sweep():
    """:func:`_collapsed_sweep_loop` compiled by numba, or the function itself without numba.

    Compiled on the first call of a process (about a fifth of a second; cached on disk by numba
    where the package's folder, or the user's cache folder, is writable, and otherwise compiled
    again in each process). Where numba does not import (not installed, or a NumPy newer than
    it supports), the same function runs as Python, some hundred times slower.

    Examples
    --------
    >>> sweep = _compiled_sweep()
    >>> sweep is _collapsed_sweep_loop or sweep.py_func is _collapsed_sweep_loop
    True
    """
    try:
        import numba
    except Exception:  # noqa: BLE001  (ImportError, or numba refusing this NumPy)
        return _collapsed_sweep_loop
    try:
        return numba.njit(cache=True)(_collapsed_sweep_loop)
    except RuntimeError:  # no writable cache folder: compile in every process instead
        return numba.njit(_collapsed_sweep_loop)


def _collapsed_sweep_counts(doc, word, z, n_dk, n_kw, alpha, beta: float, rng: np.random.Generator,
                            sweep=None):
    """One :func:`collapsed_gibbs_sweep` from integer counts; returns the new ``n_dk, n_kw, z``."""
    sweep = _compiled_sweep() if sweep is None else sweep
    V = n_kw.shape[1]
    doc_topic = n_dk + alpha  # (D, K), counts with priors added, see collapsed_gibbs_sweep
    word_topic = np.ascontiguousarray(n_kw.T) + beta  # (V, K), word-major
    topic_total = n_kw.sum(axis=1) + V * beta  # (K,)
    z = z.copy()
    sweep(doc, word, z, doc_topic, word_topic, topic_total, rng.random(z.shape[0]))
    return np.rint(doc_topic - alpha).astype(np.int64), np.rint(word_topic.T - beta).astype(np.int64), z


def blocked_gibbs_sweep(doc, word, n_dk, n_kw, alpha: float, beta: float, rng=None):
    """One sweep of the uncollapsed blocked Gibbs sampler; returns the new ``z`` (N,).

    Block 1, given z: theta_d ~ Dirichlet(alpha + n_d.)   eq. (lda-theta-post)
                      phi_k   ~ Dirichlet(beta + n_k.)    eq. (lda-theta-post)
    Block 2, given theta, phi, every token at once:
                      p(z_i = k | theta, phi, w) ∝ theta_{d_i k} phi_{k w_i}   eq. (lda-z-post)

    Each block is drawn from its exact conditional under eq. (lda-joint), so this is a valid
    Gibbs sampler of the full posterior p(theta, phi, z | w) (no approximation); it mixes
    more slowly per sweep than the collapsed sampler but vectorises over all tokens.

    Parameters
    ----------
    doc, word : int arrays (N,)
    n_dk : int array (D, K), n_kw : int array (K, V)
        Counts of the current assignment (:func:`topic_counts`).
    alpha : float or array (K,), beta : float
    rng : None, int or numpy.random.Generator
        A Generator is drawn from (and advances); ``None`` follows the global generators.

    Notes
    -----
    The products theta_dk phi_kw are formed in single precision, which halves the memory
    traffic of this, the costly step; the Dirichlet draws are in double precision.

    Examples
    --------
    >>> doc, word = np.array([0, 0, 1]), np.array([0, 1, 1])
    >>> z = blocked_gibbs_sweep(doc, word, np.array([[2, 0], [0, 1]]), np.array([[1, 0], [0, 2]]), 0.5, 0.1,
    ...                         np.random.default_rng(0))
    >>> z.shape, bool(np.all((z >= 0) & (z < 2)))
    ((3,), True)
    """
    n_dk = _check_count_matrix(n_dk, "n_dk", "(n_documents, n_topics)")
    n_kw = _check_count_matrix(n_kw, "n_kw", "(n_topics, n_words)")
    (D, K), V = n_dk.shape, n_kw.shape[1]
    if n_kw.shape[0] != K:
        raise ValueError(f"n_dk has {K} topics (columns) but n_kw has {n_kw.shape[0]} (rows); pass the two count "
                         f"matrices of one assignment, as topic_counts returns them.")
    doc = _check_tokens("doc", doc, upper=D, what=" (rows of n_dk)")
    word = _check_tokens("word", word, doc.shape[0], upper=V, what=" (columns of n_kw)")
    alpha = _check_concentration(alpha, "alpha", K)
    beta = check_float(beta, "beta", minimum=0.0, strict=True)
    return _blocked_sweep(doc, word, n_dk, n_kw, alpha, beta, check_random_state(rng, "rng"))


def _blocked_sweep(doc, word, n_dk, n_kw, alpha, beta: float, rng: np.random.Generator) -> np.ndarray:
    """:func:`blocked_gibbs_sweep` without the checks, for the sampler's own arrays."""
    theta = _sample_dirichlet(n_dk + alpha, rng)  # (D, K)
    phi = _sample_dirichlet(n_kw + beta, rng)  # (K, V)
    # (K, N) layout: each topic's row is contiguous over tokens, so the CDF is K vector adds
    p = np.ascontiguousarray(theta.T, dtype=np.float32)[:, doc]  # (K, N) theta_{d_i k}
    p *= phi.astype(np.float32)[:, word]  # eq. (lda-z-post) unnormalised
    return _draw_categorical_columns(p, rng)


def sample_theta_given_topics(X, topic_word, alpha: float, *, n_iter: int = 60, burn_in: int | None = None,
                              random_state=None) -> np.ndarray:
    """Posterior-mean topic proportions of documents with the topics held fixed.

    Runs a blocked Gibbs chain on p(theta, z | w, phi): theta_d ~ Dirichlet(alpha + n_d.) and
    p(z_i = k) ∝ theta_dk phi_{k w_i}. Documents are independent given phi, so all are
    sampled at once. The estimate averages the Rao-Blackwellised posterior mean
    (n_dk + alpha) / (N_d + K alpha) over the sweeps after ``burn_in`` (default: half).

    Parameters
    ----------
    X : count matrix (D, V), dense or sparse; empty rows get the prior mean 1/K.
    topic_word : array (K, V)
        Row-stochastic topic-word matrix phi (e.g. a fitted model's ``components_``).
    alpha : float > 0 or array (K,)
    n_iter, burn_in : int
    random_state : None, int or Generator

    Returns
    -------
    ndarray (D, K)

    Examples
    --------
    >>> phi = np.array([[0.9, 0.1], [0.1, 0.9]])
    >>> theta = sample_theta_given_topics(np.array([[20, 0], [0, 20]]), phi, 0.1, random_state=0)
    >>> theta.argmax(axis=1).tolist()
    [0, 1]
    """
    X = check_counts(X, "X", allow_empty_rows=True)
    phi = _check_topic_word(topic_word, X.shape[1])
    K = phi.shape[0]
    alpha = _check_concentration(alpha, "alpha", K)  # (K,)
    n_iter = check_int(n_iter, "n_iter", minimum=1)
    burn_in = n_iter // 2 if burn_in is None else check_int(burn_in, "burn_in", minimum=0, maximum=n_iter - 1)
    rng = check_random_state(random_state)
    D = X.shape[0]
    doc, word = counts_to_tokens(X)
    N_d = np.asarray(X.sum(axis=1)).ravel()
    theta = np.full((D, K), 1.0 / K)
    phi_w = phi.astype(np.float32)[:, word]  # (K, N): phi_{k w_i}, fixed for the whole chain
    estimate = np.zeros((D, K))
    for sweep in range(n_iter):
        p = np.ascontiguousarray(theta.T, dtype=np.float32)[:, doc]  # (K, N)
        p *= phi_w
        z = _draw_categorical_columns(p, rng)  # eq. (lda-z-post)
        n_dk = np.bincount(doc * K + z, minlength=D * K).reshape(D, K)
        theta = _sample_dirichlet(n_dk + alpha, rng)  # eq. (lda-theta-post)
        if sweep >= burn_in:
            estimate += (n_dk + alpha) / (N_d[:, None] + alpha.sum())
    return estimate / (n_iter - burn_in)


def _split_halves(X, rng: np.random.Generator):
    """Split every document's tokens at random into an observed and a held-out half (CSR, CSR)."""
    doc, word = counts_to_tokens(X)
    keys = rng.random(doc.shape[0])
    order = np.lexsort((keys, doc))  # tokens of each document in random order
    doc, word = doc[order], word[order]
    N_d = np.bincount(doc, minlength=X.shape[0])
    start = np.concatenate([[0], np.cumsum(N_d)[:-1]])
    rank = np.arange(doc.shape[0]) - start[doc]  # position within its document
    observed = rank < (N_d[doc] // 2)  # floor(N_d / 2) observed, the rest (>= 1) held out
    shape = X.shape

    def csr(mask):
        return sp.csr_matrix((np.ones(int(mask.sum()), dtype=np.int64), (doc[mask], word[mask])), shape=shape)

    return csr(observed), csr(~observed)


def document_completion_perplexity(X, topic_word, alpha: float, *, n_iter: int = 60, burn_in: int | None = None,
                                   random_state=None) -> float:
    """Held-out perplexity by document completion (Wallach et al., 2009), eq. (lda-perplexity).

    Each document's tokens are split at random into two halves. The first half estimates
    the document's topic proportions theta_d with the topics fixed
    (:func:`sample_theta_given_topics`); the second half is scored::

        perplexity = exp( - sum_{held-out i} log sum_k theta_dk phi_{k w_i} / N_held-out ).

    Lower is better; a model that knew nothing (uniform over V words) scores V.

    Parameters
    ----------
    X : count matrix (D, V), documents not seen in training; every document needs >= 1 word.
    topic_word : array (K, V)
        Topic-word distributions; rows are normalised here, so scikit-learn's unnormalised
        ``components_`` can be passed as they are.
    alpha : float > 0 or array (K,)
        Dirichlet concentration of theta used to estimate the proportions.
    n_iter, burn_in : int
        Sweeps of the theta chain, and how many are discarded.
    random_state : None, int or Generator
        Seeds the split and the chain.

    Examples
    --------
    >>> bars = make_bars(50, random_state=0)
    >>> ppl = document_completion_perplexity(bars["counts"], bars["topics"], 1.0, random_state=0)
    >>> 5 < ppl < 25  # between a single bar (5 pixels) and the whole grid (25)
    True
    """
    X = check_counts(X, "X")
    phi = _check_topic_word(topic_word, X.shape[1])
    rng = check_random_state(random_state)
    observed, held_out = _split_halves(X, rng)
    theta = sample_theta_given_topics(observed, phi, alpha, n_iter=n_iter, burn_in=burn_in, random_state=rng)
    doc, word = counts_to_tokens(held_out)
    # log p(w_i | theta_d, phi) = log sum_k theta_dk phi_{k w_i}; probabilities are floored, never 0
    log_p = np.log(np.einsum("nk,nk->n", theta[doc], phi.T[word]))
    return float(np.exp(-log_p.sum() / doc.shape[0]))


def _check_topic_word(topic_word, n_words: int) -> np.ndarray:
    phi = check_array(topic_word, "topic_word", ndim=2)
    if phi.shape[1] != n_words:
        raise ValueError(
            f"topic_word must have shape (n_topics, {n_words}) to match X's vocabulary, got {phi.shape}."
        )
    if not np.all(np.isfinite(phi)) or phi.min() < 0 or np.any(phi.sum(axis=1) <= 0):
        raise ValueError("topic_word must hold finite non-negative weights with a positive sum in every row.")
    phi = np.maximum(phi / phi.sum(axis=1, keepdims=True), _TINY)
    return phi / phi.sum(axis=1, keepdims=True)


def sample_documents(theta, phi, lengths, rng=None):
    """Run the generative story given theta (n, K) and phi (K, V); return counts (n, V) and n_dk (n, K).

    The topic counts of a document are Multinomial(N_d, theta_d) (z_dn ~ Categorical(theta_d)
    drawn N_d times), and the words of topic k in it are Multinomial(n_dk, phi_k)
    (w_dn ~ Categorical(phi_{z_dn})): the same story, counted instead of listed.

    Examples
    --------
    >>> counts, n_dk = sample_documents(np.array([[1.0, 0.0]]), np.array([[0.5, 0.5], [0.0, 1.0]]), [6],
    ...                                 np.random.default_rng(0))
    >>> int(counts.sum()), n_dk.tolist()
    (6, [[6, 0]])
    """
    theta = check_stochastic(theta, "theta", atol=1e-6)
    phi = check_stochastic(phi, "phi", atol=1e-6)
    if phi.shape[0] != theta.shape[1]:
        raise ValueError(f"theta has {theta.shape[1]} topics (columns) but phi has {phi.shape[0]} (rows); "
                         f"pass proportions and topics of the same K.")
    lengths = check_array(lengths, "lengths", ndim=1)
    if lengths.shape[0] != theta.shape[0] or lengths.min() < 0 or np.any(lengths != np.round(lengths)):
        raise ValueError(f"lengths must hold one non-negative integer per document ({theta.shape[0]}, the rows of "
                         f"theta), got {lengths.shape[0]} values in [{lengths.min():.3g}, {lengths.max():.3g}].")
    lengths = lengths.astype(np.int64)
    rng = check_random_state(rng, "rng")
    n_dk = rng.multinomial(lengths, theta)  # (n, K)
    counts = np.zeros((theta.shape[0], phi.shape[1]), dtype=np.int64)
    for k in range(phi.shape[0]):
        counts += rng.multinomial(n_dk[:, k], phi[k])  # (n, V)
    return counts, n_dk


# --------------------------------------------------------------------------------------------
# The estimator
# --------------------------------------------------------------------------------------------
# Where learned priors start. alpha_k = 1 (flat proportions) lets the first sweeps spread
# tokens over all topics before the updates make documents sparse; with alpha_k = 0.1 chains on
# the bars more often stay in a mode with two bars merged (mean L1 recovery error 0.19 against
# 0.13 over 9 corpora of benchmarks/lda.py's kind). beta = 0.1 as MALLET's order of magnitude.
_ALPHA_START, _BETA_START = 1.0, 0.1


class LatentDirichletAllocation(BaseEstimator):
    """Latent Dirichlet allocation fitted by Gibbs sampling, its priors learned by default.

    Parameters
    ----------
    n_components : int
        Number of topics K.
    alpha : float > 0, array of K floats > 0, or None
        Dirichlet prior on each document's topic proportions theta_d. ``None`` (default):
        learned, one value per topic (asymmetric), by Minka's fixed point every
        ``optimize_every`` sweeps (:func:`minka_alpha_update`), as MALLET does. A value fixes it.
        Small values make documents use few topics.
    beta : float > 0 or None
        Symmetric Dirichlet prior on each topic's word distribution phi_k. ``None`` (default):
        learned (:func:`minka_beta_update`); a value fixes it.
    method : {"collapsed", "blocked"}
        ``"collapsed"`` (default): the exact sequential collapsed Gibbs sampler of Griffiths &
        Steyvers (:func:`collapsed_gibbs_sweep`), compiled by numba (tens of millions of token
        updates per second; benchmarks/lda.py). Without numba it runs as Python, some hundred
        times slower, and ``fit`` warns: install numba, or choose ``"blocked"``.
        ``"blocked"``: the uncollapsed blocked Gibbs sampler, also exact, vectorised with NumPy
        over all tokens (a few million token updates per second); it needs more sweeps.
    n_iter : int
        Gibbs sweeps in total (per chain).
    burn_in : int, optional
        Sweeps discarded before the estimates start averaging; default ``n_iter // 2``.
        Must be smaller than ``n_iter``.
    optimize_every : int
        Sweeps between two updates of the learned priors (Wallach et al. and MALLET: 10).
    n_init : int
        Independent chains from different random starts; the one with the highest mean log
        joint log p(w, z | alpha, beta) over its kept sweeps is kept (as GMM's ``n_init``).
    n_transform_iter : int
        Sweeps of the chain that estimates theta for new documents (``transform``,
        ``perplexity``); the first half is burn-in.
    evaluate_every : int
        With ``fit(X, X_valid=...)``, record the held-out perplexity every this many sweeps.
    random_state : None, int or numpy.random.Generator
        Seeds the chain; the same seed gives the same fit, the same ``transform`` and the
        same draws from ``sample(n, random_state=...)``.
    verbose : bool
        Show a progress bar over sweeps.

    Attributes
    ----------
    components_ : ndarray (K, V)
        Topic-word distributions phi: the posterior mean (n_kw + beta) / (n_k + V beta)
        averaged over the sweeps after burn-in. Rows sum to one.
    doc_topic_ : ndarray (D, K)
        Topic proportions theta of the training documents, estimated the same way.
    alpha_ : ndarray (K,)
        The prior on theta at the end of the chain: learned, or ``alpha`` repeated K times.
    beta_ : float
        The prior on phi at the end of the chain: learned, or ``beta``.
    topic_word_counts_ : ndarray (K, V)
        n_kw of the last sample.
    assignments_ : ndarray (N,)
        Topic of every training token in the last sample (tokens in document order, as
        :func:`counts_to_tokens` lists them).
    mean_doc_length_ : float
        Mean number of words of the training documents (``sample``'s default length).
    n_features_in_ : int
        Vocabulary size V.
    n_iter_ : int
        Sweeps run by the kept chain.
    log_joints_ : list of float
        Mean log joint over the kept sweeps of every chain (``n_init`` of them).
    history_ : dict of lists
        Of the kept chain: ``log_joint``: log p(w, z | alpha, beta) (eq. lda-collapsed-joint)
        after every sweep, with the priors of that sweep; ``alpha`` (one (K,) array per sweep)
        and ``beta``: the priors after every sweep; ``seconds``: wall-clock time since the start
        of the chain after every sweep; with ``X_valid``: ``perplexity`` and the
        ``perplexity_sweep`` it was measured at.

    Examples
    --------
    >>> from genlib.datasets import make_bars
    >>> bars = make_bars(200, random_state=0)
    >>> lda = LatentDirichletAllocation(10, random_state=0).fit(bars["counts"])
    >>> lda.components_.shape, lda.alpha_.shape
    ((10, 25), (10,))
    >>> lda.sample(3).shape
    (3, 25)
    """

    def __init__(self, n_components: int = 10, *, alpha=None, beta: float | None = None,
                 method: str = "collapsed", n_iter: int = 200, burn_in: int | None = None, optimize_every: int = 10,
                 n_init: int = 1, n_transform_iter: int = 60, evaluate_every: int = 10, random_state=None,
                 verbose: bool = False):
        self.n_components = n_components
        self.alpha = alpha
        self.beta = beta
        self.method = method
        self.n_iter = n_iter
        self.burn_in = burn_in
        self.optimize_every = optimize_every
        self.n_init = n_init
        self.n_transform_iter = n_transform_iter
        self.evaluate_every = evaluate_every
        self.random_state = random_state
        self.verbose = verbose

    # ---------------------------------------------------------------- checks
    def _check_params(self):
        K = check_int(self.n_components, "n_components", minimum=1)
        alpha = _check_concentration(_ALPHA_START if self.alpha is None else self.alpha, "alpha", K)  # (K,)
        beta = _BETA_START if self.beta is None else check_float(self.beta, "beta", minimum=0.0, strict=True)
        check_option(self.method, "method", ("collapsed", "blocked"))
        n_iter = check_int(self.n_iter, "n_iter", minimum=1)
        if self.burn_in is None:
            burn_in = n_iter // 2
        else:
            burn_in = check_int(self.burn_in, "burn_in", minimum=0)
            if burn_in >= n_iter:
                raise ValueError(
                    f"burn_in must be smaller than n_iter so some sweeps are kept, got burn_in={burn_in} "
                    f"and n_iter={n_iter}; lower burn_in or raise n_iter."
                )
        check_int(self.optimize_every, "optimize_every", minimum=1)
        check_int(self.n_init, "n_init", minimum=1)
        check_int(self.n_transform_iter, "n_transform_iter", minimum=2)
        check_int(self.evaluate_every, "evaluate_every", minimum=1)
        check_verbose(self.verbose)
        return K, alpha, beta, n_iter, burn_in

    # ---------------------------------------------------------------- fit
    @atomic_fit  # a fit that raises leaves a fitted model as it was
    def fit(self, X, y=None, *, X_valid=None):
        """Run ``n_init`` Gibbs chains on the document-term counts ``X``; keep the best.

        Parameters
        ----------
        X : array-like or scipy.sparse matrix of shape (n_documents, n_words)
            Word counts: non-negative integers, every document with at least one word.
        y : ignored
        X_valid : count matrix, optional
            Held-out documents whose perplexity is recorded every ``evaluate_every`` sweeps
            in ``history_["perplexity"]`` (using the current sample's topics).

        Returns
        -------
        self
        """
        K, alpha, beta, n_iter, burn_in = self._check_params()
        X = check_counts(X, "X")
        if X_valid is not None:
            X_valid = check_counts(X_valid, "X_valid")
            check_n_features(X_valid, X.shape[1], "X_valid")
        rng = check_random_state(self.random_state)
        if self.method == "collapsed" and _compiled_sweep() is _collapsed_sweep_loop:
            warnings.warn("numba is not available (not installed, or it does not support this NumPy): the "
                          "collapsed Gibbs sampler runs as Python, about a hundred times slower. Install numba "
                          "(pip install numba) or pass method='blocked'.", RuntimeWarning, stacklevel=2)
        doc, word = counts_to_tokens(X)  # (N,), (N,)
        best, log_joints = None, []
        for _ in range(self.n_init):
            chain = self._run_chain(doc, word, X.shape, K, alpha, beta, n_iter, burn_in, rng, X_valid)
            log_joints.append(chain["score"])
            if best is None or chain["score"] > best["score"]:
                best = chain
        for name in ("components_", "doc_topic_", "topic_word_counts_", "assignments_", "alpha_", "beta_",
                     "history_"):
            setattr(self, name, best[name])
        self.log_joints_ = log_joints
        self.mean_doc_length_ = float(doc.shape[0] / X.shape[0])
        self.n_features_in_ = X.shape[1]
        self.n_iter_ = n_iter
        self._rng = rng
        # transform/perplexity are deterministic for a fitted model: their chains start from this seed
        self._eval_seed = int(rng.integers(2**63))
        return self

    def _run_chain(self, doc, word, shape, K, alpha, beta, n_iter, burn_in, rng, X_valid) -> dict:
        """One Gibbs chain from a random assignment: the estimates, the last sample, the history."""
        D, V = shape
        learn_alpha, learn_beta = self.alpha is None, self.beta is None
        z = rng.integers(K, size=doc.shape[0])  # random initial assignment
        n_dk, n_kw = _topic_counts(doc, word, z, D, V, K)  # (D, K), (K, V)
        N_d = n_dk.sum(axis=1)
        log_joint = _CollapsedLogJoint(N_d, V, K, alpha, beta)
        phi_sum = np.zeros((K, V))
        theta_sum = np.zeros((D, K))
        history = {"log_joint": [], "alpha": [], "beta": [], "seconds": []}
        if X_valid is not None:
            history["perplexity"], history["perplexity_sweep"] = [], []
            valid_seed = int(rng.integers(2**63))
        sweeps = range(n_iter)
        if self.verbose:
            from tqdm import tqdm

            sweeps = tqdm(sweeps, desc=f"LDA ({self.method})")
        start, eval_seconds = time.perf_counter(), 0.0
        for sweep in sweeps:
            if self.method == "collapsed":
                n_dk, n_kw, z = _collapsed_sweep_counts(doc, word, z, n_dk, n_kw, alpha, beta, rng)
            else:
                z = _blocked_sweep(doc, word, n_dk, n_kw, alpha, beta, rng)
                n_dk, n_kw = _topic_counts(doc, word, z, D, V, K)
            if (learn_alpha or learn_beta) and (sweep + 1) % self.optimize_every == 0:
                # the priors that maximise p(z | alpha, beta) for this sample (Minka 2000, eq. 55)
                alpha = minka_alpha_update(n_dk, alpha) if learn_alpha else alpha
                beta = minka_beta_update(n_kw, beta) if learn_beta else beta
                log_joint = _CollapsedLogJoint(N_d, V, K, alpha, beta)
            # E[phi_k | z, w] = (n_kw + beta) / (n_k + V beta); E[theta_d | z] likewise
            phi_hat = (n_kw + beta) / (n_kw.sum(axis=1, keepdims=True) + V * beta)  # (K, V)
            if sweep >= burn_in:
                phi_sum += phi_hat
                theta_sum += (n_dk + alpha) / (N_d[:, None] + alpha.sum())
            history["log_joint"].append(log_joint(n_dk, n_kw))
            history["alpha"].append(alpha)
            history["beta"].append(beta)
            history["seconds"].append(time.perf_counter() - start - eval_seconds)
            if X_valid is not None and ((sweep + 1) % self.evaluate_every == 0 or sweep + 1 == n_iter):
                t0 = time.perf_counter()
                history["perplexity"].append(document_completion_perplexity(
                    X_valid, phi_hat, alpha, n_iter=self.n_transform_iter, random_state=valid_seed))
                history["perplexity_sweep"].append(sweep + 1)
                eval_seconds += time.perf_counter() - t0
        kept = n_iter - burn_in
        return {"components_": phi_sum / kept, "doc_topic_": theta_sum / kept, "topic_word_counts_": n_kw,
                "assignments_": z, "alpha_": alpha, "beta_": beta, "history_": history,
                "score": float(np.mean(history["log_joint"][burn_in:]))}

    # ---------------------------------------------------------------- inference on new documents
    def transform(self, X, *, random_state=None):
        """Topic proportions theta of documents, sampled with the fitted topics held fixed.

        Parameters
        ----------
        X : count matrix (n_documents, n_words); empty documents get the prior mean 1/K.
        random_state : None, int or Generator, optional
            Seed of the theta chain; by default one fixed per fitted model, so repeated
            calls give the same answer.

        Returns
        -------
        ndarray (n_documents, n_components), rows summing to one.

        Examples
        --------
        >>> bars = make_bars(100, random_state=0)
        >>> lda = LatentDirichletAllocation(10, alpha=1.0, beta=0.1, method="blocked", n_iter=100,
        ...                                 random_state=0).fit(bars["counts"])
        >>> theta = lda.transform(bars["counts"][:3])
        >>> theta.shape, bool(np.allclose(theta.sum(axis=1), 1.0))
        ((3, 10), True)
        """
        check_is_fitted(self, "components_")
        X = check_counts(X, "X", allow_empty_rows=True)
        check_n_features(X, self.n_features_in_)
        seed = self._eval_seed if random_state is None else random_state
        return sample_theta_given_topics(X, self.components_, self.alpha_, n_iter=self.n_transform_iter,
                                         random_state=seed)

    def perplexity(self, X, *, random_state=None) -> float:
        """Held-out perplexity of documents ``X`` by document completion, eq. (lda-perplexity).

        Half of each document's tokens (chosen at random) estimate its topic proportions;
        the other half is scored. Lower is better; the uniform model scores V.
        See :func:`document_completion_perplexity`.

        Examples
        --------
        >>> bars, held_out = make_bars(100, random_state=0), make_bars(50, random_state=1)
        >>> lda = LatentDirichletAllocation(10, alpha=1.0, beta=0.1, method="blocked", n_iter=100,
        ...                                 random_state=0).fit(bars["counts"])
        >>> lda.perplexity(held_out["counts"]) < 25  # better than uniform over the 25 pixels
        True
        """
        check_is_fitted(self, "components_")
        X = check_counts(X, "X")
        check_n_features(X, self.n_features_in_)
        seed = self._eval_seed if random_state is None else random_state
        return document_completion_perplexity(X, self.components_, self.alpha_, n_iter=self.n_transform_iter,
                                              random_state=seed)

    # ---------------------------------------------------------------- the generative story

    def held_out_likelihood(self, X, *, random_state=0, **options):
        """Held-out perplexity (:meth:`perplexity`): LDA's likelihood measure, kind ``"perplexity"``."""
        return {"likelihood_kind": "perplexity", "perplexity": float(self.perplexity(X, random_state=random_state))}

    def sample(self, n: int, *, doc_length: int | None = None, random_state=None, return_latent: bool = False):
        """Draw ``n`` new documents from the generative story with the fitted topics.

        theta_d ~ Dirichlet(alpha), z_dn ~ Categorical(theta_d), w_dn ~ Categorical(phi_{z_dn}).

        Parameters
        ----------
        n : int
            Number of documents.
        doc_length : int, optional
            Words per document; default the mean training length (rounded, at least 1).
        random_state : None, int or Generator, optional
            Default: the model's own generator, so repeated calls give new documents.
        return_latent : bool
            Also return the documents' topic proportions theta.

        Returns
        -------
        counts : int64 ndarray (n, n_words)
        theta : ndarray (n, n_components), only with ``return_latent=True``
        """
        check_is_fitted(self, "components_")
        n = check_int(n, "n", minimum=1)
        if doc_length is None:
            doc_length = max(1, int(round(self.mean_doc_length_)))
        doc_length = check_int(doc_length, "doc_length", minimum=1)
        rng = self._rng if random_state is None else check_random_state(random_state)
        theta = sample_dirichlet(np.tile(self.alpha_, (n, 1)), rng)  # theta_d ~ Dir(alpha), (n, K)
        counts, _ = sample_documents(theta, self.components_, np.full(n, doc_length), rng)
        return (counts, theta) if return_latent else counts

    def top_words(self, vocabulary, n: int = 10) -> list[list[str]]:
        """The ``n`` most probable words of every topic, as lists of strings.

        Parameters
        ----------
        vocabulary : sequence of str
            The words, in the column order of the training matrix.
        n : int
            Words per topic.

        Examples
        --------
        >>> X = np.array([[5, 0, 1], [4, 1, 0], [0, 6, 3]])  # cat 9, dog 7, fish 4 times
        >>> lda = LatentDirichletAllocation(1, n_iter=4, random_state=0).fit(X)
        >>> lda.top_words(["cat", "dog", "fish"], n=2)
        [['cat', 'dog']]
        """
        check_is_fitted(self, "components_")
        vocabulary = list(vocabulary)
        if len(vocabulary) != self.n_features_in_:
            raise ValueError(
                f"vocabulary has {len(vocabulary)} words but the model was fitted on {self.n_features_in_}; "
                f"pass the vocabulary of the training matrix."
            )
        n = check_int(n, "n", minimum=1)
        order = np.argsort(-self.components_, axis=1, kind="stable")[:, :n]
        return [[vocabulary[j] for j in row] for row in order]
