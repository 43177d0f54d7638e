"""Tests of annealed importance sampling (genlib.energy.ais) against exact partition functions."""

import itertools
import math

import numpy as np
import pytest
import torch

from genlib.datasets import load_digits
from genlib.energy import BernoulliRBM, BoltzmannMachine, GaussianBernoulliRBM
from genlib.energy.ais import (
    GaussianRBMPath,
    annealed_importance_sampling,
    base_rate_bias,
    estimate_log_likelihood,
    exact_log_partition,
    log_partition,
    temperature_schedule,
)
from genlib.energy.gibbs import make_generator


def _random_rbm(nv, nh, std, seed):
    rbm = BernoulliRBM(nv, nh, init_std=std, random_state=seed, device="cpu", dtype=torch.float64)
    g = torch.Generator().manual_seed(seed + 100)
    with torch.no_grad():
        rbm.b.copy_(torch.randn(nv, generator=g, dtype=torch.float64))
        rbm.c.copy_(torch.randn(nh, generator=g, dtype=torch.float64))
    return rbm


def test_exact_log_partition_matches_enumeration_of_the_joint():
    rbm = _random_rbm(4, 3, 1.0, 0)
    W, b, c = (p.detach().numpy() for p in (rbm.W, rbm.b, rbm.c))
    terms = [v @ b + h @ c + h @ W @ v
             for v in itertools.product([0, 1], repeat=4) for h in itertools.product([0, 1], repeat=3)]
    terms = [float(t) for t in (np.array(x) for x in terms)]
    assert np.isclose(exact_log_partition(rbm), np.logaddexp.reduce(terms), atol=1e-10)
    bm = BoltzmannMachine(3, 1, random_state=0, device="cpu")
    assert exact_log_partition(bm) == bm.log_partition()
    with pytest.raises(ValueError, match="max_units"):
        exact_log_partition(BernoulliRBM(30, 25))


@pytest.mark.parametrize("nv,nh,std,seed", [(20, 10, 0.5, 0), (10, 20, 0.5, 1), (15, 15, 1.0, 2), (20, 8, 2.0, 3)])
def test_ais_within_a_tenth_of_a_nat_of_exact_random_models(nv, nh, std, seed):
    rbm = _random_rbm(nv, nh, std, seed)
    log_z, se = log_partition(rbm, n_temperatures=3000, n_chains=100, random_state=seed)
    exact = exact_log_partition(rbm)
    assert abs(log_z - exact) < 0.1, (log_z, exact, se)
    assert se < 0.1


def test_ais_on_trained_models_with_large_weights():
    """Digits (64 pixels), 12 hidden units trained hard: weights grow large and the distribution peaks."""
    X, _ = load_digits(binary=True)
    rbm = BernoulliRBM(64, 12, n_epochs=30, learning_rate=0.3, weight_decay=0.0, persistent=True, batch_size=50,
                       random_state=0, device="cpu", dtype=torch.float64).fit(X)
    assert rbm.W.abs().max() > 3.0  # "large weights"
    exact = exact_log_partition(rbm)
    log_z, se = log_partition(rbm, n_temperatures=3000, n_chains=100, data=X, random_state=0)
    assert abs(log_z - exact) < 0.1, (log_z, exact, se)
    # The test log-likelihood estimate follows.
    ll, ll_se = estimate_log_likelihood(rbm, X[:100], log_z=log_z, std_err=se)
    exact_ll = float(-rbm.free_energy(X[:100]).detach().mean()) - exact
    assert abs(ll - exact_ll) < 0.1 and ll_se == se


def test_base_rate_start_beats_uniform_start():
    """With few temperatures the data-based base is much closer than the uniform one."""
    X, _ = load_digits(binary=True)
    rbm = BernoulliRBM(64, 10, n_epochs=10, learning_rate=0.1, random_state=0, device="cpu",
                       dtype=torch.float64).fit(X)
    exact = exact_log_partition(rbm)
    errs = {}
    for name, kw in {"base": {"data": X}, "uniform": {}}.items():
        runs = [log_partition(rbm, n_temperatures=100, n_chains=50, random_state=s, **kw)[0] for s in range(3)]
        errs[name] = np.mean(np.abs(np.array(runs) - exact))
    assert errs["base"] < errs["uniform"]


def test_gaussian_rbm_ais():
    rbm = GaussianBernoulliRBM(10, 12, init_std=0.4, random_state=0, device="cpu", dtype=torch.float64)
    with torch.no_grad():
        rbm.b.copy_(torch.linspace(-1, 1, 10, dtype=torch.float64))
        rbm.c.normal_(generator=torch.Generator().manual_seed(0))
    data = np.random.default_rng(0).normal(size=(100, 10))
    log_z, se = log_partition(rbm, n_temperatures=2000, n_chains=100, data=data, random_state=0)
    assert abs(log_z - exact_log_partition(rbm)) < 0.1


class _GaussianScalePath:
    """f_beta(x) = exp(-x^2 / (2 s_beta^2)), s_beta^2 = 1 / (1 + 3 beta): log Z_beta = 0.5 log(2 pi s_beta^2).

    An AnnealingPath with nothing to do with RBMs, so the generic algorithm is tested on its own.
    """

    log_z0 = 0.5 * math.log(2 * math.pi)

    def init(self, n, gen):
        return torch.randn(n, 1, generator=gen, dtype=torch.float64)

    def log_f(self, x, beta):
        return -(1 + 3 * beta) * x[:, 0] ** 2 / 2

    def step(self, x, beta, gen):  # exact draw from p_beta: a valid p_beta-invariant transition
        return torch.randn(x.shape, generator=gen, dtype=torch.float64) / math.sqrt(1 + 3 * beta)


def test_generic_ais_on_a_known_path():
    betas = temperature_schedule(200, "linear")
    log_z, se, log_w = annealed_importance_sampling(_GaussianScalePath(), betas, 500, make_generator(0))
    assert abs(log_z - 0.5 * math.log(2 * math.pi / 4)) < 3 * se + 1e-3
    assert log_w.shape == (500,)


def test_temperature_schedule():
    b = temperature_schedule(14500)
    assert b[0] == 0 and b[-1] == 1 and torch.all(torch.diff(b) > 0)
    assert len(b) == 14501
    assert int(((b > 0.9)).sum()) == 10000  # the Salakhutdinov-Murray proportions
    with pytest.raises(ValueError, match="schedule"):
        temperature_schedule(10, "cosine")
    with pytest.raises(ValueError, match="n_temperatures"):
        temperature_schedule(0)


def test_base_rate_bias_and_bad_input():
    X = np.array([[1, 0], [1, 1], [1, 0]], dtype=float)
    np.testing.assert_allclose(base_rate_bias(X).numpy(), [math.log(4 / 1), math.log(2 / 3)])
    rbm = BernoulliRBM(2, 2, device="cpu")
    with pytest.raises(TypeError, match="annealing_path"):
        log_partition(object())
    with pytest.raises(ValueError, match="binary"):
        log_partition(rbm, data=np.full((2, 2), 0.5))
    with pytest.raises(ValueError, match="not both"):
        log_partition(rbm, data=X, base_bias=[0.0, 0.0])
    with pytest.raises(ValueError, match="n_chains"):
        log_partition(rbm, n_chains=0)
    with pytest.raises(ValueError, match="betas"):
        annealed_importance_sampling(_GaussianScalePath(), torch.tensor([0.0, 0.7]), 3, make_generator(0))
    log_z, se = log_partition(rbm, base_bias=[0.5, -0.5], n_temperatures=50, random_state=0)
    assert abs(log_z - exact_log_partition(rbm)) < 0.05


def test_ais_refuses_a_path_whose_log_f_leaves_the_float_range_and_keeps_the_generator():
    # W of 1e155: the Gaussian path's states reach 1e155 and their squares (log f) overflow float64
    W = torch.tensor([[0.5, -1.0], [1.0, 0.3]], dtype=torch.float64) * 1e155
    path = GaussianRBMPath(W, torch.zeros(2, dtype=torch.float64), torch.zeros(2, dtype=torch.float64),
                           torch.ones(2, dtype=torch.float64))
    g = torch.Generator().manual_seed(0)
    before = g.get_state()
    with pytest.raises(ValueError, match="path: AIS gave log Z = nan"):
        annealed_importance_sampling(path, temperature_schedule(10), 5, g)
    assert torch.equal(g.get_state(), before)
