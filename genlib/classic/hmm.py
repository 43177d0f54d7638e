"""Hidden Markov models with categorical or Gaussian emissions, fitted by Baum-Welch.

A hidden Markov model (chapter ``02_ml/02_hmm``) generates a sequence in two layers::

    z_1 ~ pi,   z_t | z_{t-1} ~ A[z_{t-1}]           (hidden Markov chain, eq. hmm-transition)
    x_t | z_t ~ p(x | theta_{z_t})                   (emission, eq. hmm-emission)

so ``p(x, z) = pi_{z_1} b_{z_1}(x_1) prod_{t>1} A_{z_{t-1} z_t} b_{z_t}(x_t)`` (eq. hmm-joint).
:class:`CategoricalHMM` emits symbols ``0..n_features-1`` with probabilities
``emissionprob_[k]``; :class:`GaussianHMM` emits vectors ``N(means_[k], covars_[k])``.

Both follow hmmlearn's data layout: X holds all sequences concatenated along the first
axis and ``lengths`` splits it. They differ from hmmlearn on purpose in one place:
``score`` is the *mean* log-likelihood per sequence (the course protocol: ``score`` =
mean of ``log_prob``), whereas hmmlearn's ``score`` is the *sum* over sequences.
``log_prob`` (alias ``score_samples``) returns one value per sequence; hmmlearn's
``score_samples`` returns ``(log_prob, posteriors)`` instead.

The inference (forward-backward, Viterbi, sampling) lives in
:mod:`genlib.classic.hmm_inference`; this module adds the estimators: initialisation,
the M-step of each emission family, restarts, and input checks. The Gaussian emissions are
the mixture's (:mod:`genlib.classic.gmm`): the same component densities, the same M-step
with the state posteriors ``gamma_t(k)`` as responsibilities, and the same k-means++ seeding.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator

from ..base import likelihood_summary
from ..base import ConvergenceWarning
from .._validation import (
    check_array,
    check_float,
    check_int,
    check_is_fitted,
    check_lengths,
    check_n_features,
    check_option,
    check_random_state,
    check_sequences,
    check_stochastic,
)
from ._checks import atomic_fit, check_verbose
from .gmm import (COVARIANCE_TYPES, check_covariances, check_squares_finite, _component_log_prob, _estimate_parameters, kmeans_plusplus,
                  n_parameters, precision_cholesky, sample_components)
from .hmm_inference import forward_backward, log_likelihood, sample_states, viterbi

__all__ = ["CategoricalHMM", "GaussianHMM"]

# Expected visits below which a state counts as unvisited by the data (its M-step would divide by ~0).
_UNVISITED = 1e-10


def _log(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(p)


def _check_possible(log_prob, consequence):
    """Refuse sequences of probability 0 under the model (log p = -inf) where a posterior is asked for."""
    bad = np.flatnonzero(np.isneginf(log_prob))
    if bad.size:
        raise ValueError(
            f"sequence {int(bad[0])} of X ({bad.size} in all) has probability 0 under the model ({consequence}): "
            f"it uses a symbol, start or transition the model gives probability 0, or (Gaussian) lies beyond "
            f"the float64 range of every state; log_prob(X) is -inf for it. Drop it, or refit on data like it.")


class _BaseHMM(BaseEstimator):
    """Baum-Welch loop, restarts and the inference methods shared by both emission families.

    Subclasses provide ``_check_X`` (validate observations), ``_init_emissions``,
    ``_log_emission`` (the ``(n_samples, K)`` matrix ``log b_t(k)``), ``_m_step_emissions``,
    ``_sample_emissions``, ``_emission_params``/``_set_emission_params`` and
    ``_n_emission_parameters``.
    """

    _emission_names: tuple = ()

    def __init__(self, n_components=2, *, n_init=1, max_iter=100, tol=1e-5, random_state=None,
                 verbose=False, startprob_init=None, transmat_init=None):
        self.n_components = n_components
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.verbose = verbose
        self.startprob_init = startprob_init
        self.transmat_init = transmat_init

    # ---------------------------------------------------------------- parameters
    def _check_hyper(self):
        check_int(self.n_components, "n_components", minimum=1)
        check_int(self.n_init, "n_init", minimum=1)
        check_int(self.max_iter, "max_iter", minimum=0)
        check_float(self.tol, "tol", minimum=0.0)
        check_verbose(self.verbose)

    def _check_chain(self, startprob, transmat, suffix=""):
        K = self.n_components
        startprob = check_stochastic(startprob, f"startprob{suffix}", ndim=1, atol=1e-6)
        transmat = check_stochastic(transmat, f"transmat{suffix}", ndim=2, atol=1e-6)
        if startprob.shape != (K,):
            raise ValueError(f"startprob{suffix} must have shape ({K},) for n_components={K}, "
                             f"got {startprob.shape}.")
        if transmat.shape != (K, K):
            raise ValueError(f"transmat{suffix} must have shape ({K}, {K}) for n_components={K}, "
                             f"got {transmat.shape}.")
        return startprob, transmat

    def _init_chain(self, rng):
        K = self.n_components
        if self.startprob_init is not None or self.transmat_init is not None:
            startprob = self.startprob_init if self.startprob_init is not None else np.full(K, 1.0 / K)
            transmat = self.transmat_init if self.transmat_init is not None else np.full((K, K), 1.0 / K)
            return self._check_chain(startprob, transmat, suffix="_init")
        # Random but well inside the simplex, so every state starts reachable.
        startprob = rng.dirichlet(np.full(K, 1.0))
        transmat = rng.dirichlet(np.full(K, 1.0), size=K)
        return startprob, transmat

    # ---------------------------------------------------------------- EM
    def _m_step(self, X, lengths, gamma, xi_sum):
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        # pi_k = mean over sequences of gamma_1(k), eq. (hmm-mstep)
        startprob = gamma[starts].sum(axis=0)
        # A_ij = sum_t xi_t(i, j) / sum_t sum_j xi_t(i, j), eq. (hmm-mstep)
        transmat = xi_sum.copy()
        rows = transmat.sum(axis=1, keepdims=True)
        # A state never left keeps its old row (0/0 otherwise).
        transmat = np.where(rows > 0, transmat / np.where(rows > 0, rows, 1.0), self.transmat_)
        self.startprob_ = startprob / startprob.sum()
        self.transmat_ = transmat
        self._m_step_emissions(X, gamma)

    def _fit_once(self, X, lengths, rng, n_obs, bar_desc):
        self.startprob_, self.transmat_ = self._init_chain(rng)
        self._init_emissions(X, rng)
        history = []
        converged = False
        n_iter = 0
        iterator = range(self.max_iter)
        bar = None
        if self.verbose:
            from tqdm import tqdm

            bar = tqdm(iterator, desc=bar_desc, leave=False)
            iterator = bar
        for _ in iterator:
            # E-step: posteriors of the states, eqs. (hmm-gamma) and (hmm-xi)
            ll, gamma, xi_sum = forward_backward(self.startprob_, self.transmat_, self._log_emission(X), lengths)
            total = float(ll.sum())
            if not np.isfinite(total):
                raise ValueError(
                    "X has probability 0 under the initial parameters (a zero in startprob_init, "
                    "transmat_init or emissionprob_init forbids what the data does); use strictly "
                    "positive initial probabilities.")
            history.append(total)
            if bar is not None:
                bar.set_postfix(log_lik=f"{total:.6g}")
            # Stop when the log-likelihood per observation improves by less than tol.
            if len(history) > 1 and (history[-1] - history[-2]) < self.tol * n_obs:
                converged = True
                break
            self._m_step(X, lengths, gamma, xi_sum)
            n_iter += 1
        if bar is not None:
            bar.close()
        if not converged:  # score the parameters of the last M-step
            ll = log_likelihood(self.startprob_, self.transmat_, self._log_emission(X), lengths)
            history.append(float(ll.sum()))
        return {"log_likelihood": history, "n_iter": n_iter, "converged": converged}, self._parameters()

    @atomic_fit  # a fit that raises leaves a fitted model as it was
    def fit(self, X, lengths=None):
        """Estimate the parameters by Baum-Welch (EM), keeping the best of ``n_init`` runs.

        Parameters
        ----------
        X : array-like
            Observations of all sequences concatenated along the first axis.
        lengths : array-like of int, optional
            Length of each sequence; must sum to ``len(X)``. Default: one sequence.

        Returns
        -------
        self
        """
        # Every check first, before any attribute changes (a refused refit keeps the old fit).
        self._check_hyper()
        X, n_features = self._check_X(X, fitting=True)
        lengths = check_lengths(lengths, X.shape[0])
        self._check_inits(n_features)
        rng = check_random_state(self.random_state)
        self.n_features_ = n_features
        n_obs = X.shape[0]
        self.histories_, best = [], None  # one record per run; the other attributes derive from it
        for i in range(self.n_init):
            run, params = self._fit_once(X, lengths, rng, n_obs, f"{type(self).__name__} init {i + 1}/{self.n_init}")
            self.histories_.append(run)
            if best is None or run["log_likelihood"][-1] > best[0]:
                best = (run["log_likelihood"][-1], params)
        self._set_parameters(best[1])
        self._rng = rng
        if not self.converged_ and self.max_iter > 0:
            warnings.warn(
                f"{type(self).__name__} did not converge in max_iter={self.max_iter} iterations "
                f"(tol={self.tol}); increase max_iter or tol.", ConvergenceWarning, stacklevel=2)
        return self

    def _parameters(self):
        return self.startprob_.copy(), self.transmat_.copy(), self._emission_params()

    def _set_parameters(self, params):
        self.startprob_, self.transmat_ = params[0], params[1]
        self._set_emission_params(params[2])

    # The attributes of the fit, read from the one list of runs ``histories_``.
    restart_log_likelihoods_ = property(lambda self: np.array([h["log_likelihood"][-1] for h in self.histories_]),
                                        doc="Final training log-likelihood of every run.")
    best_init_ = property(lambda self: int(np.argmax(self.restart_log_likelihoods_)), doc="Index of the kept run.")
    _kept_run = property(lambda self: self.histories_[self.best_init_])
    history_ = property(lambda self: {"log_likelihood": self._kept_run["log_likelihood"]},
                        doc="The kept run's training log-likelihood per iteration (a dict of lists, as every model's).")
    log_likelihood_ = property(lambda self: float(self._kept_run["log_likelihood"][-1]),
                               doc="Training log-likelihood of the kept run at its final parameters.")
    n_iter_ = property(lambda self: self._kept_run["n_iter"], doc="Baum-Welch iterations of the kept run.")
    converged_ = property(lambda self: self._kept_run["converged"], doc="Whether the kept run met tol.")

    # ---------------------------------------------------------------- inference
    def _fitted_input(self, X, lengths):
        check_is_fitted(self, ["startprob_", "transmat_"] + list(self._emission_names))
        X, _ = self._check_X(X, fitting=False)
        return X, check_lengths(lengths, X.shape[0])

    def log_prob(self, X, lengths=None):
        """Log-likelihood ``log p(x)`` of each sequence (scaled forward algorithm).

        Parameters
        ----------
        X : array-like
        lengths : array-like of int, optional

        Returns
        -------
        ndarray of shape (n_sequences,)
        """
        X, lengths = self._fitted_input(X, lengths)
        return log_likelihood(self.startprob_, self.transmat_, self._log_emission(X), lengths)

    def held_out_likelihood(self, X, *, lengths=None, **options):
        """Mean exact log-likelihood of held-out ``X``, with its standard error (kind ``"exact"``)."""
        return likelihood_summary("exact", self.log_prob(X, lengths))

    def score_samples(self, X, lengths=None):
        """Alias of :meth:`log_prob` (note: hmmlearn's returns ``(log_prob, posteriors)``)."""
        return self.log_prob(X, lengths)

    def score(self, X, lengths=None):
        """Mean log-likelihood per sequence, ``mean(log_prob(X, lengths))``.

        hmmlearn's ``score`` returns the *sum* over sequences; with one sequence they agree.

        Returns
        -------
        float
        """
        return float(np.mean(self.log_prob(X, lengths)))

    def predict_proba(self, X, lengths=None):
        """Posterior state probabilities ``gamma_t(k) = p(z_t = k | x)``.

        Returns
        -------
        ndarray of shape (n_samples, n_components)
        """
        X, lengths = self._fitted_input(X, lengths)
        ll, gamma, _ = forward_backward(self.startprob_, self.transmat_, self._log_emission(X), lengths)
        _check_possible(ll, "its state posteriors are 0/0")
        return gamma

    def decode(self, X, lengths=None):
        """Most probable state path (Viterbi) and its log-probability.

        Returns
        -------
        log_prob : ndarray of shape (n_sequences,)
            ``max_z log p(x, z)`` per sequence (hmmlearn returns their sum).
        states : ndarray of int, shape (n_samples,)
        """
        X, lengths = self._fitted_input(X, lengths)
        path, log_prob = viterbi(_log(self.startprob_), _log(self.transmat_), self._log_emission(X), lengths)
        _check_possible(log_prob, "every state path has probability 0, so no path is the most probable")
        return log_prob, path

    def predict(self, X, lengths=None):
        """Most probable state path (Viterbi), shape ``(n_samples,)``."""
        return self.decode(X, lengths)[1]

    def sample(self, n, *, random_state=None, return_latent=False):
        """Draw one sequence of ``n`` steps by ancestral sampling.

        Parameters
        ----------
        n : int
            Number of time steps.
        random_state : None, int or Generator
            Default: the model's generator (seeded by ``random_state`` at ``fit``), so
            repeated calls continue the stream and give new draws.
        return_latent : bool
            Also return the hidden states.

        Returns
        -------
        X : ndarray
            The observations.
        states : ndarray of int, shape (n,)
            Only when ``return_latent=True``.
        """
        check_is_fitted(self, ["startprob_", "transmat_"] + list(self._emission_names))
        n = check_int(n, "n", minimum=1)
        rng = self._rng if random_state is None else check_random_state(random_state)
        states = sample_states(self.startprob_, self.transmat_, n, rng)  # z_t, eq. (hmm-transition)
        X = self._sample_emissions(states, rng)  # x_t | z_t, eq. (hmm-emission)
        return (X, states) if return_latent else X

    def _n_parameters(self):
        K = self.n_components
        return (K - 1) + K * (K - 1) + self._n_emission_parameters()

    def bic(self, X, lengths=None):
        """Bayesian information criterion ``-2 log p(X) + n_params log n_samples`` (lower is better)."""
        lp = self.log_prob(X, lengths)
        return float(-2.0 * lp.sum() + self._n_parameters() * np.log(self._check_X(X, fitting=False)[0].shape[0]))

    def aic(self, X, lengths=None):
        """Akaike information criterion ``-2 log p(X) + 2 n_params`` (lower is better)."""
        return float(-2.0 * self.log_prob(X, lengths).sum() + 2.0 * self._n_parameters())


class CategoricalHMM(_BaseHMM):
    """Hidden Markov model with categorical (discrete-symbol) emissions.

    ``x_t | z_t = k ~ Categorical(emissionprob_[k])``: eq. (hmm-emission) of the chapter.

    Parameters
    ----------
    n_components : int, default=2
        Number of hidden states ``K``.
    n_features : int, optional
        Number of symbols; default ``X.max() + 1`` at ``fit``. Later inputs must use
        symbols below it.
    n_init : int, default=1
        Baum-Welch runs from different random initialisations; the run with the highest
        training log-likelihood is kept (Baum-Welch only finds a local maximum).
    max_iter : int, default=100
        Maximum number of EM iterations per run.
    tol : float, default=1e-5
        Stop when the training log-likelihood per observation improves by less than this.
    random_state : None, int or numpy.random.Generator
        Seeds initialisation and, afterwards, :meth:`sample`.
    verbose : bool, default=False
        Show a progress bar per run.
    startprob_init, transmat_init : array-like, optional
        Fixed initial chain parameters (must be stochastic); random by default.
    emissionprob_init : array-like of shape (n_components, n_features), optional
        Fixed initial emission probabilities (rows sum to one); random by default.

    Attributes
    ----------
    startprob_ : ndarray of shape (n_components,)
    transmat_ : ndarray of shape (n_components, n_components)
    emissionprob_ : ndarray of shape (n_components, n_features)
    n_features_ : int
    log_likelihood_ : float
        Total training log-likelihood of the kept run at its final parameters.
    history_ : dict
        ``{"log_likelihood": [...]}``, the training log-likelihood at every iteration of
        the kept run (Baum-Welch never decreases it).
    histories_ : list of dict
        One record per run: its ``log_likelihood`` list, ``n_iter`` and ``converged``;
        ``restart_log_likelihoods_`` holds their final values and ``best_init_`` the index of
        the kept one.
    n_iter_ : int
    converged_ : bool

    Examples
    --------
    >>> import numpy as np
    >>> from genlib.classic import CategoricalHMM
    >>> truth = CategoricalHMM.from_parameters([0.5, 0.5], [[0.95, 0.05], [0.1, 0.9]],
    ...                                        [[0.8, 0.2], [0.2, 0.8]], random_state=0)
    >>> X = truth.sample(2000)
    >>> X.shape
    (2000, 1)
    >>> model = CategoricalHMM(2, n_init=3, random_state=0).fit(X)
    >>> bool(model.score(X) >= truth.score(X) - 1.0)
    True
    """

    _emission_names = ("emissionprob_",)

    def __init__(self, n_components=2, *, n_features=None, n_init=1, max_iter=100, tol=1e-5,
                 random_state=None, verbose=False, startprob_init=None, transmat_init=None,
                 emissionprob_init=None):
        super().__init__(n_components, n_init=n_init, max_iter=max_iter, tol=tol, random_state=random_state,
                         verbose=verbose, startprob_init=startprob_init, transmat_init=transmat_init)
        self.n_features = n_features
        self.emissionprob_init = emissionprob_init

    @classmethod
    def from_parameters(cls, startprob, transmat, emissionprob, *, random_state=None):
        """A ready-to-use model with the given parameters (no fitting), e.g. a known truth.

        Parameters
        ----------
        startprob : array-like of shape (K,)
        transmat : array-like of shape (K, K)
        emissionprob : array-like of shape (K, n_features)
        random_state : None, int or Generator
            Seeds :meth:`sample`.

        Returns
        -------
        CategoricalHMM

        Examples
        --------
        >>> m = CategoricalHMM.from_parameters([1.0, 0.0], [[0.5, 0.5], [0.5, 0.5]], [[1.0, 0.0], [0.0, 1.0]])
        >>> m.emissionprob_.shape
        (2, 2)
        """
        emissionprob = check_stochastic(emissionprob, "emissionprob", ndim=2, atol=1e-6)
        model = cls(emissionprob.shape[0], n_features=emissionprob.shape[1], random_state=random_state)
        model.startprob_, model.transmat_ = model._check_chain(startprob, transmat)
        model.emissionprob_ = emissionprob
        model.n_features_ = emissionprob.shape[1]
        model._rng = check_random_state(random_state)
        return model

    def _check_X(self, X, fitting):
        if fitting:
            n_symbols = None
            if self.n_features is not None:
                n_symbols = check_int(self.n_features, "n_features", minimum=1)
            elif self.emissionprob_init is not None:
                n_symbols = check_stochastic(self.emissionprob_init, "emissionprob_init", ndim=2, atol=1e-6).shape[1]
        else:
            n_symbols = self.n_features_
        x, _ = check_sequences(X, None, "X", n_symbols=n_symbols)
        n_features = int(n_symbols) if n_symbols is not None else int(x.max()) + 1
        return x, n_features  # (n_samples,) int, and the vocabulary size (fit stores it)

    def _check_inits(self, n_features):
        K = self.n_components
        if self.startprob_init is not None or self.transmat_init is not None:
            self._init_chain(None)  # validates them
        if self.emissionprob_init is not None:
            B = check_stochastic(self.emissionprob_init, "emissionprob_init", ndim=2, atol=1e-6)
            if B.shape != (K, n_features):
                raise ValueError(f"emissionprob_init must have shape ({K}, {n_features}) (n_components, n_features), "
                                 f"got {B.shape}; pass one row of symbol probabilities per state.")

    def _init_emissions(self, X, rng):
        K, M = self.n_components, self.n_features_
        if self.emissionprob_init is not None:
            B = check_stochastic(self.emissionprob_init, "emissionprob_init", ndim=2, atol=1e-6)
            if B.shape != (K, M):
                raise ValueError(f"emissionprob_init must have shape ({K}, {M}), got {B.shape}.")
            self.emissionprob_ = B.copy()
        else:
            # Random perturbations of the symbol frequencies: states start near the data's
            # overall distribution and EM pulls them apart.
            freq = (np.bincount(X, minlength=M) + 1.0) / (X.size + M)
            self.emissionprob_ = rng.dirichlet(freq * M, size=K)
            self.emissionprob_ = np.maximum(self.emissionprob_, 1e-12)
            self.emissionprob_ /= self.emissionprob_.sum(axis=1, keepdims=True)

    def _log_emission(self, X):
        return _log(self.emissionprob_.T[X])  # (n_samples, K): log b_t(k) = log B[k, x_t]

    def _m_step_emissions(self, X, gamma):
        # B[k, m] = sum_{t: x_t = m} gamma_t(k) / sum_t gamma_t(k), eq. (hmm-mstep)
        M = self.n_features_
        counts = np.stack([np.bincount(X, weights=gamma[:, k], minlength=M) for k in range(self.n_components)])
        totals = counts.sum(axis=1, keepdims=True)
        self.emissionprob_ = np.where(totals > 0, counts / np.where(totals > 0, totals, 1.0), self.emissionprob_)

    def _sample_emissions(self, states, rng):
        cum = np.cumsum(self.emissionprob_, axis=1)[states]  # (n, M)
        u = rng.random(len(states))
        x = (cum < u[:, None] * cum[:, -1:]).sum(axis=1)  # inverse CDF per row
        return x.reshape(-1, 1).astype(np.int64)

    def _emission_params(self):
        return self.emissionprob_.copy()

    def _set_emission_params(self, params):
        self.emissionprob_ = params

    def _n_emission_parameters(self):
        return self.n_components * (self.n_features_ - 1)


class GaussianHMM(_BaseHMM):
    """Hidden Markov model with Gaussian emissions ``x_t | z_t = k ~ N(means_[k], covars_[k])``.

    Parameters
    ----------
    n_components : int, default=2
        Number of hidden states ``K``.
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
        The covariance shapes of :class:`~genlib.classic.GaussianMixture`: one full matrix
        per state, one shared by all states, one diagonal per state (``covars_`` then holds
        the variances, shape ``(K, n_features)``), or one variance per state.
    reg_covar : float, default=1e-6
        Added to the covariance diagonals at every M-step; increase it if a state
        collapses onto a few points.
    n_init, max_iter, tol, random_state, verbose, startprob_init, transmat_init :
        As in :class:`CategoricalHMM`.
    means_init : array-like of shape (K, n_features), optional
        Fixed initial means; by default k-means++ seeds from the data.
    covars_init : array-like, optional
        Fixed initial covariances (shape of ``covars_``); by default the data covariance.

    Attributes
    ----------
    startprob_, transmat_ : as in :class:`CategoricalHMM`
    means_ : ndarray of shape (K, n_features)
    covars_ : ndarray
        Unlike hmmlearn, whose ``covars_`` is always full, the shape follows
        ``covariance_type`` as ``covariances_`` of scikit-learn's ``GaussianMixture``:
        (K, n_features, n_features), (n_features, n_features), (K, n_features) or (K,).
    log_likelihood_, history_, histories_, restart_log_likelihoods_, best_init_,
    n_iter_, converged_ : as in :class:`CategoricalHMM`

    Examples
    --------
    >>> import numpy as np
    >>> from genlib.classic import GaussianHMM
    >>> truth = GaussianHMM.from_parameters([1.0, 0.0], [[0.9, 0.1], [0.1, 0.9]],
    ...                                     [[0.0, 0.0], [4.0, 4.0]], [np.eye(2), np.eye(2)], random_state=0)
    >>> X, z = truth.sample(1000, return_latent=True)
    >>> model = GaussianHMM(2, random_state=0).fit(X)
    >>> np.sort(model.means_[:, 0]).round(0) + 0.0
    array([0., 4.])
    """

    _emission_names = ("means_", "covars_")

    def __init__(self, n_components=2, *, covariance_type="full", reg_covar=1e-6, n_init=1, max_iter=100,
                 tol=1e-5, random_state=None, verbose=False, startprob_init=None, transmat_init=None,
                 means_init=None, covars_init=None):
        super().__init__(n_components, n_init=n_init, max_iter=max_iter, tol=tol, random_state=random_state,
                         verbose=verbose, startprob_init=startprob_init, transmat_init=transmat_init)
        self.covariance_type = covariance_type
        self.reg_covar = reg_covar
        self.means_init = means_init
        self.covars_init = covars_init

    @classmethod
    def from_parameters(cls, startprob, transmat, means, covars, *, covariance_type="full", random_state=None):
        """A ready-to-use model with the given parameters (no fitting).

        Parameters
        ----------
        startprob : array-like of shape (K,)
        transmat : array-like of shape (K, K)
        means : array-like of shape (K, n_features)
        covars : array-like
            In the layout of ``covariance_type``.
        covariance_type : {"full", "tied", "diag", "spherical"}
        random_state : None, int or Generator

        Returns
        -------
        GaussianHMM
        """
        means = check_array(means, "means")
        model = cls(means.shape[0], covariance_type=covariance_type, random_state=random_state)
        model.startprob_, model.transmat_ = model._check_chain(startprob, transmat)
        model.means_ = means
        model.n_features_ = means.shape[1]
        model._set_covars(model._check_covars(covars, "covars"))
        model._rng = check_random_state(random_state)
        return model

    def _check_hyper(self):
        super()._check_hyper()
        check_option(self.covariance_type, "covariance_type", COVARIANCE_TYPES)
        check_float(self.reg_covar, "reg_covar", minimum=0.0)

    def _check_X(self, X, fitting):
        X = check_array(X, "X")
        if fitting:
            check_squares_finite(X)
        else:
            check_n_features(X, self.n_features_)
        return X, X.shape[1]

    def _check_inits(self, n_features):
        K = self.n_components
        if self.startprob_init is not None or self.transmat_init is not None:
            self._init_chain(None)  # validates them
        if self.means_init is not None:
            means = check_array(self.means_init, "means_init")
            if means.shape != (K, n_features):
                raise ValueError(f"means_init must have shape ({K}, {n_features}) (n_components, n_features), "
                                 f"got {means.shape}; pass one mean per state with X's columns.")
        if self.covars_init is not None:
            check_covariances(self.covars_init, "covars_init", K, n_features, self.covariance_type)

    def _check_covars(self, covars, name):
        return check_covariances(covars, name, self.n_components, self.n_features_, self.covariance_type)

    def _set_covars(self, C):
        self.covars_ = C
        # raises with a reg_covar hint if not positive definite
        self._precisions_chol = precision_cholesky(C, self.covariance_type, reg_covar=self.reg_covar,
                                                   remedy="or reduce n_components")

    def _init_emissions(self, X, rng):
        K, ctype = self.n_components, self.covariance_type
        if self.means_init is not None:
            means = check_array(self.means_init, "means_init")
            check_n_features(means, self.n_features_, "means_init")
            if means.shape[0] != K:
                raise ValueError(f"means_init must have shape ({K}, {self.n_features_}), got {means.shape}.")
        else:
            means = kmeans_plusplus(X, K, rng)  # spread-out data points as initial means
        self.means_ = np.array(means, dtype=np.float64)
        if self.covars_init is not None:
            self._set_covars(self._check_covars(self.covars_init, "covars_init"))
        else:  # every state starts with the covariance of all the data (+ reg_covar)
            _, _, cov = _estimate_parameters(X, np.ones((X.shape[0], 1)), self.reg_covar, ctype)
            self._set_covars(cov if ctype == "tied" else np.repeat(cov, K, axis=0))

    def _log_emission(self, X):
        # log N(x_t | mu_k, Sigma_k), eq. (hmm-emission), Gaussian case: (n_samples, K)
        return _component_log_prob(X, self.means_, self._precisions_chol, self.covariance_type)

    def _m_step_emissions(self, X, gamma):
        # The mixture's M-step, eq. (gmm-mstep), with gamma_t(k) as responsibilities
        _, means, C = _estimate_parameters(X, gamma, self.reg_covar, self.covariance_type)
        visited = gamma.sum(axis=0) > _UNVISITED  # a state no step visits keeps its parameters
        self.means_ = np.where(visited[:, None], means, self.means_)
        if self.covariance_type != "tied":
            C = np.where(visited.reshape((-1,) + (1,) * (C.ndim - 1)), C, self.covars_)
        self._set_covars(C)

    def _sample_emissions(self, states, rng):
        return sample_components(self.means_, self.covars_, self.covariance_type, states, rng)

    def _emission_params(self):
        return self.means_.copy(), self.covars_.copy()

    def _set_emission_params(self, params):
        self.means_ = params[0]
        self._set_covars(params[1])

    def _n_emission_parameters(self):
        # the mixture's count without its K - 1 weights
        return n_parameters(self.n_components, self.n_features_, self.covariance_type) - (self.n_components - 1)
