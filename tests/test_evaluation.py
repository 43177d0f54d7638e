"""genlib.metrics.evaluation: the Parzen estimate, the memorisation check and evaluate().

Each metric is checked on a case with a known answer: the Parzen estimate against a brute-force
sum of scipy densities and against the true density of a Gaussian; the memorisation check on a
copy of the training set; evaluate() against each model's own exact score, AIS estimate, bound
or perplexity computed directly.
"""

import math

import numpy as np
import pytest
from scipy import stats

from genlib.metrics import (Evaluation, evaluate, nearest_neighbour_ratio, parzen_log_likelihood)


# ------------------------------------------------------------------------- Parzen
def test_parzen_equals_brute_force_mixture_of_scipy_normals():
    rng = np.random.default_rng(0)
    S, T = rng.normal(size=(30, 3)), rng.normal(size=(7, 3))
    h = 0.7
    dens = np.array([[stats.multivariate_normal(s, h**2 * np.eye(3)).pdf(t) for s in S] for t in T])
    expected = np.log(dens.mean(axis=1))
    est = parzen_log_likelihood(S, T, bandwidth=h)
    assert est.log_likelihood == pytest.approx(expected.mean(), abs=1e-10)
    assert est.std_err == pytest.approx(expected.std(ddof=1) / math.sqrt(7), abs=1e-10)
    assert est.bandwidth == h


def test_parzen_approaches_true_gaussian_density_in_one_dimension():
    rng = np.random.default_rng(1)
    samples, valid, test = rng.normal(size=(5000, 1)), rng.normal(size=(500, 1)), rng.normal(size=(2000, 1))
    truth = stats.norm.logpdf(test).mean()
    est = parzen_log_likelihood(samples, test, X_valid=valid)
    assert abs(est.log_likelihood - truth) < 0.05
    assert 0.05 < est.bandwidth < 1.0


def test_parzen_is_far_from_truth_in_64_dimensions_and_rewards_memorisation():
    """Theis et al. (2016): with 64-D Gaussian data and thousands of samples the estimate is
    tens of nats off, and the training set itself scores better than fresh true samples."""
    rng = np.random.default_rng(2)
    d = 64
    train, valid, test = (rng.normal(size=(n, d)) for n in (2000, 300, 300))
    truth = stats.multivariate_normal(np.zeros(d), np.eye(d)).logpdf(test).mean()
    fresh = parzen_log_likelihood(rng.normal(size=(2000, d)), test, X_valid=valid)
    assert truth - fresh.log_likelihood > 10.0
    copy = parzen_log_likelihood(train, test, X_valid=valid)  # "samples" = the training set
    assert copy.log_likelihood == pytest.approx(fresh.log_likelihood, abs=3.0)


def test_parzen_chooses_the_bandwidth_that_maximises_validation_likelihood():
    rng = np.random.default_rng(3)
    S, V, T = rng.normal(size=(300, 2)), rng.normal(size=(100, 2)), rng.normal(size=(50, 2))
    grid = [0.05, 0.3, 3.0]
    chosen = parzen_log_likelihood(S, T, X_valid=V, bandwidths=grid).bandwidth
    best = max(grid, key=lambda h: parzen_log_likelihood(S, V, bandwidth=h).log_likelihood)
    assert chosen == best == 0.3


@pytest.mark.parametrize("kwargs, words", [
    ({}, ["X_valid", "bandwidth"]),
    ({"bandwidth": 0.0}, ["bandwidth", "> 0"]),
    ({"bandwidth": 0.5, "X_valid": np.zeros((3, 2))}, ["either bandwidth"]),
    ({"X_valid": np.zeros((3, 2)), "bandwidths": [-1.0]}, ["bandwidths", "positive"]),
    ({"bandwidth": 0.5, "X_test": np.zeros((3, 5))}, ["X_test", "2"]),
])
def test_parzen_rejects_bad_input(kwargs, words):
    args = {"samples": np.zeros((4, 2)), "X_test": np.ones((3, 2)), **kwargs}
    with pytest.raises((ValueError, TypeError)) as err:
        parzen_log_likelihood(args.pop("samples"), args.pop("X_test"), **args)
    for word in words:
        assert word in str(err.value)


# ------------------------------------------------------------------- memorisation
def test_nearest_neighbour_ratio_flags_a_copy_and_passes_fresh_draws():
    rng = np.random.default_rng(4)
    train, test = rng.normal(size=(400, 4)), rng.normal(size=(200, 4))
    copy = nearest_neighbour_ratio(train[:200], train, test)
    assert copy.ratio == 0.0 and np.all(copy.sample_distances == 0)
    fresh = nearest_neighbour_ratio(rng.normal(size=(200, 4)), train, test)
    assert 0.8 < fresh.ratio < 1.25
    near_copy = nearest_neighbour_ratio(train[:200] + 0.01 * rng.normal(size=(200, 4)), train, test)
    assert near_copy.ratio < 0.1
    off = nearest_neighbour_ratio(rng.normal(size=(200, 4)) + 5.0, train, test)
    assert off.ratio > 2.0


def test_nearest_neighbour_distances_equal_brute_force():
    rng = np.random.default_rng(5)
    S, R, T = rng.normal(size=(6, 3)), rng.normal(size=(9, 3)), rng.normal(size=(5, 3))
    res = nearest_neighbour_ratio(S, R, T)
    brute = np.array([min(np.linalg.norm(s - r) for r in R) for s in S])
    assert np.allclose(res.sample_distances, brute)
    assert res.ratio == pytest.approx(np.median(brute) / np.median([min(np.linalg.norm(t - r) for r in R) for t in T]))


def test_nearest_neighbour_ratio_rejects_test_set_equal_to_training_set():
    X = np.random.default_rng(6).normal(size=(20, 2))
    with pytest.raises(ValueError, match="X_test"):
        nearest_neighbour_ratio(X, X, X)
    with pytest.raises(ValueError, match="X_train"):
        nearest_neighbour_ratio(X, X[:, :1], X)


# ------------------------------------------------------------------------ evaluate
# pixels that are always 0 in the digits make a GMM's variance hit the reg_covar floor: expected here
pytestmark = pytest.mark.filterwarnings("ignore:component\\(s\\).*collapsed:UserWarning")


@pytest.fixture(scope="module")
def digits():
    from genlib.datasets import binarize, load_digits

    X, y = load_digits()
    Xb = binarize(X, random_state=0)
    return X[:600], X[600:900], Xb[:600], Xb[600:900], y


def test_evaluate_gmm_equals_exact_score_and_measures_samples(digits):
    from genlib.classic import GaussianMixture

    X_tr, X_te, *_ = digits
    gmm = GaussianMixture(5, covariance_type="diag", reg_covar=1e-2, random_state=0)
    rep = evaluate(gmm, X_te, X_train=X_tr, fit=True, n_samples=300)
    assert isinstance(rep, Evaluation)
    assert rep.likelihood_kind == "exact"
    assert rep.log_likelihood == pytest.approx(gmm.score(X_te), rel=1e-12)
    assert rep.fit_seconds > 0 and rep.sample_seconds >= 0
    # Gaussian samples leave [0, 1]: the digit metrics are skipped with a note, the memorisation
    # check still runs
    assert rep.frechet is None and any("[0, 1]" in n for n in rep.notes)
    assert rep.nn_ratio > 0.5
    clipped = evaluate(gmm, X_te, X_train=X_tr, n_samples=300,
                       sample_fn=lambda n: np.clip(gmm.sample(n, random_state=0), 0, 1))
    assert clipped.frechet > 0 and 0 <= clipped.precision <= 1 and 0 <= clipped.recall <= 1
    assert clipped.as_dict()["log_likelihood"] == rep.log_likelihood


def test_evaluate_memorising_sampler_has_zero_ratio_and_floor_frechet(digits):
    from genlib.metrics import digit_frechet_distance

    X_tr, X_te, *_ = digits

    class Memoriser:  # no likelihood, samples are training images
        def sample(self, n, *, random_state=None):
            return X_tr[np.random.default_rng(random_state).choice(len(X_tr), n, replace=False)]

    rep = evaluate(Memoriser(), X_te, X_train=X_tr, n_samples=300)
    assert rep.likelihood_kind is None and rep.log_likelihood is None
    assert rep.nn_ratio == 0.0
    assert rep.frechet == pytest.approx(digit_frechet_distance(X_te, Memoriser().sample(300, random_state=0)))


def test_evaluate_hmm_uses_lengths_and_equals_mean_sequence_log_prob():
    from genlib.classic import CategoricalHMM

    truth = CategoricalHMM.from_parameters([0.5, 0.5], [[0.9, 0.1], [0.2, 0.8]], [[0.7, 0.3], [0.1, 0.9]],
                                           random_state=0)
    X = truth.sample(300)
    rep = evaluate(truth, X, lengths=[100, 200], n_samples=0)
    assert rep.likelihood_kind == "exact"
    assert rep.log_likelihood == pytest.approx(np.mean(truth.log_prob(X, [100, 200])))


def test_evaluate_rbm_equals_ais_estimate_with_same_seed(digits):
    import torch

    from genlib.energy import BernoulliRBM
    from genlib.energy.ais import estimate_log_likelihood, exact_log_partition

    *_, B_tr, B_te, _ = digits
    rbm = BernoulliRBM(64, 10, n_epochs=3, batch_size=50, random_state=0, device="cpu").fit(B_tr)
    rep = evaluate(rbm, B_te, X_train=B_tr, ais_temperatures=300, ais_chains=50, n_samples=0)
    direct = estimate_log_likelihood(rbm, B_te, n_temperatures=300, n_chains=50, data=B_tr, random_state=0)
    assert rep.likelihood_kind == "estimate"
    assert (rep.log_likelihood, rep.std_err) == pytest.approx(direct)
    # 10 hidden units: the exact value is within AIS's error bar
    with torch.no_grad():
        exact = float(-rbm.free_energy(B_te).double().mean()) - exact_log_partition(rbm)
    assert abs(rep.log_likelihood - exact) < 0.2


def test_evaluate_vae_reports_the_iwae_bound(digits):
    import torch

    from genlib.neural import VAE

    *_, B_tr, B_te, _ = digits
    vae = VAE(64, 2, hidden=(32,), random_state=0).fit(B_tr, n_epochs=1)
    rep = evaluate(vae, torch.as_tensor(B_te, dtype=torch.float32), iwae_k=20, n_samples=200, random_state=3)
    bound = vae.iwae_bound(torch.as_tensor(B_te, dtype=torch.float32), 20, random_state=3)
    assert rep.likelihood_kind == "bound"
    assert rep.log_likelihood == pytest.approx(float(bound.mean()), rel=1e-6)
    assert rep.frechet is not None  # Bernoulli draws are binary images


def test_evaluate_refuses_a_bernoulli_bound_on_grey_levels(digits):
    """A Bernoulli decoder's cross-entropy on grey levels is not the log of any probability:
    evaluate refuses to report it as a log-likelihood, and a Gaussian decoder's bound passes."""
    from genlib.neural import VAE

    X_tr, X_te, *_ = digits
    bernoulli = VAE(64, 2, hidden=(32,), random_state=0).fit(X_tr, n_epochs=1)
    with pytest.raises(ValueError, match=r"must be binary.*grey levels.*binarise"):
        evaluate(bernoulli, X_te, iwae_k=5, n_samples=0)
    gaussian = VAE(64, 2, hidden=(32,), likelihood="gaussian", random_state=0).fit(X_tr, n_epochs=1)
    rep = evaluate(gaussian, X_te, iwae_k=5, n_samples=0)
    assert rep.likelihood_kind == "bound" and np.isfinite(rep.log_likelihood)


def test_evaluate_lda_reports_perplexity():
    from genlib.classic.lda import LatentDirichletAllocation, make_bars

    train, test = make_bars(100, random_state=0)["counts"], make_bars(40, random_state=1)["counts"]
    lda = LatentDirichletAllocation(10, alpha=1.0, beta=0.1, method="blocked", n_iter=30, random_state=0).fit(train)
    rep = evaluate(lda, test, n_samples=0, random_state=2)
    assert rep.likelihood_kind == "perplexity" and rep.log_likelihood is None
    assert rep.perplexity == pytest.approx(lda.perplexity(test, random_state=2))


def test_evaluate_gan_has_no_likelihood_but_sample_metrics():
    from genlib.datasets import make_rings
    from genlib.neural import GAN

    X = make_rings(400, random_state=0)[0]
    gan = GAN(2, latent_dim=2, hidden=(16,), n_steps=5, batch_size=32, random_state=0).fit(X[:200])
    rep = evaluate(gan, X[200:], X_train=X[:200], n_samples=100)
    assert rep.likelihood_kind is None and rep.log_likelihood is None
    assert rep.nn_ratio is not None and rep.frechet is None
    assert any("no tractable likelihood" in n for n in rep.notes)


def test_evaluate_is_deterministic(digits):
    from genlib.classic import GaussianMixture

    X_tr, X_te, *_ = digits
    a = evaluate(GaussianMixture(3, covariance_type="diag", random_state=0), X_te, X_train=X_tr, fit=True,
                 n_samples=100)
    b = evaluate(GaussianMixture(3, covariance_type="diag", random_state=0), X_te, X_train=X_tr, fit=True,
                 n_samples=100)
    assert (a.log_likelihood, a.nn_ratio) == (b.log_likelihood, b.nn_ratio)


@pytest.mark.parametrize("kwargs, words", [
    ({"fit": True}, ["X_train", "fit=True"]),
    ({"fit_kwargs": {"a": 1}}, ["fit_kwargs", "fit=True"]),
    ({"n_samples": -1}, ["n_samples"]),
    ({"sample_fn": 3}, ["sample_fn", "callable"]),
    ({"random_state": None}, ["random_state"]),
])
def test_evaluate_rejects_bad_input(kwargs, words):
    from genlib.classic import GaussianMixture

    with pytest.raises((ValueError, TypeError)) as err:
        evaluate(GaussianMixture(2), np.zeros((5, 2)), **kwargs)
    for word in words:
        assert word in str(err.value)


def test_evaluate_gaussian_rbm_gets_the_ais_estimate_too():
    from genlib.energy import GaussianBernoulliRBM
    from genlib.energy.ais import estimate_log_likelihood

    X = np.random.default_rng(7).normal(size=(200, 3))
    rbm = GaussianBernoulliRBM(3, 4, n_epochs=2, batch_size=50, random_state=0, device="cpu").fit(X[:150])
    rep = evaluate(rbm, X[150:], X_train=X[:150], ais_temperatures=200, ais_chains=20, n_samples=0)
    direct = estimate_log_likelihood(rbm, X[150:], n_temperatures=200, n_chains=20, data=X[:150], random_state=0)
    assert rep.likelihood_kind == "estimate"
    assert (rep.log_likelihood, rep.std_err) == pytest.approx(direct)
