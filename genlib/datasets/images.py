"""Image data: scikit-learn's 8x8 digits (shipped with scikit-learn, no download).

1,797 handwritten digits, 8x8 pixels, grey levels 0..16 rescaled to [0, 1]. Energy
models with Bernoulli units use the binarised version.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_array, check_bool, check_float, check_option, check_random_state

__all__ = ["load_digits", "binarize"]


def binarize(X, *, threshold=0.5, method="threshold", random_state=None):
    """Turn grey values in [0, 1] into 0/1.

    ``method="threshold"`` sets pixels above ``threshold`` to 1 (deterministic);
    ``method="sample"`` draws each pixel as Bernoulli(grey value), the "stochastic
    binarisation" used for MNIST likelihood benchmarks.

    Examples
    --------
    >>> binarize(np.array([[0.2, 0.7]]))
    array([[0., 1.]])
    """
    X = check_array(X, "X", ndim=np.ndim(X) if np.ndim(X) >= 1 else 1)
    if X.min() < 0 or X.max() > 1:
        raise ValueError(f"X must be grey values in [0, 1], got range [{X.min():.3g}, {X.max():.3g}]; divide by the maximum first.")
    check_option(method, "method", ("threshold", "sample"))
    if method == "threshold":
        threshold = check_float(threshold, "threshold", minimum=0.0, maximum=1.0)
        return (X > threshold).astype(np.float64)
    rng = check_random_state(random_state)
    return (rng.random(X.shape) < X).astype(np.float64)


def load_digits(*, binary=False, as_images=False, threshold=0.5):
    """Load scikit-learn's 8x8 handwritten digits.

    Parameters
    ----------
    binary : bool
        Binarise at ``threshold`` (for RBMs and other Bernoulli models).
    as_images : bool
        Return images of shape (n, 8, 8) instead of flat vectors (n, 64).
    threshold : float
        Grey level in [0, 1] above which a pixel becomes 1 when ``binary``.

    Returns
    -------
    X : ndarray, float64 in [0, 1], shape (1797, 64) or (1797, 8, 8)
    y : ndarray of int64, the digit 0..9

    Examples
    --------
    >>> X, y = load_digits()
    >>> X.shape, float(X.max()), y[:5].tolist()
    ((1797, 64), 1.0, [0, 1, 2, 3, 4])
    """
    from sklearn.datasets import load_digits as _sk_load_digits

    binary, as_images = check_bool(binary, "binary"), check_bool(as_images, "as_images")
    data = _sk_load_digits()
    X = data.data.astype(np.float64) / 16.0
    y = data.target.astype(np.int64)
    if binary:
        X = binarize(X, threshold=threshold)
    if as_images:
        X = X.reshape(-1, 8, 8)
    return X, y
