"""Mode coverage and sample quality for 2-D mixtures, the standard mode-collapse measurement.

For data made of K well-separated Gaussians (:func:`genlib.datasets.make_rings`), assign
each sample to its nearest mode. A sample is of *high quality* when it lies within
``n_std`` standard deviations of that mode; a mode is *covered* when it receives at least
``min_fraction`` of the high-quality samples it would receive if all K modes were equally
represented (the measurement of the unrolled-GAN paper, Metz et al., 2017, with
3 standard deviations).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .._validation import check_array, check_float, check_int

__all__ = ["mode_coverage", "ModeCoverage", "ring_centers"]


class ModeCoverage(NamedTuple):
    """Result of :func:`mode_coverage`."""

    n_covered: int  #: modes that receive enough high-quality samples
    quality: float  #: fraction of samples within n_std standard deviations of their mode
    counts: np.ndarray  #: high-quality samples per mode (K,)


def ring_centers(n_modes: int = 8, radius: float = 4.0) -> np.ndarray:
    """The centres of :func:`genlib.datasets.make_rings` (same defaults): (n_modes, 2).

    Examples
    --------
    >>> ring_centers(4, 1.0).round(6).tolist()
    [[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [-0.0, -1.0]]
    """
    n_modes = check_int(n_modes, "n_modes", minimum=1)
    radius = check_float(radius, "radius", minimum=0.0)
    angles = 2 * np.pi * np.arange(n_modes) / n_modes
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def mode_coverage(samples: Any, centers: Any, std: float, *, n_std: float = 3.0,
                  min_fraction: float = 0.1) -> ModeCoverage:
    """Count the modes a sampler covers and the fraction of its samples that are of high quality.

    Parameters
    ----------
    samples : array-like (n, d)
        Generated points (NumPy array or torch tensor).
    centers : array-like (K, d)
        The mixture's means, e.g. :func:`ring_centers`.
    std : float
        Standard deviation of each (isotropic) mixture component.
    n_std : float
        A sample within ``n_std * std`` of its nearest centre is of high quality.
    min_fraction : float
        A mode is covered when it receives at least ``min_fraction * n / K`` high-quality samples.

    Returns
    -------
    ModeCoverage
        ``(n_covered, quality, counts)``.

    Examples
    --------
    >>> from genlib.datasets import make_rings
    >>> X, _ = make_rings(800, random_state=0)
    >>> cov = mode_coverage(X, ring_centers(), std=0.25)
    >>> cov.n_covered, round(cov.quality, 2)
    (8, 0.99)
    """
    S = check_array(samples, "samples")
    C = check_array(centers, "centers")
    if S.shape[1] != C.shape[1]:
        raise ValueError(f"samples have {S.shape[1]} columns but centers {C.shape[1]}; they must be in the same space.")
    std = check_float(std, "std", minimum=0.0, strict=True)
    n_std = check_float(n_std, "n_std", minimum=0.0, strict=True)
    min_fraction = check_float(min_fraction, "min_fraction", minimum=0.0)
    d2 = ((S[:, None, :] - C[None, :, :]) ** 2).sum(-1)  # (n, K)
    nearest = d2.argmin(axis=1)
    good = np.sqrt(d2[np.arange(len(S)), nearest]) <= n_std * std
    counts = np.bincount(nearest[good], minlength=C.shape[0])
    n_covered = int((counts >= max(min_fraction * len(S) / C.shape[0], 1e-12)).sum())
    return ModeCoverage(n_covered, float(good.mean()), counts)
