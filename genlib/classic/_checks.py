"""Checks and guards shared by the classic estimators (private).

- :func:`atomic_fit` wraps ``fit`` so that a fit that raises - refused input, or a failure
  half-way through (a singular covariance, data impossible under the initial parameters) -
  leaves the estimator exactly as it was before the call: a refused refit never corrupts a
  fitted model.
- :func:`check_chain` and :func:`check_log_emissions` are, with the shared
  ``genlib._validation.check_lengths``, the checks of the HMM inference functions
  (bools, NaN and infinite lengths are refused by name).
"""

from __future__ import annotations

import functools
import numbers

import numpy as np

from .._validation import check_lengths  # noqa: F401  (re-exported: the HMM inference checks)

__all__ = ["atomic_fit", "check_lengths", "check_chain", "check_log_emissions"]

# Rows of A and pi must sum to one within this (hmmlearn and check_stochastic in hmm.py use the same).
SUM_TOLERANCE = 1e-6


def atomic_fit(fit):
    """Decorator: if ``fit`` raises, restore the estimator's attributes as they were.

    The fitted state of the classic estimators is their instance dictionary, and every fit
    *assigns* new arrays (it never writes into a fitted array in place), so a shallow copy
    of ``__dict__`` taken on entry is a complete snapshot.
    """

    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        saved = dict(self.__dict__)
        try:
            return fit(self, *args, **kwargs)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise

    return wrapper


def check_log_emissions(log_b, name="log_b"):
    """``log p(x_t | z_t = k)`` as a float ``(n_samples, K)`` array: no NaN, no +inf (-inf = impossible)."""
    if hasattr(log_b, "detach") and hasattr(log_b, "cpu"):  # a torch tensor
        log_b = log_b.detach().cpu().numpy()
    arr = np.asarray(log_b)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}; pass the float matrix "
                        f"log p(x_t | z_t = k) of shape (n_samples, n_states).")
    arr = arr.astype(np.float64, copy=False)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_states), got shape {arr.shape}; one row per time "
                         f"step, one column per hidden state.")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); pass at least one step and one state.")
    if np.isnan(arr).any() or np.isposinf(arr).any():
        n_nan, n_inf = int(np.isnan(arr).sum()), int(np.isposinf(arr).sum())
        raise ValueError(f"{name} contains {n_nan} NaN and {n_inf} +inf value(s); log-likelihoods must be real "
                         f"or -inf (an impossible emission): find where the emission model produced them.")
    return arr


def _check_distribution(P, name, ndim, log_space, n_states=None):
    if hasattr(P, "detach") and hasattr(P, "cpu"):
        P = P.detach().cpu().numpy()
    arr = np.asarray(P)
    what = "log-probabilities" if log_space else "probabilities"
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real {what}, got dtype {arr.dtype}.")
    arr = arr.astype(np.float64)
    shape = "(K,)" if ndim == 1 else "(K, K)"
    if arr.ndim != ndim or (ndim == 2 and arr.shape[0] != arr.shape[1]):
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}" +
                         ("; a transition matrix is square (previous state x next state)." if ndim == 2 else "."))
    if arr.size == 0:
        raise ValueError(f"{name} is empty; pass at least one state.")
    if n_states is not None and arr.shape[0] != n_states:
        raise ValueError(f"{name} has {arr.shape[0]} states but log_b has {n_states} columns; pi, A and log_b "
                         f"must describe the same number of hidden states K.")
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains {int(np.isnan(arr).sum())} NaN value(s); pass finite {what}.")
    if log_space:
        if np.isposinf(arr).any() or (arr > SUM_TOLERANCE).any():
            raise ValueError(f"{name} holds log-probabilities, which are <= 0, but its largest entry is "
                             f"{arr.max():.6g}; pass np.log of probabilities (did you pass the probabilities "
                             f"themselves?).")
        with np.errstate(under="ignore"):
            prob = np.exp(arr)
    else:
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains infinite values; probabilities lie in [0, 1].")
        if arr.min() < 0:
            raise ValueError(f"{name} has negative entries (min {arr.min():.6g}); probabilities must be >= 0 "
                             f"(did you pass log-probabilities? then use np.exp({name})).")
        prob = arr
    sums = prob.sum(axis=-1)
    bad = np.abs(sums - 1.0) > SUM_TOLERANCE
    if np.any(bad):
        i = int(np.flatnonzero(np.atleast_1d(bad))[0])
        where = f"sums to {float(np.atleast_1d(sums)[i]):.9g}" if ndim == 1 else \
            f"row {i} sums to {float(sums[i]):.9g}"
        fix = (f"normalise with {name} - logsumexp({name}, axis=-1, keepdims=True)" if log_space else
               f"normalise with {name} / {name}.sum(axis=-1, keepdims=True)")
        total = "exp(" + name + ")" if log_space else name
        raise ValueError(f"{total} must sum to 1{'' if ndim == 1 else ' along each row'} within "
                         f"{SUM_TOLERANCE:g}, but {where}; {fix}.")
    return arr


def check_chain(pi, A, n_states, *, log_space, names=("pi", "A")):
    """Initial distribution ``(K,)`` and row-stochastic transition matrix ``(K, K)``, K = ``n_states``.

    In ``log_space`` they are log-probabilities (``-inf`` for an impossible start or move).
    """
    if pi is not None:  # None: only A (the backward recursion has no pi)
        pi = _check_distribution(pi, names[0], 1, log_space, n_states)
    A = _check_distribution(A, names[1], 2, log_space, n_states)
    return pi, A


def check_X(X, name="X", *, estimator=None, n_features=None):
    """``genlib._validation.check_array`` for the classic (scikit-learn style) estimators.

    Adds what scikit-learn's estimator checks expect of a scikit-learn estimator, each message
    still naming the argument, what came and the fix: object arrays of numbers (as pandas
    gives them) are converted, not refused; complex data, 1-D input, zero features and a
    feature count other than the fitted one are refused in scikit-learn's words.
    """
    from .._validation import check_array

    if hasattr(X, "detach") and hasattr(X, "cpu"):  # a torch tensor: check_array handles it
        return _check_n_features(check_array(X, name), name, estimator, n_features)
    if not (hasattr(X, "tocsr") and hasattr(X, "nnz")):
        try:
            arr = np.asarray(X)
        except Exception:
            arr = None  # ragged: check_array says so
        if arr is not None:
            if arr.dtype == object:
                try:
                    X = arr.astype(np.float64)
                except (TypeError, ValueError) as exc:
                    raise TypeError(f"{name} must hold numbers; its object array has an entry that is not one "
                                    f"({exc}); convert {name} with {name}.astype(float) after fixing it.") from None
            elif np.iscomplexobj(arr):
                raise ValueError(f"{name} has complex dtype {arr.dtype}: Complex data not supported; pass "
                                 f"{name}.real if the imaginary part is meant to be dropped.")
            elif arr.ndim == 1 and arr.dtype.kind in "biuf":
                raise ValueError(f"{name} must be 2-D (n_samples, n_features), got 1-D of shape {arr.shape}; "
                                 f"Reshape your data: {name}.reshape(-1, 1) for a single feature or "
                                 f"{name}.reshape(1, -1) for a single sample.")
            elif arr.ndim == 2 and arr.shape[1] == 0:
                raise ValueError(f"{name} has 0 feature(s) (shape={arr.shape}) while a minimum of 1 is required; "
                                 f"pass at least one column.")
    return _check_n_features(check_array(X, name), name, estimator, n_features)


def _check_n_features(X, name, estimator, n_features):
    if n_features is not None and X.shape[1] != n_features:
        who = type(estimator).__name__ if estimator is not None else "the model"
        raise ValueError(f"{name} has {X.shape[1]} features, but {who} is expecting {n_features} features as "
                         f"input (the number it was fitted on); pass data with the same columns as in fit.")
    return X


def check_verbose(verbose, name="verbose"):
    """``verbose``: a bool or a non-negative int (a level), nothing else."""
    if isinstance(verbose, (bool, np.bool_)):
        return bool(verbose)
    if isinstance(verbose, numbers.Integral) and verbose >= 0:
        return int(verbose)
    raise TypeError(f"{name} must be True/False or a non-negative int, got {type(verbose).__name__} ({verbose!r}); "
                    f"pass {name}=True to show progress.")
