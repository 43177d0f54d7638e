"""The Fréchet distance between two sets of feature vectors (Heusel et al., 2017).

Fit a Gaussian to each set (mean mu, covariance Sigma) and measure the Fréchet (2-Wasserstein)
distance between the two Gaussians, eq. (dcgan-frechet)::

    d^2 = ||mu_a - mu_b||^2 + Tr(Sigma_a + Sigma_b - 2 (Sigma_a Sigma_b)^{1/2})

With Inception-v3 features this is the FID of the literature; with any other features it
is a distance of its own, comparable only with numbers computed in the same features.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_array

__all__ = ["frechet_distance", "gaussian_frechet_distance"]


def _sqrtm_psd(S: np.ndarray) -> np.ndarray:
    """Symmetric square root of a positive semi-definite matrix by eigen-decomposition."""
    w, V = np.linalg.eigh((S + S.T) / 2)
    return (V * np.sqrt(np.clip(w, 0.0, None))) @ V.T


def gaussian_frechet_distance(mu_a: Any, cov_a: Any, mu_b: Any, cov_b: Any) -> float:
    """Squared Fréchet distance between N(mu_a, cov_a) and N(mu_b, cov_b), eq. (dcgan-frechet).

    The trace of (Sigma_a Sigma_b)^{1/2} is computed as the trace of the symmetric matrix
    (Sigma_a^{1/2} Sigma_b Sigma_a^{1/2})^{1/2}, which has the same eigenvalues and is
    numerically safer than a general matrix square root.

    Examples
    --------
    >>> gaussian_frechet_distance([0.0], [[1.0]], [3.0], [[4.0]])  # (0-3)^2 + (1-2)^2
    10.0
    """
    mu_a = check_array(mu_a, "mu_a", ndim=1)
    mu_b = check_array(mu_b, "mu_b", ndim=1)
    cov_a = check_array(cov_a, "cov_a", ndim=2)
    cov_b = check_array(cov_b, "cov_b", ndim=2)
    d = mu_a.shape[0]
    for name, mu in (("mu_b", mu_b),):
        if mu.shape[0] != d:
            raise ValueError(f"{name} has {mu.shape[0]} entries but mu_a has {d}; both means need the same dimension.")
    for name, cov in (("cov_a", cov_a), ("cov_b", cov_b)):
        if cov.shape != (d, d):
            raise ValueError(f"{name} must be ({d}, {d}) to match the means, got shape {cov.shape}.")
    root_a = _sqrtm_psd(cov_a)
    inner = root_a @ cov_b @ root_a  # Sigma_a^{1/2} Sigma_b Sigma_a^{1/2}, symmetric PSD
    tr_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((inner + inner.T) / 2), 0.0, None)).sum()
    dist = float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2.0 * tr_sqrt)
    return max(dist, 0.0)  # round-off can make a zero distance slightly negative


def frechet_distance(features_a: Any, features_b: Any) -> float:
    """Squared Fréchet distance between Gaussians fitted to two feature sets, eq. (dcgan-frechet).

    Parameters
    ----------
    features_a, features_b : array-like (n_a, d) and (n_b, d)
        Feature vectors (rows) of two sets, e.g. real and generated samples (NumPy arrays
        or torch tensors). Each needs at least two rows; many more rows than ``d`` make the
        covariance estimates, and so the distance, reliable (the estimate is biased upwards
        for small sets).

    Returns
    -------
    float
        ``||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^{1/2})`` with sample means and
        (unbiased) sample covariances; 0 for identical sets.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a = rng.standard_normal((5000, 2))
    >>> round(frechet_distance(a, a), 6)
    0.0
    >>> round(frechet_distance(a, a + [3.0, 0.0]), 6)  # a shift by 3: 3^2
    9.0
    """
    A = check_array(features_a, "features_a", min_samples=2)
    B = check_array(features_b, "features_b", min_samples=2)
    if A.shape[1] != B.shape[1]:
        raise ValueError(
            f"features_a has {A.shape[1]} columns and features_b {B.shape[1]}; both sets must live in the same "
            f"feature space."
        )
    return gaussian_frechet_distance(A.mean(axis=0), np.atleast_2d(np.cov(A, rowvar=False)),
                                     B.mean(axis=0), np.atleast_2d(np.cov(B, rowvar=False)))
