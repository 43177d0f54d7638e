"""Tests of genlib.neural.gan / dcgan / cgan: losses against their formulas, the five DCGAN
rules, shapes for both image sizes, bad input, and short trainings that must move the
generated distribution toward the data."""

import numpy as np
import pytest
import torch
from torch import nn

from genlib.datasets import load_digits, make_rings
from genlib.metrics import frechet_distance, label_accuracy
from genlib.neural import DCGAN, GAN, ConditionalGAN
from genlib.neural.dcgan import LAYOUTS, DCDiscriminator, DCGenerator
from genlib.neural.gan import (MLPGenerator, discriminator_loss, generator_loss, optimal_discriminator,
                               value_function)
from genlib._torch import make_generator


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# ---- losses equal their formulas on hand-made discriminator outputs ------------------------------

@pytest.fixture
def logits():
    real = torch.tensor([2.0, -0.5, 0.0, 3.0], dtype=torch.float64)
    fake = torch.tensor([-1.0, 0.3, -4.0], dtype=torch.float64)
    return real, fake


def test_value_and_discriminator_loss_match_formula(logits):
    real, fake = logits
    d_real, d_fake = _sigmoid(real.numpy()), _sigmoid(fake.numpy())
    v = np.mean(np.log(d_real)) + np.mean(np.log(1 - d_fake))  # V(D, G)
    assert float(value_function(real, fake)) == pytest.approx(v, rel=1e-12)
    assert float(discriminator_loss(real, fake)) == pytest.approx(-v, rel=1e-12)
    # it is the binary cross-entropy with labels 1 for data and 0 for fakes
    bce = nn.functional.binary_cross_entropy_with_logits
    expected = bce(real, torch.ones_like(real)) + bce(fake, torch.zeros_like(fake))
    assert float(discriminator_loss(real, fake)) == pytest.approx(float(expected), rel=1e-12)


def test_generator_losses_match_formula(logits):
    _, fake = logits
    d_fake = _sigmoid(fake.numpy())
    assert float(generator_loss(fake, "minimax")) == pytest.approx(np.mean(np.log(1 - d_fake)), rel=1e-12)
    assert float(generator_loss(fake, "non-saturating")) == pytest.approx(-np.mean(np.log(d_fake)), rel=1e-12)


def test_losses_are_finite_for_confident_discriminators():
    huge = torch.tensor([80.0, -80.0], dtype=torch.float32)
    assert torch.isfinite(discriminator_loss(huge, -huge))
    assert torch.isfinite(generator_loss(huge, "minimax")) and torch.isfinite(generator_loss(huge))


def test_minimax_loss_saturates_where_non_saturating_does_not():
    # D rejects the fakes confidently (D(G(z)) ~ e^-6): the gradient wrt the logit is
    # d/dl log(1 - sigmoid(l)) = -sigmoid(l) ~ 0 for minimax, d/dl -log sigmoid(l) = sigmoid(l) - 1 ~ -1.
    grads = {}
    for loss in ("minimax", "non-saturating"):
        l = torch.tensor([-6.0], requires_grad=True)
        generator_loss(l, loss).backward()
        grads[loss] = float(l.grad)
    assert grads["minimax"] == pytest.approx(-_sigmoid(-6.0), rel=1e-5)
    assert grads["non-saturating"] == pytest.approx(_sigmoid(-6.0) - 1.0, rel=1e-5)
    assert abs(grads["non-saturating"]) > 100 * abs(grads["minimax"])


def test_optimal_discriminator_maximises_value_pointwise():
    # For discrete p_data, p_g: V(D) = sum_x p_data log D(x) + p_g log(1 - D(x)); brute force over a grid of D values.
    rng = np.random.default_rng(0)
    p_data, p_g = rng.dirichlet(np.ones(5)), rng.dirichlet(np.ones(5))
    grid = np.linspace(1e-4, 1 - 1e-4, 20001)
    best = grid[np.argmax(p_data[:, None] * np.log(grid) + p_g[:, None] * np.log(1 - grid), axis=1)]
    np.testing.assert_allclose(optimal_discriminator(p_data, p_g), best, atol=1e-4)
    # at p_g = p_data, D* = 1/2 and V = -log 4, the game's value
    d = optimal_discriminator(p_data, p_data)
    np.testing.assert_allclose(d, 0.5)
    assert np.sum(p_data * np.log(d) + p_data * np.log(1 - d)) == pytest.approx(-np.log(4))
    with pytest.raises(ValueError, match="densities"):
        optimal_discriminator([-1.0], [1.0])


# ---- DCGAN: shapes for both image sizes and the five architecture rules --------------------------

@pytest.mark.parametrize("size", sorted(LAYOUTS))
def test_dcgan_shapes(size):
    G, D = DCGenerator(16, size, 8), DCDiscriminator(size, 8)
    with torch.no_grad():
        x = G(torch.randn(5, 16))
    assert x.shape == (5, 1, size, size)
    assert float(x.abs().max()) <= 1.0  # Tanh output
    assert D(x).shape == (5,)


@pytest.mark.parametrize("size", [8, 28])
def test_dcgan_five_rules(size):
    G, D = DCGenerator(16, size, 8), DCDiscriminator(size, 8)
    for net in (G, D):
        kinds = [type(m) for m in net.net]
        # 1. no pooling; 3. no fully connected layers
        assert not any(issubclass(k, (nn.MaxPool2d, nn.AvgPool2d, nn.Linear)) for k in kinds)
    g_layers, d_layers = list(G.net), list(D.net)
    # 1. G up-samples with fractionally-strided convolutions, D down-samples with strided convolutions
    assert all(isinstance(m, nn.ConvTranspose2d) for m in g_layers if isinstance(m, nn.modules.conv._ConvNd))
    assert all(isinstance(m, nn.Conv2d) for m in d_layers if isinstance(m, nn.modules.conv._ConvNd))
    assert any(m.stride == (2, 2) for m in d_layers if isinstance(m, nn.Conv2d))
    # 2. batch norm after every hidden conv, not after G's output conv nor D's input conv
    g_convs = [i for i, m in enumerate(g_layers) if isinstance(m, nn.ConvTranspose2d)]
    assert all(isinstance(g_layers[i + 1], nn.BatchNorm2d) for i in g_convs[:-1])
    assert isinstance(g_layers[g_convs[-1] + 1], nn.Tanh)  # 4. Tanh output, no BN
    d_convs = [i for i, m in enumerate(d_layers) if isinstance(m, nn.Conv2d)]
    assert isinstance(d_layers[d_convs[0] + 1], nn.LeakyReLU)  # input layer: no BN
    assert all(isinstance(d_layers[i + 1], nn.BatchNorm2d) for i in d_convs[1:-1])
    # 4. ReLU in G's hidden layers; 5. LeakyReLU in all of D's
    assert {type(m) for m in g_layers if not isinstance(m, (nn.ConvTranspose2d, nn.BatchNorm2d))} == {nn.ReLU, nn.Tanh}
    assert {type(m) for m in d_layers if not isinstance(m, (nn.Conv2d, nn.BatchNorm2d))} == {nn.LeakyReLU}


def test_dcgan_accepts_flat_and_channel_images_and_samples_in_unit_range():
    X, _ = load_digits(as_images=True)
    m = DCGAN(n_filters=4, latent_dim=4, n_steps=3, batch_size=8, random_state=0)
    for data in (X[:32], X[:32, None], X[:32].reshape(32, 64)):
        m.fit(data)
    x, z = m.sample(6, return_latent=True)
    assert x.shape == (6, 1, 8, 8) and z.shape == (6, 4)
    assert float(x.min()) >= 0.0 and float(x.max()) <= 1.0
    torch.testing.assert_close(m.generate(z), x)  # generate(z) is G(z) mapped to [0, 1]


def test_dcgan_wrong_image_size_is_refused():
    with pytest.raises(ValueError, match="image_size"):
        DCGAN(image_size=10)
    m = DCGAN(image_size=8, n_filters=4, random_state=0)
    with pytest.raises(ValueError, match="image_size=8"):
        m.fit(np.zeros((4, 28, 28)))
    with pytest.raises(ValueError, match="pixels"):
        m.fit(np.zeros((4, 100)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        m.fit(np.full((4, 8, 8), 255.0))


# ---- ConditionalGAN: labels ------------------------------------------------------------------------

def test_cgan_labels_are_checked():
    X, y = load_digits()
    m = ConditionalGAN(n_features=64, n_classes=10, hidden=(8,), latent_dim=4, n_steps=2, random_state=0)
    with pytest.raises(ValueError, match="label 10"):
        m.fit(X[:20], np.full(20, 10))
    with pytest.raises(ValueError, match="label -1"):
        m.fit(X[:20], np.full(20, -1))
    with pytest.raises(ValueError, match="one label per sample"):
        m.fit(X[:20], y[:19])
    with pytest.raises(TypeError, match="y"):
        m.fit(X[:20])
    m.fit(X[:20], y[:20])
    with pytest.raises(ValueError, match="labels contains label 12"):
        m.sample(3, labels=[0, 1, 12])
    with pytest.raises(ValueError, match="non-integer"):
        m.sample(2, labels=[0.5, 1.0])
    assert m.sample(4, labels=3).shape == (4, 64)
    x, z, labels = m.sample(50, return_latent=True)
    assert set(labels.tolist()) <= set(range(10)) and len(set(labels.tolist())) > 3  # uniform by default


def test_cgan_embedding_conditioning_runs():
    X, y = load_digits()
    m = ConditionalGAN(conditioning="embedding", embed_dim=3, hidden=(8,), n_steps=3, random_state=0).fit(X[:40], y[:40])
    assert m.sample(5, labels=[0, 1, 2, 3, 4]).shape == (5, 64)


# ---- the protocol beyond the conformance suite -----------------------------------------------------

def test_options_are_validated():
    with pytest.raises(ValueError, match="loss"):
        GAN(loss="wasserstein")
    with pytest.raises(TypeError, match="random_state"):
        GAN(random_state="seed")
    with pytest.raises(ValueError, match="device"):
        GAN(device="not-a-device")
    with pytest.raises(TypeError, match="callback"):
        GAN(n_steps=2).fit(np.zeros((8, 2)), callback=3)


def test_seeded_fit_is_reproducible_and_history_is_complete():
    X, _ = make_rings(256, random_state=0)
    a = GAN(hidden=(16,), n_steps=30, batch_size=32, random_state=5).fit(X)
    b = GAN(hidden=(16,), n_steps=30, batch_size=32, random_state=5).fit(X)
    for key in ("d_loss", "g_loss", "d_real", "d_fake"):
        assert isinstance(a.history_[key], list) and len(a.history_[key]) == 30
        assert a.history_[key] == b.history_[key]
    assert all(0 < d < 1 for d in a.history_["d_real"])
    # refitting starts the game afresh from random_state
    np.testing.assert_array_equal(a.fit(X).history_["g_loss"], b.history_["g_loss"])


def test_visible_steps_and_callback():
    X, _ = make_rings(256, random_state=0)
    gan = GAN(hidden=(16,), batch_size=32, random_state=0, device="auto")
    before = [p.detach().clone() for p in gan.discriminator.parameters()]
    out = gan.discriminator_step(X[:32])
    assert set(out) == {"d_loss", "d_real", "d_fake"}
    assert any(not torch.equal(p, q) for p, q in zip(before, gan.discriminator.parameters()))
    g_before = [p.detach().clone() for p in gan.generator.parameters()]
    assert set(gan.generator_step(32)) == {"g_loss"}
    assert any(not torch.equal(p, q) for p, q in zip(g_before, gan.generator.parameters()))
    seen = []
    GAN(hidden=(8,), n_steps=10, random_state=0).fit(X, callback=lambda m, s: seen.append(s), callback_every=3)
    assert seen == [3, 6, 9]


# ---- the generator's output activation: linear (toy data) or bounded (pixels) ----------------------

@pytest.mark.parametrize("output, lo, hi", [("sigmoid", 0.0, 1.0), ("tanh", -1.0, 1.0)])
def test_bounded_output_lies_in_its_interval(output, lo, hi):
    G = MLPGenerator(4, 16, hidden=(32,), output=output)
    assert isinstance(G.net[-1], nn.Sigmoid if output == "sigmoid" else nn.Tanh)
    z = torch.randn(500, 4, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        x, tails = G(z), G(100.0 * z)  # far into the tails float32 rounds to the end points, never past them
    assert x.shape == (500, 16)
    assert float(x.min()) > lo and float(x.max()) < hi
    assert float(tails.min()) >= lo and float(tails.max()) <= hi
    # through the model: digits scaled into the output's range, samples stay inside it
    X, _ = load_digits()  # (1797, 64) in [0, 1]
    data = X if output == "sigmoid" else 2.0 * X - 1.0
    gan = GAN(n_features=64, latent_dim=4, hidden=(32,), output=output, n_steps=20, batch_size=32,
              random_state=0).fit(data)
    s = gan.sample(300, random_state=1)
    assert s.shape == (300, 64)
    assert float(s.min()) > lo and float(s.max()) < hi
    assert float(gan.generate(np.zeros((2, 4), dtype=np.float32)).abs().max()) < max(abs(lo), hi)


def test_default_output_is_linear_and_unchanged():
    assert GAN().output == "linear" and isinstance(GAN().generator.net[-1], nn.Linear)
    X, _ = make_rings(256, random_state=0)
    a = GAN(hidden=(16,), n_steps=30, batch_size=32, random_state=5).fit(X)
    b = GAN(hidden=(16,), output="linear", n_steps=30, batch_size=32, random_state=5).fit(X)
    np.testing.assert_array_equal(a.sample(3, random_state=0).numpy(), b.sample(3, random_state=0).numpy())
    # the samples genlib gave for this seed before the option existed (linear output, unbounded)
    before = np.array([[-0.2279110551, 0.4651715159],
                       [-0.0661568791, 1.815226078],
                       [-0.3523661494, 0.3422835171]])
    np.testing.assert_allclose(a.sample(3, random_state=0).numpy(), before, rtol=1e-4, atol=1e-5)


def test_bad_output_is_refused_with_a_clear_message():
    for bad in ("softmax", "Sigmoid", None, 1):
        with pytest.raises(ValueError, match=r"output must be one of \['linear', 'sigmoid', 'tanh'\]"):
            GAN(output=bad)
        with pytest.raises(ValueError, match="output must be one of"):
            MLPGenerator(2, 2, output=bad)
    # data outside the range the output can generate: refused, with the fix
    with pytest.raises(ValueError, match=r"output='sigmoid' generates only in \(0, 1\).*rescale X"):
        GAN(n_features=2, output="sigmoid", n_steps=2).fit(np.array([[0.5, 2.0], [0.1, 0.2]]))
    with pytest.raises(ValueError, match=r"output='tanh'"):
        GAN(n_features=2, output="tanh", n_steps=2).fit(np.array([[-1.5, 0.0], [0.1, 0.2]]))
    GAN(n_features=2, output="tanh", n_steps=2).fit(np.array([[-1.0, 1.0], [0.1, 0.2]]))  # end points are fine


@pytest.mark.parametrize("output", ["linear", "sigmoid", "tanh"])
def test_state_dict_round_trip_keeps_samples(output):
    X, _ = load_digits()
    data = {"linear": X, "sigmoid": X, "tanh": 2.0 * X - 1.0}[output]
    a = GAN(n_features=64, latent_dim=4, hidden=(16,), output=output, n_steps=10, random_state=0).fit(data)
    b = GAN(n_features=64, latent_dim=4, hidden=(16,), output=output, random_state=1)
    assert set(b.state_dict()) == set(GAN(n_features=64, latent_dim=4, hidden=(16,)).state_dict())
    b.load_state_dict(a.state_dict())
    torch.testing.assert_close(b.sample(5, random_state=2), a.sample(5, random_state=2))


def test_make_generator_accepts_numpy_and_torch_generators():
    g = torch.Generator().manual_seed(1)
    assert make_generator(g) is g
    a = torch.randn(3, generator=make_generator(np.random.default_rng(4)))
    b = torch.randn(3, generator=make_generator(np.random.default_rng(4)))
    torch.testing.assert_close(a, b)


# ---- short trainings move the generated distribution toward the data --------------------------------

def test_gan_training_moves_samples_toward_the_ring():
    X, _ = make_rings(1024, random_state=0)
    gan = GAN(hidden=(32, 32), n_steps=300, batch_size=128, random_state=0)
    z = np.random.default_rng(1).normal(size=(1000, gan.latent_dim))
    before = frechet_distance(X, gan.generate(z))  # the untrained generator (sample() refuses it)
    gan.fit(X)
    after = frechet_distance(X, gan.generate(z))
    assert after < 0.25 * before


def test_cgan_samples_carry_their_label():
    X, y = load_digits()
    model = ConditionalGAN(n_features=64, n_classes=10, hidden=(128,), n_steps=1000, random_state=0).fit(X, y)
    labels = np.repeat(np.arange(10), 30)
    acc = label_accuracy(model.sample(300, labels=labels, random_state=0), labels)
    assert acc > 0.6  # chance is 0.1 (this seed gives about 0.97)


# ---- the projection discriminator (Miyato & Koyama, 2018) ---------------------------------------------

def test_projection_discriminator_is_psi_plus_inner_product():
    from genlib.neural.cgan import ProjectionDiscriminator

    torch.manual_seed(0)
    D = ProjectionDiscriminator(6, 3, hidden=(5, 4))
    x, y = torch.randn(7, 6), torch.tensor([0, 1, 2, 0, 1, 2, 2])
    h = D.phi(x)
    expected = D.psi(h).squeeze(-1) + torch.stack([D.class_vectors.weight[k] @ h[i] for i, k in enumerate(y)])
    assert torch.allclose(D(x, y), expected, atol=1e-6)
    # the label only moves the logit along the features: same x, two labels differ by (e_a - e_b) . phi(x)
    ya, yb = torch.zeros(7, dtype=torch.long), torch.ones(7, dtype=torch.long)
    diff = D(x, ya) - D(x, yb)
    assert torch.allclose(diff, h @ (D.class_vectors.weight[0] - D.class_vectors.weight[1]), atol=1e-6)


def test_cgan_discriminator_option_is_checked_and_builds_the_projection():
    from genlib.neural.cgan import ProjectionDiscriminator

    with pytest.raises(ValueError, match="discriminator"):
        ConditionalGAN(discriminator="auxiliary")
    m = ConditionalGAN(discriminator="projection", hidden=(8,), n_steps=2, random_state=0)
    assert isinstance(m.discriminator, ProjectionDiscriminator)
    X, y = load_digits()
    m.fit(X[:40], y[:40])
    assert m.sample(5, labels=3).shape == (5, 64)
    same = ConditionalGAN(discriminator="projection", hidden=(8,), n_steps=2, random_state=0).fit(X[:40], y[:40])
    assert torch.equal(m.sample(5, labels=3, random_state=1), same.sample(5, labels=3, random_state=1))
