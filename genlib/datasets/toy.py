"""Seeded toy 2-D data sets: every chapter can draw its pictures in the plane.

Each function returns ``(X, y)``: ``X`` of shape (n_samples, 2), float64, and ``y`` the
integer component (or class) each point came from, so a chapter can colour the truth.
The same ``random_state`` always gives the same points.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_float, check_int, check_random_state

__all__ = ["make_blobs", "make_rings", "make_moons", "make_spirals"]


def _counts(n_samples: int, n_parts: int) -> np.ndarray:
    """Split ``n_samples`` into ``n_parts`` near-equal integer counts."""
    counts = np.full(n_parts, n_samples // n_parts)
    counts[: n_samples % n_parts] += 1
    return counts


def make_blobs(n_samples=600, *, centers=None, covariances=None, weights=None, random_state=None):
    """Draw from a mixture of Gaussians with known parameters.

    Parameters
    ----------
    n_samples : int
        Number of points.
    centers : array-like of shape (K, 2), optional
        Component means. Default: three well-separated blobs.
    covariances : array-like of shape (K, 2, 2), optional
        Component covariances (symmetric positive definite). Default: one round, one
        elongated, one correlated covariance, the three shapes of the GMM chapter.
    weights : array-like of shape (K,), optional
        Mixing weights pi_k (non-negative, summing to one). Default: equal.
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,), the component of each point

    Examples
    --------
    >>> X, y = make_blobs(300, random_state=0)
    >>> X.shape, sorted(set(y.tolist()))
    ((300, 2), [0, 1, 2])
    """
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    rng = check_random_state(random_state)
    if centers is None:
        centers = [[-4.0, 0.0], [0.0, 3.5], [4.0, -1.0]]
    centers = np.asarray(centers, dtype=float)
    if centers.ndim != 2 or centers.shape[0] < 1:
        raise ValueError(f"centers must have shape (K, d) with K >= 1, got {centers.shape}.")
    K, d = centers.shape
    if covariances is None:
        if d != 2:
            covariances = np.stack([np.eye(d)] * K)
        else:
            base = [np.eye(2), np.array([[2.0, 0.0], [0.0, 0.6]]), np.array([[1.0, 0.8], [0.8, 1.0]])]
            covariances = np.stack([base[k % 3] for k in range(K)])
    covariances = np.asarray(covariances, dtype=float)
    if covariances.shape != (K, d, d):
        raise ValueError(f"covariances must have shape ({K}, {d}, {d}) to match centers, got {covariances.shape}.")
    for k in range(K):
        if not np.allclose(covariances[k], covariances[k].T) or np.linalg.eigvalsh(covariances[k]).min() <= 0:
            raise ValueError(f"covariances[{k}] must be symmetric positive definite.")
    if weights is None:
        counts = _counts(n_samples, K)
    else:
        weights = np.asarray(weights, dtype=float)
        if weights.shape != (K,) or weights.min() < 0 or not np.isclose(weights.sum(), 1.0):
            raise ValueError(f"weights must be {K} non-negative numbers summing to 1, got {weights}.")
        counts = rng.multinomial(n_samples, weights)
    X = np.concatenate([rng.multivariate_normal(centers[k], covariances[k], size=counts[k]) for k in range(K)])
    y = np.repeat(np.arange(K), counts)
    order = rng.permutation(n_samples)
    return X[order], y[order]


def make_rings(n_samples=800, *, n_modes=8, radius=4.0, std=0.25, random_state=None):
    """Gaussians placed evenly on a circle: the classic mode-collapse test for GANs.

    Returns ``(X, y)`` with ``y`` the mode of each point. The modes are at angles
    ``2 pi k / n_modes``; each is an isotropic Gaussian with standard deviation ``std``.

    Examples
    --------
    >>> X, y = make_rings(80, n_modes=8, random_state=0)
    >>> X.shape, int(y.max())
    ((80, 2), 7)
    """
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    n_modes = check_int(n_modes, "n_modes", minimum=1)
    radius = check_float(radius, "radius", minimum=0.0)
    std = check_float(std, "std", minimum=0.0, strict=True)
    rng = check_random_state(random_state)
    y = np.repeat(np.arange(n_modes), _counts(n_samples, n_modes))
    angles = 2 * np.pi * y / n_modes
    centers = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    X = centers + std * rng.standard_normal((n_samples, 2))
    order = rng.permutation(n_samples)
    return X[order], y[order]


def make_moons(n_samples=400, *, noise=0.1, random_state=None):
    """Two interleaving half circles; ``y`` says which moon.

    Examples
    --------
    >>> X, y = make_moons(10, random_state=0)
    >>> X.shape
    (10, 2)
    """
    n_samples = check_int(n_samples, "n_samples", minimum=2)
    noise = check_float(noise, "noise", minimum=0.0)
    rng = check_random_state(random_state)
    n0, n1 = _counts(n_samples, 2)
    t0 = np.linspace(0, np.pi, n0)
    t1 = np.linspace(0, np.pi, n1)
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    lower = np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    X = np.concatenate([upper, lower]) + noise * rng.standard_normal((n_samples, 2))
    y = np.repeat([0, 1], [n0, n1])
    order = rng.permutation(n_samples)
    return X[order], y[order]


def make_spirals(n_samples=600, *, n_arms=2, turns=1.5, noise=0.2, random_state=None):
    """Interleaved spiral arms, a density no small mixture fits well.

    Examples
    --------
    >>> X, y = make_spirals(60, n_arms=3, random_state=0)
    >>> sorted(set(y.tolist()))
    [0, 1, 2]
    """
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    n_arms = check_int(n_arms, "n_arms", minimum=1)
    turns = check_float(turns, "turns", minimum=0.0, strict=True)
    noise = check_float(noise, "noise", minimum=0.0)
    rng = check_random_state(random_state)
    y = np.repeat(np.arange(n_arms), _counts(n_samples, n_arms))
    t = np.sqrt(rng.random(n_samples))  # denser towards the outside, as area grows
    angle = 2 * np.pi * turns * t + 2 * np.pi * y / n_arms
    r = 5.0 * t
    X = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1) + noise * rng.standard_normal((n_samples, 2))
    order = rng.permutation(n_samples)
    return X[order], y[order]
