"""Tests of genlib.neural.fccgan: shapes for 8x8 and 28x28, the fully connected block before G's
convolutions and after D's (in the order the forward pass runs them), DCGAN's 1x1 projection as
the linear layer it is, reproducibility, save/load then fit, bad input, and short trainings that
must move the samples toward the data."""

import io

import numpy as np
import pytest
import torch
from torch import nn

from genlib.datasets import load_digits
from genlib.metrics import frechet_distance
from genlib.neural import FCCGAN
from genlib.neural.dcgan import LAYOUTS, DCGenerator
from genlib.neural.fccgan import FCCDiscriminator, FCCGenerator


@pytest.fixture(scope="module")
def digits():
    X, _ = load_digits(as_images=True)  # (1797, 8, 8) in [0, 1]
    return X


def _call_order(net, x):
    """The kinds of the Linear / (transposed) convolution layers in the order the forward pass calls them."""
    order, hooks = [], []
    for m in net.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            hooks.append(m.register_forward_hook(lambda mod, inp, out: order.append(type(mod))))
    try:
        with torch.no_grad():
            net.eval()(x)
    finally:
        for h in hooks:
            h.remove()
    return order


# ---- shapes and structure -------------------------------------------------------------------------

@pytest.mark.parametrize("size", sorted(LAYOUTS))
def test_shapes(size):
    G, D = FCCGenerator(16, size, 8, (12, 20)), FCCDiscriminator(size, 8, (20, 12))
    with torch.no_grad():
        x = G.eval()(torch.randn(5, 16))
        logits = D.eval()(x)
    assert x.shape == (5, 1, size, size)
    assert float(x.abs().max()) <= 1.0  # Tanh output
    assert logits.shape == (5,)


@pytest.mark.parametrize("size", [8, 28])
def test_model_samples_images_of_its_size(size):
    m = FCCGAN(image_size=size, latent_dim=4, n_filters=4, fc_hidden=(8,), n_steps=2, batch_size=8, random_state=0)
    m.fit(np.random.default_rng(0).random((16, size, size)))  # sample() refuses an untrained model
    x, z = m.sample(3, return_latent=True)
    assert x.shape == (3, 1, size, size) and z.shape == (3, 4)
    assert float(x.min()) >= 0.0 and float(x.max()) <= 1.0  # mapped back to [0, 1]


@pytest.mark.parametrize("size", [8, 28])
@pytest.mark.parametrize("fc_hidden", [(64, 512), (16,), ()])
def test_fully_connected_block_before_g_convolutions_and_after_d_convolutions(size, fc_hidden):
    m = FCCGAN(image_size=size, latent_dim=8, n_filters=4, fc_hidden=fc_hidden, random_state=0)
    n_linear = len(fc_hidden) + 1  # the hidden layers and the projection (G) / the logit layer (D)
    s0, k = LAYOUTS[size]
    g_order = _call_order(m.generator, torch.randn(2, 8))
    assert g_order == [nn.Linear] * n_linear + [nn.ConvTranspose2d] * k
    d_order = _call_order(m.discriminator, torch.zeros(2, 1, size, size))
    assert d_order == [nn.Conv2d] * k + [nn.Linear] * n_linear
    g_linear = [l for l in m.generator.modules() if isinstance(l, nn.Linear)]
    d_linear = [l for l in m.discriminator.modules() if isinstance(l, nn.Linear)]
    first_map = 4 * 2 ** (k - 1) * s0 * s0  # channels x side x side of G's first feature map, D's last one
    assert [l.out_features for l in g_linear] == [*fc_hidden, first_map]
    assert [l.in_features for l in d_linear] == [first_map, *fc_hidden[::-1]]
    assert d_linear[-1].out_features == 1
    # the generator's fully connected layers use batch norm and ReLU (DCGAN's rules 2 and 4), the discriminator's
    # LeakyReLU (rule 5)
    g_fc = list(m.generator.fc)
    assert all(isinstance(g_fc[i + 1], nn.BatchNorm1d) and isinstance(g_fc[i + 2], nn.ReLU)
               for i, l in enumerate(g_fc) if isinstance(l, nn.Linear))
    d_fc = list(m.discriminator.fc)
    assert all(isinstance(d_fc[i + 1], nn.LeakyReLU) for i, l in enumerate(d_fc) if isinstance(l, nn.Linear)
               and l is not d_linear[-1])


def test_dcgan_projection_is_a_linear_layer():
    # DCGAN's first layer, a transposed convolution of the 1x1 map z with an s0 x s0 kernel, is the linear map
    # z -> W z reshaped to (C, s0, s0): FCC-GAN with fc_hidden=() writes exactly that layer as a Linear.
    torch.manual_seed(0)
    dc = DCGenerator(latent_dim=6, image_size=28, n_filters=4)
    proj = dc.net[0]  # ConvTranspose2d(6, 8, kernel_size=7): weight (6, 8, 7, 7)
    z = torch.randn(5, 6)
    linear = nn.Linear(6, 8 * 7 * 7, bias=False)
    with torch.no_grad():
        linear.weight.copy_(proj.weight.reshape(6, -1).T)  # (392, 6)
        torch.testing.assert_close(linear(z).reshape(5, 8, 7, 7), proj(z[:, :, None, None]))


# ---- the protocol: reproducible, save/load then fit, refused input --------------------------------

def _small(seed, **kw):
    return FCCGAN(image_size=8, latent_dim=8, n_filters=4, fc_hidden=(8, 16), n_steps=15, batch_size=16,
                  random_state=seed, **kw)


def _state(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items() if torch.is_tensor(v)}


def test_same_seed_same_fit_other_seed_other_fit(digits):
    a, b, c = _small(3).fit(digits[:64]), _small(3).fit(digits[:64]), _small(4).fit(digits[:64])
    sa, sb, sc = _state(a), _state(b), _state(c)
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert any(not torch.equal(sa[k], sc[k]) for k in sa if sa[k].is_floating_point())
    for key in ("d_loss", "g_loss", "d_real", "d_fake"):
        assert len(a.history_[key]) == 15
        np.testing.assert_array_equal(a.history_[key], b.history_[key])
    torch.testing.assert_close(a.sample(6, random_state=1), b.sample(6, random_state=1), rtol=0, atol=0)


def test_load_then_fit_equals_fitting_on(digits):
    X = digits[:64]
    continuous = _small(2).fit(X)
    buffer = io.BytesIO()
    torch.save(continuous.state_dict(), buffer)
    buffer.seek(0)
    resumed = _small(99)  # another seed: what the fit continues from must come from the saved state
    resumed.load_state_dict(torch.load(buffer, weights_only=True))
    torch.testing.assert_close(resumed.sample(4, random_state=5), continuous.sample(4, random_state=5))
    continuous.fit(X)
    resumed.fit(X)
    s_c, s_r = _state(continuous), _state(resumed)
    assert s_c.keys() == s_r.keys()
    for k in s_c:
        torch.testing.assert_close(s_r[k], s_c[k], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("kwargs, exc, words", [
    (dict(image_size=10), ValueError, ["image_size", "10", "[8, 16, 28, 32, 64]"]),
    (dict(image_size=0), ValueError, ["image_size"]),
    (dict(fc_hidden=(64, 0)), ValueError, ["fc_hidden[1]"]),
    (dict(fc_hidden="wide"), TypeError, ["fc_hidden", "tuple"]),
    (dict(fc_hidden=(8.5,)), TypeError, ["fc_hidden[0]"]),
    (dict(n_filters=0), ValueError, ["n_filters"]),
    (dict(latent_dim=-1), ValueError, ["latent_dim"]),
    (dict(loss="wasserstein"), ValueError, ["loss"]),
])
def test_bad_construction_is_refused_clearly(kwargs, exc, words):
    with pytest.raises(exc) as info:
        FCCGAN(**kwargs)
    for w in words:
        assert w in str(info.value), f"{info.value!r} does not mention {w!r}"


def test_refused_fit_changes_nothing(digits):
    m = _small(0).fit(digits[:32])
    before, history = _state(m), {k: v.copy() for k, v in m.history_.items()}
    bad = [(np.zeros((4, 28, 28)), "image_size=8"), (np.zeros((4, 100)), "pixels"),
           (np.full((4, 8, 8), 16.0), "[0, 1]"), (np.full((4, 8, 8), np.nan), "NaN")]
    for X, words in bad:
        with pytest.raises(ValueError) as info:
            m.fit(X)
        assert words in str(info.value)
    with pytest.raises(TypeError, match="callback"):
        m.fit(digits[:32], callback=3)
    after = _state(m)
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert all(np.array_equal(history[k], m.history_[k]) for k in history)


def test_28x28_model_trains_on_28x28_images():
    rng = np.random.default_rng(0)
    X = rng.random((24, 28, 28)).astype(np.float32)
    m = FCCGAN(image_size=28, latent_dim=4, n_filters=2, fc_hidden=(8,), n_steps=3, batch_size=8, random_state=0)
    assert m.fit(X) is m and m.sample(2).shape == (2, 1, 28, 28)
    with pytest.raises(ValueError, match="image_size=28"):
        m.fit(np.zeros((4, 8, 8)))


# ---- training moves the generated distribution toward the data ---------------------------------------

@pytest.mark.parametrize("seed", [0, 1])
def test_training_on_a_small_set_moves_samples_toward_the_data(digits, seed):
    # 256 digits, 300 steps (75 epochs): the Fréchet distance between samples and data, on raw pixels, must fall
    # below half the untrained generator's (seeds 0 to 3 fell to between 0.26 and 0.39 of it). The discriminator's
    # lead is no test here: on so few images D ends up telling them from fakes better than at the start.
    X = digits[:256]
    model = FCCGAN(image_size=8, latent_dim=16, n_filters=8, fc_hidden=(32, 64), n_steps=300, batch_size=64,
                   lr_d=1e-3, lr_g=1e-3, random_state=seed)
    flat = X.reshape(len(X), -1)
    z = model.sample_latent(512, random_state=7)
    before = frechet_distance(flat, model.generate(z).reshape(512, -1).numpy())  # untrained (sample() refuses it)
    model.fit(X)
    after = frechet_distance(flat, model.generate(z).reshape(512, -1).numpy())
    assert after < before / 2, (before, after)
