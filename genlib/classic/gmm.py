"""Gaussian mixture models fitted by expectation-maximisation (EM).

Read this file next to the chapter ``book/02_ml/01_gmm.ipynb``; the comments refer to its
equations:

- (gmm-gaussian)  log N(x | mu, Sigma) = -D/2 log 2pi - 1/2 log|Sigma| - 1/2 (x-mu)^T Sigma^-1 (x-mu)
- (gmm-density)   p(x) = sum_k pi_k N(x | mu_k, Sigma_k)
- (gmm-loglik)    log L = sum_n log sum_k pi_k N(x_n | mu_k, Sigma_k)
- (gmm-resp)      E-step: r_nk = pi_k N(x_n | mu_k, Sigma_k) / sum_j pi_j N(x_n | mu_j, Sigma_j)
- (gmm-mstep)     M-step: N_k = sum_n r_nk,  pi_k = N_k / N,  mu_k = sum_n r_nk x_n / N_k,
                  Sigma_k = sum_n r_nk (x_n - mu_k)(x_n - mu_k)^T / N_k  (+ reg_covar I)

Everything is computed in log space. A Gaussian density is evaluated through the Cholesky
factor of its *precision*: with Sigma = L L^T and U = L^-T (upper triangular), Sigma^-1 = U U^T,
so the Mahalanobis term is ||U^T (x - mu)||^2 and -1/2 log|Sigma| = sum_i log U_ii. No matrix
is ever inverted explicitly and no determinant is formed.

The four covariance shapes (``covariance_type``) and the shapes of ``covariances_``:

=============  =============================  ======================================
type           Sigma_k                        ``covariances_`` shape
=============  =============================  ======================================
``full``       any SPD matrix, per k          (n_components, n_features, n_features)
``tied``       one SPD matrix shared by all   (n_features, n_features)
``diag``       diagonal, per k                (n_components, n_features)
``spherical``  sigma_k^2 I, per k             (n_components,)
=============  =============================  ======================================

The maths lives in small module-level functions (:func:`precision_cholesky`,
:func:`component_log_prob`, :func:`log_responsibilities`, :func:`estimate_parameters`,
:func:`sample_components`, :func:`kmeans_plusplus`, :func:`kmeans_limit`) that the tests and
the chapter call directly; :class:`GaussianMixture` runs the EM loop around them. They are
genlib's one Gaussian toolbox: the hidden Markov model's Gaussian emissions
(:mod:`genlib.classic.hmm`, an M-step weighted by state posteriors) and the class-conditional
classifier (:mod:`genlib.classic.gda`, an M-step weighted by one-hot labels) use them too.
"""

from __future__ import annotations

import contextlib
import math
import warnings

import numpy as np
from sklearn.base import BaseEstimator

from ..base import likelihood_summary
from ..base import ConvergenceWarning
from ._checks import atomic_fit, check_X
from .._validation import (
    check_array,
    check_float,
    check_int,
    check_is_fitted,
    check_n_features,
    check_option,
    check_random_state,
    check_stochastic,
)

__all__ = [
    "COVARIANCE_TYPES",
    "GaussianMixture",
    "precision_cholesky",
    "component_log_prob",
    "log_responsibilities",
    "estimate_parameters",
    "check_covariances",
    "sample_components",
    "n_parameters",
    "kmeans_plusplus",
    "kmeans",
    "kmeans_limit",
]

#: The covariance shapes a :class:`GaussianMixture` can use.
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")

# fit() runs BLAS on one thread up to this many features (see GaussianMixture.fit).
_SINGLE_THREAD_MAX_FEATURES = 64

# Largest temporary buffer (in float64 elements, 16 MB) that the E-step allocates at once.
_BLOCK_ELEMENTS = 2**21

_ILL_DEFINED = (
    "the covariance of component(s) {which} is not positive definite (a component collapsed onto "
    "a point, a line or a plane: duplicated samples, fewer points than features, too many "
    "components, or badly scaled features); increase reg_covar{reg}, {remedy}."
)


# ----------------------------------------------------------------------------------------
# The Gaussian density, eq. (gmm-gaussian)
# ----------------------------------------------------------------------------------------
_COVARIANCE_NDIM = {"full": 3, "tied": 2, "diag": 2, "spherical": 1}


def _toolbox_array(A, name, ndim, allow_neg_inf=False):
    """The shared :func:`check_array`, with ``-inf`` (a log of 0) allowed where ``allow_neg_inf``."""
    arr = check_array(A, name, ndim=ndim, allow_nonfinite=allow_neg_inf)
    if allow_neg_inf and (np.isnan(arr).any() or np.isposinf(arr).any()):
        raise ValueError(f"{name} contains NaN or +inf values; pass finite numbers (-inf, a log of 0, is allowed).")
    return arr


def precision_cholesky(covariances, covariance_type, *, reg_covar=None,
                       remedy="reduce n_components, or standardise X"):
    """Cholesky factors ``U`` of the precision matrices, ``Sigma^-1 = U U^T``.

    Parameters
    ----------
    covariances : ndarray
        Covariances in the layout of ``covariance_type`` (see the module docstring).
    covariance_type : {"full", "tied", "diag", "spherical"}
    reg_covar : float, optional
        Only quoted in the error message.
    remedy : str, optional
        The caller's further advice, ending the error message.

    Returns
    -------
    ndarray
        ``full``: (K, D, D) upper-triangular factors; ``tied``: (D, D); ``diag``: (K, D)
        inverse standard deviations; ``spherical``: (K,) inverse standard deviations.

    Raises
    ------
    ValueError
        If a covariance is not positive definite; the message suggests raising ``reg_covar``.

    Examples
    --------
    >>> U = precision_cholesky(np.array([[[4.0, 0.0], [0.0, 1.0]]]), "full")
    >>> np.round(U[0], 3).tolist()
    [[0.5, 0.0], [0.0, 1.0]]
    """
    covariance_type = check_option(covariance_type, "covariance_type", COVARIANCE_TYPES)
    covariances = _toolbox_array(covariances, "covariances", _COVARIANCE_NDIM[covariance_type])
    check_option(covariance_type, "covariance_type", COVARIANCE_TYPES)
    cov = np.asarray(covariances, dtype=np.float64)
    reg = "" if reg_covar is None else f" (now {reg_covar:g})"
    if covariance_type in ("full", "tied"):
        stack = cov[None] if covariance_type == "tied" else cov
        try:
            L = np.linalg.cholesky(stack)  # (K, D, D), Sigma_k = L_k L_k^T
            pivots = np.diagonal(L, axis1=1, axis2=2).min(axis=1) ** 2  # (K,)
        except np.linalg.LinAlgError:  # some Sigma_k has an eigenvalue <= 0: find which
            pivots = np.linalg.eigvalsh(stack)[:, 0]
        # L_ii^2 is the variance of x_i given x_1..x_{i-1}: at round-off level next to the
        # largest variance, Sigma_k is singular in all but name and its density is garbage.
        scale = np.diagonal(stack, axis1=1, axis2=2).max(axis=1)
        bad = np.flatnonzero(~(pivots > 10 * stack.shape[-1] * np.finfo(np.float64).eps * scale)).tolist()
        if bad:
            raise ValueError(_ILL_DEFINED.format(which=bad, reg=reg, remedy=remedy))
        eye = np.broadcast_to(np.eye(stack.shape[-1]), stack.shape)
        # U_k = L_k^-T: solve L_k Y = I and transpose. Only the triangular factor is inverted
        # (well conditioned next to Sigma itself, whose condition number is its square).
        U = np.swapaxes(np.linalg.solve(L, eye), -1, -2)
        return U[0] if covariance_type == "tied" else U
    if not np.all(cov > 0):
        bad = np.flatnonzero(np.any((cov <= 0).reshape(cov.shape[0], -1), axis=1)).tolist()
        raise ValueError(_ILL_DEFINED.format(which=bad, reg=reg, remedy=remedy))
    return 1.0 / np.sqrt(cov)


def _log_det_half(precisions_chol, covariance_type, n_features):
    """``-1/2 log|Sigma_k| = sum_i log U_ii`` for each component, shape (K,) (or scalar if tied)."""
    if covariance_type == "full":
        return np.log(np.diagonal(precisions_chol, axis1=1, axis2=2)).sum(axis=1)
    if covariance_type == "tied":
        return np.log(np.diagonal(precisions_chol)).sum()
    if covariance_type == "diag":
        return np.log(precisions_chol).sum(axis=1)
    return n_features * np.log(precisions_chol)


def component_log_prob(X, means, precisions_chol, covariance_type):
    """Log-density of every sample under every component, ``log N(x_n | mu_k, Sigma_k)``.

    Eq. (gmm-gaussian), evaluated with the precision Cholesky factors of
    :func:`precision_cholesky`.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    means : ndarray of shape (K, D)
    precisions_chol : ndarray
        From :func:`precision_cholesky` for the same ``covariance_type``.
    covariance_type : {"full", "tied", "diag", "spherical"}

    Returns
    -------
    ndarray of shape (N, K)
        Finite, except ``-inf`` (a correct limit, not an error) where the squared Mahalanobis
        distance of x_n from mu_k exceeds the float64 range (~1e308): the density rounds to 0.

    Examples
    --------
    >>> X = np.zeros((1, 2)); means = np.zeros((1, 2))
    >>> U = precision_cholesky(np.ones((1,)), "spherical")
    >>> round(float(component_log_prob(X, means, U, "spherical")[0, 0]), 4)  # -log(2 pi)
    -1.8379
    """
    covariance_type = check_option(covariance_type, "covariance_type", COVARIANCE_TYPES)
    X = _toolbox_array(X, "X", 2)
    means = _toolbox_array(means, "means", 2)
    check_n_features(means, X.shape[1], "means")
    K, D = means.shape
    U = _toolbox_array(precisions_chol, "precisions_chol", _COVARIANCE_NDIM[covariance_type])
    shape = {"full": (K, D, D), "tied": (D, D), "diag": (K, D), "spherical": (K,)}[covariance_type]
    if U.shape != shape:
        raise ValueError(f"precisions_chol must have shape {shape} for {K} components of {D} features and "
                         f"covariance_type={covariance_type!r}, got {U.shape}; make it with precision_cholesky().")
    diag = np.diagonal(U, axis1=-2, axis2=-1) if covariance_type in ("full", "tied") else U
    if not np.all(diag > 0):
        raise ValueError(f"precisions_chol must have a positive diagonal (inverse standard deviations), got minimum "
                         f"{diag.min():.3g}; make it with precision_cholesky().")
    return _component_log_prob(X, means, U, covariance_type)


def _component_log_prob(X, means, precisions_chol, covariance_type):
    """:func:`component_log_prob`, unchecked: the EM loops call it on arrays they made."""
    N, D = X.shape
    K = means.shape[0]
    log_det_half = _log_det_half(precisions_chol, covariance_type, D)  # (K,)
    if covariance_type in ("full", "tied"):
        U = precisions_chol if covariance_type == "full" else np.broadcast_to(precisions_chol, (K, D, D))
        U_cols = U.transpose(1, 0, 2).reshape(D, K * D)  # (D, K*D): [U_1 | U_2 | ... | U_K]
        shift = np.einsum("kd,kde->ke", means, U).reshape(K * D)  # U_k^T mu_k, stacked
        maha = np.empty((N, K))
        step = max(1, _BLOCK_ELEMENTS // (K * D))  # rows per block, bounds the (rows, K, D) buffer
        for start in range(0, N, step):
            rows = slice(start, start + step)
            # y_nk = U_k^T (x_n - mu_k) for every n and k in one matrix product
            with np.errstate(over="ignore", invalid="ignore"):  # |x| > 1e154: recomputed below
                y = (X[rows] @ U_cols - shift).reshape(-1, K, D)  # (rows, K, D)
                maha[rows] = np.einsum("nkd,nkd->nk", y, y)  # ||y_nk||^2 = (x-mu)^T Sigma^-1 (x-mu)
    elif covariance_type == "diag":
        with np.errstate(over="ignore"):  # a precision beyond 1e154: inf here, recomputed below
            prec = precisions_chol**2  # (K, D): 1 / sigma_kd^2
        # sum_d (x_d - mu_kd)^2 / sigma_kd^2, expanded into three matrix products
        with np.errstate(over="ignore", invalid="ignore"):  # |x| > 1e154: recomputed below
            maha = (X**2) @ prec.T - 2.0 * X @ (means * prec).T + np.sum(means**2 * prec, axis=1)
    else:  # spherical
        with np.errstate(over="ignore", invalid="ignore"):  # overflows: recomputed below
            prec = precisions_chol**2  # (K,): 1 / sigma_k^2
            sq = np.einsum("nd,nd->n", X, X)[:, None] - 2.0 * X @ means.T + np.einsum("kd,kd->k", means, means)
            maha = sq * prec
    # The expanded forms can round to tiny negatives: a squared distance is >= 0.
    if covariance_type in ("diag", "spherical"):
        np.maximum(maha, 0.0, out=maha)
    overflow = ~np.isfinite(maha)
    if overflow.any():  # x**2 overflowed (|x| > 1e154): recompute those rows without squaring x
        rows = np.flatnonzero(overflow.any(axis=1))
        maha[rows] = _mahalanobis_scaled(X[rows], means, precisions_chol, covariance_type)
    return -0.5 * (D * math.log(2.0 * math.pi) + maha) + log_det_half


def _mahalanobis_scaled(X, means, precisions_chol, covariance_type):
    """Squared Mahalanobis distances (n, K) for samples far from the origin, overflow-safe.

    ``(x - mu)^T Sigma^-1 (x - mu) = (s ||U^T (x - mu) / s||)^2`` with ``s = max_d |x_d - mu_d|``:
    the whitened difference is formed from numbers of size 1, so the only overflow left is
    in the final square, i.e. exactly when the distance itself exceeds the float range
    (then it is ``inf`` and the density rounds to 0, its log to ``-inf``).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        diff = X[:, None, :] - means[None, :, :]  # (n, K, D)
        s = np.abs(diff).max(axis=2)  # (n, K)
        z = diff / np.where((s > 0) & np.isfinite(s), s, 1.0)[:, :, None]
        if covariance_type == "full":
            y = np.einsum("nkd,kde->nke", z, precisions_chol)
        elif covariance_type == "tied":
            y = z @ precisions_chol
        elif covariance_type == "diag":
            y = z * precisions_chol[None]
        else:
            y = z * precisions_chol[None, :, None]
        r = s * np.sqrt(np.einsum("nkd,nkd->nk", y, y))  # the distance, then its square: s^2 alone may overflow
        maha = r * r
    return np.where(np.isfinite(s), maha, np.inf)  # x - mu itself overflowed: beyond any float


def _normalise(weighted_log_prob):
    """``log p(x_n)`` (N,) and ``r_nk`` (N, K) from ``a_nk = log pi_k + log N(x_n | mu_k, Sigma_k)``.

    The log-sum-exp trick: with ``m_n = max_k a_nk``, every ``exp(a_nk - m_n) <= 1`` cannot
    overflow and the largest is exactly 1, so the sum cannot underflow to zero.
    """
    a = weighted_log_prob
    m = a.max(axis=1)  # (N,); finite unless x_n is beyond the float range of every component
    far = np.isneginf(m)  # p(x_n | k) rounds to 0 for every k: log p(x_n) = -inf, r_nk undefined (NaN)
    if far.any():
        m = np.where(far, 0.0, m)
    with np.errstate(invalid="ignore", divide="ignore"):
        resp = np.exp(a - m[:, None])  # (N, K), numerators of eq. (gmm-resp) scaled by exp(-m_n)
        total = resp.sum(axis=1)  # (N,), in [1, K]
        resp /= total[:, None]  # r_nk, eq. (gmm-resp)
        return np.log(total) + m, resp  # log p(x_n) = m_n + log sum_k exp(a_nk - m_n)


def check_not_too_far(log_norm, name="X"):
    """Refuse samples whose density under every component rounds to 0 (their posteriors are 0/0)."""
    far = np.flatnonzero(np.isneginf(log_norm))
    if far.size:
        raise ValueError(
            f"{name} row {int(far[0])} ({far.size} row(s) in all) lies so far from every component (squared "
            f"Mahalanobis distance beyond the float64 range, ~1e308) that its density rounds to 0 under all of "
            f"them, so which component it belongs to is undefined (0/0); its log_prob is -inf. Rescale {name} "
            f"like the training data, or drop such outliers.")


def check_squares_finite(X, name="X"):
    """Refuse training data whose squares overflow float64 (moments and covariances would be inf)."""
    with np.errstate(over="ignore"):
        total = np.einsum("nd,nd->", X, X)
    if not np.isfinite(4.0 * total):  # 4: (x - mu)^2 <= 4 max(x^2, mu^2)
        raise ValueError(
            f"{name} is too large for float64: the sum of its squared values overflows (max |x| = "
            f"{np.abs(X).max():.3g}), so its covariance cannot be computed; rescale {name}, e.g. "
            f"sklearn.preprocessing.StandardScaler, or divide by a power of 10.")
    return X


def log_responsibilities(weighted_log_prob):
    """Normalise ``log pi_k + log N(x_n | mu_k, Sigma_k)`` over components, in log space.

    Implements the denominator of eq. (gmm-resp) with the log-sum-exp trick:
    ``log p(x_n) = m_n + log sum_k exp(a_nk - m_n)`` with ``m_n = max_k a_nk``.

    Parameters
    ----------
    weighted_log_prob : ndarray of shape (N, K)

    Returns
    -------
    log_norm : ndarray of shape (N,)
        ``log p(x_n)``, eq. (gmm-density).
    log_resp : ndarray of shape (N, K)
        ``log r_nk``, eq. (gmm-resp).

    Examples
    --------
    >>> ln, lr = log_responsibilities(np.log([[0.2, 0.6]]))
    >>> round(float(np.exp(ln[0])), 3), np.round(np.exp(lr), 3).tolist()
    (0.8, [[0.25, 0.75]])
    """
    weighted_log_prob = _toolbox_array(weighted_log_prob, "weighted_log_prob", 2, allow_neg_inf=True)
    return _log_responsibilities(weighted_log_prob)


def _log_responsibilities(weighted_log_prob):
    """:func:`log_responsibilities`, unchecked: the EM loops call it on arrays they made."""
    log_norm, _ = _normalise(weighted_log_prob)
    return log_norm, weighted_log_prob - log_norm[:, None]


# ----------------------------------------------------------------------------------------
# The M-step, eq. (gmm-mstep)
# ----------------------------------------------------------------------------------------
def estimate_parameters(X, resp, reg_covar, covariance_type):
    """Closed-form M-step: weights, means and covariances from responsibilities.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    resp : ndarray of shape (N, K)
        Responsibilities ``r_nk`` (rows sum to one; one-hot rows give hard assignments).
    reg_covar : float
        Added to the diagonal of every covariance, so none is singular.
    covariance_type : {"full", "tied", "diag", "spherical"}

    Returns
    -------
    weights : ndarray of shape (K,)
    means : ndarray of shape (K, D)
    covariances : ndarray, layout of ``covariance_type``

    Examples
    --------
    >>> X = np.array([[0.0], [2.0], [10.0]])
    >>> w, m, c = estimate_parameters(X, np.array([[1, 0], [1, 0], [0, 1.0]]), 0.0, "full")
    >>> np.round(w, 3).tolist(), np.round(m.ravel(), 6).tolist(), np.round(c.ravel(), 6).tolist()
    ([0.667, 0.333], [1.0, 10.0], [1.0, 0.0])
    """
    covariance_type = check_option(covariance_type, "covariance_type", COVARIANCE_TYPES)
    X, resp = _toolbox_array(X, "X", 2), _toolbox_array(resp, "resp", 2)
    if resp.shape[0] != X.shape[0] or resp.min() < 0:
        raise ValueError(f"resp must hold non-negative responsibilities, one row per row of X ({X.shape[0]}), "
                         f"got shape {resp.shape} with minimum {resp.min():.3g}.")
    reg_covar = check_float(reg_covar, "reg_covar", minimum=0.0)
    return _estimate_parameters(X, resp, reg_covar, covariance_type)


def _estimate_parameters(X, resp, reg_covar, covariance_type):
    """:func:`estimate_parameters`, unchecked: the EM loops call it on arrays they made."""
    N, D = X.shape
    # N_k = sum_n r_nk; the 10 eps keeps an empty component from dividing by zero.
    nk = resp.sum(axis=0) + 10 * np.finfo(resp.dtype).eps  # (K,)
    means = (resp.T @ X) / nk[:, None]  # (K, D): mu_k = sum_n r_nk x_n / N_k
    K = means.shape[0]
    if covariance_type == "full":
        cov = np.empty((K, D, D))
        resp_t = np.ascontiguousarray(resp.T)  # (K, N): one contiguous row per component
        for k in range(K):
            diff = X - means[k]  # (N, D)
            # Sigma_k = sum_n r_nk (x_n - mu_k)(x_n - mu_k)^T / N_k
            cov[k] = (diff.T * resp_t[k]) @ diff / nk[k]
            cov[k].flat[:: D + 1] += reg_covar
    elif covariance_type == "tied":
        # one Sigma for all: sum_k N_k Sigma_k / N = (X^T X - sum_k N_k mu_k mu_k^T) / N
        cov = (X.T @ X - (nk[:, None] * means).T @ means) / nk.sum()
        cov.flat[:: D + 1] += reg_covar
    else:
        # diagonal: sigma_kd^2 = sum_n r_nk x_nd^2 / N_k - mu_kd^2; the difference can round
        # below zero for a collapsed component, so it is floored at zero before reg_covar.
        cov = np.maximum((resp.T @ (X * X)) / nk[:, None] - means**2, 0.0) + reg_covar  # (K, D)
        if covariance_type == "spherical":
            cov = cov.mean(axis=1)  # (K,): sigma_k^2 = average of the D variances
    weights = nk / nk.sum()  # pi_k = N_k / N
    return weights, means, cov


def check_covariances(covariances, name, n_components, n_features, covariance_type):
    """Validate covariances given by a user (shape of ``covariance_type``, symmetric, positive definite).

    Examples
    --------
    >>> check_covariances([1.0, 2.0], "covariances_init", 2, 3, "spherical").tolist()
    [1.0, 2.0]
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be the argument's name (a str) for the messages, got {type(name).__name__}.")
    K = check_int(n_components, "n_components", minimum=1)
    D = check_int(n_features, "n_features", minimum=1)
    covariance_type = check_option(covariance_type, "covariance_type", COVARIANCE_TYPES)
    shape = {"full": (K, D, D), "tied": (D, D), "diag": (K, D), "spherical": (K,)}[covariance_type]
    c = check_array(covariances, name, ndim=max(np.ndim(covariances), 1))
    if c.shape != shape:
        raise ValueError(f"{name} must have shape {shape} for covariance_type={covariance_type!r}, got {c.shape}.")
    if covariance_type in ("full", "tied") and not np.allclose(c, np.swapaxes(c, -1, -2)):
        raise ValueError(f"{name} must be symmetric; pass (C + C.T) / 2.")
    try:
        precision_cholesky(c, covariance_type)
    except ValueError:
        raise ValueError(f"{name} must be positive definite (every eigenvalue / variance > 0); "
                         f"add reg_covar to its diagonal.") from None
    return c


def sample_components(means, covariances, covariance_type, z, rng):
    """Draw ``x_i ~ N(mu_{z_i}, Sigma_{z_i})`` for given components ``z`` (shape (n,)): (n, D).

    ``x_i = mu_z + A_z eps_i`` with ``eps_i ~ N(0, I)`` and ``A_z A_z^T = Sigma_z`` (Cholesky).

    Examples
    --------
    >>> sample_components(np.zeros((1, 2)), np.ones(1), "spherical", np.zeros(3, int),
    ...                   np.random.default_rng(0)).shape
    (3, 2)
    """
    covariance_type = check_option(covariance_type, "covariance_type", COVARIANCE_TYPES)
    means = _toolbox_array(means, "means", 2)
    covariances = check_covariances(covariances, "covariances", means.shape[0], means.shape[1], covariance_type)
    z = _check_components(z, means.shape[0])
    _check_rng(rng)
    eps = rng.standard_normal((len(z), means.shape[1]))  # eps_i ~ N(0, I)
    if covariance_type == "full":
        X = np.einsum("nij,nj->ni", np.linalg.cholesky(covariances)[z], eps)
    elif covariance_type == "tied":
        X = eps @ np.linalg.cholesky(covariances).T
    elif covariance_type == "diag":
        X = eps * np.sqrt(covariances[z])
    else:
        X = eps * np.sqrt(covariances[z])[:, None]
    return X + means[z]


def _check_rng(rng):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}; pass "
                        f"np.random.default_rng(seed).")
    return rng


def _check_components(z, n_components):
    """Component indices: a 1-D array of whole numbers in [0, n_components)."""
    arr = check_array(z, "z", ndim=1, min_samples=0, dtype=np.float64) if np.size(z) else np.asarray(z)
    if arr.ndim != 1 or arr.dtype.kind not in "iuf" or (arr.size and (
            not np.all(arr == np.round(arr)) or arr.min() < 0 or arr.max() >= n_components)):
        raise ValueError(f"z must be a 1-D array of component indices in 0..{n_components - 1}, got "
                         f"{np.asarray(z)!r:.80}.")
    return arr.astype(np.int64)


def n_parameters(n_components, n_features, covariance_type):
    """Number of free parameters of a mixture, for :meth:`GaussianMixture.bic`.

    ``K - 1`` weights, ``K D`` mean entries and the covariance entries: ``K D (D+1) / 2``
    (full), ``D (D+1) / 2`` (tied), ``K D`` (diag) or ``K`` (spherical).

    Examples
    --------
    >>> n_parameters(3, 2, "full")
    17
    """
    n_components = check_int(n_components, "n_components", minimum=1)
    n_features = check_int(n_features, "n_features", minimum=1)
    covariance_type = check_option(covariance_type, "covariance_type", COVARIANCE_TYPES)
    K, D = n_components, n_features
    cov = {"full": K * D * (D + 1) // 2, "tied": D * (D + 1) // 2, "diag": K * D, "spherical": K}
    return cov[check_option(covariance_type, "covariance_type", COVARIANCE_TYPES)] + K * D + K - 1


def _min_eigenvalues(covariances, covariance_type):
    """Smallest eigenvalue of each component's covariance, shape (K,) (one value if tied)."""
    if covariance_type == "full":
        return np.linalg.eigvalsh(covariances)[:, 0]
    if covariance_type == "tied":
        return np.linalg.eigvalsh(covariances)[:1]
    if covariance_type == "diag":
        return covariances.min(axis=1)
    return covariances


# ----------------------------------------------------------------------------------------
# k-means: the initialisation, and EM's small-variance limit
# ----------------------------------------------------------------------------------------
def _sq_distances(X, centers):
    """Squared Euclidean distances, shape (N, K), never negative."""
    d2 = np.einsum("nd,nd->n", X, X)[:, None] - 2.0 * X @ centers.T + np.einsum("kd,kd->k", centers, centers)
    return np.maximum(d2, 0.0, out=d2)


def kmeans_plusplus(X, n_clusters, rng):
    """Seed ``n_clusters`` centres by k-means++ (D^2 sampling) (Arthur & Vassilvitskii, 2007).

    The first centre is a uniformly drawn sample; each next one is a sample drawn with
    probability proportional to its squared distance to the nearest centre so far.

    Examples
    --------
    >>> X = np.array([[0.0, 0], [0, 1], [10, 0], [10, 1]])
    >>> C = kmeans_plusplus(X, 2, np.random.default_rng(0))
    >>> sorted(C[:, 0].tolist())
    [0.0, 10.0]
    """
    X = check_squares_finite(_toolbox_array(X, "X", 2))  # squared distances must not overflow
    n_clusters = check_int(n_clusters, "n_clusters", minimum=1, maximum=X.shape[0])
    _check_rng(rng)
    N = X.shape[0]
    centers = np.empty((n_clusters, X.shape[1]))
    centers[0] = X[rng.integers(N)]
    d2 = _sq_distances(X, centers[:1])[:, 0]  # (N,)
    for k in range(1, n_clusters):
        total = d2.sum()
        # all points coincide with a centre (duplicated data): fall back to a uniform draw
        i = rng.integers(N) if total <= 0 else rng.choice(N, p=d2 / total)
        centers[k] = X[i]
        np.minimum(d2, _sq_distances(X, centers[k : k + 1])[:, 0], out=d2)
    return centers


def kmeans(X, centers, *, max_iter=100):
    """Lloyd's k-means from the given centres; returns ``(centers, labels)``.

    An empty cluster keeps its previous centre.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [9.0], [10.0]])
    >>> c, labels = kmeans(X, np.array([[0.0], [1.0]]))
    >>> c.ravel().tolist(), labels.tolist()
    ([0.5, 9.5], [0, 0, 1, 1])
    """
    X, centers = _toolbox_array(X, "X", 2), _toolbox_array(centers, "centers", 2)
    if centers.shape[1] != X.shape[1]:
        raise ValueError(f"centers have {centers.shape[1]} columns but X has {X.shape[1]}; one center per row, "
                         f"in the space of X.")
    max_iter = check_int(max_iter, "max_iter", minimum=0)
    centers = np.array(centers, dtype=np.float64, copy=True)
    labels = None
    K = centers.shape[0]
    for _ in range(max_iter):
        new = _sq_distances(X, centers).argmin(axis=1)  # assign to the nearest centre
        if labels is not None and np.array_equal(new, labels):
            break
        labels = new
        counts = np.bincount(labels, minlength=K)
        sums = np.zeros_like(centers)
        np.add.at(sums, labels, X)
        full = counts > 0
        centers[full] = sums[full] / counts[full, None]  # move each centre to its mean
    return centers, labels


def kmeans_limit(X, means_init, *, variance, max_iter=100, tol=1e-10):
    """EM for a mixture with equal weights and one fixed covariance ``variance * I``.

    Only the means are learned. The E-step gives soft assignments
    ``r_nk = softmax_k(-||x_n - mu_k||^2 / (2 variance))`` and the M-step moves each mean to
    the responsibility-weighted average. As ``variance -> 0`` the responsibilities become
    one-hot (hard EM) and the algorithm *is* Lloyd's k-means; large variances pull all
    means together. The chapter uses it to show k-means as a limit of EM.

    Parameters
    ----------
    X : array-like of shape (N, D)
    means_init : array-like of shape (K, D)
    variance : float > 0
        The shared, fixed variance sigma^2.
    max_iter : int
    tol : float
        Stop when no mean moves by more than ``tol``.

    Returns
    -------
    means : ndarray of shape (K, D)
    resp : ndarray of shape (N, K)
    n_iter : int

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [9.0], [10.0]])
    >>> m, r, _ = kmeans_limit(X, [[0.0], [1.0]], variance=1e-6)
    >>> m.ravel().round(3).tolist(), r.argmax(axis=1).tolist()
    ([0.5, 9.5], [0, 0, 1, 1])
    """
    X = check_array(X, "X")
    means = check_array(means_init, "means_init").copy()
    check_n_features(means, X.shape[1], "means_init")
    variance = check_float(variance, "variance", minimum=0.0, strict=True)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    tol = check_float(tol, "tol", minimum=0.0)
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        # E-step with pi_k = 1/K and Sigma_k = variance * I: log r_nk = -d2 / (2 var) - log Z_n
        _, resp = _normalise(-_sq_distances(X, means) / (2.0 * variance))
        nk = resp.sum(axis=0)
        new = means.copy()
        filled = nk > 0
        new[filled] = (resp.T @ X)[filled] / nk[filled, None]  # M-step for the means only
        shift = np.abs(new - means).max()
        means = new
        if shift <= tol:
            break
    return means, _normalise(-_sq_distances(X, means) / (2.0 * variance))[1], n_iter


# ----------------------------------------------------------------------------------------
# The estimator
# ----------------------------------------------------------------------------------------
def _blas_threads(limit):
    """Context that caps BLAS threads at ``limit`` (``None``: leave them alone)."""
    if limit is None:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits  # a scikit-learn dependency

    return threadpool_limits(limits=limit, user_api="blas")


class GaussianMixture(BaseEstimator):
    """Gaussian mixture model fitted by expectation-maximisation (Dempster, Laird & Rubin, 1977).

    ``p(x) = sum_k pi_k N(x | mu_k, Sigma_k)``. The API follows
    ``sklearn.mixture.GaussianMixture`` (same hyper-parameters, same fitted attributes, same
    EM iterations from the same start) with the course's sampling protocol.

    Parameters
    ----------
    n_components : int, default=1
        Number of mixture components K.
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
        Shape of the covariances (see the module docstring).
    tol : float, default=1e-3
        EM stops when the mean log-likelihood per sample improves by less than ``tol``.
    reg_covar : float, default=1e-6
        Added to the diagonal of every covariance: keeps a collapsed component finite.
    max_iter : int, default=100
        EM iterations per initialisation; 0 keeps the initial parameters.
    n_init : int, default=1
        Number of initialisations; the one with the highest final log-likelihood is kept.
    init_params : {"kmeans", "random"}, default="kmeans"
        ``"kmeans"``: responsibilities are the hard labels of k-means seeded by k-means++;
        ``"random"``: uniformly random responsibilities, normalised per sample.
    weights_init, means_init, covariances_init : array-like, optional
        Initial parameters; each one given replaces the one computed by ``init_params``.
        ``covariances_init`` has the layout of ``covariance_type`` (scikit-learn takes
        ``precisions_init``, their inverses, instead).
    warm_start : bool, default=False
        If True and the model is fitted, ``fit`` continues EM from the current parameters
        (one initialisation), e.g. to record EM one iteration at a time.
    random_state : None, int or numpy.random.Generator
        Becomes one Generator at ``fit``: it seeds the initialisation, and :meth:`sample`
        keeps drawing from it, so repeated calls give new draws and the same seed gives the
        same fit and the same draws.
    verbose : int, default=0
        If > 0, show a progress bar (tqdm) over EM iterations with the log-likelihood.

    Attributes
    ----------
    weights_ : ndarray of shape (K,)
        Mixing weights pi_k.
    means_ : ndarray of shape (K, D)
    covariances_ : ndarray
        Layout of ``covariance_type``.
    precisions_cholesky_ : ndarray
        Cholesky factors U of the precisions, Sigma^-1 = U U^T.
    converged_ : bool
        Whether the kept initialisation met ``tol`` within ``max_iter``.
    n_iter_ : int
        EM iterations of the kept initialisation.
    history_ : dict of lists
        ``history_["log_likelihood"]``: the mean log-likelihood per sample of the training
        data before each EM iteration and after the last one: entry ``t`` belongs to the
        parameters after ``t`` iterations, so it has ``n_iter_ + 1`` entries. EM never lets it
        decrease. A warm-started ``fit`` extends the history of the previous one (then
        ``n_iter_`` counts the iterations of the last call only).
    lower_bound_ : float
        The last entry of ``history_["log_likelihood"]``, the mean log-likelihood of the
        fitted parameters on the training data. (scikit-learn's ``lower_bound_`` is the value
        one M-step earlier; its ``lower_bounds_`` is the history without its last entry.)
    n_features_in_ : int

    See Also
    --------
    sklearn.mixture.GaussianMixture : the reference implementation; genlib reaches the same
        parameters from the same start (``tests/test_gmm.py``).

    Notes
    -----
    ``sample(n)`` returns the draws alone, shape (n, D); ``sample(n, return_latent=True)``
    returns ``(X, z)`` with the component of each draw. scikit-learn's ``sample`` always
    returns ``(X, y)`` and draws from a fixed seed; genlib follows the course's one sampling
    protocol for every model instead (see :meth:`sample`).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(-3, 1, (200, 2)), rng.normal(3, 1, (200, 2))])
    >>> gmm = GaussianMixture(2, random_state=0).fit(X)
    >>> np.round(np.sort(gmm.means_[:, 0]), 1).tolist()
    [-3.1, 3.0]
    >>> gmm.sample(5).shape
    (5, 2)
    >>> round(gmm.score(X), 3), gmm.converged_
    (-3.527, True)
    """

    def __init__(
        self,
        n_components=1,
        *,
        covariance_type="full",
        tol=1e-3,
        reg_covar=1e-6,
        max_iter=100,
        n_init=1,
        init_params="kmeans",
        weights_init=None,
        means_init=None,
        covariances_init=None,
        warm_start=False,
        random_state=None,
        verbose=0,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.covariances_init = covariances_init
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    # -- checks ------------------------------------------------------------------------
    def _check_hyperparameters(self):
        check_int(self.n_components, "n_components", minimum=1)
        check_option(self.covariance_type, "covariance_type", COVARIANCE_TYPES)
        check_float(self.tol, "tol", minimum=0.0)
        check_float(self.reg_covar, "reg_covar", minimum=0.0)
        check_int(self.max_iter, "max_iter", minimum=0)
        check_int(self.n_init, "n_init", minimum=1)
        check_option(self.init_params, "init_params", ("kmeans", "random"))
        if not isinstance(self.warm_start, (bool, np.bool_)):
            raise TypeError(f"warm_start must be True or False, got {self.warm_start!r}.")
        check_int(int(self.verbose) if isinstance(self.verbose, bool) else self.verbose, "verbose", minimum=0)

    def _check_initial_parameters(self, D):
        """Validate ``weights_init``/``means_init``/``covariances_init`` against K and D."""
        K, ctype = self.n_components, self.covariance_type
        w = m = c = None
        if self.weights_init is not None:
            w = check_stochastic(self.weights_init, "weights_init", ndim=1)
            if w.shape != (K,):
                raise ValueError(f"weights_init must have shape ({K},) for n_components={K}, got {w.shape}.")
            if np.any(w == 0):
                raise ValueError("weights_init must be > 0 for every component; drop the empty components.")
        if self.means_init is not None:
            m = check_array(self.means_init, "means_init")
            if m.shape != (K, D):
                raise ValueError(f"means_init must have shape ({K}, {D}) (n_components, n_features), got {m.shape}.")
        if self.covariances_init is not None:
            c = check_covariances(self.covariances_init, "covariances_init", K, D, ctype)
        return w, m, c

    def _check_X(self, X):
        check_is_fitted(self, "means_")
        return check_X(X, "X", estimator=self, n_features=self.n_features_in_)

    # -- parameters as one tuple (to keep the best of several initialisations) ----------
    def _get_parameters(self):
        return self.weights_, self.means_, self.covariances_, self.precisions_cholesky_

    def _set_parameters(self, params):
        self.weights_, self.means_, self.covariances_, self.precisions_cholesky_ = params

    def _initialize(self, X, rng, inits):
        """Initial parameters: responsibilities from ``init_params``, then one M-step."""
        N, K = X.shape[0], self.n_components
        w_init, m_init, c_init = inits
        if w_init is None or m_init is None or c_init is None:
            if self.init_params == "kmeans":
                _, labels = kmeans(X, kmeans_plusplus(X, K, rng))
                resp = np.zeros((N, K))
                resp[np.arange(N), labels] = 1.0  # hard labels of k-means
            else:
                resp = rng.uniform(size=(N, K))
                resp /= resp.sum(axis=1, keepdims=True)
            w, m, c = _estimate_parameters(X, resp, self.reg_covar, self.covariance_type)
        else:
            w = m = c = None
        self.weights_ = w if w_init is None else w_init.copy()
        self.means_ = m if m_init is None else m_init.copy()
        self.covariances_ = c if c_init is None else c_init.copy()
        self.precisions_cholesky_ = precision_cholesky(self.covariances_, self.covariance_type,
                                                       reg_covar=self.reg_covar)

    # -- EM ----------------------------------------------------------------------------
    def _weighted_log_prob(self, X):
        """``log pi_k + log N(x_n | mu_k, Sigma_k)``, shape (N, K)."""
        return _component_log_prob(X, self.means_, self.precisions_cholesky_, self.covariance_type) + np.log(
            self.weights_
        )

    def _e_step(self, X):
        """E-step, eq. (gmm-resp): the mean log-likelihood of the current parameters and ``r`` (N, K)."""
        log_norm, resp = _normalise(self._weighted_log_prob(X))
        return float(log_norm.mean()), resp

    def _m_step(self, X, resp):
        """M-step, eq. (gmm-mstep): closed-form weights, means and covariances from ``r``."""
        self.weights_, self.means_, self.covariances_ = _estimate_parameters(
            X, resp, self.reg_covar, self.covariance_type
        )
        self.precisions_cholesky_ = precision_cholesky(self.covariances_, self.covariance_type,
                                                       reg_covar=self.reg_covar)

    @atomic_fit  # a fit that raises leaves a fitted model as it was
    def fit(self, X, y=None):
        """Estimate the parameters by EM; returns ``self``.

        Parameters
        ----------
        X : array-like of shape (N, D)
            Finite data, at least ``n_components`` samples.
        y : ignored
            Present for scikit-learn pipelines.
        """
        self._check_hyperparameters()
        X = check_squares_finite(check_X(X, "X"))
        N, D = X.shape
        K = self.n_components
        if N < K:
            raise ValueError(
                f"X has {N} sample(s) but n_components={K}; a mixture needs at least as many samples "
                f"as components: reduce n_components or pass more data."
            )
        do_init = not (self.warm_start and getattr(self, "means_", None) is not None)
        if not do_init:
            check_X(X, "X", estimator=self, n_features=self.n_features_in_)
        inits = self._check_initial_parameters(D) if do_init else None
        rng = check_random_state(self.random_state)
        self._rng = rng  # sample() keeps drawing from the same Generator
        self.n_features_in_ = D

        # EM on low-dimensional data is many small matrix products, on which BLAS threads
        # cost more (synchronisation) than they give: run them on one thread, as
        # scikit-learn's KMeans does. Large D (big D x D products) keeps the threads.
        with _blas_threads(1 if D <= _SINGLE_THREAD_MAX_FEATURES else None):
            best = self._fit_inits(X, rng, inits, do_init)
        params, history, converged = best
        self._set_parameters(params)
        self.n_iter_ = len(history) - 1 - (0 if do_init else len(self.history_["log_likelihood"]) - 1)
        self.history_ = {"log_likelihood": history}
        self.lower_bound_ = history[-1]
        self.converged_ = converged
        if not converged and self.max_iter > 0:
            warnings.warn(
                f"EM did not converge in max_iter={self.max_iter} iterations (last change in mean "
                f"log-likelihood {history[-1] - history[-2]:.3g} >= tol={self.tol:g}); increase max_iter or "
                f"tol, try n_init > 1, or check for degenerate data.",
                ConvergenceWarning,
                stacklevel=2,
            )
        self._warn_if_collapsed(X)
        return self

    def _fit_inits(self, X, rng, inits, do_init):
        """Run EM from each initialisation; return (parameters, history, converged) of the best."""
        best = None
        for init in range(self.n_init if do_init else 1):
            if do_init:
                self._initialize(X, rng, inits)
                past = []
            else:  # a warm start continues the recorded history (its last entry is recomputed)
                past = list(self.history_["log_likelihood"][:-1])
            history, converged = self._run_em(X, past, desc=f"EM (init {init + 1})")
            if best is None or history[-1] > best[1][-1]:
                best = (self._get_parameters(), history, converged)
        return best

    def _run_em(self, X, history, desc="EM"):
        """EM from the current parameters, appending to ``history``; returns (history, converged)."""
        converged = False
        bar = None
        if self.verbose and self.max_iter > 0:
            from tqdm import tqdm  # plain tqdm, never tqdm.auto (CONTRIBUTING.md)

            bar = tqdm(total=self.max_iter, desc=desc, leave=False)
        for _ in range(self.max_iter):
            loglik, resp = self._e_step(X)  # log-likelihood of the current parameters
            history.append(loglik)
            self._m_step(X, resp)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loglik=f"{loglik:.5f}")
            if len(history) > 1 and abs(history[-1] - history[-2]) < self.tol:
                converged = True
                break
        if bar is not None:
            bar.close()
        # The log-likelihood of the final parameters (one more E-step, as scikit-learn does).
        history.append(self._e_step(X)[0])
        return history, converged

    def _warn_if_collapsed(self, X):
        """Warn when a covariance sits at the reg_covar floor (a collapsed component)."""
        lam = _min_eigenvalues(self.covariances_, self.covariance_type)
        # the floor: reg_covar itself, plus rounding error relative to the scale of the data
        floor = 2.0 * self.reg_covar + 1e-10 * float(X.var(axis=0).max())
        bad = np.flatnonzero(lam <= floor).tolist()
        if not bad:
            return
        which = "the tied covariance" if self.covariance_type == "tied" else f"component(s) {bad}"
        if self.reg_covar > 0:
            consequence = (f"the variance in some direction is at the reg_covar floor ({self.reg_covar:g}). "
                           f"The fit stays finite thanks to reg_covar, but its likelihood there is not meaningful")
        else:
            consequence = ("the variance in some direction is (numerically) zero, so the likelihood there is "
                           "arbitrarily large; set reg_covar > 0 (e.g. 1e-6)")
        warnings.warn(
            f"{which} collapsed: {consequence}. The data have duplicated points or lie on a "
            f"lower-dimensional subspace, or there are more components than clusters: reduce "
            f"n_components, increase reg_covar, or remove duplicates.",
            UserWarning,
            stacklevel=3,
        )

    # -- inference ---------------------------------------------------------------------
    def log_prob(self, X):
        """Log-density ``log p(x_n)`` of each sample, eq. (gmm-density); shape (N,).

        Examples
        --------
        >>> gmm = GaussianMixture(1).fit([[0.0], [1.0], [2.0]])
        >>> np.round(gmm.log_prob([[1.0]]), 4).tolist()  # log N(1 | 1, 2/3)
        [-0.7162]
        """
        X = self._check_X(X)
        return _normalise(self._weighted_log_prob(X))[0]

    def held_out_likelihood(self, X, *, lengths=None, **options):
        """Mean exact log-likelihood of held-out ``X``, with its standard error (kind ``"exact"``)."""
        return likelihood_summary("exact", self.log_prob(X))

    def score_samples(self, X):
        """Alias of :meth:`log_prob` (scikit-learn's name)."""
        return self.log_prob(X)

    def score(self, X, y=None):
        """Mean log-likelihood per sample, ``mean_n log p(x_n)``."""
        return float(self.log_prob(X).mean())

    def predict_proba(self, X):
        """Responsibilities ``r_nk = p(z_n = k | x_n)``, eq. (gmm-resp); shape (N, K)."""
        X = self._check_X(X)
        log_norm, resp = _normalise(self._weighted_log_prob(X))
        check_not_too_far(log_norm)
        return resp

    def predict(self, X):
        """The most probable component of each sample, ``argmax_k r_nk``; shape (N,)."""
        X = self._check_X(X)
        a = self._weighted_log_prob(X)
        check_not_too_far(a.max(axis=1))
        return a.argmax(axis=1)

    def fit_predict(self, X, y=None):
        """``fit(X)`` then ``predict(X)``."""
        return self.fit(X).predict(X)

    def bic(self, X):
        """Bayesian information criterion (Schwarz, 1978): ``-2 log L + p log N`` (lower is better)."""
        X = self._check_X(X)
        return -2.0 * self.score(X) * X.shape[0] + self._n_parameters() * math.log(X.shape[0])

    def aic(self, X):
        """Akaike information criterion: ``-2 log L + 2 p`` (lower is better)."""
        X = self._check_X(X)
        return -2.0 * self.score(X) * X.shape[0] + 2 * self._n_parameters()

    def _n_parameters(self):
        return n_parameters(self.n_components, self.means_.shape[1], self.covariance_type)

    @property
    def precisions_(self):
        """Precision matrices ``Sigma_k^-1`` (layout of ``covariance_type``)."""
        check_is_fitted(self, "means_")
        U = self.precisions_cholesky_
        if self.covariance_type in ("full", "tied"):
            return U @ np.swapaxes(U, -1, -2)
        return U**2

    # -- generation --------------------------------------------------------------------
    def sample(self, n, *, random_state=None, return_latent=False):
        """Draw ``n`` samples by ancestral sampling: ``z ~ Cat(pi)``, then ``x ~ N(mu_z, Sigma_z)``.

        Parameters
        ----------
        n : int >= 1
            Number of draws.
        random_state : None, int or numpy.random.Generator
            None draws from the model's Generator (set at ``fit``), so repeated calls give
            new draws; a seed gives reproducible draws without touching the model's stream.
        return_latent : bool, default=False
            Also return the component ``z`` of each draw.

        Returns
        -------
        X : ndarray of shape (n, D)
            The draws (in random component order).
        z : ndarray of shape (n,), only if ``return_latent``
            The component of each draw.

        Notes
        -----
        Unlike scikit-learn, whose ``sample`` returns ``(X, y)`` sorted by component and
        always from ``random_state``, genlib returns the draws alone by default: one
        protocol, ``sample(n) -> X``, for every model of the course.

        Examples
        --------
        >>> gmm = GaussianMixture(2, random_state=0).fit([[0.0], [0.1], [5.0], [5.1]])
        >>> X, z = gmm.sample(3, random_state=0, return_latent=True)
        >>> X.shape, z.shape
        ((3, 1), (3,))
        """
        check_is_fitted(self, "means_")
        n = check_int(n, "n", minimum=1)
        rng = self._rng if random_state is None else check_random_state(random_state)
        z = rng.choice(len(self.weights_), size=n, p=self.weights_)  # z_i ~ Cat(pi)
        X = sample_components(self.means_, self.covariances_, self.covariance_type, z, rng)  # x_i ~ N(mu_z, Sigma_z)
        return (X, z) if return_latent else X
