"""Tests of genlib.classic.gmm against independent references.

References: scipy.stats.multivariate_normal (densities), brute-force sums over components
(mixture log-likelihood), scikit-learn's GaussianMixture started from the same parameters
(EM trajectory and fixed point), scikit-learn's KMeans (Lloyd's algorithm), and the moments
of the fitted mixture (sampling).
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from genlib.base import ConvergenceWarning, NotFittedError
from genlib.classic import GaussianMixture
from genlib.classic.gmm import (
    COVARIANCE_TYPES,
    component_log_prob,
    estimate_parameters,
    kmeans,
    kmeans_limit,
    kmeans_plusplus,
    log_responsibilities,
    n_parameters,
    precision_cholesky,
)
from genlib.datasets import make_blobs


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------
def _random_spd(rng, d):
    A = rng.normal(size=(d, d))
    return A @ A.T + 0.3 * np.eye(d)


def _random_covariances(rng, K, d, ctype):
    if ctype == "full":
        return np.stack([_random_spd(rng, d) for _ in range(K)])
    if ctype == "tied":
        return _random_spd(rng, d)
    if ctype == "diag":
        return rng.uniform(0.3, 2.0, size=(K, d))
    return rng.uniform(0.3, 2.0, size=K)


def _dense(cov, K, d, ctype):
    """Covariances of any layout as a (K, d, d) stack of full matrices."""
    if ctype == "full":
        return cov
    if ctype == "tied":
        return np.broadcast_to(cov, (K, d, d))
    if ctype == "diag":
        return np.stack([np.diag(c) for c in cov])
    return np.stack([c * np.eye(d) for c in cov])


def _to_precisions(cov, ctype):
    """scikit-learn's precisions_init layout."""
    return np.linalg.inv(cov) if ctype in ("full", "tied") else 1.0 / cov


def _overlapping_data(n=600, seed=0):
    """Three overlapping clusters: EM needs many iterations, so its trajectory is informative."""
    rng = np.random.default_rng(seed)
    X, _ = make_blobs(n, centers=[[-1.5, 0.0], [0.0, 1.5], [1.5, -0.5]], random_state=rng)
    return X


@pytest.fixture
def X3():
    X, _ = make_blobs(450, random_state=0)
    return X


# ------------------------------------------------------------------------------------------
# the Gaussian density and the mixture likelihood
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("ctype", COVARIANCE_TYPES)
def test_component_log_prob_matches_scipy(ctype):
    rng = np.random.default_rng(1)
    K, d = 4, 3
    X = rng.normal(scale=3.0, size=(50, d))
    means = rng.normal(size=(K, d))
    cov = _random_covariances(rng, K, d, ctype)
    got = component_log_prob(X, means, precision_cholesky(cov, ctype), ctype)
    full = _dense(cov, K, d, ctype)
    want = np.column_stack([multivariate_normal(means[k], full[k]).logpdf(X) for k in range(K)])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("ctype", COVARIANCE_TYPES)
def test_mixture_log_prob_and_responsibilities_brute_force(ctype):
    rng = np.random.default_rng(2)
    K, d = 3, 2
    X = rng.normal(scale=2.0, size=(40, d))
    gmm = GaussianMixture(K, covariance_type=ctype, max_iter=0, random_state=0,
                          weights_init=[0.2, 0.5, 0.3], means_init=rng.normal(size=(K, d)),
                          covariances_init=_random_covariances(rng, K, d, ctype)).fit(X)
    full = _dense(gmm.covariances_, K, d, ctype)
    # p(x) = sum_k pi_k N(x | mu_k, Sigma_k), summed term by term (no log-sum-exp)
    terms = np.column_stack([gmm.weights_[k] * multivariate_normal(gmm.means_[k], full[k]).pdf(X)
                             for k in range(K)])
    np.testing.assert_allclose(gmm.log_prob(X), np.log(terms.sum(axis=1)), rtol=1e-10)
    np.testing.assert_allclose(gmm.score_samples(X), gmm.log_prob(X))
    np.testing.assert_allclose(gmm.predict_proba(X), terms / terms.sum(axis=1, keepdims=True), rtol=1e-9)
    np.testing.assert_array_equal(gmm.predict(X), terms.argmax(axis=1))
    assert gmm.score(X) == pytest.approx(np.log(terms.sum(axis=1)).mean(), rel=1e-12)


def test_log_responsibilities_survive_extreme_log_densities():
    a = np.array([[-1000.0, -1001.0], [800.0, 799.0]])  # exp() under- and overflows
    log_norm, log_resp = log_responsibilities(a)
    assert np.all(np.isfinite(log_norm)) and np.all(np.isfinite(log_resp))
    np.testing.assert_allclose(np.exp(log_resp).sum(axis=1), 1.0)
    np.testing.assert_allclose(log_norm, a[:, 0] + np.log1p(np.exp(-1.0)))


def test_single_gaussian_mle_closed_form():
    """K = 1: EM's M-step is the closed-form MLE, sample mean and biased sample covariance."""
    rng = np.random.default_rng(3)
    X = rng.multivariate_normal([1.0, -2.0], [[2.0, 0.6], [0.6, 1.0]], size=300)
    gmm = GaussianMixture(1, reg_covar=0.0).fit(X)
    np.testing.assert_allclose(gmm.means_[0], X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(gmm.covariances_[0], np.cov(X.T, bias=True), rtol=1e-10)
    assert gmm.weights_[0] == pytest.approx(1.0)


@pytest.mark.parametrize("ctype", COVARIANCE_TYPES)
def test_m_step_matches_weighted_moments(ctype):
    rng = np.random.default_rng(4)
    N, K, d = 80, 3, 2
    X = rng.normal(size=(N, d))
    resp = rng.dirichlet(np.ones(K), size=N)
    w, m, c = estimate_parameters(X, resp, 0.0, ctype)
    nk = resp.sum(axis=0)
    np.testing.assert_allclose(w, nk / N)
    means = np.stack([np.average(X, axis=0, weights=resp[:, k]) for k in range(K)])
    np.testing.assert_allclose(m, means, rtol=1e-10)
    covs = np.stack([np.cov(X.T, aweights=resp[:, k], bias=True) for k in range(K)])
    want = {
        "full": covs,
        "tied": np.einsum("k,kij->ij", nk, covs) / N,
        "diag": np.stack([np.diag(c_) for c_ in covs]),
        "spherical": np.array([np.trace(c_) / d for c_ in covs]),
    }[ctype]
    np.testing.assert_allclose(c, want, rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------------------------------
# EM
# ------------------------------------------------------------------------------------------
def _reference_loglik(gmm, X):
    """Mean log-likelihood from scipy's densities, independent of genlib's E-step."""
    K, d = gmm.means_.shape
    full = _dense(gmm.covariances_, K, d, gmm.covariance_type)
    terms = np.column_stack([np.log(gmm.weights_[k]) + multivariate_normal(gmm.means_[k], full[k]).logpdf(X)
                             for k in range(K)])
    m = terms.max(axis=1, keepdims=True)
    return float(np.mean(m[:, 0] + np.log(np.exp(terms - m).sum(axis=1))))


@pytest.mark.parametrize("ctype", COVARIANCE_TYPES)
def test_em_never_decreases_the_log_likelihood(ctype):
    X = _overlapping_data()
    gmm = GaussianMixture(4, covariance_type=ctype, init_params="random", max_iter=0, random_state=1).fit(X)
    previous = _reference_loglik(gmm, X)
    for _ in range(40):  # one E-step and one M-step at a time, by the public functions
        U = precision_cholesky(gmm.covariances_, ctype)
        _, log_resp = log_responsibilities(component_log_prob(X, gmm.means_, U, ctype) + np.log(gmm.weights_))
        gmm.weights_, gmm.means_, gmm.covariances_ = estimate_parameters(X, np.exp(log_resp), gmm.reg_covar, ctype)
        current = _reference_loglik(gmm, X)
        # EM guarantees log L(theta_t+1) >= log L(theta_t); allow float rounding only
        assert current >= previous - 1e-12 * abs(previous)
        previous = current
    hist = np.asarray(GaussianMixture(4, covariance_type=ctype, init_params="random", random_state=1,
                                      tol=1e-6, max_iter=500).fit(X).history_["log_likelihood"])
    assert np.all(np.diff(hist) >= -1e-12 * np.abs(hist[1:]))


@pytest.mark.parametrize("ctype", COVARIANCE_TYPES)
def test_same_trajectory_and_fixed_point_as_sklearn(ctype):
    from sklearn.mixture import GaussianMixture as SkGMM

    X = _overlapping_data()
    rng = np.random.default_rng(5)
    K, d = 3, 2
    w0 = np.array([0.3, 0.3, 0.4])
    m0 = X[rng.choice(len(X), K, replace=False)]
    c0 = _random_covariances(rng, K, d, ctype)
    kw = dict(covariance_type=ctype, max_iter=300, tol=1e-9, reg_covar=1e-6)
    ours = GaussianMixture(K, weights_init=w0, means_init=m0, covariances_init=c0, **kw).fit(X)
    ref = SkGMM(K, weights_init=w0, means_init=m0, precisions_init=_to_precisions(c0, ctype), **kw).fit(X)
    assert ours.converged_ and ref.converged_
    assert ours.n_iter_ > 5  # a real trajectory, not a start at the optimum
    # the whole EM trajectory: our history without its last entry is sklearn's lower_bounds_
    n = min(len(ours.history_["log_likelihood"]) - 1, len(ref.lower_bounds_))
    np.testing.assert_allclose(ours.history_["log_likelihood"][:n], ref.lower_bounds_[:n], rtol=1e-6)
    # the fixed point
    assert abs(ours.score(X) - ref.score(X)) <= 1e-6 * abs(ref.score(X))
    np.testing.assert_allclose(ours.weights_, ref.weights_, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(ours.means_, ref.means_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.covariances_, ref.covariances_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.precisions_, ref.precisions_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.log_prob(X), ref.score_samples(X), rtol=1e-6)
    assert ours.bic(X) == pytest.approx(ref.bic(X), rel=1e-6)
    assert ours.aic(X) == pytest.approx(ref.aic(X), rel=1e-6)


def test_warm_start_one_iteration_at_a_time_equals_one_fit():
    X = _overlapping_data()
    kw = dict(init_params="random", random_state=2, tol=0.0)
    whole = GaussianMixture(3, max_iter=7, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        whole.fit(X)
        stepped = GaussianMixture(3, max_iter=0, warm_start=True, **kw).fit(X)
        stepped.set_params(max_iter=1)
        for _ in range(7):
            stepped.fit(X)
    np.testing.assert_allclose(stepped.means_, whole.means_, rtol=1e-12)
    np.testing.assert_allclose(stepped.covariances_, whole.covariances_, rtol=1e-12)
    assert stepped.lower_bound_ == pytest.approx(whole.lower_bound_, rel=1e-12)
    # a warm start extends the history: seven one-step fits record the same trajectory
    np.testing.assert_allclose(stepped.history_["log_likelihood"], whole.history_["log_likelihood"], rtol=1e-12)
    assert stepped.n_iter_ == 1 and whole.n_iter_ == 7


def test_history_and_attributes(X3):
    gmm = GaussianMixture(3, random_state=0).fit(X3)
    assert list(gmm.history_) == ["log_likelihood"]
    assert len(gmm.history_["log_likelihood"]) == gmm.n_iter_ + 1
    assert gmm.lower_bound_ == gmm.history_["log_likelihood"][-1] == pytest.approx(gmm.score(X3))
    assert gmm.converged_ and gmm.n_features_in_ == 2
    assert gmm.weights_.sum() == pytest.approx(1.0)
    assert gmm.covariances_.shape == (3, 2, 2)
    np.testing.assert_allclose(gmm.precisions_ @ gmm.covariances_, np.broadcast_to(np.eye(2), (3, 2, 2)),
                               atol=1e-10)
    np.testing.assert_array_equal(gmm.fit_predict(X3), gmm.predict(X3))


def test_recovers_the_true_mixture():
    centers = np.array([[-4.0, 0.0], [0.0, 3.5], [4.0, -1.0]])
    X, y = make_blobs(3000, centers=centers, random_state=7)
    gmm = GaussianMixture(3, random_state=0).fit(X)
    order = np.argsort(gmm.means_[:, 0])
    np.testing.assert_allclose(gmm.means_[order], centers, atol=0.12)
    np.testing.assert_allclose(gmm.weights_[order], 1 / 3, atol=0.02)
    truth = np.array([np.eye(2), [[2.0, 0.0], [0.0, 0.6]], [[1.0, 0.8], [0.8, 1.0]]])
    np.testing.assert_allclose(gmm.covariances_[order], truth, atol=0.15)


def test_bic_prefers_the_true_number_of_components(X3):
    bics = [GaussianMixture(k, random_state=0, n_init=2).fit(X3).bic(X3) for k in range(1, 7)]
    assert int(np.argmin(bics)) + 1 == 3


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("ctype", COVARIANCE_TYPES)
def test_n_parameters_matches_sklearn(ctype, X3):
    from sklearn.mixture import GaussianMixture as SkGMM

    ref = SkGMM(4, covariance_type=ctype, max_iter=2, random_state=0).fit(X3)
    assert n_parameters(4, 2, ctype) == ref._n_parameters()


def test_n_init_keeps_the_best_initialisation():
    X = _overlapping_data()
    one = GaussianMixture(5, init_params="random", n_init=1, random_state=3, max_iter=30)
    many = GaussianMixture(5, init_params="random", n_init=4, random_state=3, max_iter=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        one.fit(X)
        many.fit(X)
    # the first initialisation of `many` is `one`'s (same Generator): the best is at least as good
    assert many.lower_bound_ >= one.lower_bound_ - 1e-12


def test_convergence_warning():
    X = _overlapping_data()
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        GaussianMixture(3, init_params="random", max_iter=2, tol=1e-12, random_state=0).fit(X)


def test_verbose_progress_bar_runs(X3, capsys):
    GaussianMixture(3, random_state=0, verbose=1).fit(X3)
    assert "EM" in capsys.readouterr().err


def test_sklearn_clone_and_params():
    from sklearn.base import clone

    gmm = GaussianMixture(4, covariance_type="diag", random_state=1)
    twin = clone(gmm)
    assert twin.get_params() == gmm.get_params()
    assert twin.n_components == 4 and twin.covariance_type == "diag"


# ------------------------------------------------------------------------------------------
# k-means and the small-variance limit
# ------------------------------------------------------------------------------------------
def test_kmeans_matches_sklearn_lloyd(X3):
    from sklearn.cluster import KMeans

    C0 = kmeans_plusplus(X3, 3, np.random.default_rng(0))
    centers, labels = kmeans(X3, C0)
    ref = KMeans(3, init=C0, n_init=1, algorithm="lloyd", tol=0.0).fit(X3)
    np.testing.assert_allclose(centers, ref.cluster_centers_, rtol=1e-10)
    np.testing.assert_array_equal(labels, ref.labels_)


def test_kmeans_plusplus_picks_distinct_data_points(X3):
    C = kmeans_plusplus(X3, 5, np.random.default_rng(1))
    assert len({tuple(c) for c in C}) == 5
    assert all(any(np.array_equal(c, x) for x in X3) for c in C)


def test_kmeans_limit_small_variance_is_kmeans():
    from sklearn.cluster import KMeans

    X = _overlapping_data()
    C0 = X[:3].copy()
    means, resp, _ = kmeans_limit(X, C0, variance=1e-8, max_iter=300)
    ref = KMeans(3, init=C0, n_init=1, algorithm="lloyd", tol=0.0, max_iter=300).fit(X)
    np.testing.assert_allclose(means, ref.cluster_centers_, rtol=1e-8)
    np.testing.assert_array_equal(resp.argmax(axis=1), ref.labels_)
    assert np.all((resp > 1 - 1e-6) | (resp < 1e-6))  # hard assignments


def test_kmeans_limit_large_variance_merges_the_means():
    X = _overlapping_data()
    means, resp, _ = kmeans_limit(X, X[:3], variance=1e8, max_iter=5)
    np.testing.assert_allclose(means, np.broadcast_to(X.mean(axis=0), means.shape), atol=1e-4)
    np.testing.assert_allclose(resp, 1 / 3, atol=1e-6)


# ------------------------------------------------------------------------------------------
# sampling and seeds
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("ctype", COVARIANCE_TYPES)
def test_samples_have_the_fitted_moments(ctype, X3):
    gmm = GaussianMixture(3, covariance_type=ctype, random_state=0).fit(X3)
    K, d = gmm.means_.shape
    n = 40_000
    S, z = gmm.sample(n, random_state=123, return_latent=True)
    assert S.shape == (n, d) and z.shape == (n,)
    # Component frequencies: binomial standard error sqrt(pi (1 - pi) / n); 5 SE makes a false
    # alarm a ~1e-6 event per check while a wrong pi (off by 0.02) would be ~8 SE away.
    freq = np.bincount(z, minlength=K) / n
    se = np.sqrt(gmm.weights_ * (1 - gmm.weights_) / n)
    assert np.all(np.abs(freq - gmm.weights_) <= 5 * se)
    full = _dense(gmm.covariances_, K, d, ctype)
    for k in range(K):
        Sk = S[z == k]
        nk = len(Sk)
        # Mean of nk draws: standard error sqrt(Sigma_ii / nk) per coordinate, 5 SE.
        assert np.all(np.abs(Sk.mean(axis=0) - gmm.means_[k]) <= 5 * np.sqrt(np.diag(full[k]) / nk))
        # Covariance entries: for a Gaussian, Var[(x_i - mu_i)(x_j - mu_j)] = S_ii S_jj + S_ij^2,
        # so the sample covariance has standard error sqrt((S_ii S_jj + S_ij^2) / nk); 5 SE.
        dev = Sk - gmm.means_[k]
        emp = dev.T @ dev / nk
        se_cov = np.sqrt((np.outer(np.diag(full[k]), np.diag(full[k])) + full[k] ** 2) / nk)
        assert np.all(np.abs(emp - full[k]) <= 5 * se_cov)


def test_repeated_sample_calls_give_new_draws_and_seeds_reproduce(X3):
    gmm = GaussianMixture(3, random_state=0).fit(X3)
    a, b = gmm.sample(10), gmm.sample(10)
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(gmm.sample(10, random_state=4), gmm.sample(10, random_state=4))
    # a seeded call does not advance the model's own stream
    twin = pickle.loads(pickle.dumps(gmm))
    gmm.sample(10, random_state=9)
    np.testing.assert_array_equal(gmm.sample(10), twin.sample(10))


@pytest.mark.parametrize("init_params", ["kmeans", "random"])
def test_same_seed_same_fit(init_params):
    X = _overlapping_data()
    a = GaussianMixture(3, init_params=init_params, random_state=11).fit(X)
    b = GaussianMixture(3, init_params=init_params, random_state=11).fit(X)
    for attr in ("weights_", "means_", "covariances_"):
        np.testing.assert_array_equal(getattr(a, attr), getattr(b, attr))
    assert a.history_ == b.history_
    np.testing.assert_array_equal(a.sample(20), b.sample(20))
    c = GaussianMixture(3, init_params="random", random_state=12, max_iter=1, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        d = GaussianMixture(3, init_params="random", random_state=11, max_iter=1, tol=0.0)
        assert not np.array_equal(c.fit(X).means_, d.fit(X).means_)


def test_generator_random_state_is_used_not_copied(X3):
    rng = np.random.default_rng(0)
    gmm = GaussianMixture(3, random_state=rng).fit(X3)
    assert gmm._rng is rng


# ------------------------------------------------------------------------------------------
# bad input and degenerate data
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "X, words",
    [
        (np.array([[0.0, np.nan], [1.0, 2.0], [3.0, 4.0]]), ["X", "NaN"]),
        (np.array([[0.0, np.inf], [1.0, 2.0], [3.0, 4.0]]), ["X", "infinite"]),
        (np.arange(5.0), ["X", "2-D", "reshape"]),
        (np.zeros((0, 2)), ["X"]),
        (np.array([["a", "b"]]), ["X", "text"]),
    ],
)
def test_bad_X_is_refused(X, words):
    with pytest.raises((ValueError, TypeError)) as info:
        GaussianMixture(1).fit(X)
    for w in words:
        assert w in str(info.value)


def test_fewer_samples_than_components():
    with pytest.raises(ValueError, match="n_components=3"):
        GaussianMixture(3).fit(np.zeros((2, 2)))


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(n_components=0), ["n_components", ">= 1"]),
        (dict(n_components=2.5), ["n_components", "int"]),
        (dict(covariance_type="banana"), ["covariance_type", "full", "spherical"]),
        (dict(init_params="kmeans++x"), ["init_params"]),
        (dict(reg_covar=-1.0), ["reg_covar"]),
        (dict(tol=-1.0), ["tol"]),
        (dict(max_iter=-1), ["max_iter"]),
        (dict(n_init=0), ["n_init"]),
        (dict(random_state="seed"), ["random_state"]),
        (dict(weights_init=[0.5, 0.6]), ["weights_init", "sum to 1"]),
        (dict(weights_init=[0.2, 0.3, 0.5]), ["weights_init", "shape (2,)"]),
        (dict(means_init=np.zeros((3, 2))), ["means_init", "(2, 2)"]),
        (dict(covariances_init=np.zeros((2, 2, 2))), ["covariances_init", "positive definite"]),
        (dict(covariances_init=np.ones((2, 2))), ["covariances_init", "shape (2, 2, 2)"]),
    ],
)
def test_bad_hyperparameters_are_refused(kwargs, words, X3):
    params = dict(n_components=2)
    params.update(kwargs)
    with pytest.raises((ValueError, TypeError)) as info:
        GaussianMixture(**params).fit(X3)
    for w in words:
        assert w in str(info.value), f"{info.value!r} misses {w!r}"


def test_methods_before_fit_raise_not_fitted(X3):
    gmm = GaussianMixture(2)
    for call in (gmm.predict, gmm.predict_proba, gmm.log_prob, gmm.score, gmm.bic, gmm.aic):
        with pytest.raises(NotFittedError, match="fit"):
            call(X3)
    with pytest.raises(NotFittedError):
        gmm.sample(3)


def test_wrong_number_of_features_after_fit(X3):
    gmm = GaussianMixture(2, random_state=0).fit(X3)
    with pytest.raises(ValueError, match="3 feature"):
        gmm.predict(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="n must be >= 1"):
        gmm.sample(0)


def test_duplicated_points_stay_finite_with_a_warning():
    X = np.ones((20, 2))
    for ctype in COVARIANCE_TYPES:
        with pytest.warns(UserWarning, match="reg_covar"):
            gmm = GaussianMixture(2, covariance_type=ctype, random_state=0).fit(X)
        for attr in ("weights_", "means_", "covariances_"):
            assert np.all(np.isfinite(getattr(gmm, attr)))
        assert np.all(np.isfinite(gmm.log_prob(X))) and np.all(np.isfinite(gmm.sample(5)))


def test_collapsed_component_is_reported_and_finite():
    # two clusters plus one point repeated five times: the third component collapses onto it
    X, _ = make_blobs(200, centers=[[-3.0, 0.0], [3.0, 0.0]], covariances=[np.eye(2)] * 2, random_state=0)
    X = np.vstack([X, np.tile([[20.0, 20.0]], (5, 1))])
    with pytest.warns(UserWarning, match=r"component\(s\) \[.\] collapsed"):
        gmm = GaussianMixture(3, random_state=0).fit(X)
    assert np.all(np.isfinite(gmm.log_prob(X)))
    assert np.isfinite(gmm.lower_bound_)


def test_zero_reg_covar_on_degenerate_data_asks_for_reg_covar():
    with pytest.raises(ValueError, match="increase reg_covar"):
        GaussianMixture(1, reg_covar=0.0).fit(np.ones((10, 2)))


def test_collapse_without_reg_covar_asks_for_reg_covar():
    X, _ = make_blobs(200, centers=[[-3.0, 0.0], [3.0, 0.0]], covariances=[np.eye(2)] * 2, random_state=0)
    X = np.vstack([X, np.tile([[20.0, 20.0]], (5, 1))])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            gmm = GaussianMixture(3, reg_covar=0.0, random_state=0).fit(X)
        except ValueError as err:  # the Cholesky factorisation may fail instead: also a clear answer
            assert "increase reg_covar" in str(err)
            return
    assert any("reg_covar > 0" in str(w.message) for w in caught)
    assert np.all(np.isfinite(gmm.log_prob(X)))


# ------------------------------------------------------------------ finite input, no NaN

@pytest.mark.parametrize("cov_type", ["full", "tied", "diag", "spherical"])
def test_far_finite_input_gives_exact_or_minus_inf_never_nan(cov_type):
    from genlib.classic.gmm import component_log_prob, precision_cholesky

    # |x| = 1e160 squares to inf, but with variances 1e20 the density is finite: the
    # overflow-safe path must match scipy (which whitens before squaring).
    mean, var = np.array([[1.0, -2.0]]), np.array([1e20, 4e20])
    cov = {"full": np.diag(var)[None], "tied": np.diag(var), "diag": var[None],
           "spherical": np.array([2e20])}[cov_type]
    dense = {"full": np.diag(var), "tied": np.diag(var), "diag": np.diag(var), "spherical": 2e20 * np.eye(2)}[cov_type]
    X = np.array([[1e160, -3e159], [1e153, 5.0], [0.5, 0.5]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning leaks either
        got = component_log_prob(X, mean, precision_cholesky(cov, cov_type), cov_type)[:, 0]
    want = multivariate_normal(mean[0], dense).logpdf(X)
    assert np.all(np.isfinite(want))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # Beyond the float range the density rounds to 0: log_prob is -inf (not NaN), posteriors are refused.
    rng = np.random.default_rng(0)
    gmm = GaussianMixture(2, covariance_type=cov_type, random_state=0).fit(rng.normal(size=(100, 2)))
    far = np.array([[1e155, 0.0], [1e200, 1e200], [1e308, -1e308]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.all(np.isneginf(gmm.log_prob(far)))
        for method in (gmm.predict, gmm.predict_proba):
            with pytest.raises(ValueError, match="so far from every component"):
                method(far)
    with pytest.raises(ValueError, match="too large for float64"):
        GaussianMixture(2).fit(np.r_[rng.normal(size=(10, 2)), [[1e155, 0.0]]])
