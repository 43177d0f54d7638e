"""The tiny character transformer (genlib.neural.charmodel) against independent references.

Causality by autograd (the logits for x_t have zero gradient with respect to the embedded inputs
that carry x_t and later symbols) and by perturbation; normalisation over every window of a
3-symbol vocabulary; the exact log-likelihood against torch.distributions.Categorical; the
sampler against exp(log_prob) by a chi-square test; seeds, resuming, bad input.
"""

from __future__ import annotations

import io
import itertools
import math

import numpy as np
import pytest
import torch
from scipy import stats

from genlib.datasets import load_stdlib_characters
from genlib.neural.charmodel import CharModel, char_windows


def _tiny(vocab=3, context=4, seed=0):
    model = CharModel(vocab, context=context, d_model=8, n_heads=2, random_state=seed).double()
    with torch.no_grad():  # conditionals far from uniform, so the tests can tell a wrong model
        model.head.weight.mul_(8.0)
        model.head.bias.copy_(torch.linspace(-1, 1, vocab, dtype=torch.float64))
    return model


def _windows(vocab, length):
    return torch.tensor(list(itertools.product(range(vocab), repeat=length)), dtype=torch.float64)


def test_logits_for_x_t_ignore_x_t_and_later_by_autograd():
    model = _tiny(vocab=5, context=6)
    x = torch.tensor(np.random.default_rng(0).integers(0, 5, (3, 6)), dtype=torch.float64)
    h = model.embed(x).detach().requires_grad_(True)  # (3, T, d); position s carries x_{s-1}
    logits = model.logits_from_embeddings(h)
    for t in range(6):
        (grad,) = torch.autograd.grad(logits[:, t].sum(), h, retain_graph=True)
        per_position = grad.abs().sum(dim=(0, 2))  # (T,)
        assert torch.all(per_position[t + 1:] == 0), f"logits of x_{t} see positions {torch.nonzero(per_position[t + 1:]).flatten() + t + 1}"
        assert torch.all(per_position[:t + 1] > 0), f"logits of x_{t} ignore some of positions 0..{t}"


def test_changing_x_j_changes_only_the_later_conditionals():
    model = _tiny(vocab=5, context=6)
    x = torch.tensor(np.random.default_rng(1).integers(0, 5, (1, 6)), dtype=torch.float64)
    base = model.logits(x)
    for j in range(6):
        y = x.clone()
        y[0, j] = (y[0, j] + 2) % 5
        changed = (model.logits(y) != base).any(dim=-1)[0]  # (T,)
        assert not changed[:j + 1].any() and changed[j + 1:].all()


@pytest.mark.parametrize("length", [1, 2, 4])
def test_probabilities_sum_to_one_over_every_window(length):
    model = _tiny(vocab=3, context=4)
    with torch.no_grad():
        lp = model.log_prob(_windows(3, length))
    assert abs(float(torch.logsumexp(lp, dim=0))) < 1e-10
    assert float(lp.std()) > 0.3  # not uniform


def test_log_prob_matches_categorical_and_bits_per_char():
    model = _tiny(vocab=4, context=5)
    x = torch.tensor(np.random.default_rng(2).integers(0, 4, (7, 5)), dtype=torch.float64)
    with torch.no_grad():
        ref = torch.distributions.Categorical(logits=model.logits(x)).log_prob(x.long()).sum(dim=1)
        np.testing.assert_allclose(model.log_prob(x).numpy(), ref.numpy(), rtol=1e-12)
        assert np.isclose(model.bits_per_char(x), -float(ref.sum()) / (35 * math.log(2)))
        assert np.isclose(model.score(x), float(ref.mean()))


def test_samples_follow_exp_log_prob():
    model = _tiny(vocab=3, context=4)
    with torch.no_grad():
        p = model.log_prob(_windows(3, 2)).exp().numpy()  # the 9 windows of length 2
    assert 0.5 * np.abs(p - 1 / 9).sum() > 0.1
    n = 20000
    S = model.sample(n, length=2, random_state=3).numpy()
    counts = np.bincount(S[:, 0] * 3 + S[:, 1], minlength=9)
    chi2 = stats.chisquare(counts, n * p)
    assert chi2.pvalue > 1e-4, f"chi-square {chi2.statistic:.1f}, p={chi2.pvalue:.2g}"
    assert 0.5 * np.abs(counts / n - p).sum() < 2 * 0.5 * np.sqrt(9 / n)


def test_char_windows():
    assert np.array_equal(char_windows(np.arange(7).reshape(-1, 1), 3), [[0, 1, 2], [3, 4, 5]])
    with pytest.raises(ValueError, match="context=10"):
        char_windows(np.arange(7), 10)
    with pytest.raises(ValueError, match="integer codes"):
        char_windows(np.array([0.5, 1.0]), 1)
    with pytest.raises(ValueError, match="symbols must be a sequence"):
        char_windows(np.zeros((2, 3)), 1)


def _corpus():
    return char_windows(load_stdlib_characters(6400)[0], 32)  # (200, 32)


def test_fit_learns_and_same_seed_same_result():
    X = _corpus()
    a = CharModel(27, context=32, d_model=16, n_heads=2, random_state=4)
    before = a.bits_per_char(X)
    a.fit(X, n_epochs=4, batch_size=20, lr=1e-2)
    b = CharModel(27, context=32, d_model=16, n_heads=2, random_state=4).fit(X, n_epochs=4, batch_size=20, lr=1e-2)
    assert before > 4.5 and a.bits_per_char(X) < 4.0  # from about log2(27) = 4.75 to below the uniform
    assert torch.equal(a.log_prob(X), b.log_prob(X))
    assert torch.equal(a.sample(3), b.sample(3))


def test_load_then_fit_continues():
    X = _corpus()
    kw = dict(n_epochs=1, batch_size=50)
    continuous = CharModel(27, context=32, d_model=16, n_heads=2, random_state=0).fit(X, **kw)
    saved = CharModel(27, context=32, d_model=16, n_heads=2, random_state=0).fit(X, **kw)
    buffer = io.BytesIO()
    torch.save(saved.state_dict(), buffer)
    buffer.seek(0)
    resumed = CharModel(27, context=32, d_model=16, n_heads=2, random_state=7)
    resumed.load_state_dict(torch.load(buffer, weights_only=True))
    continuous.fit(X, **kw)
    resumed.fit(X, **kw)
    for name, a in continuous.state_dict().items():
        if isinstance(a, torch.Tensor):
            torch.testing.assert_close(resumed.state_dict()[name], a, msg=name)


def test_bad_input_is_refused_by_name():
    model = CharModel(27, context=8, d_model=8, n_heads=2, random_state=0)
    with pytest.raises(ValueError, match=r"X must lie in \[0, 26\]"):
        model.log_prob(np.full((2, 8), 27))
    with pytest.raises(ValueError, match="context=8"):
        model.log_prob(np.zeros((2, 9)))
    with pytest.raises(ValueError, match="integer symbol codes"):
        model.fit(np.full((2, 8), 0.5))
    with pytest.raises(ValueError, match="n must be"):
        model.sample(0)
    with pytest.raises(ValueError, match="length must be"):
        model.sample(2, length=9)
    with pytest.raises(ValueError, match="n_heads must divide d_model"):
        CharModel(27, d_model=10, n_heads=3)
