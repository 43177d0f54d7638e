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

The maths lives in the module-level functions :func:`gaussian_log_density` and
:func:`fit_class_gaussians`, which the tests call directly.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import get_lapack_funcs
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin

from .._validation import (
    check_array,
    check_float,
    check_is_fitted,
    check_int,
    check_n_features,
    check_option,
    check_random_state,
)

__all__ = ["ClassConditionalGaussian", "gaussian_log_density", "fit_class_gaussians", "cholesky_factors"]

_LOG_2PI = np.log(2.0 * np.pi)


def cholesky_factors(covariances: np.ndarray) -> np.ndarray:
    """Lower Cholesky factors L_k with Sigma_k = L_k L_k^T, for a stack of covariances.

    Parameters
    ----------
    covariances : ndarray of shape (K, d, d)
        Symmetric positive-definite matrices.

    Returns
    -------
    ndarray of shape (K, d, d)

    Raises
    ------
    ValueError
        If a matrix is not positive definite; the message suggests a larger ``reg_covar``.

    Examples
    --------
    >>> L = cholesky_factors(np.array([[[4.0, 0.0], [0.0, 9.0]]]))
    >>> L[0].diagonal().tolist()
    [2.0, 3.0]
    """
    factors = np.empty_like(covariances)
    tiny = 10 * covariances.shape[-1] * np.finfo(covariances.dtype).eps
    for k, cov in enumerate(covariances):
        try:
            factors[k] = np.linalg.cholesky(cov)
            # L_ii^2 is the variance of x_i given x_1..x_{i-1}; at round-off level the matrix is
            # singular in all but name and its log-density would be garbage.
            scale = np.max(np.diagonal(cov))
            if not np.min(np.diagonal(factors[k])) ** 2 > tiny * scale:
                raise np.linalg.LinAlgError
        except np.linalg.LinAlgError:
            raise ValueError(
                f"covariance {k} is not positive definite (a class whose points lie on a line or "
                f"plane, or fewer points than features); increase reg_covar (e.g. reg_covar=1e-3) "
                f"or use covariance='tied'."
            ) from None
    return factors


def gaussian_log_density(X: np.ndarray, mean: np.ndarray, chol: np.ndarray) -> np.ndarray:
    """log N(x | mu, Sigma) for each row of ``X``, with Sigma given by its Cholesky factor.

    With Sigma = L L^T and z = L^{-1} (x - mu)::

        log N(x | mu, Sigma) = -d/2 log(2 pi) - sum_i log L_ii - ||z||^2 / 2

    which never forms Sigma^{-1} or det(Sigma) explicitly (both are unstable).

    Parameters
    ----------
    X : ndarray of shape (n, d)
    mean : ndarray of shape (d,)
    chol : ndarray of shape (d, d), lower triangular

    Returns
    -------
    ndarray of shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> round(float(gaussian_log_density(np.zeros((1, 1)), np.zeros(1), np.eye(1))[0]), 6)
    -0.918939
    """
    d = X.shape[1]
    # L^{-1} once (d x d, LAPACK's triangular inverse), then z_n = L^{-1} (x_n - mu) for all rows
    # with one matrix product, as scikit-learn's GaussianMixture does.
    (trtri,) = get_lapack_funcs(("trtri",), (chol,))
    chol_inv, info = trtri(chol, lower=1)  # (d, d)
    if info != 0:
        raise ValueError("the Cholesky factor is singular; increase reg_covar.")
    z = (X - mean) @ chol_inv.T  # (n, d)
    half_log_det = np.log(np.diagonal(chol)).sum()  # log |Sigma|^{1/2}
    return -0.5 * d * _LOG_2PI - half_log_det - 0.5 * np.einsum("nd,nd->n", z, z)


def fit_class_gaussians(X: np.ndarray, y_index: np.ndarray, n_classes: int, *, covariance: str = "full",
                        reg_covar: float = 0.0):
    """Closed-form maximum-likelihood estimates of the class-conditional Gaussian model.

    Maximising sum_n log p(x_n, y_n) splits into one problem per parameter::

        pi_k    = N_k / N
        mu_k    = (1 / N_k) sum_{n: y_n = k} x_n
        Sigma_k = (1 / N_k) sum_{n: y_n = k} (x_n - mu_k)(x_n - mu_k)^T            ("full")
        Sigma   = (1 / N)   sum_n (x_n - mu_{y_n})(x_n - mu_{y_n})^T = sum_k pi_k Sigma_k  ("tied")

    ``reg_covar`` is then added to every diagonal entry.

    Parameters
    ----------
    X : ndarray of shape (N, d)
    y_index : ndarray of shape (N,)
        Class indices 0..n_classes-1; each class must occur.
    n_classes : int
    covariance : {"full", "tied"}
    reg_covar : float

    Returns
    -------
    priors : ndarray (K,)
    means : ndarray (K, d)
    covariances : ndarray (K, d, d)
        For ``"tied"`` the shared matrix repeated K times.

    Examples
    --------
    >>> X = np.array([[0.0], [2.0], [10.0], [14.0]])
    >>> pi, mu, cov = fit_class_gaussians(X, np.array([0, 0, 1, 1]), 2)
    >>> pi.tolist(), mu.ravel().tolist(), cov.ravel().tolist()
    ([0.5, 0.5], [1.0, 12.0], [1.0, 4.0])
    """
    N, d = X.shape
    counts = np.bincount(y_index, minlength=n_classes).astype(float)  # (K,)
    priors = counts / N
    means = np.zeros((n_classes, d))
    np.add.at(means, y_index, X)
    means /= counts[:, None]  # (K, d)
    resid = X - means[y_index]  # (N, d)
    covariances = np.empty((n_classes, d, d))
    for k in range(n_classes):
        R = resid[y_index == k]
        covariances[k] = R.T @ R / counts[k]
    if covariance == "tied":
        covariances[:] = np.tensordot(priors, covariances, axes=1)  # sum_k pi_k Sigma_k
    covariances += reg_covar * np.eye(d)
    return priors, means, covariances


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
        X = check_array(X, "X")
        y = self._check_labels(y, X.shape[0])
        classes, y_index, counts = np.unique(y, return_inverse=True, return_counts=True)
        if np.any(counts < 2):
            k = int(np.argmin(counts))
            raise ValueError(
                f"y has only {int(counts[k])} point(s) of class {classes[k].item()!r}; each class needs at least 2 "
                f"points to estimate a mean and a covariance: drop the class or collect more data."
            )
        priors, means, covariances = fit_class_gaussians(
            X, y_index.ravel(), classes.size, covariance=self.covariance, reg_covar=reg_covar)
        cholesky_factors(covariances)  # fail now, with the reg_covar hint, not at predict time
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
            raise ValueError("y is required: fit(X, y) needs one class label per row of X.")
        if hasattr(y, "detach") and hasattr(y, "cpu"):  # a torch tensor
            y = y.detach().cpu().numpy()
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D (one label per sample), got shape {y.shape}; pass y.ravel() "
                             f"if it is a column, or class indices instead of one-hot rows (y.argmax(axis=1)).")
        if y.shape[0] != n_samples:
            raise ValueError(f"y has {y.shape[0]} label(s) but X has {n_samples} row(s); pass one label per "
                             f"row of X.")
        if y.dtype == object:
            raise TypeError("y must hold numbers or strings of one type, got an object array; convert it, "
                            "e.g. y.astype(int) or y.astype(str).")
        if y.dtype.kind == "f":
            if not np.all(np.isfinite(y)):
                raise ValueError("y contains NaN or infinite labels; drop those rows of X and y.")
            if not np.all(y == np.round(y)):
                raise ValueError("y holds non-integer floats, which look like regression targets; this is a "
                                 "classifier: pass class labels (ints or strings).")
        if y.dtype.kind not in "biufUS":
            raise TypeError(f"y must hold class labels (ints or strings), got dtype {y.dtype}.")
        return y

    # ---------------------------------------------------------------- densities
    def _check_X(self, X):
        check_is_fitted(self, ["means_", "covariances_", "priors_"])
        X = check_array(X, "X")
        check_n_features(X, self.n_features_in_)
        return X

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
        chol = cholesky_factors(self.covariances_)  # recomputed so edits of covariances_ take effect
        log_dens = np.column_stack([gaussian_log_density(X, m, L) for m, L in zip(self.means_, chol)])  # (n, K)
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
        return joint - logsumexp(joint, axis=1, keepdims=True)

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
        chol = cholesky_factors(self.covariances_)
        z = rng.standard_normal((n, self.n_features_in_))  # (n, d)
        X = self.means_[idx] + np.einsum("nij,nj->ni", chol[idx], z)  # x = mu_y + L_y z
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
