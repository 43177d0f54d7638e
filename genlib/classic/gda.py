"""Class-conditional Gaussian model: the generative classifier of the overview chapter.

The model writes down the *joint* distribution of a feature vector x and its label y
(chapter ``01_overview/02_discriminative_vs_generative``)::

    p(x, y = k) = pi_k N(x | mu_k, Sigma_k)                                 eq. (discgen-joint)

and classifies through Bayes' rule::

    p(y = k | x) = pi_k N(x | mu_k, Sigma_k) / sum_j pi_j N(x | mu_j, Sigma_j)   eq. (discgen-bayes)

With one covariance per class ("full") the decision boundaries are quadratic (quadratic
discriminant analysis, QDA); with one covariance shared by all classes ("tied") they are
linear (Fisher's linear discriminant analysis, LDA). Unlike a discriminative classifier,
the fitted model is also a density model: ``log_prob`` evaluates the marginal
p(x) = sum_k pi_k N(x | mu_k, Sigma_k), and ``sample`` draws new (x, y) pairs.

The maths is genlib's one Gaussian toolbox, :mod:`genlib.classic.gmm`: fitting is the
mixture's M-step (:func:`~genlib.classic.gmm.estimate_parameters`) with one-hot
responsibilities, the known labels; the densities are its
:func:`~genlib.classic.gmm.component_log_prob`.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from scipy.special import logsumexp
from sklearn.exceptions import DataConversionWarning
from sklearn.base import BaseEstimator, ClassifierMixin

from ..base import likelihood_summary
from ._checks import atomic_fit, check_X
from .._validation import check_float, check_int, check_is_fitted, check_option, check_random_state
from .gmm import (check_not_too_far, check_squares_finite, _component_log_prob, _estimate_parameters,
                  precision_cholesky, sample_components)

__all__ = ["ClassConditionalGaussian"]

# What a singular class covariance asks for, after "increase reg_covar".
_REMEDY = "or use covariance='tied'"


class ClassConditionalGaussian(ClassifierMixin, BaseEstimator):
    """Generative classifier p(x, y) = p(y) N(x | mu_y, Sigma_y), fitted in closed form.

    The class prior p(y = k) = pi_k and one Gaussian per class are estimated by maximum
    likelihood; predictions follow from Bayes' rule. ``covariance="full"`` gives every
    class its own covariance (quadratic boundaries, as scikit-learn's
    ``QuadraticDiscriminantAnalysis``); ``covariance="tied"`` shares one covariance
    (linear boundaries, as ``LinearDiscriminantAnalysis``; Fisher, 1936).

    Being generative, the model also answers what a discriminative classifier cannot: the
    density of the features, ``log_prob(X) = log sum_k pi_k N(x | mu_k, Sigma_k)``, and new
    data, ``sample(n)`` or ``sample(n, y=label)``.

    Parameters
    ----------
    covariance : {"full", "tied"}, default="full"
        One covariance per class, or one shared by all classes.
    reg_covar : float, default=1e-6
        Non-negative value added to the diagonal of every covariance, so that a class whose
        points are (nearly) collinear still has an invertible covariance.
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the generator that :meth:`sample` draws from. It becomes one
        ``numpy.random.Generator`` at :meth:`fit`; repeated ``sample`` calls continue it.

    Attributes
    ----------
    classes_ : ndarray of shape (K,)
        The class labels, sorted.
    priors_ : ndarray of shape (K,)
        pi_k = N_k / N.
    means_ : ndarray of shape (K, d)
        Class means mu_k.
    covariances_ : ndarray of shape (K, d, d)
        Class covariances Sigma_k (for ``"tied"`` the same matrix K times).
    n_features_in_ : int
        d, the number of features seen in ``fit``.

    Notes
    -----
    ``score`` is the mean log-likelihood log p(x) (the :class:`~genlib.base.DensityModel`
    protocol), not the accuracy returned by scikit-learn classifiers' ``score``; use
    ``sklearn.metrics.accuracy_score(y, model.predict(X))`` for accuracy.

    The covariance estimates are the maximum-likelihood ones (divided by N_k, not N_k - 1).
    The class is a scikit-learn classifier (``clone``, ``GridSearchCV``, stratified
    cross-validation and the ``"accuracy"`` scorer work as usual).

    Examples
    --------
    >>> import numpy as np
    >>> from genlib.classic import ClassConditionalGaussian
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(-2, 1, (50, 2)), rng.normal(2, 1, (50, 2))])
    >>> y = np.repeat([0, 1], 50)
    >>> model = ClassConditionalGaussian(random_state=0).fit(X, y)
    >>> model.predict([[-2.0, -2.0], [2.0, 2.0]]).tolist()
    [0, 1]
    >>> model.means_.round(1).tolist()
    [[-2.0, -1.8], [1.9, 2.0]]
    >>> model.predict_proba([[1.0, 1.0]]).round(3).tolist()
    [[0.001, 0.999]]
    >>> model.sample(3).shape
    (3, 2)
    >>> X_new, y_new = model.sample(4, return_latent=True)
    >>> X_new.shape, y_new.shape
    ((4, 2), (4,))
    >>> model.sample(2, y=1).shape
    (2, 2)
    >>> bool(model.log_prob([[0.0, 0.0]])[0] < model.log_prob([[2.0, 2.0]])[0])
    True
    """

    def __init__(self, *, covariance="full", reg_covar=1e-6, random_state=None):
        self.covariance = covariance
        self.reg_covar = reg_covar
        self.random_state = random_state

    # ------------------------------------------------------------------ fitting
    @atomic_fit  # a fit that raises leaves a fitted model as it was
    def fit(self, X, y):
        """Estimate pi_k, mu_k and Sigma_k by maximum likelihood (closed form).

        Parameters
        ----------
        X : array-like of shape (N, d)
            Features; finite numbers.
        y : array-like of shape (N,)
            Class labels (ints or strings); every class needs at least 2 points.

        Returns
        -------
        self
        """
        check_option(self.covariance, "covariance", ("full", "tied"))
        reg_covar = check_float(self.reg_covar, "reg_covar", minimum=0.0)
        X = check_squares_finite(check_X(X, "X"))
        y = self._check_labels(y, X.shape[0])
        classes, y_index, counts = np.unique(y, return_inverse=True, return_counts=True)
        if np.any(counts < 2):
            k = int(np.argmin(counts))
            raise ValueError(
                f"y has only {int(counts[k])} sample(s) of class {classes[k].item()!r} (n_samples={int(counts[k])} "
                f"for that class); each class needs at least 2 points to estimate a mean and a covariance: drop the "
                f"class or collect more data."
            )
        # Maximum likelihood with known labels is the mixture's M-step with one-hot r_nk:
        # pi_k = N_k / N, mu_k = class mean, Sigma_k = class covariance (or, tied, their
        # average sum_k pi_k Sigma_k), each plus reg_covar on the diagonal.
        resp = np.eye(classes.size)[y_index.ravel()]  # (N, K)
        priors, means, covariances = _estimate_parameters(X, resp, reg_covar, self.covariance)
        if self.covariance == "tied":
            covariances = np.repeat(covariances[None], classes.size, axis=0)  # (K, d, d)
        precision_cholesky(covariances, "full", reg_covar=reg_covar, remedy=_REMEDY)  # fail now, not at predict
        self.classes_ = classes
        self.priors_ = priors
        self.means_ = means
        self.covariances_ = covariances
        self.n_features_in_ = X.shape[1]
        self._rng = check_random_state(self.random_state)
        return self

    @staticmethod
    def _check_labels(y, n_samples):
        if y is None:
            raise ValueError("y is required: this classifier requires y to be passed, but the target y is None; "
                             "call fit(X, y) with one class label per row of X.")
        if hasattr(y, "detach") and hasattr(y, "cpu"):  # a torch tensor
            y = y.detach().cpu().numpy()
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            warnings.warn("A column-vector y was passed when a 1d array was expected: y of shape "
                          f"{y.shape} is read as {y.shape[0]} labels; pass y.ravel() to silence this.",
                          DataConversionWarning, stacklevel=3)
            y = y[:, 0]
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D (one label per sample), got shape {y.shape}; pass y.ravel() "
                             f"if it is a column, or class indices instead of one-hot rows (y.argmax(axis=1)).")
        if y.shape[0] != n_samples:
            raise ValueError(f"y has {y.shape[0]} label(s) but X has {n_samples} row(s); pass one label per "
                             f"row of X.")
        if y.dtype == object:  # as pandas gives labels: strings, or numbers, but one kind
            kinds = {"str" if isinstance(v, str) else "number" if isinstance(v, numbers.Real) and not
                     isinstance(v, bool) else type(v).__name__ for v in y}
            if kinds == {"str"}:
                y = y.astype(str)
            elif kinds == {"number"}:
                whole = all(isinstance(v, numbers.Integral) for v in y)
                y = y.astype(np.int64 if whole else np.float64)
            else:
                raise TypeError(f"y must hold class labels of one kind (all strings or all numbers), got an object "
                                f"array of {sorted(kinds)}; convert it, e.g. y.astype(str).")
        if y.dtype.kind == "f":
            if not np.all(np.isfinite(y)):
                raise ValueError("y contains NaN or infinite labels; drop those rows of X and y.")
            if not np.all(y == np.round(y)):
                raise ValueError("Unknown label type: continuous. y holds non-integer floats, which look like "
                                 "regression targets; this is a classifier: pass class labels (ints or strings).")
        if y.dtype.kind not in "biufUS":
            raise TypeError(f"y must hold class labels (ints or strings), got dtype {y.dtype}.")
        return y

    # ---------------------------------------------------------------- densities
    def _check_X(self, X):
        check_is_fitted(self, ["means_", "covariances_", "priors_"])
        return check_X(X, "X", estimator=self, n_features=self.n_features_in_)

    def log_joint(self, X):
        """log p(x, y = k) = log pi_k + log N(x | mu_k, Sigma_k), eq. (discgen-joint).

        Parameters
        ----------
        X : array-like of shape (n, d)

        Returns
        -------
        ndarray of shape (n, K)
        """
        X = self._check_X(X)
        return self._log_joint(X)

    def _log_joint(self, X):
        # recomputed, so that edits of covariances_ take effect
        U = precision_cholesky(self.covariances_, "full", reg_covar=self.reg_covar, remedy=_REMEDY)
        log_dens = _component_log_prob(X, self.means_, U, "full")  # (n, K)
        with np.errstate(divide="ignore"):  # a prior of 0 gives log 0 = -inf, which is right
            return np.log(self.priors_) + log_dens

    def log_prob(self, X):
        """Log marginal density log p(x) = log sum_k pi_k N(x | mu_k, Sigma_k), one value per row.

        Parameters
        ----------
        X : array-like of shape (n, d)

        Returns
        -------
        ndarray of shape (n,)
        """
        return logsumexp(self.log_joint(X), axis=1)

    def held_out_likelihood(self, X, *, lengths=None, **options):
        """Mean exact log-likelihood of held-out ``X``, with its standard error (kind ``"exact"``)."""
        return likelihood_summary("exact", self.log_prob(X))

    def score_samples(self, X):
        """Alias of :meth:`log_prob`, as in scikit-learn's density estimators."""
        return self.log_prob(X)

    def score(self, X, y=None):
        """Mean log-likelihood (1/n) sum_i log p(x_i) of the features (``y`` is ignored).

        Parameters
        ----------
        X : array-like of shape (n, d)
        y : ignored
            Accepted so that scikit-learn utilities can call ``score(X, y)``.

        Returns
        -------
        float
        """
        return float(np.mean(self.log_prob(X)))

    # --------------------------------------------------------------- prediction
    def predict_log_proba(self, X):
        """log p(y = k | x) by Bayes' rule, eq. (discgen-bayes), computed in log space.

        Returns
        -------
        ndarray of shape (n, K), columns in the order of ``classes_``
        """
        joint = self.log_joint(X)  # (n, K)
        norm = logsumexp(joint, axis=1, keepdims=True)
        check_not_too_far(norm[:, 0])
        return joint - norm

    def predict_proba(self, X):
        """Posterior class probabilities p(y = k | x); rows sum to one.

        Returns
        -------
        ndarray of shape (n, K), columns in the order of ``classes_``
        """
        return np.exp(self.predict_log_proba(X))

    def predict(self, X):
        """Most probable class argmax_k p(y = k | x) = argmax_k log pi_k + log N(x | mu_k, Sigma_k).

        Returns
        -------
        ndarray of shape (n,), labels from ``classes_``
        """
        joint = self.log_joint(X)  # (n, K); checks that the model is fitted
        check_not_too_far(joint.max(axis=1))
        return self.classes_[np.argmax(joint, axis=1)]

    # ----------------------------------------------------------------- sampling
    def sample(self, n, *, y=None, random_state=None, return_latent=False):
        """Draw new data by ancestral sampling: y ~ Categorical(pi), then x ~ N(mu_y, Sigma_y).

        Parameters
        ----------
        n : int
            Number of draws.
        y : label or array-like of shape (n,), optional
            Draw from chosen classes instead of from the prior: one label (all n draws from
            that class) or one label per draw.
        random_state : None, int or numpy.random.Generator, optional
            A seed for these draws alone; by default the model's own generator (made at
            ``fit``) is used and advanced, so repeated calls give new draws.
        return_latent : bool, default=False
            Also return the labels of the draws.

        Returns
        -------
        X : ndarray of shape (n, d)
        y : ndarray of shape (n,)
            Only when ``return_latent=True``.
        """
        check_is_fitted(self, ["means_", "covariances_", "priors_"])
        n = check_int(n, "n", minimum=1)
        rng = self._rng if random_state is None else check_random_state(random_state)
        K = self.classes_.size
        if y is None:
            idx = rng.choice(K, size=n, p=self.priors_)  # y ~ Categorical(pi)
        else:
            idx = self._label_index(y, n)
        X = sample_components(self.means_, self.covariances_, "full", idx, rng)  # x ~ N(mu_y, Sigma_y)
        if return_latent:
            return X, self.classes_[idx]
        return X

    def _label_index(self, y, n):
        """Indices into classes_ of the requested labels (one label or one per draw)."""
        labels = np.asarray(y)
        if labels.ndim == 0:
            labels = np.full(n, labels.item(), dtype=labels.dtype)
        if labels.ndim != 1 or labels.shape[0] != n:
            raise ValueError(f"y must be one label or {n} labels (one per draw), got shape {np.shape(y)}.")
        try:
            pos = np.clip(np.searchsorted(self.classes_, labels), 0, self.classes_.size - 1)
            unknown = np.asarray(self.classes_[pos] != labels, dtype=bool).reshape(labels.shape)
        except (TypeError, ValueError):  # labels of another kind (str vs int) match nothing
            pos, unknown = None, np.ones(labels.shape, dtype=bool)
        if np.any(unknown):
            bad = labels[unknown][0].item()
            raise ValueError(f"y contains {bad!r}, which is not a class of the fitted model; "
                             f"choose from classes_ = {self.classes_.tolist()}.")
        return pos
