"""Conformance case of the GAN (genlib.neural.gan.GAN) on the 8-Gaussian ring."""

from genlib.datasets import make_rings

KEY = "gan"


def make_model(random_state):
    from genlib.neural import GAN

    return GAN(n_features=2, latent_dim=2, hidden=(16, 16), n_steps=15, batch_size=32, random_state=random_state)


def make_data():
    X, _ = make_rings(160, random_state=0)
    X_test, _ = make_rings(40, random_state=1)
    return {"train": X, "test": X_test}


def bad_inputs(train):
    import numpy as np

    nan = np.array(train, copy=True)
    nan[0, 0] = np.nan
    return [(nan, ["X", "NaN"]), (train[None], ["X", "2-D"]), (train[:, :1], ["X", "feature"])]
