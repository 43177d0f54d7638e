"""Tests of genlib.neural.vaegan: the losses against torch.distributions and hand computations,
the VAE it contains, and what the adversarial term buys on the 8x8 digits."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from torch.distributions import Bernoulli, Independent, Normal, kl_divergence

from genlib.datasets import load_digits
from genlib.metrics import frechet_distance
from genlib.neural import VAE
from genlib.neural.training import make_generator
from genlib.neural.vaegan import VAEGAN, feature_reconstruction_loss, image_sharpness, vaegan_discriminator_loss


@pytest.fixture(scope="module")
def digits():
    X, _ = load_digits()  # grey levels in [0, 1]
    order = np.random.default_rng(0).permutation(len(X))
    return X[order[:1400]], X[order[1400:]]


def _small(**kw):
    args = dict(hidden=(32,), disc_hidden=(24, 16), random_state=0)
    args.update(kw)
    return VAEGAN(64, 3, **args)


# --------------------------------------------------------------------------- the loss functions
def test_discriminator_loss_is_the_binary_cross_entropy_of_three_batches():
    g = torch.Generator().manual_seed(0)
    real, recon, prior = (torch.randn(7, generator=g, dtype=torch.float64) * 3 for _ in range(3))
    bce = torch.nn.functional.binary_cross_entropy
    expected = (bce(torch.sigmoid(real), torch.ones(7, dtype=torch.float64))
                + bce(torch.sigmoid(recon), torch.zeros(7, dtype=torch.float64))
                + bce(torch.sigmoid(prior), torch.zeros(7, dtype=torch.float64)))
    torch.testing.assert_close(vaegan_discriminator_loss(real, recon, prior), expected)
    # stable where sigmoid saturates: no inf for a very confident discriminator
    big = torch.tensor([200.0])
    assert torch.isfinite(vaegan_discriminator_loss(-big, big, big))
    assert float(vaegan_discriminator_loss(-big, big, big)) == pytest.approx(600.0)


def test_feature_loss_is_a_unit_gaussian_negative_log_density():
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(5, 6, generator=g, dtype=torch.float64), torch.randn(5, 6, generator=g, dtype=torch.float64)
    nll = -Independent(Normal(b, torch.ones_like(b)), 1).log_prob(a)  # -log N(Dis_l(x) | Dis_l(x~), I)
    const = 0.5 * 6 * np.log(2 * np.pi)
    torch.testing.assert_close(feature_reconstruction_loss(a, b), (nll - const).mean())


def test_image_sharpness_equals_a_loop_and_drops_under_blur():
    rng = np.random.default_rng(0)
    imgs = rng.random((4, 3, 5))
    total_x = [(imgs[n, i, j + 1] - imgs[n, i, j]) ** 2 for n in range(4) for i in range(3) for j in range(4)]
    total_y = [(imgs[n, i + 1, j] - imgs[n, i, j]) ** 2 for n in range(4) for i in range(2) for j in range(5)]
    assert image_sharpness(imgs) == pytest.approx(0.5 * (np.mean(total_x) + np.mean(total_y)))
    assert image_sharpness(imgs.reshape(4, 15), image_shape=(3, 5)) == pytest.approx(image_sharpness(imgs))
    X, _ = load_digits()
    blurred = X.reshape(-1, 8, 8).copy()
    blurred[:, :, 1:-1] = (blurred[:, :, :-2] + blurred[:, :, 1:-1] + blurred[:, :, 2:]) / 3
    assert image_sharpness(blurred) < image_sharpness(X)
    with pytest.raises(ValueError, match="image_shape"):
        image_sharpness(np.zeros((2, 10)))


# --------------------------------------------------------------------------- the model's terms
def test_losses_equal_their_formulas_on_hand_made_input():
    model = _small(beta=0.7, pixel_weight=0.5, feature_weight=2.0, adversarial_weight=3.0)
    X = torch.tensor(np.random.default_rng(2).random((5, 64)), dtype=torch.float32)
    terms = model.losses(X, random_state=9)
    # the same noise, drawn by hand: eps for z ~ q(z|x), then z_p ~ N(0, I)
    g = make_generator(9)
    eps = torch.randn(5, 3, generator=g)
    z_p = torch.randn(5, 3, generator=g)
    with torch.no_grad():
        mu, logvar = model.encoder(X).chunk(2, dim=-1)
        z = mu + torch.exp(0.5 * logvar) * eps
        logits = model.decoder(z)
        x_tilde, x_p = torch.sigmoid(logits), torch.sigmoid(model.decoder(z_p))
        q = Independent(Normal(mu, torch.exp(0.5 * logvar)), 1)
        prior = Independent(Normal(torch.zeros_like(mu), torch.ones_like(mu)), 1)
        kl = kl_divergence(q, prior).mean()
        # the cross-entropy of grey levels: Bernoulli's log-mass formula, not validated for 0/1 values
        pixel = -Independent(Bernoulli(logits=logits, validate_args=False), 1).log_prob(X).mean()
        h = lambda x: model.discriminator.net[2](model.discriminator.net[1](model.discriminator.net[0](x)))
        h = lambda x, f=h: model.discriminator.net[3](f(x))  # second hidden layer (the default feature layer)
        feature = 0.5 * ((h(X) - h(x_tilde)) ** 2).sum(dim=1).mean()
        D = lambda x: torch.sigmoid(model.discriminator(x))
        d_loss = -(torch.log(D(X)).mean() + torch.log(1 - D(x_tilde)).mean() + torch.log(1 - D(x_p)).mean())
        g_loss = -torch.log(D(x_tilde)).mean() - torch.log(D(x_p)).mean()
    for name, value in dict(kl=kl, pixel=pixel, feature=feature, d_loss=d_loss, g_loss=g_loss).items():
        torch.testing.assert_close(terms[name].detach(), value, rtol=1e-5, atol=1e-5, msg=name)
    recon = 0.5 * pixel + 2.0 * feature
    torch.testing.assert_close(terms["encoder"].detach(), 0.7 * kl + recon, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(terms["decoder"].detach(), recon + 3.0 * g_loss, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(terms["discriminator"].detach(), d_loss, rtol=1e-5, atol=1e-5)


def test_without_the_adversarial_terms_the_step_is_the_vae_gradient(digits):
    x = torch.as_tensor(digits[0][:32], dtype=torch.float32)
    vaegan = _small(feature_weight=0.0, adversarial_weight=0.0, random_state=4)
    vae = VAE(64, 3, hidden=(32,), random_state=4)  # the same seed gives the same encoder and decoder
    for a, b in zip(vae.parameters(), [p for n, p in vaegan.named_parameters() if not n.startswith("disc")]):
        torch.testing.assert_close(a, b)
    terms = vaegan.losses(x, random_state=5)
    enc, dec = list(vaegan.encoder.parameters()), list(vaegan.decoder.parameters())
    g_enc = torch.autograd.grad(terms["encoder"], enc, retain_graph=True)
    g_dec = torch.autograd.grad(terms["decoder"], dec)
    vae._generator = make_generator(5)  # the noise of the ELBO's single draw
    loss = vae.loss(x)
    ref = torch.autograd.grad(loss, list(vae.encoder.parameters()) + list(vae.decoder.parameters()))
    for a, b in zip(g_enc + g_dec, ref):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_step_moves_each_network_along_its_own_loss(digits):
    x = torch.as_tensor(digits[0][:64], dtype=torch.float32)
    model = _small(random_state=1)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    out = model.vaegan_step(x, lr=1e-2)
    assert {"kl", "pixel", "feature", "g_loss", "d_loss", "d_real", "d_recon", "d_prior", "loss"} <= set(out)
    moved = {n.split(".")[0] for n, p in model.named_parameters() if not torch.equal(p, before[n])}
    assert moved == {"encoder", "decoder", "discriminator"}
    # a discriminator trained alone on real vs generated digits learns to tell them apart
    frozen = _small(random_state=1, lr_d=1e-2)
    start = float(frozen.losses(x, random_state=0)["d_loss"].detach())
    opt = torch.optim.Adam(frozen.discriminator.parameters(), lr=1e-2)
    for _ in range(30):
        loss = frozen.losses(x, random_state=0)["discriminator"]
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(frozen.losses(x, random_state=0)["d_loss"].detach()) < 0.5 * start


# --------------------------------------------------------------------------- API
def test_shapes_and_sampling(digits):
    model = _small().fit(digits[0][:200], n_epochs=2)
    X = digits[1][:5]
    mu, logvar = model.encode(X)
    assert mu.shape == logvar.shape == (5, 3)
    assert model.decode(mu).shape == (5, 64)
    assert model.reconstruct(X).shape == (5, 64)
    assert model.discriminator_features(X).shape == (5, 16)
    assert model.elbo(X).shape == (5,)
    assert model.iwae_bound(X, k=10, random_state=0).shape == (5,)
    S = model.sample(6)
    assert isinstance(S, torch.Tensor) and S.shape == (6, 64)
    assert float(S.min()) >= 0 and float(S.max()) <= 1 and not torch.all((S == 0) | (S == 1))  # generator means
    S2, z = model.sample(6, return_latent=True)
    assert S2.shape == (6, 64) and z.shape == (6, 3)
    torch.testing.assert_close(model.decode(z), S2)
    assert not torch.equal(model.sample(6), model.sample(6))
    binary = model.sample(6, mean=False)
    assert torch.all((binary == 0) | (binary == 1))
    assert set(model.history_) >= {"kl", "pixel", "feature", "g_loss", "d_loss", "d_real", "loss"}
    assert all(len(v) == 2 for v in model.history_.values())
    assert not hasattr(model, "log_prob")


def test_same_seed_same_fit_and_state_dict_round_trip(digits):
    a = _small(random_state=3).fit(digits[0][:200], n_epochs=2, batch_size=50)
    b = _small(random_state=3).fit(digits[0][:200], n_epochs=2, batch_size=50)
    torch.testing.assert_close(a.sample(5, random_state=1), b.sample(5, random_state=1))
    np.testing.assert_array_equal(a.history_["d_loss"], b.history_["d_loss"])
    c = _small(random_state=4).fit(digits[0][:200], n_epochs=2, batch_size=50)
    assert not torch.equal(a.sample(5, random_state=1), c.sample(5, random_state=1))
    buffer = io.BytesIO()
    torch.save(a.state_dict(), buffer)
    buffer.seek(0)
    clone = _small(random_state=99)
    clone.load_state_dict(torch.load(buffer, weights_only=True))
    torch.testing.assert_close(clone.sample(5, random_state=1), a.sample(5, random_state=1))
    torch.testing.assert_close(clone.discriminator(torch.zeros(2, 64)), a.discriminator(torch.zeros(2, 64)))


def test_bad_input_is_refused(digits):
    X = digits[0][:50].copy()
    model = _small()
    with pytest.raises(ValueError, match=r"X must lie in \[0, 1\].*bernoulli"):
        model.fit(X * 3)
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.fit(X)
    with pytest.raises(ValueError, match="64"):
        model.fit(digits[0][:, :10])
    with pytest.raises(ValueError, match="pixel_weight and feature_weight"):
        _small(pixel_weight=0.0, feature_weight=0.0)
    with pytest.raises(ValueError, match="feature_layer"):
        _small(feature_layer=3)
    with pytest.raises(ValueError, match="adversarial_weight"):
        _small(adversarial_weight=-1.0)
    with pytest.raises(ValueError, match="betas"):
        _small(betas=0.5)
    with pytest.raises(TypeError, match="callback"):
        model.fit(digits[0][:50], n_epochs=1, callback=3)


# --------------------------------------------------------------------------- what the hybrid buys
def test_the_adversarial_term_gives_sharper_samples_closer_to_the_data(digits):
    """The chapter's claim, measured: on the same digits, with the same networks, seed and
    epochs, the VAE-GAN's samples are sharper (neighbouring-pixel contrast nearer the data's)
    and nearer the data in Fréchet distance (pixel space) than those of the same model
    trained without the adversarial and feature terms (exactly the VAE's gradient)."""
    train, test = digits
    kwargs = dict(hidden=(128,), disc_hidden=(128,), random_state=0)
    fit = dict(n_epochs=12, batch_size=64, lr=2e-3)
    vae = VAEGAN(64, 8, adversarial_weight=0.0, feature_weight=0.0, **kwargs).fit(train, **fit)
    hybrid = VAEGAN(64, 8, **kwargs).fit(train, **fit)
    s_vae, s_hyb = (m.sample(1000, random_state=0).numpy() for m in (vae, hybrid))
    sharp_data, sharp_vae, sharp_hyb = image_sharpness(test), image_sharpness(s_vae), image_sharpness(s_hyb)
    assert sharp_vae < sharp_hyb <= 1.2 * sharp_data
    assert sharp_hyb - sharp_vae > 0.2 * (sharp_data - sharp_vae)
    fd_vae, fd_hyb = frechet_distance(test, s_vae), frechet_distance(test, s_hyb)
    assert fd_hyb < 0.8 * fd_vae
    # ... and the discriminator ended up fooled part of the time, as a balanced game should
    assert 0.05 < hybrid.history_["d_prior"][-1] < 0.95
