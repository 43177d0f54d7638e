"""Tests of genlib.energy.rbm against brute-force enumeration, numerical integration and scikit-learn."""

import itertools

import numpy as np
import pytest
import torch
from scipy import integrate

from genlib.energy import BernoulliRBM, GaussianBernoulliRBM
from genlib.energy.gibbs import all_binary_states, make_generator, total_variation


def _rbm(nv=4, nh=3, std=1.0, seed=0, cls=BernoulliRBM, **kw):
    rbm = cls(nv, nh, init_std=std, random_state=seed, device="cpu", dtype=torch.float64, **kw)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        rbm.b.copy_(torch.randn(nv, generator=g, dtype=torch.float64))
        rbm.c.copy_(torch.randn(nh, generator=g, dtype=torch.float64))
    return rbm


def _np(rbm):
    return rbm.W.detach().numpy(), rbm.b.detach().numpy(), rbm.c.detach().numpy()


def _joint(rbm):
    """All (v, h) pairs and exp(-E) written directly from E(v, h) = -b'v - c'h - h'Wv."""
    W, b, c = _np(rbm)
    V = np.array(list(itertools.product([0, 1], repeat=rbm.n_features)), dtype=float)
    H = np.array(list(itertools.product([0, 1], repeat=rbm.n_hidden)), dtype=float)
    negE = V @ b[:, None] + (H @ c)[None, :] + V @ W.T @ H.T     # (2**D, 2**H)
    return V, H, negE


def test_free_energy_and_conditionals_match_brute_force():
    rbm = _rbm(4, 3)
    V, H, negE = _joint(rbm)
    # F(v) = -log sum_h exp(-E(v, h))
    F = -np.logaddexp.reduce(negE, axis=1)
    np.testing.assert_allclose(rbm.free_energy(V).detach().numpy(), F, atol=1e-10)
    # p(h_i = 1 | v) by normalising the joint over h
    post = np.exp(negE - np.logaddexp.reduce(negE, axis=1, keepdims=True))
    np.testing.assert_allclose(rbm.hidden_probs(V).detach().numpy(), post @ H, atol=1e-10)
    # p(v_j = 1 | h) by normalising over v
    postv = np.exp(negE - np.logaddexp.reduce(negE, axis=0, keepdims=True))
    np.testing.assert_allclose(rbm.visible_probs(H).detach().numpy(), postv.T @ V, atol=1e-10)
    # energy() itself
    i, j = 5, 6
    np.testing.assert_allclose(rbm.energy(V[[i]], H[[j]]).detach().numpy(), [-negE[i, j]], atol=1e-12)
    # exact log Z over either layer
    log_z = np.logaddexp.reduce(negE.ravel())
    assert np.isclose(rbm.exact_log_partition(), log_z, atol=1e-10)
    assert np.isclose(_rbm(3, 5).exact_log_partition(), np.logaddexp.reduce(_joint(_rbm(3, 5))[2].ravel()))


def test_free_energy_matches_scikit_learn():
    from sklearn.neural_network import BernoulliRBM as SkRBM

    rbm = _rbm(6, 4)
    sk = SkRBM(n_components=4)
    W, b, c = _np(rbm)
    sk.components_, sk.intercept_visible_, sk.intercept_hidden_ = W, b, c
    X = all_binary_states(6).numpy()
    np.testing.assert_allclose(rbm.free_energy(X).detach().numpy(), sk._free_energy(X), atol=1e-10)
    np.testing.assert_allclose(rbm.transform(X).numpy(), sk.transform(X), atol=1e-12)


def test_pseudo_log_likelihood_matches_brute_force():
    rbm = _rbm(5, 3)
    V, H, negE = _joint(rbm)
    logp = np.logaddexp.reduce(negE, axis=1)                     # unnormalised log p(v)
    index = {tuple(v): k for k, v in enumerate(V)}
    expected = []
    for v in V:
        total = 0.0
        for j in range(5):
            u = v.copy()
            u[j] = 1 - u[j]
            a, o = logp[index[tuple(v)]], logp[index[tuple(u)]]
            total += a - np.logaddexp(a, o)
        expected.append(total)
    np.testing.assert_allclose(rbm.pseudo_log_likelihood(V).numpy(), expected, atol=1e-10)
    # One random bit per row, rescaled: unbiased for the full sum.
    draws = torch.stack([rbm.pseudo_log_likelihood(V, n_bits=1, random_state=s) for s in range(400)])
    np.testing.assert_allclose(draws.mean(0).numpy(), expected, atol=0.6)


def test_gaussian_rbm_against_numerical_integration():
    rbm = _rbm(2, 3, std=0.7, cls=GaussianBernoulliRBM, sigma=0.8)
    W, b, c = _np(rbm)
    s = 0.8
    H = np.array(list(itertools.product([0, 1], repeat=3)), dtype=float)

    def negE(v, h):
        return -np.sum((v - b) ** 2) / (2 * s**2) + h @ c + h @ W @ (v / s)

    v = np.array([[0.3, -1.2]])
    F = -np.logaddexp.reduce([negE(v[0], h) for h in H])
    assert np.isclose(rbm.free_energy(v).item(), F, atol=1e-10)
    # p(v | h) is N(b + sigma W'h, sigma^2): its mean maximises -E(v, h) in v
    h = H[5]
    mean = rbm.visible_mean(h[None]).detach().numpy()[0]
    np.testing.assert_allclose(mean, b + s * (W.T @ h), atol=1e-12)
    # log Z by 2-D numerical integration of exp(-F(v))
    def dens(y, x):
        return np.exp(-rbm.free_energy(np.array([[x, y]])).item())

    Z, _ = integrate.dblquad(dens, -12, 12, -12, 12, epsabs=1e-10)
    assert np.isclose(rbm.exact_log_partition(), np.log(Z), atol=1e-6)


def _block_kernel(rbm):
    """Exact v -> v' kernel of one block-Gibbs step: sum_h p(h | v) p(v' | h)."""
    V, H, negE = _joint(rbm)
    ph_v = np.exp(negE - np.logaddexp.reduce(negE, axis=1, keepdims=True))      # (v, h)
    pv_h = np.exp(negE - np.logaddexp.reduce(negE, axis=0, keepdims=True)).T    # (h, v)
    return ph_v @ pv_h


def test_block_gibbs_matches_exact_distribution():
    """As for the Boltzmann machine: TV <= exact mixing error + 0.5 sqrt(K/N) + sqrt(log(1/delta) / 2N)."""
    rbm = _rbm(4, 3, std=1.5)
    V, H, negE = _joint(rbm)
    pv = np.exp(np.logaddexp.reduce(negE, axis=1) - np.logaddexp.reduce(negE.ravel()))
    t, N, K = 30, 20000, 16
    start = 1 / (1 + np.exp(-rbm.b.detach().numpy()))          # sample() starts from sigmoid(b) independently
    mu0 = np.prod(np.where(V == 1, start, 1 - start), axis=1)
    mu_t = mu0 @ np.linalg.matrix_power(_block_kernel(rbm), t)
    bias = 0.5 * np.abs(mu_t - pv).sum()
    assert bias < 1e-3
    draws = rbm.sample(N, n_steps=t, random_state=0)
    tv = total_variation(draws, torch.tensor(pv))
    assert tv < bias + 0.5 * np.sqrt(K / N) + np.sqrt(np.log(1e6) / (2 * N)), tv


def test_cd_step_is_the_documented_update():
    rbm = _rbm(5, 3, momentum=0.0, weight_decay=0.0, learning_rate=0.1)
    X = torch.tensor((np.random.default_rng(0).random((8, 5)) < 0.5).astype(float))
    W0, b0, c0 = (p.detach().clone() for p in (rbm.W, rbm.b, rbm.c))
    rbm.cd_step(X, random_state=7)
    # Replay the same draws by hand: h0 ~ p(h|v0), v1 ~ p(v|h0), then ph1 = p(h|v1).
    g = make_generator(7)
    ph0 = torch.sigmoid(X @ W0.T + c0)
    h0 = (torch.rand(ph0.shape, generator=g, dtype=ph0.dtype) < ph0).double()
    v1 = (torch.rand(X.shape, generator=g, dtype=X.dtype) < torch.sigmoid(h0 @ W0 + b0)).double()
    ph1 = torch.sigmoid(v1 @ W0.T + c0)
    torch.testing.assert_close(rbm.W.detach(), W0 + 0.1 * (ph0.T @ X - ph1.T @ v1) / 8)
    torch.testing.assert_close(rbm.b.detach(), b0 + 0.1 * (X - v1).mean(0))
    torch.testing.assert_close(rbm.c.detach(), c0 + 0.1 * (ph0 - ph1).mean(0))


def _bars_and_stripes(n, seed, side=3):
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, (n, side)).astype(float)
    bars = np.repeat(bits[:, :, None], side, axis=2)
    X = np.where(rng.random(n)[:, None, None] < 0.5, bars, bars.transpose(0, 2, 1))
    return X.reshape(n, side * side)


def _exact_ll(rbm, X):
    return float(-rbm.free_energy(X).detach().mean()) - rbm.exact_log_partition()


@pytest.mark.parametrize("persistent,k", [(False, 1), (False, 5), (True, 1)])
def test_training_lowers_reconstruction_error_and_raises_log_likelihood(persistent, k):
    X = _bars_and_stripes(200, 0)
    rbm = BernoulliRBM(9, 8, k=k, persistent=persistent, n_epochs=50, batch_size=20, learning_rate=0.5,
                       momentum=0.5, random_state=0, device="cpu", dtype=torch.float64)
    ll0, err0 = _exact_ll(rbm, X), rbm.reconstruction_error(X)
    rbm.fit(X)
    assert rbm.reconstruction_error(X) < 0.7 * err0
    assert _exact_ll(rbm, X) > ll0 + 1.0
    assert len(rbm.history_["reconstruction_error"]) == 50


def test_gaussian_rbm_learns_correlated_data():
    rng = np.random.default_rng(0)
    z = rng.integers(0, 2, (500, 1))
    X = np.where(z == 1, [1.5, 1.5, -1.5], [-1.5, -1.5, 1.5]) + 0.3 * rng.normal(size=(500, 3))
    rbm = GaussianBernoulliRBM(3, 4, n_epochs=60, batch_size=50, learning_rate=0.01, random_state=0, device="cpu",
                               dtype=torch.float64)
    ll0 = float(-rbm.free_energy(X).detach().mean()) - rbm.exact_log_partition()
    rbm.fit(X)
    ll1 = float(-rbm.free_energy(X).detach().mean()) - rbm.exact_log_partition()
    assert ll1 > ll0 + 0.5
    S = rbm.sample(2000, n_steps=100, random_state=0).numpy()
    assert np.corrcoef(S[:, 0], S[:, 2])[0, 1] < -0.3       # the samples carry the data's anti-correlation


def test_lr_schedule_and_callback():
    X = _bars_and_stripes(40, 1)
    seen = []
    rbm = BernoulliRBM(9, 4, n_epochs=4, lr_schedule="linear", learning_rate=0.2, random_state=0, device="cpu")
    rbm.fit(X, callback=lambda m, e: seen.append(e))
    assert seen == [0, 1, 2, 3]
    np.testing.assert_allclose(rbm.history_["learning_rate"], [0.2, 0.15, 0.1, 0.05])


def test_sampling_reproducible_new_draws_and_init():
    X = _bars_and_stripes(40, 1)
    rbm = BernoulliRBM(9, 4, n_epochs=2, random_state=0, device="cpu").fit(X)
    assert torch.equal(rbm.sample(5, random_state=3), rbm.sample(5, random_state=3))
    assert not torch.equal(rbm.sample(50, n_steps=5), rbm.sample(50, n_steps=5))
    v, h = rbm.sample(4, n_steps=3, init=X[:4], return_latent=True)
    assert v.shape == (4, 9) and h.shape == (4, 4)
    m = rbm.sample(4, n_steps=3, mean=True)
    assert torch.all((m > 0) & (m < 1))
    assert rbm.reconstruct(X[:3]).shape == (3, 9)


def test_tensor_input_and_float64():
    X = torch.tensor(_bars_and_stripes(30, 2))
    rbm = BernoulliRBM(9, 4, n_epochs=1, random_state=0, device="cpu", dtype=torch.float64).fit(X)
    assert rbm.transform(X).dtype == torch.float64


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_tensor_binary_check_agrees_with_the_definition(dtype, monkeypatch):
    # as_tensor(binary=True) tests t - t * t == 0 chunk by chunk; it must accept exactly the 0/1 tensors, for every
    # awkward value (next to 0 and 1, subnormal, signed zero, NaN, infinities) and wherever the value sits.
    import genlib._torch

    monkeypatch.setattr(genlib._torch, "BINARY_CHECK_CHUNK", 6)    # chunks of 2 rows x 3 columns
    info = torch.finfo(dtype)
    awkward = [0.5, 2.0, -1.0, -0.0, float("nan"), float("inf"), -float("inf"), info.tiny, info.tiny * info.eps,
               1 - info.eps / 2, 1 + info.eps, info.eps, 1e-30, 3.0, info.max]
    for value in awkward:
        for row in (0, 5, 6, 11):                                  # rows 0..5 in different chunks
            T = torch.tensor(np.random.default_rng(row).integers(0, 2, (12, 3)), dtype=dtype)
            T[row, 1] = value
            if bool(((T == 0) | (T == 1)).all()):
                assert torch.equal(genlib._torch.as_tensor(T, binary=True, dtype=dtype), T), (value, row)
            else:
                with pytest.raises(ValueError, match="binary|NaN"):
                    genlib._torch.as_tensor(T, binary=True, dtype=dtype)
    assert genlib._torch.as_tensor(torch.ones(7, 4, dtype=dtype), binary=True, dtype=dtype).shape == (7, 4)


def test_bad_input_is_refused():
    rbm = BernoulliRBM(9, 4, random_state=0, device="cpu")
    with pytest.raises(ValueError, match="binary"):
        rbm.fit(np.full((3, 9), 0.5))
    with pytest.raises(ValueError, match="binary"):
        rbm.fit(torch.full((3, 9), 0.5))
    with pytest.raises(ValueError, match="n_features=9"):
        rbm.fit(np.zeros((3, 8)))
    with pytest.raises(ValueError, match="k must be >= 1"):
        BernoulliRBM(9, 4, k=0)
    with pytest.raises(ValueError, match="k must be >= 1"):
        rbm.cd_step(np.zeros((2, 9)), k=0)
    with pytest.raises(ValueError, match="n_hidden"):
        BernoulliRBM(9, 0)
    with pytest.raises(ValueError, match="lr_schedule"):
        BernoulliRBM(9, 4, lr_schedule="cosine")
    with pytest.raises(ValueError, match="init"):
        rbm.sample(3, init=np.zeros((2, 9)))
    with pytest.raises(ValueError, match="NaN"):
        GaussianBernoulliRBM(2, 2).fit(np.array([[np.nan, 1.0]]))
    with pytest.raises(ValueError, match="sigma"):
        GaussianBernoulliRBM(2, 2, sigma=0.0)
    with pytest.raises(ValueError, match="2-D"):
        rbm.transform(np.zeros(9))


def test_registry_says_no_exact_likelihood():
    assert not hasattr(BernoulliRBM(3, 2), "log_prob") and not hasattr(BernoulliRBM(3, 2), "score")


def test_fit_runs_small_products_on_one_thread_and_restores_the_count(monkeypatch):
    # Products under SINGLE_THREAD_MAX_MACS multiply-adds run on one thread (a second one only costs there);
    # larger ones keep torch's count; the count comes back after fit, also when an epoch raises.
    from genlib.energy import gibbs

    seen = []
    original = BernoulliRBM._update

    def spy(self, *args):
        seen.append(torch.get_num_threads())
        return original(self, *args)

    monkeypatch.setattr(BernoulliRBM, "_update", spy)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        X = (np.random.default_rng(0).random((30, 12)) < 0.3).astype(np.float32)
        BernoulliRBM(12, 7, n_epochs=2, batch_size=10, random_state=0).fit(X)
        assert seen and set(seen) == {1} and torch.get_num_threads() == 2
        monkeypatch.setattr(gibbs, "SINGLE_THREAD_MAX_MACS", 10 * 12 * 7)        # now the products are "large"
        seen.clear()
        BernoulliRBM(12, 7, n_epochs=1, batch_size=10, random_state=0).fit(X)
        assert seen and set(seen) == {2}
        monkeypatch.setattr(gibbs, "SINGLE_THREAD_MAX_MACS", 1 << 22)

        def boom(self, *args):
            assert torch.get_num_threads() == 1
            raise RuntimeError("boom")

        monkeypatch.setattr(BernoulliRBM, "_update", boom)
        with pytest.raises(RuntimeError, match="boom"):
            BernoulliRBM(12, 7, n_epochs=1, batch_size=10, random_state=0).fit(X)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
