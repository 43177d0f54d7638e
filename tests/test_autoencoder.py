"""Tests of genlib.neural.autoencoder against independent references (torch losses, PCA)."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from genlib.datasets import load_digits
from genlib.neural import Autoencoder


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits()
    return X[:300], y[:300]


@pytest.mark.parametrize("architecture, n_input, shape", [("mlp", 64, None), ("conv", 64, None),
                                                          ("conv", 784, None), ("conv", 96, (8, 12))])
def test_shapes(architecture, n_input, shape):
    ae = Autoencoder(n_input, 3, architecture=architecture, image_shape=shape, random_state=0)
    X = torch.rand(5, n_input)
    z = ae.encode(X)
    assert z.shape == (5, 3)
    xh = ae.decode(z).detach()
    assert xh.shape == (5, n_input) and float(xh.min()) >= 0 and float(xh.max()) <= 1
    assert ae.reconstruct(X).shape == (5, n_input)
    assert ae.reconstruction_loss(X).shape == (5,)


def test_reconstruction_losses_match_torch(digits):
    X = torch.as_tensor(digits[0][:20], dtype=torch.float32)
    ae = Autoencoder(64, 2, hidden=(16,), loss="bce", random_state=0)
    xh = ae.reconstruct(X)
    ref = torch.nn.functional.binary_cross_entropy(xh, X, reduction="none").sum(dim=1)
    torch.testing.assert_close(ae.reconstruction_loss(X), ref, rtol=1e-4, atol=1e-4)
    assert ae.loss(X).item() == pytest.approx(ref.mean().item(), rel=1e-4)
    ae = Autoencoder(64, 2, hidden=(16,), loss="mse", random_state=0)
    ref = torch.nn.functional.mse_loss(ae.reconstruct(X), X, reduction="none").sum(dim=1)
    torch.testing.assert_close(ae.reconstruction_loss(X), ref)


def test_linear_autoencoder_finds_the_principal_subspace():
    # a linear autoencoder trained with squared error spans the top principal subspace
    # (Baldi & Hornik 1989): its error approaches PCA's, which is the optimum.
    rng = np.random.default_rng(0)
    W = rng.normal(size=(6, 2)) * [3.0, 2.0]
    X = rng.normal(size=(300, 2)) @ W.T + 0.3 * rng.normal(size=(300, 6)) + 1.0
    ae = Autoencoder(6, 2, hidden=(), loss="mse", random_state=0)
    ae.fit(X, n_epochs=400, batch_size=300, lr=0.05)
    err_ae = ae.reconstruction_loss(X).mean().item()
    pca = PCA(2).fit(X)
    err_pca = ((pca.inverse_transform(pca.transform(X)) - X) ** 2).sum(axis=1).mean()
    assert err_pca - 1e-3 <= err_ae <= 1.01 * err_pca
    # same subspace: the decoder's columns lie in the span of PCA's components
    V = ae.decoder[0].weight.detach().numpy().astype(float)  # (6, 2)
    P = pca.components_.T @ pca.components_
    assert np.linalg.norm(V - P @ V) / np.linalg.norm(V) < 0.01


def test_training_lowers_the_loss_and_fits_the_code_gaussian(digits):
    X = digits[0]
    ae = Autoencoder(64, 2, hidden=(32,), random_state=0)
    before = ae.loss(X).item()
    out = ae.fit(X, n_epochs=5)
    assert out is ae and ae.loss(X).item() < before
    assert len(ae.history_["loss"]) == 5
    z = ae.encode(X).detach().numpy().astype(float)
    np.testing.assert_allclose(ae.code_mean.numpy(), z.mean(axis=0), rtol=1e-4, atol=1e-4)
    L = ae.code_scale_tril.numpy().astype(float)
    np.testing.assert_allclose(L @ L.T, np.cov(z.T), rtol=1e-3, atol=1e-4)


def test_sample_draws_from_the_code_gaussian(digits):
    ae = Autoencoder(64, 2, hidden=(32,), random_state=0).fit(digits[0], n_epochs=2)
    x, z = ae.sample(4000, random_state=0, return_latent=True)
    assert x.shape == (4000, 64) and z.shape == (4000, 2)
    torch.testing.assert_close(x, ae.decode(z))
    L = ae.code_scale_tril
    np.testing.assert_allclose(np.cov(z.numpy().T), (L @ L.T).numpy(), rtol=0.1, atol=0.05 * float(L.abs().max()) ** 2)
    assert torch.equal(ae.sample(3, random_state=5), ae.sample(3, random_state=5))
    assert not torch.equal(ae.sample(3), ae.sample(3))


def test_is_not_a_density_model():
    ae = Autoencoder(64, 2)
    assert not hasattr(ae, "log_prob") and not hasattr(ae, "score")


def test_same_seed_same_fit_and_state_dict_round_trip(digits):
    a = Autoencoder(64, 2, hidden=(16,), architecture="mlp", random_state=7).fit(digits[0], n_epochs=2)
    b = Autoencoder(64, 2, hidden=(16,), architecture="mlp", random_state=7).fit(digits[0], n_epochs=2)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)
    buffer = io.BytesIO()
    torch.save(a.state_dict(), buffer)
    buffer.seek(0)
    c = Autoencoder(64, 2, hidden=(16,), random_state=1)
    c.load_state_dict(torch.load(buffer, weights_only=True))
    torch.testing.assert_close(c.encode(digits[0][:5]), a.encode(digits[0][:5]))
    torch.testing.assert_close(c.sample(5, random_state=2), a.sample(5, random_state=2))


def test_conv_autoencoder_trains(digits):
    ae = Autoencoder(64, 4, architecture="conv", channels=(4, 8), random_state=0)
    before = ae.loss(digits[0]).item()
    ae.fit(digits[0], n_epochs=3)
    assert ae.loss(digits[0]).item() < before


def test_bad_input_is_refused(digits):
    X = digits[0]
    ae = Autoencoder(64, 2, random_state=0)
    with pytest.raises(ValueError, match=r"X must lie in \[0, 1\].*loss='mse'"):
        ae.fit(X * 16)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="X contains 1 NaN"):
        ae.fit(Xn)
    with pytest.raises(ValueError, match="X must be 2-D"):
        ae.fit(X[None])
    with pytest.raises(ValueError, match="X has 63 feature"):
        ae.encode(X[:, :63])
    with pytest.raises(ValueError, match="z has 3 feature"):
        ae.decode(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="image_shape"):
        Autoencoder(60, 2, architecture="conv")
    with pytest.raises(ValueError, match="architecture"):
        Autoencoder(64, 2, architecture="rnn")
    with pytest.raises(ValueError, match="loss"):
        Autoencoder(64, 2, loss="l1")
    with pytest.raises(TypeError, match="latent_dim"):
        Autoencoder(64, 2.0)
    with pytest.raises(ValueError, match="not fitted"):
        ae.sample(3)
    ae.fit(np.zeros((8, 64)), n_epochs=1)
    with pytest.raises(ValueError, match="n must be"):
        ae.sample(0)
