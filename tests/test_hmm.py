"""CategoricalHMM and GaussianHMM: agreement with hmmlearn, Baum-Welch behaviour, bad input."""

from __future__ import annotations

import itertools
import pickle
import warnings

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from genlib.base import ConvergenceWarning, NotFittedError
from genlib.classic import CategoricalHMM, GaussianHMM

try:
    from hmmlearn import hmm
except ImportError:  # only the comparisons with hmmlearn need it (marked below)
    hmm = None
needs_hmmlearn = pytest.mark.skipif(hmm is None, reason="hmmlearn is not installed")

PI = np.array([0.6, 0.3, 0.1])
A = np.array([[0.90, 0.07, 0.03], [0.10, 0.85, 0.05], [0.05, 0.15, 0.80]])
B = np.array([[0.80, 0.10, 0.05, 0.05], [0.05, 0.10, 0.80, 0.05], [0.10, 0.05, 0.05, 0.80]])
MEANS = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]])
COVS = np.array([[[1.0, 0.3], [0.3, 0.5]], [[0.6, -0.2], [-0.2, 1.0]], [[0.8, 0.0], [0.0, 0.8]]])


def categorical_truth(seed=0):
    return CategoricalHMM.from_parameters(PI, A, B, random_state=seed)


def layout(covs, cov_type):
    """The full covariances COVS in the layout of ``cov_type`` (that of GaussianMixture)."""
    variances = np.diagonal(covs, axis1=1, axis2=2)
    return {"full": covs, "tied": covs.mean(axis=0), "diag": variances.copy(),
            "spherical": variances.mean(axis=1)}[cov_type]


def dense(covars, cov_type, K=3):
    """The (K, d, d) matrices of covariances in the layout of ``cov_type``."""
    d = MEANS.shape[1]
    return {"full": lambda: covars, "tied": lambda: np.repeat(covars[None], K, axis=0),
            "diag": lambda: np.stack([np.diag(v) for v in covars]),
            "spherical": lambda: covars[:, None, None] * np.eye(d)}[cov_type]()


def gaussian_truth(cov_type="full", seed=0):
    covs = layout(COVS, cov_type)
    return GaussianHMM.from_parameters(PI, A, MEANS, covs, covariance_type=cov_type, random_state=seed)


def best_permutation(estimated, true):
    """The relabelling of estimated states that best matches the true ones (states are unidentifiable)."""
    K = len(true)
    return min(itertools.permutations(range(K)), key=lambda p: np.abs(estimated[list(p)] - true).sum())


# ------------------------------------------------------------------ agreement with hmmlearn

@needs_hmmlearn
def test_categorical_score_viterbi_posteriors_match_hmmlearn():
    model = categorical_truth()
    X, _ = model.sample(500, return_latent=True)
    lengths = [200, 1, 99, 200]
    ref = hmm.CategoricalHMM(3, n_features=4)
    ref.startprob_, ref.transmat_, ref.emissionprob_ = PI, A, B
    lp = model.log_prob(X, lengths)
    assert lp.shape == (4,)
    # Ours is the mean over sequences (course protocol), hmmlearn's the sum.
    np.testing.assert_allclose(model.score(X, lengths), ref.score(X, lengths) / 4, rtol=1e-10)
    np.testing.assert_allclose(model.score(X), ref.score(X), rtol=1e-10)
    ref_lp, ref_path = ref.decode(X, lengths)
    lp_v, path = model.decode(X, lengths)
    np.testing.assert_array_equal(path, ref_path)
    np.testing.assert_array_equal(model.predict(X, lengths), ref_path)
    np.testing.assert_allclose(lp_v.sum(), ref_lp, rtol=1e-10)
    np.testing.assert_allclose(model.predict_proba(X, lengths), ref.predict_proba(X, lengths), atol=1e-9)


@needs_hmmlearn
@pytest.mark.parametrize("cov_type", ["full", "tied", "diag", "spherical"])
def test_gaussian_score_viterbi_posteriors_match_hmmlearn(cov_type):
    model = gaussian_truth(cov_type)
    X = model.sample(400)
    lengths = [100, 300]
    ref = hmm.GaussianHMM(3, covariance_type=cov_type)
    ref.startprob_, ref.transmat_, ref.means_, ref.covars_ = PI, A, MEANS, model.covars_
    np.testing.assert_allclose(model.score(X, lengths) * 2, ref.score(X, lengths), rtol=1e-10)
    ref_lp, ref_path = ref.decode(X, lengths)
    np.testing.assert_array_equal(model.predict(X, lengths), ref_path)
    np.testing.assert_allclose(model.predict_proba(X, lengths), ref.predict_proba(X, lengths), atol=1e-9)


@pytest.mark.parametrize("cov_type", ["full", "tied", "diag", "spherical"])
def test_gaussian_emission_is_scipy_density(cov_type):
    # A one-state HMM over sequences of length 1 scores each point by its emission density.
    X = gaussian_truth(cov_type).sample(20)
    for k in range(3):
        covars = layout(COVS[k:k + 1], cov_type)
        one = GaussianHMM.from_parameters([1.0], [[1.0]], MEANS[k:k + 1], covars, covariance_type=cov_type)
        ref = multivariate_normal(MEANS[k], dense(covars, cov_type, K=1)[0]).logpdf(X)
        np.testing.assert_allclose(one.log_prob(X, lengths=[1] * 20), ref, rtol=1e-12)


@needs_hmmlearn
def test_single_em_step_matches_hmmlearn():
    # Same initial parameters, one Baum-Welch iteration each: the same updated parameters.
    X = categorical_truth(1).sample(3000)
    init = dict(startprob_init=np.full(3, 1 / 3), transmat_init=np.full((3, 3), 0.7 / 3) + 0.3 * np.eye(3),
                emissionprob_init=np.array([[0.4, 0.3, 0.2, 0.1], [0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.3, 0.2]]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = CategoricalHMM(3, max_iter=1, **init).fit(X)
    ref = hmm.CategoricalHMM(3, n_features=4, n_iter=1, init_params="", tol=-np.inf)
    ref.startprob_, ref.transmat_, ref.emissionprob_ = (init["startprob_init"], init["transmat_init"],
                                                        init["emissionprob_init"])
    ref.fit(X)
    np.testing.assert_allclose(ours.startprob_, ref.startprob_, atol=1e-10)
    np.testing.assert_allclose(ours.transmat_, ref.transmat_, atol=1e-10)
    np.testing.assert_allclose(ours.emissionprob_, ref.emissionprob_, atol=1e-10)


# ------------------------------------------------------------------ Baum-Welch

@pytest.mark.parametrize("model", [CategoricalHMM(3, n_init=2, max_iter=60, random_state=0),
                                   GaussianHMM(3, n_init=2, max_iter=60, random_state=0),
                                   GaussianHMM(3, covariance_type="diag", max_iter=60, random_state=0),
                                   GaussianHMM(3, covariance_type="tied", max_iter=60, random_state=0),
                                   GaussianHMM(3, covariance_type="spherical", max_iter=60, random_state=0)])
def test_baum_welch_never_decreases_the_log_likelihood(model):
    truth = categorical_truth(2) if isinstance(model, CategoricalHMM) else gaussian_truth(seed=2)
    X = truth.sample(1500)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, lengths=[500, 1000])
    for h in model.histories_:
        ll = np.array(h["log_likelihood"])
        assert np.all(np.diff(ll) >= -1e-8 * np.abs(ll[:-1])), "Baum-Welch decreased the log-likelihood"
    # The kept run is the best one, and its final value is the model's score.
    assert model.log_likelihood_ == max(model.restart_log_likelihoods_)
    np.testing.assert_allclose(model.log_prob(X, [500, 1000]).sum(), model.log_likelihood_, rtol=1e-10)


def test_categorical_recovers_known_parameters():
    # 30,000 steps; each state is visited ~6,000-15,000 times, so frequencies have standard
    # errors below sqrt(0.25 / 6000) ~ 0.007 (somewhat more, as states are inferred, not seen).
    # Tolerance 0.04 is ~5 standard errors: a wrong algorithm misses it, sampling noise does not.
    X = categorical_truth(3).sample(30_000)
    model = CategoricalHMM(3, n_init=3, random_state=0).fit(X)
    p = list(best_permutation(model.emissionprob_, B))
    np.testing.assert_allclose(model.emissionprob_[p], B, atol=0.04)
    np.testing.assert_allclose(model.transmat_[np.ix_(p, p)], A, atol=0.04)
    assert model.score(X) >= categorical_truth().score(X) - 1.0  # a local MLE at least matches the truth


def test_gaussian_recovers_known_parameters():
    # 5,000 points, ~1,000+ per state: means have standard errors ~0.03; tolerance 0.15.
    X = gaussian_truth(seed=4).sample(5000)
    model = GaussianHMM(3, n_init=2, random_state=0).fit(X)
    p = list(best_permutation(model.means_, MEANS))
    np.testing.assert_allclose(model.means_[p], MEANS, atol=0.15)
    np.testing.assert_allclose(model.covars_[p], COVS, atol=0.15)
    np.testing.assert_allclose(model.transmat_[np.ix_(p, p)], A, atol=0.05)


def test_fit_on_sequences_and_restarts():
    X = categorical_truth(5).sample(2000)
    model = CategoricalHMM(3, n_init=3, max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, lengths=[1000, 600, 400])
    assert len(model.histories_) == 3 and model.restart_log_likelihoods_.shape == (3,)
    assert model.history_ == {"log_likelihood": model.histories_[model.best_init_]["log_likelihood"]}
    np.testing.assert_allclose(model.startprob_.sum(), 1.0)
    np.testing.assert_allclose(model.transmat_.sum(axis=1), 1.0)
    np.testing.assert_allclose(model.emissionprob_.sum(axis=1), 1.0)


def test_convergence_warning_and_same_seed():
    X = categorical_truth(6).sample(1000)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        CategoricalHMM(3, max_iter=2, random_state=0).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = CategoricalHMM(3, max_iter=5, random_state=7).fit(X)
        b = CategoricalHMM(3, max_iter=5, random_state=7).fit(X)
    np.testing.assert_array_equal(a.emissionprob_, b.emissionprob_)


# ------------------------------------------------------------------ sampling

def test_sampling_layout_and_statistics():
    model = categorical_truth(8)
    X, z = model.sample(50_000, return_latent=True)
    assert X.shape == (50_000, 1) and X.dtype.kind == "i" and z.shape == (50_000,)
    # Emission frequencies given the state vs B: standard errors < 0.01.
    for k in range(3):
        freq = np.bincount(X[z == k, 0], minlength=4) / np.sum(z == k)
        np.testing.assert_allclose(freq, B[k], atol=0.03)
    assert not np.array_equal(model.sample(30), model.sample(30))
    np.testing.assert_array_equal(model.sample(30, random_state=1), model.sample(30, random_state=1))
    g = gaussian_truth(seed=1)
    Xg, zg = g.sample(20_000, return_latent=True)
    assert Xg.shape == (20_000, 2)
    np.testing.assert_allclose(np.cov(Xg[zg == 1].T), COVS[1], atol=0.1)


def test_pickle_round_trip():
    model = categorical_truth()
    X = model.sample(100, random_state=0)
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(clone.log_prob(X), model.log_prob(X))


# ------------------------------------------------------------------ bad input

def test_bad_symbols_are_refused():
    model = categorical_truth()
    with pytest.raises(ValueError, match="outside the vocabulary of 4"):
        model.score(np.array([[0], [4]]))
    with pytest.raises(ValueError, match="negative"):
        CategoricalHMM(2).fit(np.array([0, 1, -1, 2]))
    with pytest.raises(ValueError, match="non-integer"):
        CategoricalHMM(2).fit(np.array([0.0, 1.5, 2.0]))
    with pytest.raises(ValueError, match="outside the vocabulary"):
        CategoricalHMM(2, n_features=3).fit(np.array([0, 1, 3]))
    with pytest.raises(ValueError, match="one symbol per row"):
        CategoricalHMM(2).fit(np.zeros((5, 2), dtype=int))


def test_bad_lengths_are_refused():
    X = np.array([0, 1, 2, 1, 0]).reshape(-1, 1)
    with pytest.raises(ValueError, match="lengths sums to 4 but X has 5"):
        CategoricalHMM(2).fit(X, lengths=[2, 2])
    with pytest.raises(ValueError, match="lengths sums to 6"):
        categorical_truth().log_prob(X, lengths=[3, 3])


def test_non_stochastic_matrices_are_refused():
    with pytest.raises(ValueError, match="transmat_init must sum to 1"):
        CategoricalHMM(2, transmat_init=[[0.5, 0.6], [0.5, 0.5]]).fit(np.array([0, 1, 0]))
    with pytest.raises(ValueError, match="startprob_init has negative"):
        CategoricalHMM(2, startprob_init=[1.5, -0.5]).fit(np.array([0, 1, 0]))
    with pytest.raises(ValueError, match="emissionprob_init must sum to 1"):
        CategoricalHMM(2, emissionprob_init=[[0.5, 0.6], [0.5, 0.5]]).fit(np.array([0, 1, 0]))
    with pytest.raises(ValueError, match="transmat must have shape"):
        CategoricalHMM.from_parameters([0.5, 0.5], np.eye(3), [[1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="emissionprob must sum to 1"):
        CategoricalHMM.from_parameters([0.5, 0.5], np.eye(2), [[1.0, 0.1], [0.0, 1.0]])
    with pytest.raises(ValueError, match="covars must be positive definite.*reg_covar"):
        GaussianHMM.from_parameters([1.0], [[1.0]], [[0.0, 0.0]], [[[1.0, 1.0], [1.0, 1.0]]])
    with pytest.raises(ValueError, match="increase reg_covar.*n_components") as err:  # collapses in fit
        GaussianHMM(2, reg_covar=0.0, random_state=0).fit(np.repeat([[0.0, 0.0], [1.0, 1.0]], 5, axis=0))
    assert "tied" not in str(err.value)  # no advice the model cannot take


def test_bad_hyperparameters_and_not_fitted():
    X = np.array([0, 1, 0, 1]).reshape(-1, 1)
    with pytest.raises(ValueError, match="n_components must be >= 1"):
        CategoricalHMM(0).fit(X)
    with pytest.raises(TypeError, match="n_init must be an int"):
        CategoricalHMM(2, n_init=1.5).fit(X)
    with pytest.raises(ValueError, match="covariance_type must be one of"):
        GaussianHMM(2, covariance_type="banana").fit(np.zeros((4, 1)))
    with pytest.raises(NotFittedError):
        CategoricalHMM(2).predict(X)
    g = gaussian_truth()
    with pytest.raises(ValueError, match="has 3 feature"):
        g.score(np.zeros((4, 3)))


def test_information_criteria_and_verbose(capsys):
    X = categorical_truth(9).sample(300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = CategoricalHMM(3, n_features=4, max_iter=3, verbose=True, random_state=0).fit(X)
    n_params = 2 + 3 * 2 + 3 * 3  # startprob, transmat rows, emission rows (free parameters)
    ll = model.log_prob(X).sum()
    np.testing.assert_allclose(model.bic(X), -2 * ll + n_params * np.log(300))
    np.testing.assert_allclose(model.aic(X), -2 * ll + 2 * n_params)
    assert model.get_params()["n_components"] == 3  # a scikit-learn estimator


def test_far_finite_input_gives_minus_inf_or_a_clear_error_never_nan():
    model = gaussian_truth()
    far = np.array([[1e155, 0.0], [0.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isneginf(model.log_prob(far)[0])
        for method in (model.predict, model.predict_proba):
            with pytest.raises(ValueError, match="probability 0 under the model"):
                method(far)
    with pytest.raises(ValueError, match="too large for float64"):
        GaussianHMM(2).fit(np.r_[model.sample(50), far])
