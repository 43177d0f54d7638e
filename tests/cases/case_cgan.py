"""Conformance case of the conditional GAN (genlib.neural.cgan.ConditionalGAN) on 8x8 digits."""

from genlib.datasets import load_digits

KEY = "cgan"
_X, _Y = load_digits()  # (1797, 64) in [0, 1], labels 0..9


def make_model(random_state):
    from genlib.neural import ConditionalGAN

    return ConditionalGAN(n_features=64, n_classes=10, latent_dim=8, hidden=(32,), n_steps=10, batch_size=16,
                          random_state=random_state)


def make_data():
    return {"train": _X[:100], "test": _X[100:130], "fit_kwargs": {"y": _Y[:100]}}


def bad_inputs(train):
    import numpy as np

    nan = np.array(train, copy=True)
    nan[0, 0] = np.nan
    return [(nan, ["X", "NaN"]), (train[None], ["X"]), (train[:, :10], ["X", "n_features=64"])]
