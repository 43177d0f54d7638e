"""Tests of genlib.energy.dbn against brute-force enumeration written independently in NumPy."""

import copy
import itertools

import numpy as np
import pytest
import torch

from genlib.energy import DeepBeliefNetwork
from genlib.energy.dbn import train_classifier


def _states(n):
    return np.array(list(itertools.product([0, 1], repeat=n)), dtype=float)


def _random_dbn(sizes, std=1.0, seed=0):
    dbn = DeepBeliefNetwork(sizes, init_std=std, random_state=seed, device="cpu", dtype=torch.float64)
    g = torch.Generator().manual_seed(seed + 100)
    with torch.no_grad():
        for r in dbn.rbms:
            r.b.copy_(torch.randn(r.b.shape, generator=g, dtype=torch.float64))
            r.c.copy_(torch.randn(r.c.shape, generator=g, dtype=torch.float64))
    return dbn


def _np_log_lik(dbn, V):
    """log p(v) of a 2-hidden-layer DBN by summing p(v | h1) p(h1, h2) over every (h1, h2), in NumPy."""
    (W1, b1, c1), (W2, b2, c2) = [tuple(t.detach().numpy() for t in (r.W, r.b, r.c)) for r in dbn.rbms]
    H1, H2 = _states(W1.shape[0]), _states(W2.shape[0])
    # Top RBM joint over (h1, h2): -E = b2'h1 + c2'h2 + h2'W2 h1
    neg_e = (H1 @ b2)[:, None] + (H2 @ c2)[None, :] + H1 @ W2.T @ H2.T
    log_top = neg_e - np.logaddexp.reduce(neg_e.ravel())
    log_h1 = np.logaddexp.reduce(log_top, axis=1)                          # p(h1)
    a = H1 @ W1 + b1                                                        # logits of v given h1
    log_cond = V @ a.T - np.logaddexp(0, a).sum(1)[None, :]                 # log p(v | h1), (N, S1)
    return np.logaddexp.reduce(log_cond + log_h1[None, :], axis=1)


def _bars(n, seed, side=3):
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, (n, side)).astype(float)
    bars = np.repeat(bits[:, :, None], side, axis=2)
    X = np.where(rng.random(n)[:, None, None] < 0.5, bars, bars.transpose(0, 2, 1))
    return X.reshape(n, side * side)


def test_exact_log_likelihood_matches_brute_force():
    dbn = _random_dbn([5, 4, 3])
    V = _states(5)
    np.testing.assert_allclose(dbn.exact_log_likelihood(V).numpy(), _np_log_lik(dbn, V), atol=1e-10)
    # A distribution: sums to one over all visible vectors.
    assert abs(np.logaddexp.reduce(_np_log_lik(dbn, V))) < 1e-10


def test_three_layer_exact_likelihood_normalises():
    dbn = _random_dbn([4, 3, 3, 2], seed=1)
    lp = dbn.exact_log_likelihood(_states(4)).numpy()
    assert abs(np.logaddexp.reduce(lp)) < 1e-10


@pytest.mark.parametrize("sizes", [[5, 4, 3], [4, 3, 3, 2]])
def test_bound_is_below_exact_log_likelihood(sizes):
    dbn = _random_dbn(sizes, std=1.5, seed=2)
    V = _states(sizes[0])
    log_z, _ = dbn.top_log_partition(method="exact")
    exact = dbn.exact_log_likelihood(V).numpy()
    bound = dbn.log_likelihood_bound(V, log_z=log_z, exact_expectation=True).numpy()
    assert np.all(bound <= exact + 1e-10)
    assert np.mean(exact - bound) > 1e-3           # a real gap on a random model
    # The Monte Carlo estimate is unbiased for the bound.
    mc = dbn.log_likelihood_bound(V, log_z=log_z, n_samples=4000, random_state=0).numpy()
    np.testing.assert_allclose(mc.mean(), bound.mean(), atol=0.02)


def test_one_layer_bound_is_the_rbm_log_likelihood():
    dbn = _random_dbn([5, 4, 3])
    V = _states(5)
    rbm = dbn.rbms[0]
    log_z = rbm.exact_log_partition()
    expected = (-rbm.free_energy(V) - log_z).detach().numpy()
    np.testing.assert_allclose(dbn.log_likelihood_bound(V, log_z=log_z, n_layers=1).numpy(), expected, atol=1e-10)
    np.testing.assert_allclose(dbn.exact_log_likelihood(V, n_layers=1).numpy(), expected, atol=1e-10)


def test_greedy_stacking_does_not_lower_the_bound():
    # Hinton et al. (2006): with the new top RBM started at the transpose of the one below, the
    # bound equals the lower RBM's log-likelihood; training the top RBM can only raise it.
    V = _bars(200, 0)
    dbn = DeepBeliefNetwork([9, 6, 9], n_epochs=30, batch_size=20, learning_rate=0.02, momentum=0.9,
                            weight_decay=0.0, stack_init="transpose", random_state=0, device="cpu",
                            dtype=torch.float64, layer_kwargs=[{}, {"k": 5}])
    seen = {}

    def record(model, k):
        if k == 0:
            seen["rbm"] = float(model.exact_log_likelihood(V, n_layers=1).mean())
            start = copy.deepcopy(model)
            with torch.no_grad():
                top, below = start.rbms[1], start.rbms[0]
                top.W.copy_(below.W.T), top.b.copy_(below.c), top.c.copy_(below.b)
            lz, _ = start.top_log_partition(method="exact")
            seen["start"] = float(start.log_likelihood_bound(V, log_z=lz, exact_expectation=True).mean())

    dbn.fit(V, n_up_samples=10, callback=record)
    log_z, _ = dbn.top_log_partition(method="exact")
    after = float(dbn.log_likelihood_bound(V, log_z=log_z, exact_expectation=True).mean())
    assert abs(seen["start"] - seen["rbm"]) < 1e-9
    assert after > seen["rbm"]
    assert float(dbn.exact_log_likelihood(V).mean()) >= after


def test_ais_log_partition_and_bound():
    dbn = _random_dbn([12, 8, 10], std=1.0, seed=3)
    exact, _ = dbn.top_log_partition(method="exact")
    for seed in range(2):
        est, se = dbn.top_log_partition(method="ais", n_temperatures=1000, n_chains=100, random_state=seed)
        assert abs(est - exact) < 0.1
        assert se < 0.1
    V = _bars(50, 1, side=3)
    V = np.hstack([V, V[:, :3]])
    mean_bound, se = dbn.ais_bound(V, data=V, n_temperatures=1000, n_chains=100, n_samples=50, random_state=0)
    exact_bound = float(dbn.log_likelihood_bound(V, log_z=exact, exact_expectation=True).mean())
    assert abs(mean_bound - exact_bound) < 0.15 + 3 * se


def test_sample_transform_and_classifier():
    V = _bars(100, 0, side=4)
    dbn = DeepBeliefNetwork([16, 12, 8], n_epochs=5, batch_size=10, random_state=0, device="cpu").fit(V)
    s = dbn.sample(30, n_steps=20, random_state=1)
    assert s.shape == (30, 16) and set(np.unique(s.numpy())) <= {0.0, 1.0}
    assert torch.equal(s, dbn.sample(30, n_steps=20, random_state=1))
    p = dbn.sample(5, n_steps=5, mean=True, init=V[:5], random_state=0)
    assert p.shape == (5, 16) and float(p.min()) >= 0 and float(p.max()) <= 1
    feats = dbn.transform(V, layer=None)
    assert [f.shape[1] for f in feats] == [12, 8]
    W1, c1 = dbn.rbms[0].W.detach(), dbn.rbms[0].c.detach()
    torch.testing.assert_close(feats[0], torch.sigmoid(torch.as_tensor(V, dtype=torch.float32) @ W1.T + c1))
    clf = dbn.to_classifier(3, random_state=0)
    X = torch.as_tensor(V, dtype=torch.float32)
    torch.testing.assert_close(clf[:-1](X), feats[1])
    # Fine-tuning changes the copy, not the DBN.
    y = (V[:, 0] + V[:, 5] + V[:, 10]).astype(int) % 3
    losses = train_classifier(clf, V, y, n_epochs=30, learning_rate=0.01, random_state=0)
    assert losses[-1] < losses[0]
    assert torch.equal(dbn.rbms[0].W.detach(), W1)


def test_same_seed_same_fit():
    V = _bars(60, 0, side=4)
    a = DeepBeliefNetwork([16, 8, 4], n_epochs=2, random_state=5, device="cpu").fit(V)
    b = DeepBeliefNetwork([16, 8, 4], n_epochs=2, random_state=5, device="cpu").fit(V)
    for ra, rb in zip(a.rbms, b.rbms):
        assert torch.equal(ra.W, rb.W)


def test_bad_input_and_arguments():
    dbn = DeepBeliefNetwork([4, 3, 2], random_state=0, device="cpu")
    with pytest.raises(ValueError, match="binary"):
        dbn.fit(np.full((5, 4), 0.5))
    with pytest.raises(ValueError, match="n_features=4"):
        dbn.fit(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="layer_sizes"):
        DeepBeliefNetwork([4])
    with pytest.raises(TypeError, match="layer_sizes"):
        DeepBeliefNetwork(4)
    with pytest.raises(ValueError, match="layer_sizes\\[1\\]"):
        DeepBeliefNetwork([4, 0])
    with pytest.raises(ValueError, match="n_layers"):
        dbn.log_likelihood_bound(np.zeros((2, 4)), log_z=0.0, n_layers=3)
    with pytest.raises(ValueError, match="layer_kwargs"):
        DeepBeliefNetwork([4, 3, 2], layer_kwargs=[{}])
    with pytest.raises(ValueError, match="stack_init"):
        DeepBeliefNetwork([4, 3, 2], stack_init="copy")
    with pytest.raises(ValueError, match="n_classes"):
        dbn.to_classifier(1)
    with pytest.raises(ValueError, match="init"):
        dbn.sample(3, init=np.zeros((2, 4)))
    assert not hasattr(dbn, "log_prob") and not hasattr(dbn, "score")


def test_history_is_one_dict_of_lists_and_start_layer_keeps_the_lower_layers():
    V = _bars(60, 1)
    dbn = DeepBeliefNetwork([9, 6, 4], n_epochs=3, batch_size=20, random_state=0, device="cpu").fit(V)
    h = dbn.history_
    assert set(h) == {"layer", "reconstruction_error", "learning_rate"}
    assert h["layer"] == [0, 0, 0, 1, 1, 1]
    assert h["reconstruction_error"][:3] == dbn.rbms[0].history_["reconstruction_error"]
    assert h["reconstruction_error"][3:] == dbn.rbms[1].history_["reconstruction_error"]
    dbn.fit(V, start_layer=1)  # retrain the top RBM only (it continues: 3 more epochs)
    assert dbn.history_["layer"] == [0, 0, 0] + [1] * 6
    assert dbn.history_["reconstruction_error"][:3] == h["reconstruction_error"][:3]
