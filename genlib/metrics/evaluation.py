"""Evaluating a generative model honestly: one report per model, and two cautionary metrics.

- :func:`evaluate` reports, for any model of the course, what that model supports: the exact
  held-out log-likelihood (GMM, HMM, class-conditional Gaussian, a small Boltzmann machine),
  an AIS estimate (RBM), a lower bound (DBN and DBM by AIS, VAE by the importance-weighted
  bound), a held-out perplexity (LDA), and for every model that samples digit images the
  Fréchet distance and precision/recall in genlib's digit feature space, the
  nearest-neighbour ratio, and the time taken to train and to sample.
- :func:`parzen_log_likelihood` is the Parzen-window estimate that early GAN papers reported.
  It is here to show *why it misleads* (Theis, van den Oord & Bethge, 2016): in more than a
  few dimensions it is far from the true log-likelihood even with many samples, and a model
  that memorises its training set wins it.
- :func:`nearest_neighbour_ratio` is a memorisation check: are samples closer to the training
  set than fresh data from the same distribution are?
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, NamedTuple

import numpy as np
from scipy.special import logsumexp

from .._validation import RANGE_TOLERANCE, check_array, check_bool, check_float, check_int, check_n_features
from ..base import LikelihoodUnavailable
from .manifold import _sq_dists

__all__ = ["evaluate", "Evaluation", "parzen_log_likelihood", "ParzenEstimate",
           "nearest_neighbour_ratio", "NearestNeighbourRatio"]


# ----------------------------------------------------------------------------- Parzen
class ParzenEstimate(NamedTuple):
    """Result of :func:`parzen_log_likelihood`."""

    log_likelihood: float
    """Mean log-density of the test rows (nats per example)."""
    std_err: float
    """Standard error of that mean over the test rows."""
    bandwidth: float
    """The kernel's standard deviation that was used."""


def _parzen_log_density(centres: np.ndarray, X: np.ndarray, bandwidth: float, chunk: int = 512) -> np.ndarray:
    """log p(x) of each row of ``X`` under the kernel density, eq. (mislead-parzen)."""
    n, d = centres.shape
    # log N(x | c, h^2 I) = -|x - c|^2 / (2 h^2) - d/2 log(2 pi h^2)
    log_norm = -0.5 * d * math.log(2.0 * math.pi * bandwidth**2) - math.log(n)
    out = np.empty(X.shape[0])
    for s in range(0, X.shape[0], chunk):
        d2 = _sq_dists(X[s:s + chunk], centres)  # (c, n)
        out[s:s + chunk] = logsumexp(-d2 / (2.0 * bandwidth**2), axis=1) + log_norm
    return out


def parzen_log_likelihood(samples: Any, X_test: Any, *, bandwidth: float | None = None, X_valid: Any = None,
                          bandwidths: Any = None) -> ParzenEstimate:
    """Parzen-window (kernel density) log-likelihood of ``X_test`` under a model's ``samples``.

    The density is an equal mixture of isotropic Gaussians, one on each sample, eq. (mislead-parzen):

    .. math:: \\hat p(x) = \\frac1N \\sum_{n=1}^N \\mathcal N(x \\mid s_n, h^2 I).

    **This number misleads; it is provided to show why.** In more than a handful of
    dimensions the estimate stays far from the model's true log-likelihood even with many
    thousands of samples, its value is dominated by the bandwidth, and it rewards a "model"
    that returns its training set (Theis, van den Oord & Bethge, 2016). Report a real
    likelihood (or bound) where the model has one, and sample metrics where it does not.

    Parameters
    ----------
    samples : array-like (n_samples, d)
        Draws of the model (images flattened to rows).
    X_test : array-like (n_test, d)
        Held-out data to score.
    bandwidth : float, optional
        The kernel's standard deviation h. When omitted it is chosen from ``bandwidths`` by
        the mean log-likelihood of ``X_valid`` (which is then required).
    X_valid : array-like (n_valid, d), optional
        Validation data for choosing the bandwidth; never the test set.
    bandwidths : array-like, optional
        Candidate bandwidths, default ``np.logspace(-2, 1, 16)``.

    Returns
    -------
    ParzenEstimate
        ``(log_likelihood, std_err, bandwidth)``: mean log p(x) over ``X_test`` (nats per example),
        its standard error over the test rows, and the bandwidth used.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> samples, test = rng.standard_normal((2000, 1)), rng.standard_normal((500, 1))
    >>> est = parzen_log_likelihood(samples, test, bandwidth=0.2)
    >>> round(est.log_likelihood, 1)  # the true N(0, 1) gives about -1.42 per example
    -1.4
    """
    S = check_array(samples, "samples")
    T = check_array(X_test, "X_test")
    check_n_features(T, S.shape[1], "X_test")
    if bandwidth is None:
        if X_valid is None:
            raise ValueError("parzen_log_likelihood needs X_valid to choose the bandwidth when bandwidth=None; "
                             "pass held-out validation data (not the test set) or a bandwidth, e.g. bandwidth=0.2.")
        V = check_array(X_valid, "X_valid")
        check_n_features(V, S.shape[1], "X_valid")
        grid = np.logspace(-2, 1, 16) if bandwidths is None else np.asarray(bandwidths, dtype=float).ravel()
        if grid.size == 0 or not np.all(np.isfinite(grid)) or np.any(grid <= 0):
            raise ValueError(f"bandwidths must be a non-empty list of positive numbers, got {bandwidths!r}.")
        scores = [_parzen_log_density(S, V, float(h)).mean() for h in grid]
        bandwidth = float(grid[int(np.argmax(scores))])
    else:
        if X_valid is not None or bandwidths is not None:
            raise ValueError("pass either bandwidth, or X_valid (and optionally bandwidths) to choose it, not both.")
        bandwidth = check_float(bandwidth, "bandwidth", minimum=0.0, strict=True)
    log_p = _parzen_log_density(S, T, bandwidth)
    se = float(log_p.std(ddof=1) / math.sqrt(log_p.size)) if log_p.size > 1 else 0.0
    return ParzenEstimate(float(log_p.mean()), se, bandwidth)


# ----------------------------------------------------------------------- memorisation
class NearestNeighbourRatio(NamedTuple):
    """Result of :func:`nearest_neighbour_ratio`."""

    ratio: float
    """Median sample-to-training distance over median test-to-training distance."""
    sample_distances: np.ndarray
    """Distance from each sample to its nearest training point."""
    test_distances: np.ndarray
    """Distance from each held-out point to its nearest training point."""


def _nearest_distances(X: np.ndarray, Y: np.ndarray, chunk: int = 1024) -> np.ndarray:
    """Distance from each row of ``X`` to its nearest row of ``Y``."""
    nearest = np.empty(X.shape[0], dtype=np.intp)
    for s in range(0, X.shape[0], chunk):
        nearest[s:s + chunk] = _sq_dists(X[s:s + chunk], Y).argmin(axis=1)
    # recompute directly: the expansion |x|^2 + |y|^2 - 2 x.y leaves round-off where x = y
    return np.linalg.norm(X - Y[nearest], axis=1)


def nearest_neighbour_ratio(samples: Any, X_train: Any, X_test: Any) -> NearestNeighbourRatio:
    """Memorisation check: how close are samples to the training set, compared with fresh data?

    For each sample, the Euclidean distance to its nearest training point; for each held-out
    test point, the same. The ratio of the two medians is about 1 for a model that generalises
    (its samples are as far from the training set as new data are), and far below 1 for a
    model that copies training points (a copy of the training set gives exactly 0). A ratio
    well above 1 says the samples lie off the data (poor quality, not memorisation).

    Parameters
    ----------
    samples : array-like (n_samples, d)
        Draws of the model (images flattened to rows).
    X_train : array-like (n_train, d)
        The model's training data.
    X_test : array-like (n_test, d)
        Held-out data from the same distribution, not used in training.

    Returns
    -------
    NearestNeighbourRatio
        ``(ratio, sample_distances, test_distances)``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> train, test = rng.standard_normal((500, 5)), rng.standard_normal((200, 5))
    >>> nearest_neighbour_ratio(train[:200], train, test).ratio  # a copy of the training set
    0.0
    >>> 0.8 < nearest_neighbour_ratio(rng.standard_normal((200, 5)), train, test).ratio < 1.2
    True
    """
    S = check_array(samples, "samples")
    R = check_array(X_train, "X_train")
    T = check_array(X_test, "X_test")
    check_n_features(R, S.shape[1], "X_train")
    check_n_features(T, S.shape[1], "X_test")
    d_s = _nearest_distances(S, R)
    d_t = _nearest_distances(T, R)
    med_t = float(np.median(d_t))
    if med_t == 0.0:
        raise ValueError("X_test duplicates X_train (median nearest-training distance 0); pass held-out data "
                         "that was not used for training.")
    return NearestNeighbourRatio(float(np.median(d_s)) / med_t, d_s, d_t)


# --------------------------------------------------------------------------- evaluate
@dataclass(frozen=True)
class Evaluation:
    """What :func:`evaluate` measured; ``None`` where the model does not support a measure."""

    model: str
    likelihood_kind: str | None = None
    """"exact", "estimate" (AIS), "bound" (AIS bound or IWAE bound), "perplexity" or None."""
    log_likelihood: float | None = None
    """Mean held-out log-likelihood (or its estimate / lower bound) per example, nats."""
    std_err: float | None = None
    perplexity: float | None = None
    frechet: float | None = None
    precision: float | None = None
    recall: float | None = None
    nn_ratio: float | None = None
    fit_seconds: float | None = None
    sample_seconds: float | None = None
    notes: tuple[str, ...] = field(default=())
    """Why a measure was skipped."""

    def as_dict(self) -> dict:
        """The fields as a plain dict (e.g. one row of a pandas DataFrame)."""
        return asdict(self)


def _numpy(x: Any) -> np.ndarray:
    if isinstance(x, tuple):
        x = x[0]
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    elif hasattr(x, "toarray"):  # a sparse document-term matrix
        x = x.toarray()
    return np.asarray(x, dtype=np.float64)


def _likelihood(model: Any, X_test: Any, X_train: Any, lengths: Any, notes: list[str], **options: Any) -> dict:
    """The held-out likelihood that ``model`` reports through its one method, ``held_out_likelihood``."""
    method = getattr(model, "held_out_likelihood", None)
    if method is None:
        notes.append(f"log-likelihood: {type(model).__name__} defines no tractable likelihood or bound")
        return {}
    kwargs = dict(X_train=X_train, **options)
    if lengths is not None:
        kwargs["lengths"] = lengths
    try:
        return method(X_test, **kwargs)
    except LikelihoodUnavailable as err:  # e.g. a Boltzmann machine too large to enumerate; bad input still raises
        notes.append(f"log-likelihood: {err}")
        return {}
    except (ValueError, TypeError) as err:  # the model names its own argument: say which one of evaluate's it was
        raise type(err)(f"X_test (passed to {type(model).__name__}.held_out_likelihood): {err}") from err


def evaluate(model: Any, X_test: Any, *, X_train: Any = None, fit: bool = False, fit_kwargs: dict | None = None,
             lengths: Any = None, n_samples: int = 1000, sample_fn: Callable[[int], Any] | None = None,
             image_size: int | None = None, iwae_k: int = 100, ais_temperatures: int = 1000,
             ais_chains: int = 100, random_state: int = 0, likelihood: bool = True) -> Evaluation:
    """Report every measure that ``model`` supports on held-out data ``X_test``.

    Likelihood, by what the model defines (see :data:`genlib.base.REGISTRY`):

    ==========================================  =====================================  ==========
    model                                       measure                                kind
    ==========================================  =====================================  ==========
    GMM, HMM, class-conditional Gaussian, BM    mean ``log_prob`` (exact)              exact
    RBM                                         mean -F(x) - log Z, log Z by AIS       estimate
    DBN, DBM                                    variational bound, log Z by AIS        bound
    VAE                                         importance-weighted bound, k=iwae_k    bound
    LDA                                         held-out perplexity                    perplexity
    GAN, DCGAN, FCC-GAN, cGAN, autoencoder      none                                   None
    ==========================================  =====================================  ==========

    Samples: ``n_samples`` draws (``sample_fn(n)`` when given, else ``model.sample``) are
    timed; when they are 8x8 or 28x28 images in [0, 1] with as many pixels as ``X_test``
    has columns, the Fréchet distance and precision/recall in genlib's digit feature space
    (:func:`~genlib.metrics.digit_frechet_distance`) are computed against ``X_test``, and with
    ``X_train`` the :func:`nearest_neighbour_ratio`. Digit-feature numbers compare models
    with each other, not with published (Inception) FIDs.

    Parameters
    ----------
    model : a genlib model (fitted unless ``fit=True``)
    X_test : array-like
        Held-out data in the form the model scores (rows; sequences with ``lengths`` for an
        HMM; a document-term count matrix for LDA).
    X_train : array-like, optional
        The training data: needed for ``fit=True``, for the AIS base-rate model (RBM, DBN,
        DBM; without it AIS starts from the uniform distribution) and for the
        nearest-neighbour ratio.
    fit : bool
        Fit ``model`` on ``X_train`` first (with ``fit_kwargs``) and time it.
    lengths : array-like, optional
        Sequence lengths of ``X_test`` (HMMs).
    n_samples : int
        Number of draws for the sample metrics; 0 skips them.
    sample_fn : callable ``n -> samples``, optional
        Overrides ``model.sample``: e.g. to map a GAN's Tanh output from [-1, 1] to [0, 1],
        or to give a conditional GAN its labels.
    image_size : int, optional
        Side of the square images; default from the number of columns (64 -> 8, 784 -> 28).
    iwae_k, ais_temperatures, ais_chains : int
        Accuracy of the IWAE bound and of AIS.
    random_state : int
        Seed of AIS, the IWAE bound, the perplexity's split and the draws: same seed, same report.
    likelihood : bool
        Compute the held-out likelihood (default). False reports the sample metrics alone, e.g.
        when ``X_test`` holds images but the model scores another view of them (an HMM's rows).

    Returns
    -------
    Evaluation

    Examples
    --------
    >>> from genlib.classic import GaussianMixture
    >>> from genlib.datasets import make_blobs
    >>> X = make_blobs(600, random_state=0)[0]
    >>> gmm = GaussianMixture(3, random_state=0)
    >>> report = evaluate(gmm, X[400:], X_train=X[:400], fit=True, n_samples=200)
    >>> report.likelihood_kind, round(report.log_likelihood, 6) == round(gmm.score(X[400:]), 6)
    ('exact', True)
    """
    random_state = check_int(random_state, "random_state", minimum=0)
    n_samples = check_int(n_samples, "n_samples", minimum=0)
    iwae_k = check_int(iwae_k, "iwae_k", minimum=1)
    if sample_fn is not None and not callable(sample_fn):
        raise TypeError(f"sample_fn must be a callable n -> samples, got {type(sample_fn).__name__}.")
    if image_size is not None:
        image_size = check_int(image_size, "image_size", minimum=1)
    if not (hasattr(model, "held_out_likelihood") or hasattr(model, "sample") or sample_fn is not None):
        raise TypeError(f"model must be a genlib model (with held_out_likelihood or sample), got "
                        f"{type(model).__name__}; pass a fitted model, or sample_fn for a sampler of your own.")
    notes: list[str] = []
    out: dict[str, Any] = {"model": type(model).__name__}

    if fit:
        if X_train is None:
            raise ValueError("evaluate(fit=True) needs X_train, the data to fit the model on.")
        t0 = time.perf_counter()
        model.fit(X_train, **(fit_kwargs or {}))
        out["fit_seconds"] = time.perf_counter() - t0
    elif fit_kwargs:
        raise ValueError("fit_kwargs are only used with fit=True.")

    if check_bool(likelihood, "likelihood"):
        out.update(_likelihood(model, X_test, X_train, lengths, notes, iwae_k=iwae_k,
                               ais_temperatures=ais_temperatures, ais_chains=ais_chains, random_state=random_state))

    if n_samples > 0 and (sample_fn is not None or hasattr(model, "sample")):
        t0 = time.perf_counter()
        draws = sample_fn(n_samples) if sample_fn is not None else model.sample(n_samples, random_state=random_state)
        out["sample_seconds"] = time.perf_counter() - t0
        out.update(_sample_metrics(_numpy(draws), X_test, X_train, lengths, image_size, notes))
    elif n_samples > 0:
        notes.append(f"samples: {type(model).__name__} has no sample method; pass sample_fn")
    return Evaluation(**out, notes=tuple(notes))


def _sample_metrics(S: np.ndarray, X_test: Any, X_train: Any, lengths: Any, image_size: int | None,
                    notes: list[str]) -> dict:
    """Fréchet distance, precision/recall and nearest-neighbour ratio of flattened samples."""
    if lengths is not None:
        notes.append("sample metrics: not defined for sequences")
        return {}
    S = S.reshape(S.shape[0], -1)
    T = np.asarray(_numpy(X_test)).reshape(np.shape(X_test)[0], -1)
    if S.shape[1] != T.shape[1]:
        notes.append(f"sample metrics: samples have {S.shape[1]} features, X_test has {T.shape[1]}")
        return {}
    out: dict[str, Any] = {}
    side = image_size or {64: 8, 784: 28}.get(S.shape[1])
    in_unit = S.min() >= -RANGE_TOLERANCE and S.max() <= 1 + RANGE_TOLERANCE
    if side is not None and side * side == S.shape[1] and side in (8, 28) and in_unit:
        from .classifier import digit_classifier, digit_frechet_distance, digit_precision_recall

        clf = digit_classifier(side)
        out["frechet"] = digit_frechet_distance(T, S, classifier=clf)
        pr = digit_precision_recall(T, S, classifier=clf)
        out["precision"], out["recall"] = pr.precision, pr.recall
    elif side is not None and not in_unit:
        notes.append(f"sample metrics: samples span [{S.min():.3g}, {S.max():.3g}], not [0, 1]; "
                     "map them with sample_fn")
    else:
        notes.append("sample metrics: samples are not 8x8 or 28x28 images")
    if X_train is not None:
        R = np.asarray(_numpy(X_train)).reshape(np.shape(X_train)[0], -1)
        out["nn_ratio"] = nearest_neighbour_ratio(S, R, T).ratio
    return out
