"""Tests of genlib.neural.vae against torch.distributions, Monte Carlo and exact PPCA likelihoods."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA
from torch.distributions import Bernoulli, Independent, MultivariateNormal, Normal, kl_divergence

from genlib.datasets import load_digits
from genlib.neural import VAE
from genlib.neural.training import make_generator
from genlib.neural.vae import gaussian_kl, log_bernoulli, log_normal, log_standard_normal


@pytest.fixture(scope="module")
def binary_digits():
    X, _ = load_digits(binary=True)
    return X[:400]


@pytest.fixture(scope="module")
def trained(binary_digits):
    return VAE(64, 4, hidden=(64,), random_state=0).fit(binary_digits, n_epochs=30)


def _diag_normal(mu, logvar):
    return Independent(Normal(mu, torch.exp(0.5 * logvar)), 1)


def test_closed_form_kl_equals_torch_and_monte_carlo():
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(4, 3, generator=g, dtype=torch.float64)
    logvar = torch.randn(4, 3, generator=g, dtype=torch.float64)
    q, p = _diag_normal(mu, logvar), _diag_normal(torch.zeros_like(mu), torch.zeros_like(mu))
    kl = gaussian_kl(mu, logvar)
    torch.testing.assert_close(kl, kl_divergence(q, p))
    # Monte Carlo: KL = E_q[log q(z) - log p(z)], within 5 standard errors
    z = q.sample((200_000,))
    terms = q.log_prob(z) - p.log_prob(z)  # (S, 4)
    se = terms.std(dim=0) / np.sqrt(len(z))
    assert torch.all((terms.mean(dim=0) - kl).abs() < 5 * se)


def test_log_densities_equal_torch_distributions():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(6, 5, generator=g, dtype=torch.float64)
    mu = torch.randn(6, 5, generator=g, dtype=torch.float64)
    logvar = torch.randn(6, 5, generator=g, dtype=torch.float64)
    torch.testing.assert_close(log_normal(x, mu, logvar), _diag_normal(mu, logvar).log_prob(x))
    torch.testing.assert_close(log_standard_normal(x), Independent(Normal(0.0, torch.ones_like(x)), 1).log_prob(x))
    logits = 3 * torch.randn(6, 5, generator=g, dtype=torch.float64)
    b = (torch.rand(6, 5, generator=g) < 0.5).double()
    torch.testing.assert_close(log_bernoulli(b, logits), Independent(Bernoulli(logits=logits), 1).log_prob(b))


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_model_log_likelihood_equals_torch_distributions(likelihood, binary_digits):
    vae = VAE(64, 3, hidden=(16,), likelihood=likelihood, random_state=0)
    if likelihood == "gaussian":
        with torch.no_grad():
            vae.log_sigma.fill_(-0.7)
    x = torch.as_tensor(binary_digits[:8], dtype=torch.float32)
    z = torch.randn(5, 8, 3, generator=torch.Generator().manual_seed(0))
    out = vae.decoder(z)
    if likelihood == "bernoulli":
        ref = Independent(Bernoulli(logits=out), 1).log_prob(x)
        torch.testing.assert_close(vae.decode(z), torch.sigmoid(out))
    else:
        ref = Independent(Normal(out, torch.full_like(out, np.exp(-0.7))), 1).log_prob(x)
        assert vae.sigma == pytest.approx(np.exp(-0.7))
    torch.testing.assert_close(vae.log_likelihood(x, z), ref)


def test_elbo_terms_match_a_manual_reparameterised_estimate(binary_digits):
    vae = VAE(64, 3, hidden=(16,), random_state=0)
    x = torch.as_tensor(binary_digits[:10], dtype=torch.float32)
    terms = vae.elbo_terms(x, n_samples=7, random_state=3)
    # the reference: encoder output -> torch.distributions, with the same noise
    mu, logvar = vae.encoder(x).chunk(2, dim=-1)
    eps = torch.randn((7, 10, 3), generator=torch.Generator().manual_seed(3))
    z = mu + torch.exp(0.5 * logvar) * eps
    recon = Independent(Bernoulli(logits=vae.decoder(z)), 1).log_prob(x).mean(dim=0)
    kl = kl_divergence(_diag_normal(mu, logvar), _diag_normal(torch.zeros_like(mu), torch.zeros_like(mu)))
    torch.testing.assert_close(terms["reconstruction"], recon)
    torch.testing.assert_close(terms["kl"], kl)
    torch.testing.assert_close(vae.elbo(x, n_samples=7, random_state=3), recon - kl)


def test_one_sample_iwae_is_an_unbiased_elbo_estimate(trained, binary_digits):
    x = torch.as_tensor(binary_digits[:3], dtype=torch.float32).repeat(4000, 1)  # (12000, 64)
    with torch.no_grad():
        l1 = trained.iwae_bound(x, 1, random_state=0).reshape(4000, 3)
        elbo = trained.elbo(binary_digits[:3], n_samples=4000, random_state=1)
    se = l1.std(dim=0) / np.sqrt(4000)
    assert torch.all((l1.mean(dim=0) - elbo).abs() < 5 * se)


def test_iwae_bound_is_above_the_elbo_and_grows_with_k(trained, binary_digits):
    x = np.tile(binary_digits[:200], (10, 1))  # 10 independent estimates per example
    with torch.no_grad():
        elbo = trained.elbo(x, n_samples=100, random_state=0).mean().item()
        bounds = [trained.iwae_bound(x, k, random_state=0).mean().item() for k in (2, 5, 50)]
    # the gaps (about 0.1 nat and more) are many standard errors (< 0.02) wide
    assert elbo + 0.05 < bounds[0] < bounds[1] - 0.03 < bounds[2] - 0.06
    assert trained.iwae_bound(x[:3], 2).shape == (3,)


def test_linear_gaussian_vae_iwae_approaches_the_exact_ppca_likelihood():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(5, 2))
    X = rng.normal(size=(400, 2)) @ W.T + 0.5 * rng.normal(size=(400, 5)) + 1.0
    vae = VAE(5, 2, hidden=(), likelihood="gaussian", random_state=0).double()  # linear maps: PPCA
    vae.fit(X, n_epochs=300, batch_size=400, lr=0.03)
    # exact log p(x) = log N(x | b, W W^T + sigma^2 I) of the decoder's linear-Gaussian model
    lin = vae.decoder[0]
    C = lin.weight @ lin.weight.T + vae.sigma ** 2 * torch.eye(5, dtype=torch.float64)
    exact = MultivariateNormal(lin.bias, C).log_prob(torch.as_tensor(X)).mean().item()
    # trained by the ELBO, the model reaches the maximum-likelihood PPCA (sklearn's PCA.score)
    assert exact == pytest.approx(PCA(2).fit(X).score(X), abs=0.01)
    with torch.no_grad():
        elbo = vae.elbo(X, n_samples=500, random_state=0).mean().item()
        iwae = vae.iwae_bound(X, 5000, random_state=0).mean().item()
    assert elbo < exact - 0.005  # a diagonal q cannot match the posterior exactly
    assert abs(iwae - exact) < 0.003 < exact - elbo


def test_a_few_optimisation_steps_raise_the_elbo(binary_digits):
    vae = VAE(64, 2, hidden=(32,), random_state=0)
    x = torch.as_tensor(binary_digits[:32], dtype=torch.float32)
    before = vae.elbo(x, n_samples=50, random_state=0).mean().item()
    opt = torch.optim.Adam(vae.parameters(), lr=1e-2)
    for _ in range(10):
        loss = -vae.elbo(x).mean()  # the chapter's loop
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert vae.elbo(x, n_samples=50, random_state=0).mean().item() > before + 1.0


def test_beta_weights_the_kl_term_of_the_loss(binary_digits):
    x = binary_digits[:16]
    vae = VAE(64, 2, hidden=(16,), random_state=0)
    for beta in (0.0, 1.0, 4.0):
        vae.beta = beta
        vae._generator = make_generator(5)  # loss draws from the model's generator
        terms = vae.elbo_terms(x, random_state=5)
        expected = -(terms["reconstruction"] - beta * terms["kl"]).mean()
        torch.testing.assert_close(vae.loss(x), expected)
    with pytest.raises(ValueError, match="beta"):
        vae.beta = -1.0


def test_iwae_objective_trains(binary_digits):
    x = binary_digits[:100]  # one chunk of iwae_bound, so the noise is drawn alike
    vae = VAE(64, 2, hidden=(32,), objective="iwae", n_samples=5, random_state=0)
    before = vae.iwae_bound(x, 5, random_state=0).mean().item()
    vae._generator = make_generator(1)
    torch.testing.assert_close(vae.loss(x), -vae.iwae_bound(x, 5, random_state=1).mean())
    vae.fit(x, n_epochs=3)
    assert vae.iwae_bound(x, 5, random_state=0).mean().item() > before


def test_sample(trained):
    x, z = trained.sample(500, random_state=0, return_latent=True)
    assert x.shape == (500, 64) and z.shape == (500, 4)
    assert set(torch.unique(x).tolist()) <= {0.0, 1.0}  # Bernoulli draws are binary
    m = trained.sample(500, random_state=0, mean=True)
    torch.testing.assert_close(m, trained.decode(z))  # same z, the decoder's mean
    assert torch.equal(trained.sample(5, random_state=2), trained.sample(5, random_state=2))
    assert not torch.equal(trained.sample(20), trained.sample(20))
    # the pixel frequencies of many draws estimate the means
    assert abs(x.mean().item() - m.mean().item()) < 0.02


def test_gaussian_sample_adds_decoder_noise():
    vae = VAE(6, 2, hidden=(8,), likelihood="gaussian", sigma=0.3, random_state=0)
    vae.fit(np.zeros((8, 6)), n_epochs=1)  # any weights do; sample() refuses an untrained model
    x, z = vae.sample(20_000, random_state=0, return_latent=True)
    resid = x - vae.decode(z)
    assert resid.std().item() == pytest.approx(0.3, rel=0.02)
    assert "log_sigma" in vae.state_dict() and not any(n == "log_sigma" for n, _ in vae.named_parameters())


def test_is_not_a_density_model():
    vae = VAE(4, 2, hidden=(4,))
    assert not hasattr(vae, "log_prob") and not hasattr(vae, "score")


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_same_seed_same_fit_and_state_dict_round_trip(likelihood, binary_digits):
    x = binary_digits[:100]
    a = VAE(64, 2, hidden=(16,), likelihood=likelihood, random_state=3).fit(x, n_epochs=2)
    b = VAE(64, 2, hidden=(16,), likelihood=likelihood, random_state=3).fit(x, n_epochs=2)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)
    buffer = io.BytesIO()
    torch.save(a.state_dict(), buffer)
    buffer.seek(0)
    c = VAE(64, 2, hidden=(16,), likelihood=likelihood, random_state=0)
    c.load_state_dict(torch.load(buffer, weights_only=True))
    torch.testing.assert_close(c.elbo(x, random_state=1), a.elbo(x, random_state=1))
    torch.testing.assert_close(c.iwae_bound(x, 10, random_state=1), a.iwae_bound(x, 10, random_state=1))
    torch.testing.assert_close(c.sample(5, random_state=1), a.sample(5, random_state=1))


def test_bad_input_is_refused(binary_digits):
    vae = VAE(64, 2, hidden=(8,), random_state=0)
    with pytest.raises(ValueError, match=r"X must lie in \[0, 1\].*likelihood='gaussian'"):
        vae.fit(binary_digits * 2)
    with pytest.raises(ValueError, match="X must be 2-D"):
        vae.elbo(binary_digits[None])
    with pytest.raises(ValueError, match="X has 10 feature"):
        vae.iwae_bound(binary_digits[:, :10])
    bad = binary_digits.copy()
    bad[1, 1] = np.inf
    with pytest.raises(ValueError, match="X contains"):
        vae.fit(bad)
    with pytest.raises(ValueError, match="k must be"):
        vae.iwae_bound(binary_digits, 0)
    with pytest.raises(ValueError, match="likelihood"):
        VAE(64, 2, likelihood="poisson")
    with pytest.raises(ValueError, match="sigma"):
        VAE(64, 2, sigma=0.5)
    with pytest.raises(ValueError, match="sigma"):
        VAE(64, 2, likelihood="gaussian", sigma=0.0)
    with pytest.raises(ValueError, match="beta=1"):
        VAE(64, 2, objective="iwae", beta=0.5)
    with pytest.raises(ValueError, match="objective"):
        VAE(64, 2, objective="wake-sleep")


def test_a_training_loop_of_the_readers_own_counts_as_training():
    """sample() refuses an untrained VAE; the chapter's own loop (an optimiser changing the weights)
    makes it fitted, as fit does, and so does loading a trained state into a fresh instance."""
    from genlib.base import NotFittedError

    X = torch.as_tensor((np.random.default_rng(0).random((32, 6)) > 0.5).astype(np.float32))
    vae = VAE(6, 2, hidden=(8,), random_state=0)
    with pytest.raises(NotFittedError, match="not fitted"):
        vae.sample(2)
    vae.decode(torch.zeros(1, 2))  # the networks stay usable from initialisation
    opt = torch.optim.Adam(vae.parameters(), lr=1e-2)
    loss = vae.loss(X)
    opt.zero_grad()
    loss.backward()
    opt.step()
    assert vae.fitted_ and vae.sample(2).shape == (2, 6)
    fresh = VAE(6, 2, hidden=(8,), random_state=1)
    fresh.load_state_dict(vae.state_dict())
    assert fresh.fitted_ and fresh.sample(2).shape == (2, 6)
