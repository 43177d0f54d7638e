"""Input checks shared by every public entry point of genlib.

Each check returns the cleaned value (a NumPy array of the right dtype, a Generator, ...)
or raises ``ValueError``/``TypeError`` with a message that names the argument, says what
was expected and what came, and suggests the fix. Models call these first thing, so the
maths below them can assume clean input.
"""

from __future__ import annotations

import numbers
from typing import Any, Iterable, Sequence

import numpy as np


__all__ = [
    "check_array",
    "check_binary",
    "check_counts",
    "check_sequences",
    "check_lengths",
    "check_n_features",
    "check_is_fitted",
    "check_random_state",
    "check_int",
    "check_float",
    "check_option",
    "check_stochastic",
]


def _describe(X: Any) -> str:
    shape = getattr(X, "shape", None)
    dtype = getattr(X, "dtype", None)
    if shape is not None:
        return f"{type(X).__name__} of shape {shape} and dtype {dtype}"
    return type(X).__name__


def _to_numeric(X: Any, name: str) -> np.ndarray:
    """``np.asarray`` that refuses text, objects, complex numbers and sparse matrices."""
    if hasattr(X, "tocsr") and hasattr(X, "nnz"):
        raise TypeError(
            f"{name} is a sparse matrix; this function needs a dense array: pass {name}.toarray()."
        )
    if hasattr(X, "detach") and hasattr(X, "cpu"):  # a torch tensor
        X = X.detach().cpu().numpy()
    try:
        arr = np.asarray(X)
    except Exception as exc:  # ragged nested lists and the like
        raise ValueError(f"{name} could not be turned into an array ({exc}); pass a rectangular array.") from None
    if arr.dtype == object:
        raise TypeError(f"{name} must hold numbers, got an object array ({_describe(X)}); "
                        f"pass a rectangular float array, not a list of mixed or ragged items.")
    if arr.dtype.kind in "US":
        raise TypeError(f"{name} must hold numbers, got text of dtype {arr.dtype}; convert it with float(...) first.")
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} must be real, got complex dtype {arr.dtype}; pass {name}.real if that is meant.")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}.")
    return arr


def check_array(
    X: Any,
    name: str = "X",
    *,
    ndim: int | None = 2,
    dtype: Any = np.float64,
    min_samples: int = 1,
    allow_nonfinite: bool = False,
) -> np.ndarray:
    """Return ``X`` as a finite array with ``ndim`` dimensions and floating ``dtype``.

    Parameters
    ----------
    X : array-like
        The input. Lists, NumPy arrays and CPU/GPU torch tensors are accepted.
    name : str
        The argument's name, used in error messages.
    ndim : int or None
        Required number of dimensions (2 for a data matrix of shape (n_samples, n_features));
        None accepts any number of at least one.
    dtype : numpy dtype
        The floating dtype of the result.
    min_samples : int
        Smallest allowed length of the first axis.
    allow_nonfinite : bool
        Accept NaN and inf (for masks and the like); default False.

    Examples
    --------
    >>> check_array([[1, 2], [3, 4]]).dtype
    dtype('float64')
    >>> check_array([1.0, 2.0])
    Traceback (most recent call last):
    ...
    ValueError: X must be 2-D (n_samples, n_features), got 1-D of shape (2,); reshape a single feature with X.reshape(-1, 1) or a single sample with X.reshape(1, -1).
    """
    arr = _to_numeric(X, name)
    if ndim is None and arr.ndim == 0:
        raise ValueError(f"{name} must be an array, got a single value {X!r}.")
    if ndim is not None and arr.ndim != ndim:
        hint = ""
        if ndim == 2 and arr.ndim == 1:
            hint = "; reshape a single feature with X.reshape(-1, 1) or a single sample with X.reshape(1, -1)"
            hint = hint.replace("X.", f"{name}.")
            shape = "(n_samples, n_features)"
        else:
            shape = ""
        raise ValueError(f"{name} must be {ndim}-D {shape}".rstrip() +
                         f", got {arr.ndim}-D of shape {arr.shape}{hint}.")
    if arr.shape[0] < min_samples or arr.size == 0:
        raise ValueError(
            f"{name} needs at least {max(min_samples, 1)} sample(s) and at least one feature, "
            f"got shape {arr.shape}; pass a non-empty array."
        )
    arr = arr.astype(dtype, copy=False)
    if not allow_nonfinite and not np.all(np.isfinite(arr)):
        n_nan = int(np.isnan(arr).sum())
        n_inf = int(np.isinf(arr).sum())
        raise ValueError(
            f"{name} contains {n_nan} NaN and {n_inf} infinite value(s); "
            f"drop or impute them (e.g. sklearn.impute.SimpleImputer) before calling this."
        )
    # torch cannot wrap negative strides (np.flip, np.rot90): hand on a contiguous array
    return np.ascontiguousarray(arr)


def check_n_features(X: np.ndarray, n_features: int, name: str = "X") -> None:
    """Raise if ``X`` (2-D) does not have the ``n_features`` the model was fitted on."""
    if X.shape[1] != n_features:
        raise ValueError(
            f"{name} has {X.shape[1]} feature(s) but the model was fitted on {n_features}; "
            f"pass data with the same columns as in fit."
        )


def check_binary(X: Any, name: str = "X", *, ndim: int = 2, dtype: Any = np.float64) -> np.ndarray:
    """Return ``X`` as a float array whose every entry is 0 or 1.

    Energy models with Bernoulli units (RBM, DBN, DBM) need binary data; grey values are
    refused with a hint to binarise (or to use a Gaussian-visible model).
    """
    arr = check_array(X, name, ndim=ndim, dtype=dtype)
    bad = (arr != 0) & (arr != 1)
    if bad.any():
        example = arr[bad].flat[0]
        raise ValueError(
            f"{name} must be binary (0/1) for Bernoulli units, found {int(bad.sum())} other value(s) such as "
            f"{example!r}; binarise with ({name} > 0.5).astype(float) or sample with "
            f"rng.random({name}.shape) < {name}."
        )
    return arr


def check_counts(X: Any, name: str = "X", *, allow_empty_rows: bool = False):
    """Return a document-term count matrix as CSR ``scipy.sparse`` of int64.

    Accepts dense arrays and any ``scipy.sparse`` matrix/array. Counts must be finite,
    non-negative integers; the vocabulary (columns) must not be empty, and unless
    ``allow_empty_rows`` each document (row) must hold at least one word.
    """
    import scipy.sparse as sp

    if sp.issparse(X):
        M = sp.csr_matrix(X)
        data = M.data
        if M.ndim != 2:  # pragma: no cover - scipy sparse is always 2-D
            raise ValueError(f"{name} must be 2-D (n_documents, n_words).")
        if data.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold counts, got dtype {data.dtype}.")
    else:
        arr = _to_numeric(X, name)
        if arr.ndim != 2:
            raise ValueError(
                f"{name} must be 2-D (n_documents, n_words), got {arr.ndim}-D of shape {arr.shape}; "
                f"build a document-term matrix, e.g. with sklearn's CountVectorizer."
            )
        M = sp.csr_matrix(arr)
        data = M.data
    if M.shape[1] == 0:
        raise ValueError(f"{name} has an empty vocabulary (0 columns); every document needs at least one word type.")
    if M.shape[0] == 0:
        raise ValueError(f"{name} has no documents (0 rows); pass at least one document.")
    if data.size and not np.all(np.isfinite(data)):
        raise ValueError(f"{name} contains NaN or infinite counts; counts must be finite non-negative integers.")
    if data.size and data.min() < 0:
        raise ValueError(f"{name} contains negative counts (min {data.min()}); counts must be >= 0.")
    if data.size and not np.all(data == np.round(data)):
        raise ValueError(
            f"{name} contains non-integer counts such as {data[data != np.round(data)][0]!r}; "
            f"topic models need word counts, not tf-idf weights: use CountVectorizer, not TfidfVectorizer."
        )
    M = M.astype(np.int64)
    M.eliminate_zeros()
    if not allow_empty_rows:
        empty = np.flatnonzero(np.diff(M.indptr) == 0)
        if empty.size:
            raise ValueError(
                f"{name} has {empty.size} empty document(s) (rows with no words), e.g. row {int(empty[0])}; "
                f"drop them with {name}[{name}.sum(axis=1).A1 > 0]."
            )
    return M


def _preview(arr, n=6):
    flat = np.asarray(arr).ravel()
    text = np.array2string(flat[:n], separator=", ", precision=6)
    return text[:-1] + ", ...]" if flat.size > n else text


def check_lengths(lengths: Any, n_samples: int, name: str = "lengths", rows: str = "X") -> np.ndarray:
    """Lengths of concatenated sequences: positive whole numbers summing to ``n_samples``, as int64.

    ``None`` means one sequence of ``n_samples`` steps (hmmlearn's convention); ``rows`` names the
    array whose rows the lengths split, for the message.
    """
    if lengths is None:
        return np.array([n_samples], dtype=np.int64)
    if isinstance(lengths, (numbers.Number, str, bytes)):
        raise TypeError(f"{name} must be a list of sequence lengths, got the single {type(lengths).__name__} "
                        f"{lengths!r}; pass [{lengths!r}] for one sequence, or None.")
    try:
        arr = np.asarray(lengths)
    except Exception as exc:
        raise TypeError(f"{name} could not be read as a list of integers ({exc}); pass a 1-D list of ints.") from None
    if arr.dtype.kind == "b" or (arr.dtype == object and any(isinstance(v, bool) for v in arr.ravel())):
        raise TypeError(f"{name} must hold integer lengths, got booleans {_preview(arr)}; pass the length of "
                        f"each sequence, e.g. [100, 50].")
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold integer lengths, got dtype {arr.dtype} ({_preview(arr)}); pass a 1-D "
                        f"list of ints such as [100, 50].")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one length per sequence), got shape {arr.shape}; pass "
                         f"{name}.ravel() or a plain list of ints.")
    if arr.size == 0:
        raise ValueError(f"{name} is empty; pass None for a single sequence or one length per sequence.")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains NaN or infinite values ({_preview(arr)}); pass whole numbers.")
        if not np.all(arr == np.round(arr)):
            bad = arr[arr != np.round(arr)][0]
            raise ValueError(f"{name} must hold whole numbers, got {bad!r} in {_preview(arr)}; pass integer "
                             f"lengths (e.g. {name}.astype(int) if they are whole).")
    arr = arr.astype(np.int64)
    if arr.min() < 1:
        i = int(np.argmin(arr))
        raise ValueError(f"{name} must be positive, got {int(arr[i])} at position {i}; drop empty sequences.")
    if int(arr.sum()) != n_samples:
        raise ValueError(f"{name} sums to {int(arr.sum())} but {rows} has {n_samples} rows; the lengths must "
                         f"split the rows exactly into consecutive sequences (or pass None for one sequence).")
    return arr


def check_sequences(
    X: Any,
    lengths: Any = None,
    name: str = "X",
    *,
    n_symbols: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return integer symbols as a 1-D int64 array and the checked ``lengths``.

    ``X`` is a column of symbols of shape (n_samples, 1), as in hmmlearn; a 1-D array is
    accepted too. Symbols must be whole, non-negative, and below ``n_symbols`` when given.
    """
    arr = _to_numeric(X, name)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must hold one symbol per row, shape (n_samples, 1) or (n_samples,), got shape {arr.shape}."
        )
    if arr.size == 0:
        raise ValueError(f"{name} is empty; pass at least one symbol.")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains NaN or inf; symbols must be integers 0, 1, ..., n_symbols - 1.")
        if not np.all(arr == np.round(arr)):
            raise ValueError(
                f"{name} contains non-integer symbols such as {arr[arr != np.round(arr)][0]!r}; "
                f"symbols must be integers 0, 1, ..., n_symbols - 1 (encode categories with np.unique(..., return_inverse=True))."
            )
    arr = arr.astype(np.int64)
    if arr.min() < 0:
        raise ValueError(f"{name} contains negative symbols (min {int(arr.min())}); symbols must be >= 0.")
    if n_symbols is not None and arr.max() >= n_symbols:
        raise ValueError(
            f"{name} contains symbol {int(arr.max())}, outside the vocabulary of {n_symbols} symbol(s) "
            f"(0..{n_symbols - 1}); refit with a larger n_features or map unseen symbols to a known one."
        )
    return arr, check_lengths(lengths, arr.shape[0])


def check_is_fitted(model: Any, attributes: str | Iterable[str]) -> None:
    """Raise :class:`~genlib.base.NotFittedError` unless ``model`` has every attribute given."""
    if isinstance(attributes, str):
        attributes = [attributes]
    missing = [a for a in attributes if getattr(model, a, None) is None]
    if missing:
        cls = type(model).__name__
        from .base import NotFittedError  # made on first use (it subclasses scikit-learn's)

        raise NotFittedError(
            f"This {cls} instance is not fitted yet (missing {', '.join(missing)}); call {cls}.fit(X) first."
        )


def check_random_state(random_state: Any, name: str = "random_state") -> np.random.Generator:
    """Turn ``None``, an int seed, a ``SeedSequence`` or a ``Generator`` into a ``Generator``.

    A ``Generator`` is returned as is, so a model can keep one and draw from it repeatedly.
    ``None`` seeds a new one from NumPy's global generator, which :func:`genlib.seed_everything`
    seeds (read, never reseeded): the package's policy is that ``None`` follows the global
    generators and an int gives a private stream. The legacy ``RandomState`` is refused (it
    cannot give a ``Generator`` without losing its state).
    """
    if random_state is None:
        return np.random.default_rng(np.random.randint(0, np.iinfo(np.int64).max, dtype=np.int64))
    if isinstance(random_state, np.random.SeedSequence):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"{name} must be a non-negative int, got {random_state}.")
        return np.random.default_rng(int(random_state))
    raise TypeError(
        f"{name} must be None, a non-negative int or a numpy.random.Generator, got {type(random_state).__name__}; "
        f"pass e.g. {name}=0."
    )


def check_int(value: Any, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as an int within ``[minimum, maximum]``; bools and floats are refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} ({value!r}).")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}.")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}.")
    return value


def check_float(
    value: Any,
    name: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    strict: bool = False,
) -> float:
    """Return ``value`` as a finite float within bounds (``strict`` excludes the minimum)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} ({value!r}).")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}.")
    if minimum is not None and (value <= minimum if strict else value < minimum):
        raise ValueError(f"{name} must be {'>' if strict else '>='} {minimum}, got {value}.")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}.")
    return value


def check_option(value: Any, name: str, options: Sequence[Any]) -> Any:
    """Return ``value`` if it is one of ``options``, else raise listing them."""
    try:
        known = not isinstance(value, np.ndarray) and value in options
    except (TypeError, ValueError):  # a value that cannot even be compared
        known = False
    if not known:
        raise ValueError(f"{name} must be one of {list(options)}, got {value!r}.")
    return value


def check_stochastic(P: Any, name: str, *, ndim: int = 2, atol: float = 1e-8) -> np.ndarray:
    """Return a probability vector (``ndim=1``) or row-stochastic matrix (``ndim=2``).

    Entries must be finite and non-negative and every row must sum to one within ``atol``.
    """
    arr = check_array(P, name, ndim=ndim)
    if arr.min() < 0:
        raise ValueError(f"{name} has negative entries (min {arr.min():.3g}); probabilities must be >= 0.")
    sums = arr.sum(axis=-1)
    bad = np.abs(sums - 1.0) > atol
    if np.any(bad):
        first = sums[bad].flat[0]
        where = "" if ndim == 1 else f" (row {int(np.flatnonzero(bad.ravel())[0])} sums to {first:.6g})"
        raise ValueError(
            f"{name} must sum to 1 {'' if ndim == 1 else 'along each row '}within {atol:g}{where}; "
            f"normalise it with {name} / {name}.sum(axis=-1, keepdims=True)."
        )
    return arr


def renamed_arguments(**old_to_new: str):
    """Decorator: keyword arguments renamed in this release keep working for one release, with a warning.

    ``@renamed_arguments(n_visible="n_features")`` lets ``f(n_visible=3)`` call ``f(n_features=3)``
    and warn (``DeprecationWarning``) that the old name goes in the next release; passing both
    names is an error.

    Examples
    --------
    >>> import warnings
    >>> @renamed_arguments(epochs="n_epochs")
    ... def fit(*, n_epochs=1):
    ...     return n_epochs
    >>> with warnings.catch_warnings(record=True):
    ...     warnings.simplefilter("always")
    ...     fit(epochs=3)
    3
    """
    import functools
    import warnings

    def wrap(func):
        @functools.wraps(func)
        def inner(*args, **kwargs):
            for old, new in old_to_new.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{func.__qualname__}() got both {old}= and {new}=; {old} is the old name "
                                        f"of {new}: pass {new} alone.")
                    warnings.warn(f"{func.__qualname__}(): {old}= is renamed {new}= (one name across genlib); "
                                  f"the old name goes in the next release.", DeprecationWarning, stacklevel=2)
                    kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return inner

    return wrap


#: How far outside its range a value may lie and still count as in range: float round-off of in-range
#: data (a rescale that gives 1.0000001), not an error. Such values are clipped.
RANGE_TOLERANCE = 1e-6


def check_range(arr: np.ndarray, name: str, low: float = 0.0, high: float = 1.0, *, hint: str = "") -> np.ndarray:
    """Refuse values of ``arr`` outside ``[low, high]`` (beyond :data:`RANGE_TOLERANCE`); return it clipped.

    Examples
    --------
    >>> check_range(np.array([0.0, 1.0 + 1e-9]), "X")
    array([0., 1.])
    >>> check_range(np.array([0.0, 2.0]), "X", hint="divide 8-bit images by 255")
    Traceback (most recent call last):
    ...
    ValueError: X must hold values in [0, 1], got range [0, 2]; divide 8-bit images by 255.
    """
    if arr.size == 0:
        return arr
    lo, hi = float(arr.min()), float(arr.max())
    if lo < low - RANGE_TOLERANCE or hi > high + RANGE_TOLERANCE:
        raise ValueError(f"{name} must hold values in [{low:g}, {high:g}], got range [{lo:.3g}, {hi:.3g}]"
                         + (f"; {hint}" if hint else "") + ".")
    return np.clip(arr, low, high)


def check_images(X: Any, name: str = "X", *, n_pixels: int | None = None, hint: str = "") -> np.ndarray:
    """Grey images in [0, 1] of shape (n, h, w), (n, 1, h, w) or (n, h*w) as a float (n, h*w) array.

    ``n_pixels``, when given, is the number of pixels the caller was built for; ``hint`` says how
    to fix a wrong pixel count.
    """
    ndim = np.ndim(X)
    if ndim not in (2, 3, 4):
        raise ValueError(f"{name} must be images (n, h, w), (n, 1, h, w) or flat (n, h*w), got shape {np.shape(X)}.")
    arr = check_array(X, name, ndim=ndim)
    if ndim == 4 and arr.shape[1] != 1:
        raise ValueError(f"{name} must hold grey images with one channel, got shape {arr.shape}.")
    arr = arr.reshape(arr.shape[0], -1)
    if n_pixels is not None and arr.shape[1] != n_pixels:
        raise ValueError(f"{name} has {arr.shape[1]} pixels per image but {n_pixels} are expected"
                         + (f"; {hint}" if hint else "") + ".")
    return check_range(arr, name, hint="divide 8-bit images by 255 (or scikit-learn's digits by 16)")


def check_bool(value: Any, name: str) -> bool:
    """``value`` as a bool: True, False (or NumPy's) only; a string such as "no" is refused, not taken as True."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {type(value).__name__} ({value!r}).")
