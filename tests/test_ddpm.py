"""genlib.neural.ddpm and genlib.neural.unet against independent references.

- the closed-form marginal q(x_t | x_0) against Monte Carlo of the step-by-step chain;
- the posterior q(x_{t-1} | x_t, x_0) against Gaussian conditioning of the joint;
- DDIM with eta = 1 over every step is DDPM's ancestral step (variance beta tilde, same mean),
  and the two samplers give the same images from the same noise;
- the exact noise predictor of Gaussian data has the loss its formula says, below others';
- every term of the bound against torch.distributions' KL and SciPy's normal cdf;
- bad input, same seed same result, load-then-fit.
"""

import io
import math

import numpy as np
import pytest
import torch
from scipy.stats import norm
from torch.distributions import Normal, kl_divergence

from genlib._torch import make_generator, randn
from genlib.datasets import load_digits
from genlib.neural import DDPM, UNet
from genlib.neural.ddpm import (beta_schedule, ddim_sigma, ddim_step, discretized_gaussian_log_likelihood,
                                epsilon_loss, normal_kl, posterior_moments, q_sample, timestep_sequence)


def _digits(n=64):
    X, y = load_digits(as_images=True)
    return X[:n], y[:n]


def _tiny(seed=0, T=10, **kw):
    return DDPM(8, n_timesteps=T, channels=(4, 8), emb_dim=8, data_levels=17, random_state=seed, **kw)


# --------------------------------------------------------------------------- schedules
def test_linear_schedule_has_ho_et_al_endpoints_and_cosine_follows_its_formula():
    b = beta_schedule(1000, "linear")
    assert b.shape == (1000,) and b[0] == pytest.approx(1e-4) and b[-1] == pytest.approx(0.02)
    T, s = 200, 0.008
    ab = np.cumprod(1 - beta_schedule(T, "cosine"))
    f = lambda t: np.cos((t / T + s) / (1 + s) * np.pi / 2) ** 2
    expected = f(np.arange(1, T + 1)) / f(0)
    np.testing.assert_allclose(ab[:-1], expected[:-1], rtol=1e-10)  # the last beta is clipped at 0.999
    assert np.all(beta_schedule(T, "cosine") <= 0.999)


def test_timestep_sequence_is_decreasing_distinct_and_spans_1_to_T():
    for T in (10, 1000):
        for steps in (1, 2, 7, T):
            seq = timestep_sequence(T, steps)
            assert len(seq) == steps and len(set(seq)) == steps and seq[0] == T and np.all(np.diff(seq) < 0)
            if steps > 1:
                assert seq[-1] == 1


# --------------------------------------------------------------------------- the forward process
@pytest.mark.parametrize("schedule", ["linear", "cosine"])
def test_forward_marginal_matches_monte_carlo_of_the_chain(schedule):
    model = DDPM(8, n_timesteps=100, schedule=schedule, channels=(4, 8), emb_dim=8, random_state=0)
    betas = model.betas.numpy()
    rng = np.random.default_rng(0)
    n = 40_000
    x0 = np.array([-1.0, 0.3, 1.0])
    x = np.repeat(x0[None], n, axis=0)  # (n, 3): n chains from each starting value
    gen = torch.Generator().manual_seed(1)
    for t in range(1, 101):
        x = np.sqrt(1 - betas[t]) * x + np.sqrt(betas[t]) * rng.normal(size=x.shape)  # q(x_t | x_{t-1})
        if t in (1, 10, 50, 100):
            ab = model.alpha_bar[t]
            closed = q_sample(torch.tensor(x0)[None].expand(n, 3), ab,
                              torch.randn(n, 3, generator=gen, dtype=torch.float64)).numpy()
            var = 1 - float(ab)
            for draws in (x, closed):  # the chain and the closed form have the same mean and variance
                np.testing.assert_allclose(draws.mean(0), np.sqrt(float(ab)) * x0, atol=5 * np.sqrt(var / n))
                np.testing.assert_allclose(draws.var(0), var, rtol=5 * np.sqrt(2 / n))


def test_posterior_matches_gaussian_conditioning_of_the_joint():
    model = _tiny(T=50)
    rng = np.random.default_rng(2)
    x0, xt = torch.tensor(rng.normal(size=5)), torch.tensor(rng.normal(size=5))
    for t in range(2, 51):
        ab_t, ab_s, alpha = model.alpha_bar[t], model.alpha_bar[t - 1], 1 - model.betas[t]
        mean, var = posterior_moments(x0, xt, ab_t, ab_s)
        # joint of (x_{t-1}, x_t) given x0: x_{t-1} = sqrt(ab_s) x0 + sqrt(1 - ab_s) e1, x_t = sqrt(alpha) x_{t-1} + ...
        v = 1 - ab_s
        cov = math.sqrt(alpha) * v
        ref_mean = ab_s.sqrt() * x0 + cov / (1 - ab_t) * (xt - ab_t.sqrt() * x0)
        ref_var = v - cov ** 2 / (1 - ab_t)
        np.testing.assert_allclose(mean.numpy(), ref_mean.numpy(), rtol=1e-10, atol=1e-12)
        assert float(var) == pytest.approx(float(ref_var), rel=1e-9)
        assert float(var) == pytest.approx(float((1 - ab_s) / (1 - ab_t) * model.betas[t]), rel=1e-9)  # beta tilde


# --------------------------------------------------------------------------- DDIM vs DDPM
def test_ddim_with_eta_one_over_every_step_is_the_ddpm_posterior():
    model = _tiny(T=100)
    rng = np.random.default_rng(3)
    x0, eps = torch.tensor(rng.normal(size=6)), torch.tensor(rng.normal(size=6))
    for t in range(2, 101):
        ab_t, ab_s = model.alpha_bar[t], model.alpha_bar[t - 1]
        xt = q_sample(x0, ab_t, eps)
        mean, var = posterior_moments(x0, xt, ab_t, ab_s)
        sigma = ddim_sigma(ab_t, ab_s, 1.0)
        assert float(sigma ** 2) == pytest.approx(float(var), rel=1e-9)  # DDPM's beta tilde
        np.testing.assert_allclose(ddim_step(x0, eps, ab_s, sigma, None).numpy(), mean.numpy(), rtol=1e-9, atol=1e-12)
        assert float(ddim_sigma(ab_t, ab_s, 0.0)) == 0.0  # eta = 0: deterministic


def test_ddpm_and_ddim_eta_one_samplers_agree_and_ddim_eta_zero_is_deterministic():
    model = _tiny(T=20).fit(_digits()[0], n_epochs=1)
    a = model.sample(6, method="ddpm", clip=False, random_state=5)
    b = model.sample(6, method="ddim", eta=1.0, clip=False, random_state=5)
    np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-4)
    # eta = 0: the image is a function of x_T alone; two seeds' x_T differ, one seed repeats
    c1 = model.sample(4, steps=5, method="ddim", random_state=7)
    c2 = model.sample(4, steps=5, method="ddim", random_state=7)
    assert torch.equal(c1, c2)


# --------------------------------------------------------------------------- the objective
def test_exact_noise_predictor_of_gaussian_data_has_the_lowest_loss():
    # data x0 ~ N(m, s^2) per pixel: x_t = a x0 + b eps is Gaussian and E[eps | x_t] = b (x_t - a m) / (a^2 s^2 + b^2),
    # whose expected squared error is 1 - b^2 / (a^2 s^2 + b^2) per pixel.
    model = _tiny(T=100)
    ab = model.alpha_bar.to(torch.float32)
    m, s, B = 0.3, 0.5, 20_000
    g = torch.Generator().manual_seed(0)
    x0 = m + s * torch.randn(B, 1, 8, 8, generator=g)
    t = torch.randint(1, 101, (B,), generator=g)
    eps = torch.randn(B, 1, 8, 8, generator=g)

    def exact(x_t, tt):
        a, b = ab[tt].sqrt().view(-1, 1, 1, 1), (1 - ab[tt]).sqrt().view(-1, 1, 1, 1)
        return b * (x_t - a * m) / (a ** 2 * s ** 2 + b ** 2)

    loss_exact = float(epsilon_loss(exact, x0, t, eps, model.alpha_bar))
    a2, b2 = ab[1:], 1 - ab[1:]
    expected = float((1 - b2 / (a2 * s ** 2 + b2)).mean())  # t uniform on 1..T
    assert loss_exact == pytest.approx(expected, rel=0.02)
    with torch.no_grad():
        losses = {"zero": float(epsilon_loss(lambda x_t, tt: torch.zeros_like(x_t), x0, t, eps, model.alpha_bar)),
                  "x_t itself": float(epsilon_loss(lambda x_t, tt: x_t, x0, t, eps, model.alpha_bar)),
                  "untrained U-Net": float(epsilon_loss(lambda x_t, tt: model.net(x_t, tt), x0, t, eps,
                                                        model.alpha_bar))}
    assert all(loss_exact < v for v in losses.values()), (loss_exact, losses)


def test_training_lowers_the_loss():
    X = _digits(256)[0]
    model = _tiny(T=50).fit(X, n_epochs=8, batch_size=32, lr=3e-3)
    assert model.history_["loss"][-1] < 0.8 * model.history_["loss"][0]


# --------------------------------------------------------------------------- the bound
def test_normal_kl_matches_torch_distributions():
    rng = np.random.default_rng(4)
    m1, m2 = torch.tensor(rng.normal(size=20)), torch.tensor(rng.normal(size=20))
    lv1, lv2 = torch.tensor(rng.normal(size=20)), torch.tensor(rng.normal(size=20))
    ref = kl_divergence(Normal(m1, (0.5 * lv1).exp()), Normal(m2, (0.5 * lv2).exp()))
    np.testing.assert_allclose(normal_kl(m1, lv1, m2, lv2).numpy(), ref.numpy(), rtol=1e-10)


@pytest.mark.parametrize("levels", [2, 17, 256])
def test_discretized_decoder_matches_scipy_and_sums_to_one(levels):
    grid = np.linspace(-1, 1, levels)
    for mean, scale in [(0.1, 0.3), (-0.97, 0.01), (0.999, 1e-3), (5.0, 0.2), (-4.0, 0.05)]:
        x = torch.tensor(grid)
        got = discretized_gaussian_log_likelihood(x, torch.tensor(mean, dtype=torch.float64),
                                                  torch.tensor(math.log(scale), dtype=torch.float64), levels).numpy()
        edges = np.r_[-np.inf, (grid[:-1] + grid[1:]) / 2, np.inf]  # bins around each level, the ends open
        lo, hi = edges[:-1], edges[1:]
        mass = np.where(lo > mean, norm.sf(lo, mean, scale) - norm.sf(hi, mean, scale),  # upper tail: survival
                        norm.cdf(hi, mean, scale) - norm.cdf(lo, mean, scale))
        ref = np.log(np.maximum(mass, 1e-300))
        ok = ref > -600  # where the mass is not below double precision
        np.testing.assert_allclose(got[ok], ref[ok], rtol=1e-6, atol=1e-9)
        assert np.all(np.isfinite(got))
        assert float(torch.logsumexp(torch.tensor(got), 0)) == pytest.approx(0.0, abs=1e-9)
    # far out in a tail, log(Phi(b) - Phi(a)) is still finite and matches log of the survival difference
    far = discretized_gaussian_log_likelihood(torch.tensor([0.0], dtype=torch.float64), torch.tensor(-30.0, dtype=torch.float64),
                                              torch.tensor(0.0, dtype=torch.float64), 256)
    half = 1 / 255
    assert float(far) == pytest.approx(np.log(norm.sf(30 - half) - norm.sf(30 + half)), rel=1e-6)


def test_every_term_of_the_bound_matches_its_formula():
    X = _digits(16)[0]
    model = _tiny(T=8).fit(_digits(64)[0], n_epochs=1)
    b = model.bound(X, random_state=3)
    x0 = torch.tensor(X.reshape(16, 1, 8, 8), dtype=torch.float64) * 2 - 1
    ab, betas = model.alpha_bar, model.betas
    # L_T: KL(q(x_T | x0) || N(0, I)) with torch.distributions
    ref_prior = kl_divergence(Normal(ab[8].sqrt() * x0, (1 - ab[8]).sqrt()), Normal(0.0, 1.0)).sum((1, 2, 3))
    np.testing.assert_allclose(b["prior"].numpy(), ref_prior.numpy(), rtol=1e-9)
    # L_{t-1}: the same draws of x_t as the bound (its generator, in the order t = 1..T)
    g = make_generator(3)
    net = model.ema
    for t in range(1, 9):
        eps = randn(*x0.shape, generator=g, dtype=torch.float64)
        x_t = ab[t].sqrt() * x0 + (1 - ab[t]).sqrt() * eps
        with torch.no_grad():
            eps_hat = net(x_t.float(), torch.full((16,), t)).double()
        x0_hat = (x_t - (1 - ab[t]).sqrt() * eps_hat) / ab[t].sqrt()
        if t == 1:  # -log p(x0 | x1): bins of the 17 levels under N(x0_hat, beta_1), by SciPy
            mu, sd = x0_hat.numpy(), math.sqrt(float(betas[1]))
            x = x0.numpy()
            lo = np.where(x < -1 + 1e-6, -np.inf, x - 1 / 16)
            hi = np.where(x > 1 - 1e-6, np.inf, x + 1 / 16)
            ref = -np.log(norm.cdf(hi, mu, sd) - norm.cdf(lo, mu, sd)).sum((1, 2, 3))
            np.testing.assert_allclose(b["terms"][:, 0].numpy(), ref, rtol=1e-6)
        else:  # KL between the two Gaussians over x_{t-1}, by conditioning (q) and with x0_hat (p)
            v, c = 1 - ab[t - 1], (1 - betas[t]).sqrt() * (1 - ab[t - 1])
            cond_mean = lambda z0: ab[t - 1].sqrt() * z0 + c / (1 - ab[t]) * (x_t - ab[t].sqrt() * z0)
            sd = (v - c ** 2 / (1 - ab[t])).sqrt()
            ref = kl_divergence(Normal(cond_mean(x0), sd), Normal(cond_mean(x0_hat), sd)).sum((1, 2, 3))
            np.testing.assert_allclose(b["terms"][:, t - 1].numpy(), ref.numpy(), rtol=1e-6)
    total = b["prior"] + b["terms"].sum(1)
    np.testing.assert_allclose(b["nats"].numpy(), total.numpy())
    np.testing.assert_allclose(b["bits_per_dim"].numpy(), total.numpy() / (64 * math.log(2)))
    assert bool((b["nats"] > 0).all())  # -log of a probability of discrete data
    report = model.held_out_likelihood(X, random_state=3)
    assert report["likelihood_kind"] == "bound"
    assert report["log_likelihood"] == pytest.approx(-float(b["nats"].mean()))


# --------------------------------------------------------------------------- bad input
def test_bad_input_is_refused_clearly_and_changes_nothing():
    model = _tiny(T=10).fit(_digits()[0], n_epochs=1)
    state = model._generator.get_state()
    for kwargs, words in [
        (dict(steps=0), ["steps", "0"]),
        (dict(steps=11), ["steps", "n_timesteps=10"]),
        (dict(steps=2.5), ["steps"]),
        (dict(method="ddim", eta=-0.1), ["eta"]),
        (dict(method="ddim", eta=1.5), ["eta"]),
        (dict(method="ddpm", eta=0.5), ["eta", "ddim"]),
        (dict(method="euler"), ["method"]),
        (dict(labels=[0, 1]), ["labels", "unconditional"]),
    ]:
        with pytest.raises((ValueError, TypeError)) as info:
            model.sample(2, **kwargs)
        assert all(w in str(info.value) for w in words), (kwargs, str(info.value))
    assert torch.equal(model._generator.get_state(), state)  # refused calls drew nothing
    with pytest.raises(ValueError, match="image_size=8"):
        model.fit(np.zeros((4, 28, 28)))
    with pytest.raises(ValueError, match="image_size=8"):
        model.fit(np.zeros((4, 4, 16)))  # 64 pixels, but not 8x8
    with pytest.raises(ValueError, match="data_levels=17"):
        model.bound(np.full((2, 64), 0.5 / 16))  # between two grey levels
    with pytest.raises(ValueError, match="image_size=10"):
        UNet(10, channels=(4, 8, 16))
    with pytest.raises(ValueError, match="ema_decay"):
        _tiny(ema_decay=1.0)
    with pytest.raises(ValueError, match="schedule"):
        _tiny(schedule="quadratic")


def test_conditional_model_takes_labels_and_refuses_bad_ones():
    X, y = _digits()
    model = _tiny(T=10, n_classes=10).fit(X, y, n_epochs=1)
    assert model.sample(3, labels=[0, 5, 9]).shape == (3, 1, 8, 8)
    with pytest.raises(ValueError, match="labels"):
        model.sample(2, labels=[0, 10])
    with pytest.raises(ValueError, match="y is required"):
        _tiny(T=10, n_classes=10).fit(X)
    with pytest.raises(ValueError, match="one label per image"):
        _tiny(T=10, n_classes=10).fit(X, y[:-1])


def test_unet_for_28x28_has_three_resolutions_and_keeps_the_shape():
    net = UNet(28, channels=(4, 8, 16), emb_dim=8)
    out = net(torch.zeros(2, 1, 28, 28), torch.tensor([1, 500]))
    assert out.shape == (2, 1, 28, 28)
    model = DDPM(28, n_timesteps=5, channels=(4, 8, 16), emb_dim=8, random_state=0)
    X = np.round(np.random.default_rng(0).random((4, 28, 28)) * 16) / 16  # 17 grey levels, as the digits
    model.fit(X, n_epochs=1, batch_size=4)  # sample() refuses an untrained model
    assert model.sample(2, steps=2, method="ddim").shape == (2, 1, 28, 28)


# --------------------------------------------------------------------------- reproducibility
def test_same_seed_same_fit_and_samples_and_load_then_fit_continues():
    X = _digits()[0]
    a, b = _tiny(seed=4).fit(X, n_epochs=1), _tiny(seed=4).fit(X, n_epochs=1)
    tensors = lambda m: {k: v for k, v in m.state_dict().items() if isinstance(v, torch.Tensor)}
    for (k, va), vb in zip(tensors(a).items(), tensors(b).values()):
        assert torch.equal(va, vb), k
    assert torch.equal(a.sample(3, steps=4, method="ddim", random_state=1),
                       b.sample(3, steps=4, method="ddim", random_state=1))
    buffer = io.BytesIO()
    torch.save(a.state_dict(), buffer)
    buffer.seek(0)
    resumed = _tiny(seed=99)
    resumed.load_state_dict(torch.load(buffer, weights_only=True))
    assert resumed.n_updates_ == a.n_updates_ > 0
    a.fit(X, n_epochs=1)
    resumed.fit(X, n_epochs=1)
    for (k, va), vb in zip(tensors(a).items(), tensors(resumed).values()):
        torch.testing.assert_close(vb, va, rtol=1e-6, atol=1e-7, msg=k)
    assert resumed.n_updates_ == a.n_updates_
