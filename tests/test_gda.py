"""Tests of genlib.classic.gda against independent references.

- densities: scipy.stats.multivariate_normal;
- fitted parameters: brute-force per-class means and covariances (numpy);
- predictions and probabilities: scikit-learn's QuadraticDiscriminantAnalysis (full) and
  LinearDiscriminantAnalysis (tied) fitted on the same data;
- sampling: moments of many draws, within a few standard errors.
"""

import numpy as np
import pytest
from scipy import integrate
from scipy.special import logsumexp
from scipy.stats import multivariate_normal
from sklearn.base import clone
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis, QuadraticDiscriminantAnalysis

from genlib.base import NotFittedError
from genlib.classic import ClassConditionalGaussian
from genlib.classic.gmm import component_log_prob, precision_cholesky


def _three_classes(n=300, d=3, seed=0):
    """Three Gaussian classes with different covariances and unequal sizes."""
    rng = np.random.default_rng(seed)
    sizes = [n // 2, n // 3, n - n // 2 - n // 3]
    X, y = [], []
    for k, m in enumerate(sizes):
        A = rng.normal(size=(d, d))
        X.append(rng.normal(size=d) * 2 + rng.normal(size=(m, d)) @ A)
        y.append(np.full(m, k))
    return np.vstack(X), np.concatenate(y)


# ------------------------------------------------------------------- densities
def test_gaussian_log_density_matches_scipy():
    # the classifier's densities are the shared toolbox's (genlib.classic.gmm)
    rng = np.random.default_rng(1)
    for d in (1, 2, 5):
        A = rng.normal(size=(d, d))
        cov = A @ A.T + 0.1 * np.eye(d)
        mean = rng.normal(size=d)
        X = rng.normal(size=(50, d)) * 3
        ours = component_log_prob(X, mean[None], precision_cholesky(cov[None], "full"), "full")[:, 0]
        ref = multivariate_normal(mean, cov).logpdf(X)
        np.testing.assert_allclose(ours, np.atleast_1d(ref), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("covariance", ["full", "tied"])
def test_log_prob_is_the_scipy_mixture_of_class_densities(covariance):
    X, y = _three_classes()
    model = ClassConditionalGaussian(covariance=covariance).fit(X, y)
    Xt, _ = _three_classes(seed=5)
    ref_joint = np.column_stack([
        np.log(model.priors_[k]) + multivariate_normal(model.means_[k], model.covariances_[k]).logpdf(Xt)
        for k in range(3)
    ])
    np.testing.assert_allclose(model.log_joint(Xt), ref_joint, rtol=1e-10)
    np.testing.assert_allclose(model.log_prob(Xt), logsumexp(ref_joint, axis=1), rtol=1e-10)
    np.testing.assert_allclose(model.score_samples(Xt), model.log_prob(Xt))
    assert model.score(Xt) == pytest.approx(float(np.mean(model.log_prob(Xt))), rel=1e-12)


def test_density_integrates_to_one_in_1d():
    rng = np.random.default_rng(2)
    X = np.concatenate([rng.normal(-2, 0.5, 30), rng.normal(3, 1.5, 70)])[:, None]
    y = np.repeat([0, 1], [30, 70])
    model = ClassConditionalGaussian().fit(X, y)
    total, _ = integrate.quad(lambda t: np.exp(model.log_prob([[t]])[0]), -30, 30, limit=200)
    assert total == pytest.approx(1.0, abs=1e-7)


# ---------------------------------------------------------------- estimation
@pytest.mark.parametrize("covariance", ["full", "tied"])
def test_fitted_parameters_are_the_brute_force_mle(covariance):
    X, y = _three_classes()
    reg = 1e-3
    model = ClassConditionalGaussian(covariance=covariance, reg_covar=reg).fit(X, y)
    N = len(y)
    per_class = [np.cov(X[y == k].T, bias=True) for k in range(3)]
    pooled = sum(np.sum(y == k) / N * per_class[k] for k in range(3))
    for k in range(3):
        assert model.priors_[k] == pytest.approx(np.mean(y == k))
        np.testing.assert_allclose(model.means_[k], X[y == k].mean(axis=0), rtol=1e-12)
        expected = per_class[k] if covariance == "full" else pooled
        np.testing.assert_allclose(model.covariances_[k], expected + reg * np.eye(3), rtol=1e-10)


def test_tied_fit_small_hand_example():
    X = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 4.0], [0.0, 8.0]])
    model = ClassConditionalGaussian(covariance="tied", reg_covar=0.0).fit(X, np.array([0, 0, 1, 1]))
    mu, cov = model.means_, model.covariances_
    np.testing.assert_allclose(mu, [[1.0, 0.0], [0.0, 6.0]])
    # full: diag(1, 0) and diag(0, 4); tied: their average with weights 1/2
    np.testing.assert_allclose(cov[0], [[0.5, 0.0], [0.0, 2.0]])
    np.testing.assert_allclose(cov[1], cov[0])


# ------------------------------------------------- against scikit-learn's QDA/LDA
def test_full_matches_sklearn_qda():
    X, y = _three_classes(seed=3)
    Xt, _ = _three_classes(seed=4)
    ours = ClassConditionalGaussian(covariance="full", reg_covar=0.0).fit(X, y)
    # solver="eigen" uses the maximum-likelihood (biased) covariance, as we do
    qda = QuadraticDiscriminantAnalysis(solver="eigen", store_covariance=True).fit(X, y)
    np.testing.assert_allclose(ours.priors_, qda.priors_, rtol=1e-12)
    np.testing.assert_allclose(ours.means_, qda.means_, rtol=1e-12)
    np.testing.assert_allclose(ours.covariances_, np.asarray(qda.covariance_), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(ours.predict_proba(Xt), qda.predict_proba(Xt), rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(ours.predict_log_proba(Xt), qda.predict_log_proba(Xt), rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(ours.predict(Xt), qda.predict(Xt))
    # the default svd solver divided by N_k - 1 instead of N_k before scikit-learn 1.9, and by
    # N_k, as we do, since (Colab runs newer releases than requirements.txt pins: both hold)
    import sklearn

    unbiased = tuple(int(p) for p in sklearn.__version__.split(".")[:2]) < (1, 9)
    qda_svd = QuadraticDiscriminantAnalysis(store_covariance=True).fit(X, y)
    for k in range(3):
        n_k = np.sum(y == k)
        scale = n_k / (n_k - 1) if unbiased else 1.0
        np.testing.assert_allclose(ours.covariances_[k] * scale, qda_svd.covariance_[k], rtol=1e-8)


@pytest.mark.parametrize("solver", ["lsqr", "eigen"])
def test_tied_matches_sklearn_lda(solver):
    X, y = _three_classes(seed=6)
    Xt, _ = _three_classes(seed=7)
    ours = ClassConditionalGaussian(covariance="tied", reg_covar=0.0).fit(X, y)
    lda = LinearDiscriminantAnalysis(solver=solver, store_covariance=True).fit(X, y)
    np.testing.assert_allclose(ours.covariances_[0], lda.covariance_, rtol=1e-8)
    np.testing.assert_allclose(ours.predict_proba(Xt), lda.predict_proba(Xt), rtol=1e-6, atol=1e-10)
    np.testing.assert_array_equal(ours.predict(Xt), lda.predict(Xt))


def test_binary_string_labels_match_lda():
    X, y = _three_classes(seed=8)
    keep = y < 2
    labels = np.where(y[keep] == 0, "cat", "dog")
    ours = ClassConditionalGaussian(covariance="tied", reg_covar=0.0).fit(X[keep], labels)
    lda = LinearDiscriminantAnalysis(solver="lsqr").fit(X[keep], labels)
    assert ours.classes_.tolist() == ["cat", "dog"]
    np.testing.assert_allclose(ours.predict_proba(X), lda.predict_proba(X), rtol=1e-6, atol=1e-10)
    np.testing.assert_array_equal(ours.predict(X), lda.predict(X))


def test_bayes_rule_links_joint_marginal_and_posterior():
    X, y = _three_classes(seed=9)
    model = ClassConditionalGaussian().fit(X, y)
    joint = model.log_joint(X)
    np.testing.assert_allclose(model.predict_log_proba(X), joint - model.log_prob(X)[:, None], atol=1e-12)
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0, rtol=1e-12)


def test_far_away_points_stay_finite():
    X, y = _three_classes()
    model = ClassConditionalGaussian().fit(X, y)
    far = np.full((2, 3), 1e4) * np.array([[1.0], [-1.0]])
    assert np.all(np.isfinite(model.predict_log_proba(far)))
    assert np.all(np.isfinite(model.log_prob(far)))
    np.testing.assert_allclose(model.predict_proba(far).sum(axis=1), 1.0)


# ------------------------------------------------------------------ sampling
def test_sample_moments_match_the_model():
    """Moments of n draws agree with the model's parameters within 5 standard errors.

    A sample mean of n_k draws has standard error sqrt(Sigma_ii / n_k); a sample covariance
    entry has variance (Sigma_ii Sigma_jj + Sigma_ij^2) / n_k for Gaussian data; a class
    frequency has standard error sqrt(pi_k (1 - pi_k) / n). Five standard errors makes a
    false alarm improbable (about 6e-7 per check) while a wrong mean, covariance factor or
    prior (e.g. L^T instead of L, or uniform instead of pi) is off by many more.
    """
    X, y = _three_classes(n=200, d=2, seed=10)
    model = ClassConditionalGaussian(random_state=0).fit(X, y)
    n = 40_000
    S, labels = model.sample(n, return_latent=True)
    freq = np.array([np.mean(labels == k) for k in model.classes_])
    se_freq = np.sqrt(model.priors_ * (1 - model.priors_) / n)
    assert np.all(np.abs(freq - model.priors_) < 5 * se_freq)
    for k in range(3):
        Sk = S[labels == k]
        nk = len(Sk)
        Sigma = model.covariances_[k]
        var = np.diag(Sigma)
        assert np.all(np.abs(Sk.mean(axis=0) - model.means_[k]) < 5 * np.sqrt(var / nk))
        se_cov = np.sqrt((np.outer(var, var) + Sigma**2) / nk)
        assert np.all(np.abs(np.cov(Sk.T, bias=True) - Sigma) < 5 * se_cov)


def test_sample_from_chosen_classes():
    X, y = _three_classes(n=200, d=2, seed=11)
    model = ClassConditionalGaussian(random_state=1).fit(X, y)
    S, labels = model.sample(5000, y=2, return_latent=True)
    assert np.all(labels == 2)
    se = np.sqrt(np.diag(model.covariances_[2]) / 5000)
    assert np.all(np.abs(S.mean(axis=0) - model.means_[2]) < 5 * se)
    chosen = np.array([0, 1, 2, 1])
    _, got = model.sample(4, y=chosen, return_latent=True)
    np.testing.assert_array_equal(got, chosen)


def test_sampling_is_reproducible_and_advances():
    X, y = _three_classes()
    a = ClassConditionalGaussian(random_state=7).fit(X, y)
    b = ClassConditionalGaussian(random_state=7).fit(X, y)
    np.testing.assert_array_equal(a.sample(10), b.sample(10))
    assert not np.array_equal(a.sample(10), a.sample(10))
    np.testing.assert_array_equal(a.sample(5, random_state=3), b.sample(5, random_state=3))
    assert a.sample(3).shape == (3, 3)


def test_sklearn_clone_and_params():
    model = ClassConditionalGaussian(covariance="tied", reg_covar=1e-3, random_state=2)
    assert clone(model).get_params() == {"covariance": "tied", "reg_covar": 1e-3, "random_state": 2}


# ---------------------------------------------------------------- bad input
@pytest.fixture
def data():
    return _three_classes(n=60, d=2, seed=12)


def test_bad_X_is_refused(data):
    X, y = data
    Xn = X.copy()
    Xn[3, 1] = np.nan
    with pytest.raises(ValueError, match="X contains 1 NaN"):
        ClassConditionalGaussian().fit(Xn, y)
    with pytest.raises(ValueError, match=r"X must be 2-D.*reshape"):
        ClassConditionalGaussian().fit(X[:, 0], y)
    with pytest.raises(TypeError, match="X must hold numbers"):
        ClassConditionalGaussian().fit(np.array([["a", "b"]] * 4), [0, 0, 1, 1])


def test_bad_y_is_refused(data):
    X, y = data
    with pytest.raises(ValueError, match=r"y has 59 label\(s\) but X has 60 row"):
        ClassConditionalGaussian().fit(X, y[:-1])
    with pytest.raises(ValueError, match="y must be 1-D"):
        ClassConditionalGaussian().fit(X, np.eye(3)[y])
    with pytest.raises(ValueError, match="NaN"):
        ClassConditionalGaussian().fit(X, np.where(y == 0, np.nan, y))
    with pytest.raises(ValueError, match="non-integer"):
        ClassConditionalGaussian().fit(X, y + 0.5)
    with pytest.raises(ValueError, match="y is required"):
        ClassConditionalGaussian().fit(X, None)
    y1 = y.copy()
    y1[0] = 99  # a class with a single point
    with pytest.raises(ValueError, match="only 1 sample.*class 99.*at least 2"):
        ClassConditionalGaussian().fit(X, y1)


def test_bad_hyper_parameters_are_refused(data):
    X, y = data
    with pytest.raises(ValueError, match="covariance must be one of"):
        ClassConditionalGaussian(covariance="diag").fit(X, y)
    with pytest.raises(ValueError, match="reg_covar must be >= 0"):
        ClassConditionalGaussian(reg_covar=-1.0).fit(X, y)


def test_singular_covariance_suggests_reg_covar():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [5.0, 1.0], [6.0, 3.0], [7.0, 2.0]])
    y = np.array([0, 0, 0, 1, 1, 1])  # class 0 lies on a line
    with pytest.raises(ValueError, match="increase reg_covar"):
        ClassConditionalGaussian(reg_covar=0.0).fit(X, y)
    assert ClassConditionalGaussian(reg_covar=1e-6).fit(X, y).predict([[1.0, 1.0]])[0] == 0


def test_not_fitted_and_wrong_shapes(data):
    X, y = data
    model = ClassConditionalGaussian()
    for call in (model.predict, model.predict_proba, model.predict_log_proba, model.log_prob, model.score):
        with pytest.raises(NotFittedError, match="fit"):
            call(X)
    with pytest.raises(NotFittedError):
        model.sample(2)
    model.fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but ClassConditionalGaussian is expecting 2 features.*fitted on"):
        model.predict(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="not a class of the fitted model"):
        model.sample(2, y=7)
    with pytest.raises(ValueError, match="one label or 3 labels"):
        model.sample(3, y=[0, 1])
    with pytest.raises(TypeError, match="n must be an int"):
        model.sample(2.5)


def test_works_in_sklearn_model_selection():
    from sklearn.base import is_classifier
    from sklearn.model_selection import cross_val_score

    X, y = _three_classes(n=150, d=2, seed=13)
    model = ClassConditionalGaussian(covariance="tied")
    assert is_classifier(model)
    acc = cross_val_score(model, X, y, cv=3, scoring="accuracy")
    lda = cross_val_score(LinearDiscriminantAnalysis(solver="lsqr"), X, y, cv=3, scoring="accuracy")
    np.testing.assert_allclose(acc, lda, atol=1e-12)
    loglik = cross_val_score(model, X, y, cv=3)  # default scoring: score() = mean log p(x)
    assert np.all(loglik < 0) and np.all(np.isfinite(loglik))


def test_far_finite_input_gives_minus_inf_or_a_clear_error_never_nan():
    import warnings

    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 2))
    model = ClassConditionalGaussian().fit(X, X[:, 0] > 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isneginf(model.log_prob([[1e155, 0.0]])[0])
        for method in (model.predict, model.predict_proba, model.predict_log_proba):
            with pytest.raises(ValueError, match="so far from every component"):
                method([[1e155, 0.0]])
    with pytest.raises(ValueError, match="too large for float64"):
        ClassConditionalGaussian().fit(np.r_[X, [[1e155, 0.0]]], np.r_[X[:, 0] > 0, True])
