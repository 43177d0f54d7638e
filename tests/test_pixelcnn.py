"""PixelCNN (genlib.neural.pixelcnn) against independent references.

- the mask: output i depends on no input j >= i and on its left and upper neighbours (autograd on
  the network, perturbation for code inputs), the masks against the raster-index definition;
- the chain rule gives a normalised distribution: log p summed over all 2^9 binary 3x3 images
  (and all 3^4 images of a 3-category 2x2 model) is 1;
- exact log-likelihood against torch.distributions (Bernoulli, Categorical);
- sampling pixel by pixel draws from exp(log_prob): a chi-square test on a 2x2 model;
- same seed, same result; load-then-fit continues; bad input is refused by name.
"""

from __future__ import annotations

import io
import itertools
import math

import numpy as np
import pytest
import torch
from scipy import stats

from genlib.datasets import load_digits
from genlib.neural.pixelcnn import MaskedConv2d, PixelCNN, causal_mask


def _all_images(n_pixels, n_categories=2):
    return torch.tensor(list(itertools.product(range(n_categories), repeat=n_pixels)), dtype=torch.float64)


def _sharpen(model, scale=4.0):
    """Scale the output layer so the conditionals are far from uniform (tests then have power)."""
    with torch.no_grad():
        last = model.output[-1]
        last.weight.mul_(scale)
        last.bias.copy_(torch.linspace(-2, 2, last.bias.numel(), dtype=last.bias.dtype))
    return model


# --------------------------------------------------------------------------- the mask
@pytest.mark.parametrize("k", [1, 3, 5, 7])
def test_masks_follow_the_raster_order_definition(k):
    c = k // 2
    for mask_type in "AB":
        m = causal_mask(k, mask_type)
        # reference: kernel position (r, s) is kept iff its raster index is before the centre's (A) or not after (B)
        ref = torch.tensor([[float(r * k + s < c * k + c or (mask_type == "B" and r * k + s == c * k + c))
                             for s in range(k)] for r in range(k)])
        assert torch.equal(m, ref)
    assert int(causal_mask(k, "A").sum()) == (k * k - 1) // 2


@pytest.mark.parametrize("shape,n_layers", [((5, 4), 2), ((3, 3), 0), ((6, 6), 3)])
def test_output_i_depends_only_on_pixels_before_i(shape, n_layers):
    # autograd: d logits_i / d x_j == 0 exactly for every j >= i; the left and upper neighbours do matter
    torch.manual_seed(0)
    model = PixelCNN(shape, n_filters=8, n_layers=n_layers, kernel_size=3, random_state=1).double()
    H, W = shape
    D = H * W
    x = torch.rand(2, D, dtype=torch.float64, requires_grad=True)  # continuous input: no ReLU region is special
    logits = model._logits(x)  # (2, D)
    for i in range(D):
        (grad,) = torch.autograd.grad(logits[:, i].sum(), x, retain_graph=True)
        grad = grad.abs().sum(dim=0)  # (D,)
        assert torch.all(grad[i:] == 0), f"output {i} depends on pixels {torch.nonzero(grad[i:]).flatten() + i}"
        if i % W > 0:
            assert grad[i - 1] > 0, f"output {i} ignores its left neighbour"
        if i >= W:
            assert grad[i - W] > 0, f"output {i} ignores the pixel above"


def test_code_model_output_i_is_unchanged_by_pixels_at_or_after_i():
    # the categorical model takes codes (one-hot inside): perturbation instead of gradients
    model = PixelCNN((3, 4), n_categories=5, n_filters=8, n_layers=2, kernel_size=3, random_state=2).double()
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.integers(0, 5, (1, 12)), dtype=torch.float64)
    base = model.logits(x)
    for j in range(12):
        y = x.clone()
        y[0, j] = (y[0, j] + 1) % 5
        changed = (model.logits(y) != base).any(dim=-1)[0]  # (D,)
        assert not changed[:j + 1].any(), f"changing pixel {j} changed outputs {torch.nonzero(changed[:j + 1]).flatten()}"
        if (j + 1) % 4:  # the next pixel in the same row: its left neighbour is j
            assert changed[j + 1], f"output {j + 1} ignores its left neighbour"


def test_masked_conv_uses_the_masked_kernel():
    conv = MaskedConv2d(1, 1, 3, "A").double()
    x = torch.zeros(1, 1, 3, 3, dtype=torch.float64)
    x[0, 0, 1, 1] = 1.0  # only the centre is on: mask A hides it from the centre output
    with torch.no_grad():
        out = conv(x) - conv.bias
    assert out[0, 0, 1, 1] == 0
    assert out[0, 0, 2, 2] == conv.weight[0, 0, 0, 0]  # for output (2, 2) the on pixel is up-left: kept


# --------------------------------------------------------------------------- exact likelihood
def test_binary_3x3_model_sums_to_one_over_all_512_images():
    model = _sharpen(PixelCNN(3, n_filters=8, n_layers=2, kernel_size=3, random_state=0).double())
    X = _all_images(9)
    with torch.no_grad():
        total = torch.logsumexp(model.log_prob(X), dim=0)
    assert abs(float(total)) < 1e-5
    assert float(model.log_prob(X).detach().std()) > 0.5  # not the uniform distribution


def test_code_model_sums_to_one_over_all_images():
    model = _sharpen(PixelCNN((2, 2), n_categories=3, n_filters=8, n_layers=1, kernel_size=3, random_state=0).double())
    with torch.no_grad():
        assert abs(float(torch.logsumexp(model.log_prob(_all_images(4, 3)), dim=0))) < 1e-10


def test_log_prob_matches_torch_distributions():
    X, _ = load_digits(binary=True)
    model = PixelCNN(8, n_filters=8, n_layers=1, random_state=0).double()
    model.fit(X[20:60], n_epochs=1, batch_size=20)  # held_out_likelihood() refuses an untrained model
    x = torch.as_tensor(X[:20])
    with torch.no_grad():
        ref = torch.distributions.Bernoulli(logits=model.logits(x)).log_prob(x).sum(dim=1)
        np.testing.assert_allclose(model.log_prob(X[:20]).numpy(), ref.numpy(), rtol=1e-12)
        assert np.isclose(model.score(X[:20]), float(ref.mean()))
        assert np.isclose(model.bits_per_dim(X[:20]), -float(ref.mean()) / (64 * math.log(2)))
        report = model.held_out_likelihood(X[:20])
        assert report["likelihood_kind"] == "exact" and np.isclose(report["log_likelihood"], float(ref.mean()))
    codes = PixelCNN((2, 3), n_categories=4, n_filters=8, n_layers=1, kernel_size=3, random_state=0).double()
    C = torch.tensor(np.random.default_rng(0).integers(0, 4, (10, 6)), dtype=torch.float64)
    with torch.no_grad():
        ref = torch.distributions.Categorical(logits=codes.logits(C)).log_prob(C.long()).sum(dim=1)
        np.testing.assert_allclose(codes.log_prob(C).numpy(), ref.numpy(), rtol=1e-12)


def test_image_layouts_give_the_same_log_prob():
    X, _ = load_digits(binary=True)
    model = PixelCNN(8, n_filters=8, n_layers=1, random_state=0)
    with torch.no_grad():
        flat = model.log_prob(X[:5])
        assert torch.equal(model.log_prob(X[:5].reshape(5, 8, 8)), flat)
        assert torch.equal(model.log_prob(X[:5].reshape(5, 1, 8, 8)), flat)
        assert torch.equal(model.log_prob(torch.as_tensor(X[:5], dtype=torch.float32)), flat)


# --------------------------------------------------------------------------- sampling
@pytest.mark.parametrize("n_categories", [2, 3])
def test_samples_follow_exp_log_prob(n_categories):
    model = _sharpen(PixelCNN((2, 2), n_categories=n_categories, n_filters=8, n_layers=1, kernel_size=3,
                              random_state=0).double())
    states = _all_images(4, n_categories)
    with torch.no_grad():
        p = model.log_prob(states).exp().numpy()
    assert 0.5 * np.abs(p - 1 / len(p)).sum() > 0.1  # far from uniform: the test can tell a wrong sampler
    n = 20000
    S = model.sample(n, random_state=5).double().numpy()
    index = (S * n_categories ** np.arange(3, -1, -1)).sum(axis=1).astype(int)  # the row of `states` drawn
    counts = np.bincount(index, minlength=len(p))
    assert counts.sum() == n
    chi2 = stats.chisquare(counts, n * p)
    assert chi2.pvalue > 1e-4, f"chi-square {chi2.statistic:.1f}, p={chi2.pvalue:.2g}"
    tv = 0.5 * np.abs(counts / n - p).sum()
    assert tv < 2 * 0.5 * np.sqrt(len(p) / n)  # twice the bound E[TV] <= sqrt(K/n)/2


def test_sample_shapes_types_and_streams():
    model = PixelCNN(3, n_filters=4, n_layers=1, kernel_size=3, random_state=0)
    binary = (np.random.default_rng(0).random((8, 9)) > 0.5).astype(float)
    model.fit(binary, n_epochs=1, batch_size=8)  # sample() refuses an untrained model
    a = model.sample(6)
    assert a.shape == (6, 9) and a.dtype == torch.float32 and set(a.unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(model.sample(6, random_state=1), model.sample(6, random_state=1))
    codes = PixelCNN(3, n_categories=5, n_filters=4, n_layers=1, kernel_size=3, random_state=0)
    codes = codes.fit(np.random.default_rng(0).integers(0, 5, (8, 9)), n_epochs=1, batch_size=8).sample(4)
    assert codes.dtype == torch.int64 and int(codes.min()) >= 0 and int(codes.max()) <= 4


# --------------------------------------------------------------------------- training
def _digits():
    X, _ = load_digits(binary=True)
    return X[:200]


def test_fit_raises_the_likelihood_and_same_seed_same_result():
    X = _digits()
    a = PixelCNN(8, n_filters=8, n_layers=1, random_state=3)
    before = a.score(X)
    a.fit(X, n_epochs=8, batch_size=50, lr=5e-3)
    b = PixelCNN(8, n_filters=8, n_layers=1, random_state=3).fit(X, n_epochs=8, batch_size=50, lr=5e-3)
    assert a.score(X) > before + 5
    assert a.history_["loss"][-1] < a.history_["loss"][0]
    assert torch.equal(a.log_prob(X), b.log_prob(X))
    assert torch.equal(a.sample(4), b.sample(4))


def test_load_then_fit_continues():
    X = _digits()
    fit_kwargs = dict(n_epochs=1, batch_size=50)
    continuous = PixelCNN(8, n_filters=8, n_layers=1, random_state=0).fit(X, **fit_kwargs)
    saved = PixelCNN(8, n_filters=8, n_layers=1, random_state=0).fit(X, **fit_kwargs)
    buffer = io.BytesIO()
    torch.save(saved.state_dict(), buffer)
    buffer.seek(0)
    resumed = PixelCNN(8, n_filters=8, n_layers=1, random_state=99)
    resumed.load_state_dict(torch.load(buffer, weights_only=True))
    continuous.fit(X, **fit_kwargs)
    resumed.fit(X, **fit_kwargs)
    for (name, a), (_, b) in zip(continuous.state_dict().items(), resumed.state_dict().items()):
        if isinstance(a, torch.Tensor):
            torch.testing.assert_close(b, a, msg=name)
    assert torch.equal(continuous.sample(3), resumed.sample(3))


# --------------------------------------------------------------------------- bad input
def test_bad_input_is_refused_by_name():
    model = PixelCNN(8, n_filters=4, n_layers=1, random_state=0)
    X = _digits()
    state = {k: v.clone() for k, v in model.state_dict().items() if isinstance(v, torch.Tensor)}
    with pytest.raises(ValueError, match=r"X holds 28x28 images .* image_size=\(8, 8\)"):
        model.log_prob(np.zeros((2, 28, 28)))
    with pytest.raises(ValueError, match=r"X has 63 pixels .* image_size=\(8, 8\)"):
        model.fit(X[:, :63])
    with pytest.raises(ValueError, match="X must be binary"):
        model.fit(X * 0.5)
    with pytest.raises(ValueError, match="X must be images"):
        model.log_prob(X[0])
    with pytest.raises(ValueError, match="one channel"):
        model.log_prob(np.zeros((2, 3, 8, 8)))
    for n in (0, -1):
        with pytest.raises(ValueError, match="n must be"):
            model.sample(n)
    with pytest.raises(TypeError, match="n must be"):
        model.sample(2.5)
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items() if k in state)  # nothing changed
    codes = PixelCNN(3, n_categories=4, n_filters=4, n_layers=1, kernel_size=3)
    with pytest.raises(ValueError, match=r"X must lie in \[0, 3\]"):
        codes.log_prob(np.full((1, 9), 4.0))
    with pytest.raises(ValueError, match="integer codes"):
        codes.log_prob(np.full((1, 9), 1.5))


@pytest.mark.parametrize("kwargs,words", [
    (dict(kernel_size=4), "kernel_size must be odd"),
    (dict(n_categories=1), "n_categories"),
    (dict(image_size=(8, 8, 1)), "image_size"),
    (dict(image_size=0), "image_size"),
    (dict(n_filters=0), "n_filters"),
])
def test_bad_settings_are_refused(kwargs, words):
    with pytest.raises((ValueError, TypeError), match=words):
        PixelCNN(**kwargs)
    with pytest.raises(ValueError, match="mask_type"):
        causal_mask(3, "C")
    with pytest.raises(ValueError, match="odd"):
        causal_mask(2, "A")
