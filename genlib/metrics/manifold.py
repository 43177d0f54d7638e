"""Improved precision and recall of a generative model (Kynkäänniemi et al., 2019).

Each set is turned into an estimate of its manifold: the union of balls around its points,
the ball of a point reaching its k-th nearest neighbour within the same set. Then (Kynkäänniemi et al., 2019)::

    precision = fraction of generated samples inside the real manifold   (are samples realistic?)
    recall    = fraction of real samples inside the generated manifold   (is the data covered?)

A GAN that collapses onto a few modes keeps a high precision and loses recall; a blurry
model covers the data (recall) with unrealistic samples (low precision). One number such
as the Fréchet distance mixes the two.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .._validation import check_array, check_int

__all__ = ["precision_recall", "PrecisionRecall", "knn_radii"]


class PrecisionRecall(NamedTuple):
    """Result of :func:`precision_recall`."""

    precision: float
    recall: float


def _sq_dists(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances (len(A), len(B)), clipped at 0 against round-off."""
    d = (A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2.0 * A @ B.T
    return np.maximum(d, 0.0)


def knn_radii(X: np.ndarray, k: int, chunk: int = 1024) -> np.ndarray:
    """Distance from each row of ``X`` to its k-th nearest other row (the radius of its ball)."""
    X = check_array(X, "X", ndim=2, min_samples=2)
    n = X.shape[0]
    k = check_int(k, "k", minimum=1, maximum=n - 1)
    out = np.empty(n)
    for s in range(0, n, chunk):
        d = _sq_dists(X[s:s + chunk], X)  # (c, n)
        # index k, not k-1: each point is its own nearest neighbour at distance 0
        out[s:s + chunk] = np.sqrt(np.partition(d, k, axis=1)[:, k])
    return out


def _inside(points: np.ndarray, centres: np.ndarray, radii: np.ndarray, chunk: int = 1024) -> np.ndarray:
    """Whether each point lies in at least one ball (centre, radius)."""
    r2 = radii ** 2
    hit = np.zeros(points.shape[0], dtype=bool)
    for s in range(0, points.shape[0], chunk):
        hit[s:s + chunk] = (_sq_dists(points[s:s + chunk], centres) <= r2[None, :]).any(axis=1)
    return hit


def precision_recall(real_features: Any, fake_features: Any, *, k: int = 3) -> PrecisionRecall:
    """Improved precision and recall of generated samples against real data (Kynkäänniemi et al., 2019).

    Parameters
    ----------
    real_features : array-like (n_real, d)
        Features (or raw coordinates) of real data.
    fake_features : array-like (n_fake, d)
        Features of generated samples, in the same space.
    k : int
        Neighbourhood size of the manifold estimate (the paper uses 3). Both sets need more
        than ``k`` points; use sets of similar size, since the radii shrink as a set grows.

    Returns
    -------
    PrecisionRecall
        ``(precision, recall)``, each in [0, 1].

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> real = rng.standard_normal((500, 2))
    >>> precision_recall(real, real)
    PrecisionRecall(precision=1.0, recall=1.0)
    >>> precision_recall(real, real + 100.0)
    PrecisionRecall(precision=0.0, recall=0.0)
    """
    R = check_array(real_features, "real_features")
    F = check_array(fake_features, "fake_features")
    if R.shape[1] != F.shape[1]:
        raise ValueError(
            f"real_features has {R.shape[1]} columns and fake_features {F.shape[1]}; both must be in the same space."
        )
    k = check_int(k, "k", minimum=1)
    for name, A in (("real_features", R), ("fake_features", F)):
        if A.shape[0] <= k:
            raise ValueError(f"{name} needs more than k={k} rows for a k-nearest-neighbour radius, got {A.shape[0]}.")
    precision = _inside(F, R, knn_radii(R, k)).mean()  # samples on the real manifold
    recall = _inside(R, F, knn_radii(F, k)).mean()  # data on the generated manifold
    return PrecisionRecall(float(precision), float(recall))
