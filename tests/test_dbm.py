"""Tests of genlib.energy.dbm against brute-force enumeration written independently in NumPy."""

import itertools

import numpy as np
import pytest
import torch

from genlib.energy import DeepBoltzmannMachine
from genlib.energy.ais import log_partition
from genlib.energy.dbm import pretrain_rbm
from genlib.energy.gibbs import total_variation


def _states(n):
    return np.array(list(itertools.product([0, 1], repeat=n)), dtype=float)


def _random_dbm(sizes, std=1.0, seed=0):
    dbm = DeepBoltzmannMachine(sizes, init_std=std, random_state=seed, device="cpu", dtype=torch.float64)
    g = torch.Generator().manual_seed(seed + 100)
    with torch.no_grad():
        for b in dbm.biases:
            b.copy_(torch.randn(b.shape, generator=g, dtype=torch.float64))
    return dbm


def _np_joint_log_weights(dbm):
    """-E(v, h) for every joint state (rows of _states(sum sizes)), written as explicit sums."""
    Ws = [W.detach().numpy() for W in dbm.weights]
    bs = [b.detach().numpy() for b in dbm.biases]
    sizes = dbm.layer_sizes
    S = _states(sum(sizes))
    layers = np.split(S, np.cumsum(sizes)[:-1], axis=1)
    neg_e = sum(layer @ b for layer, b in zip(layers, bs))
    for k, W in enumerate(Ws):
        neg_e = neg_e + np.einsum("ni,ij,nj->n", layers[k + 1], W, layers[k])
    return S, neg_e


def _np_log_lik(dbm):
    """log p(v) for every visible vector, by summing exp(-E) over all hidden states."""
    S, neg_e = _np_joint_log_weights(dbm)
    D = dbm.layer_sizes[0]
    log_z = np.logaddexp.reduce(neg_e)
    idx = (S[:, :D] @ (2 ** np.arange(D - 1, -1, -1))).astype(int)
    out = np.full(2**D, -np.inf)
    for i in range(2**D):
        out[i] = np.logaddexp.reduce(neg_e[idx == i])
    return out - log_z, log_z


def _bars(n, seed, side=3):
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, (n, side)).astype(float)
    bars = np.repeat(bits[:, :, None], side, axis=2)
    X = np.where(rng.random(n)[:, None, None] < 0.5, bars, bars.transpose(0, 2, 1))
    return X.reshape(n, side * side)


@pytest.mark.parametrize("sizes", [[4, 3, 2], [3, 2, 3, 2]])
def test_exact_log_partition_and_likelihood_match_brute_force(sizes):
    dbm = _random_dbm(sizes, seed=1)
    log_lik, log_z = _np_log_lik(dbm)
    assert abs(dbm.exact_log_partition() - log_z) < 1e-10
    np.testing.assert_allclose(dbm.exact_log_likelihood(_states(sizes[0])).numpy(), log_lik, atol=1e-10)


@pytest.mark.parametrize("sizes", [[5, 4, 3], [4, 3, 3, 2]])
def test_mean_field_bound_is_below_exact_and_never_decreases(sizes):
    dbm = _random_dbm(sizes, std=1.5, seed=2)
    V = _states(sizes[0])
    log_z = dbm.exact_log_partition()
    exact = dbm.exact_log_likelihood(V).numpy()
    bound = dbm.log_likelihood_bound(V, log_z=log_z, n_iter=30).numpy()
    assert np.all(bound <= exact + 1e-10)
    assert np.mean(exact - bound) > 1e-3
    # Every single-layer update of mean field raises (or keeps) the bound, row by row.
    _, trace = dbm.mean_field(V, n_iter=10, return_bounds=True)       # (n_updates + 1, N)
    assert torch.all(trace[1:] >= trace[:-1] - 1e-5)
    assert torch.all(trace[-1] > trace[0] - 1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ais_log_partition_within_0_1_nats(seed):
    # Large random weights: a hard, multimodal model (10 + 8 + 6 units); AIS samples v and h2, sums out h1.
    dbm = _random_dbm([10, 8, 6], std=1.0, seed=seed)
    exact = dbm.exact_log_partition()
    est, se = log_partition(dbm, n_temperatures=1000, n_chains=100, random_state=seed)
    assert abs(est - exact) < 0.1, (est, exact, se)


def test_ais_on_a_trained_dbm_and_the_bound():
    V = _bars(150, 0)
    dbm = DeepBoltzmannMachine([9, 8, 6], n_epochs=30, pretrain_epochs=30, batch_size=15, learning_rate=0.05,
                               n_chains=50, random_state=0, device="cpu", dtype=torch.float64).fit(V)
    exact = dbm.exact_log_partition()
    est, se = log_partition(dbm, n_temperatures=1000, n_chains=100, data=V, random_state=0)
    assert abs(est - exact) < 0.1, (est, exact, se)
    mean_bound, _ = dbm.ais_bound(V, data=V, n_temperatures=1000, n_chains=100, random_state=0)
    exact_bound = float(dbm.log_likelihood_bound(V, log_z=exact).mean())
    assert abs(mean_bound - exact_bound) < 0.1
    assert exact_bound <= float(dbm.exact_log_likelihood(V).mean())


def test_pretraining_and_joint_training_raise_the_likelihood():
    V = _bars(150, 0)
    dbm = DeepBoltzmannMachine([9, 8, 6], n_epochs=40, pretrain_epochs=40, batch_size=15, learning_rate=0.02,
                               pretrain_learning_rate=0.1, n_chains=50, random_state=0, device="cpu",
                               dtype=torch.float64)
    start = float(dbm.exact_log_likelihood(V).mean())
    dbm.pretrain(V)
    pre = float(dbm.exact_log_likelihood(V).mean())
    dbm.fit(V)
    after = float(dbm.exact_log_likelihood(V).mean())
    assert pre > start + 0.5
    assert after > pre
    assert sorted(set(dbm.history_["pretrain_layer"])) == [0, 1]  # both RBMs pre-trained
    assert len(dbm.history_["pretrain_error"]) == len(dbm.history_["pretrain_layer"]) == 2 * dbm.pretrain_epochs


def test_pretrain_rbm_doubling_and_composition():
    V = torch.as_tensor(_bars(100, 0), dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    W, b, c = pretrain_rbm(V, 5, up=2.0, n_epochs=3, generator=g)
    assert W.shape == (5, 9) and b.shape == (9,) and c.shape == (5,)
    # Composition (step 3 of the slide): the DBM holds each RBM's weights; a middle layer's bias
    # is the mean of the two biases learned for it.
    dbm = DeepBoltzmannMachine([9, 5, 4], pretrain_epochs=3, random_state=0, device="cpu", dtype=torch.float64)
    gen = torch.Generator().manual_seed(123)
    dbm._generator = gen
    dbm.pretrain(V)
    g2 = torch.Generator().manual_seed(123)
    W1, b1, c1 = pretrain_rbm(V, 5, up=2.0, down=1.0, n_epochs=3, batch_size=100, weight_decay=1e-4,
                              momentum=0.5, learning_rate=0.05, generator=g2)
    H = (torch.rand(100, 5, generator=g2, dtype=torch.float64) < torch.sigmoid(c1 + 2 * V @ W1.T)).double()
    W2, b2, c2 = pretrain_rbm(H, 4, up=1.0, down=2.0, n_epochs=3, batch_size=100, weight_decay=1e-4,
                              momentum=0.5, learning_rate=0.05, generator=g2)
    torch.testing.assert_close(dbm.weights[0].detach(), W1)
    torch.testing.assert_close(dbm.weights[1].detach(), W2)
    torch.testing.assert_close(dbm.biases[0].detach(), b1)
    torch.testing.assert_close(dbm.biases[1].detach(), 0.5 * (c1 + b2))
    torch.testing.assert_close(dbm.biases[2].detach(), c2)


def test_gibbs_sampler_matches_exact_distribution():
    dbm = _random_dbm([4, 3, 2], std=1.0, seed=4)
    p = torch.exp(dbm.exact_log_likelihood(_states(4)))
    draws = dbm.sample(4000, n_steps=50, random_state=0)
    # 16 cells and 4000 draws: the expected TV of an exact sampler is about 0.02.
    assert total_variation(draws, p) < 0.05


def test_sample_and_transform():
    V = _bars(60, 0, side=4)
    dbm = DeepBoltzmannMachine([16, 8, 4], n_epochs=2, pretrain_epochs=2, batch_size=10, n_chains=10,
                               random_state=0, device="cpu").fit(V)
    s = dbm.sample(10, n_steps=10, random_state=1)
    assert s.shape == (10, 16) and set(np.unique(s.numpy())) <= {0.0, 1.0}
    assert torch.equal(s, dbm.sample(10, n_steps=10, random_state=1))
    v, hs = dbm.sample(5, n_steps=3, init=V[:5], return_latent=True, mean=True, random_state=0)
    assert [h.shape[1] for h in hs] == [8, 4] and float(v.max()) <= 1
    mus = dbm.transform(V, layer=None)
    assert [m.shape for m in mus] == [(60, 8), (60, 4)]
    torch.testing.assert_close(dbm.transform(V, layer=0), mus[0])


def test_bad_input_and_arguments():
    dbm = DeepBoltzmannMachine([4, 3, 2], random_state=0, device="cpu")
    with pytest.raises(ValueError, match="binary"):
        dbm.fit(np.full((5, 4), 0.5))
    with pytest.raises(ValueError, match="n_features=4"):
        dbm.pcd_step(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="NaN"):
        dbm.transform(np.full((2, 4), np.nan))
    with pytest.raises(ValueError, match="n_mean_field"):
        DeepBoltzmannMachine([4, 3], n_mean_field=0)
    with pytest.raises(ValueError, match="base_bias"):
        dbm.annealing_path(base_bias=np.zeros(3))
    with pytest.raises(ValueError, match="max_units"):
        DeepBoltzmannMachine([30, 30, 30]).exact_log_partition()
    assert not hasattr(dbm, "log_prob") and not hasattr(dbm, "score")
