"""Tests of genlib.energy.boltzmann against brute-force enumeration written independently in NumPy."""

import itertools

import numpy as np
import pytest
import torch

from genlib.energy import BoltzmannMachine
from genlib.energy.boltzmann import bm_energy
from genlib.energy.gibbs import all_binary_states, sequential_gibbs_sweep, make_generator, total_variation

# Tiny tensors: one thread avoids oversubscription when several test workers share the cores.


def _model(nv=3, nh=2, std=1.0, seed=0, **kw):
    bm = BoltzmannMachine(nv, nh, init_std=std, random_state=seed, device="cpu", **kw)
    with torch.no_grad():
        bm.bias.copy_(torch.randn(nv + nh, generator=torch.Generator().manual_seed(seed + 1)))
    return bm


def _np_params(bm):
    return bm.weight.detach().numpy(), bm.bias.detach().numpy()


def _np_energy(s, W, b):
    # E(s) = -sum_i b_i s_i - sum_{i<j} W_ij s_i s_j, written as explicit loops.
    e = -float(np.dot(b, s))
    for i in range(len(s)):
        for j in range(i + 1, len(s)):
            e -= W[i, j] * s[i] * s[j]
    return e


def _np_joint(bm):
    W, b = _np_params(bm)
    states = np.array(list(itertools.product([0, 1], repeat=bm.n_units)), dtype=float)
    logits = np.array([-_np_energy(s, W, b) for s in states])
    log_z = np.logaddexp.reduce(logits)
    return states, np.exp(logits - log_z), log_z


def test_weights_symmetric_zero_diagonal():
    bm = _model(4, 3)
    W = bm.weight.detach()
    assert torch.equal(W, W.T) and torch.all(torch.diag(W) == 0)


def test_energy_and_log_partition_match_brute_force():
    bm = _model(3, 2)
    states, p, log_z = _np_joint(bm)
    W, b = _np_params(bm)
    S = torch.tensor(states)
    e = bm.energy(S[:, :3], S[:, 3:]).detach().numpy()
    np.testing.assert_allclose(e, [_np_energy(s, W, b) for s in states], atol=1e-12)
    np.testing.assert_allclose(bm.log_partition(), log_z, atol=1e-10)
    S2, p2 = bm.joint_distribution()
    np.testing.assert_allclose(p2.numpy(), p, atol=1e-12)


def test_log_prob_and_free_energy_marginalise_hidden_units():
    bm = _model(3, 2)
    states, p, log_z = _np_joint(bm)
    V = all_binary_states(3).numpy()
    marg = np.array([p[(states[:, :3] == v).all(1)].sum() for v in V])
    np.testing.assert_allclose(bm.log_prob(V).numpy(), np.log(marg), atol=1e-10)
    np.testing.assert_allclose(bm.visible_distribution()[1].numpy(), marg, atol=1e-12)
    np.testing.assert_allclose(np.exp(bm.log_prob(V).numpy()).sum(), 1.0, atol=1e-12)
    assert np.isclose(bm.score(V), bm.log_prob(V).mean().item())


def test_fully_visible_machine():
    bm = _model(4, 0)
    states, p, log_z = _np_joint(bm)
    np.testing.assert_allclose(bm.log_prob(states).numpy(), np.log(p), atol=1e-10)
    np.testing.assert_allclose(bm.free_energy(states).detach().numpy(), bm.energy(states).detach().numpy())


def test_exact_gradient_matches_autograd_and_finite_differences():
    bm = _model(3, 2)
    X = np.array([[1, 0, 1], [1, 1, 0], [0, 0, 1]], dtype=float)
    dW, db = bm.exact_gradient(X)
    # Independent route: autograd through the enumerated log-likelihood.
    W = bm.weight.detach().clone().requires_grad_(True)
    b = bm.bias.detach().clone().requires_grad_(True)
    S = all_binary_states(5)
    V = torch.tensor(X)
    full = torch.cat([V.repeat_interleave(4, 0), all_binary_states(2).repeat(3, 1)], 1)
    ll = torch.logsumexp(-bm_energy(full, W, b).reshape(3, 4), 1) - torch.logsumexp(-bm_energy(S, W, b), 0)
    ll.mean().backward()
    G = W.grad + W.grad.T
    G.fill_diagonal_(0.0)
    torch.testing.assert_close(dW, G)
    torch.testing.assert_close(db, b.grad)
    # Finite difference on one pair weight (moved symmetrically).
    eps = 1e-6
    base = bm.score(X)
    with torch.no_grad():
        bm.weight[0, 4] += eps
        bm.weight[4, 0] += eps
    assert abs((bm.score(X) - base) / eps - dW[0, 4].item()) < 1e-4


def _sweep_kernel(W, b):
    """Exact transition matrix of one systematic-scan Gibbs sweep over all units (NumPy)."""
    n = len(b)
    states = np.array(list(itertools.product([0, 1], repeat=n)), dtype=float)
    index = {tuple(s): k for k, s in enumerate(states)}
    P = np.eye(len(states))
    for i in range(n):
        K = np.zeros_like(P)
        for k, s in enumerate(states):
            p1 = 1 / (1 + np.exp(-(b[i] + W[i] @ s - W[i, i] * s[i])))
            for val, prob in ((1.0, p1), (0.0, 1 - p1)):
                t = s.copy()
                t[i] = val
                K[k, index[tuple(t)]] += prob
        P = P @ K
    return P


def test_gibbs_chains_match_exact_distribution():
    """N independent chains after t sweeps, against the exact joint.

    Bound: TV(empirical, pi) <= TV(mu_t, pi) + TV(empirical, mu_t), where mu_t is the exact
    law after t sweeps from the uniform start (computed from the sweep's transition matrix),
    E TV(empirical, mu_t) <= 0.5 sqrt(K / N) (Cauchy-Schwarz over K states), and by McDiarmid
    (one chain moves TV by at most 1/N) the excess is below sqrt(log(1/delta) / (2N)) with
    probability 1 - delta; delta = 1e-6.
    """
    bm = _model(3, 2, std=1.5)
    W, b = _np_params(bm)
    _, pi, _ = _np_joint(bm)
    t, N, K = 25, 20000, 32
    mu_t = np.full(K, 1 / K) @ np.linalg.matrix_power(_sweep_kernel(W, b), t)
    bias = 0.5 * np.abs(mu_t - pi).sum()
    assert bias < 1e-3  # the chain has mixed after t sweeps
    v, h = bm.sample(N, n_steps=t, random_state=0, return_latent=True)
    tv = total_variation(torch.cat([v, h], 1), torch.tensor(pi))
    bound = bias + 0.5 * np.sqrt(K / N) + np.sqrt(np.log(1e6) / (2 * N))
    assert tv < bound, (tv, bound)
    # And a sampler that ignores the couplings is caught by the same bound.
    S = (torch.rand(N, 5, generator=torch.Generator().manual_seed(1), dtype=torch.float64) < 0.5).double()
    assert total_variation(S, torch.tensor(pi)) > bound


def test_exact_sampling_method():
    bm = _model(3, 2, std=1.5)
    _, pi, _ = _np_joint(bm)
    v, h = bm.sample(20000, method="exact", random_state=0, return_latent=True)
    assert total_variation(torch.cat([v, h], 1), torch.tensor(pi)) < 0.5 * np.sqrt(32 / 20000) + 0.03


def test_clamped_gibbs_keeps_visible_units():
    bm = _model(3, 2)
    S = torch.tensor([[1.0, 0.0, 1.0, 0.0, 0.0]] * 4, dtype=torch.float64)
    out = bm.gibbs(S, 5, clamp_visible=True, random_state=0)
    assert torch.equal(out[:, :3], S[:, :3])


def _patterns(n, seed):
    rng = np.random.default_rng(seed)
    protos = np.array([[1, 1, 1, 0, 0, 0], [0, 0, 1, 1, 1, 1]], dtype=float)
    X = protos[rng.integers(0, 2, n)]
    return np.where(rng.random(X.shape) < 0.05, 1 - X, X)


@pytest.mark.parametrize("method", ["exact", "gibbs"])
def test_learning_raises_exact_log_likelihood(method):
    X = _patterns(80, 0)
    bm = BoltzmannMachine(6, 2, n_epochs=60, learning_rate=0.3, method=method, n_gibbs_steps=5, n_chains=200,
                          random_state=0, device="cpu")
    before = bm.score(X)
    bm.fit(X)
    ll = bm.history_["log_likelihood"]
    assert len(ll) == 60
    assert bm.score(X) > before + 1.5
    if method == "exact":  # full-batch exact gradient ascent with a small step never goes down by much
        assert np.all(np.diff(ll) > -1e-3)


def test_same_seed_same_fit_and_new_draws():
    X = _patterns(30, 1)
    a = BoltzmannMachine(6, 2, n_epochs=5, random_state=4, device="cpu").fit(X)
    b = BoltzmannMachine(6, 2, n_epochs=5, random_state=4, device="cpu").fit(X)
    torch.testing.assert_close(a.weight, b.weight)
    assert not torch.equal(a.sample(30), a.sample(30))


def test_refuses_exact_quantities_on_large_models():
    bm = BoltzmannMachine(20, 5, method="gibbs", random_state=0, device="cpu")
    for call in (bm.log_partition, lambda: bm.log_prob(np.zeros((1, 20))), bm.visible_distribution):
        with pytest.raises(ValueError, match="max_exact_units"):
            call()
    with pytest.raises(ValueError, match="max_exact_units"):
        BoltzmannMachine(20, 5, method="exact")
    # Gibbs learning and sampling still work.
    X = (np.random.default_rng(0).random((10, 20)) < 0.5).astype(float)
    bm.n_epochs = 2
    bm.fit(X)
    assert bm.sample(3, n_steps=5).shape == (3, 20)


def test_bad_input():
    bm = _model(3, 2)
    with pytest.raises(ValueError, match="binary"):
        bm.fit(np.array([[0.5, 0, 1]]))
    with pytest.raises(ValueError, match="feature"):
        bm.fit(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="h is required"):
        bm.energy(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="method"):
        BoltzmannMachine(3, method="sgd")
    with pytest.raises(ValueError, match="n_hidden"):
        BoltzmannMachine(3, -1)
    with pytest.raises(TypeError, match="n_features"):
        BoltzmannMachine(3.5)
    with pytest.raises(ValueError, match="n_steps"):
        bm.sample(3, n_steps=0)
    with pytest.raises(TypeError, match="random_state"):
        bm.sample(3, random_state="seed")


def test_sequential_sweep_helper_respects_units():
    W = torch.zeros(3, 3, dtype=torch.float64)
    b = torch.tensor([50.0, -50.0, 50.0], dtype=torch.float64)
    S = torch.zeros(4, 3, dtype=torch.float64)
    sequential_gibbs_sweep(S, W, b, make_generator(0), units=torch.tensor([0, 1]))
    assert torch.equal(S, torch.tensor([[1.0, 0.0, 0.0]] * 4, dtype=torch.float64))
