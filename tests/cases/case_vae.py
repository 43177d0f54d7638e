"""Conformance case of the variational autoencoder (registry key "vae"): binarised 8x8 digits."""

from genlib.datasets import load_digits

KEY = "vae"


def make_model(random_state):
    from genlib.neural import VAE

    return VAE(64, 2, hidden=(16,), random_state=random_state)


def make_data():
    X, _ = load_digits(binary=True)
    return {"train": X[:150], "test": X[150:200], "fit_kwargs": {"n_epochs": 2, "batch_size": 50}}


def bad_inputs(train):
    X = train.copy()
    X[0, 0] = float("nan")
    # NaN, an extra leading axis, and values outside [0, 1] for the Bernoulli likelihood
    return [(X, ["X"]), (train[None, ...], ["X"]), (train * 2, ["X", "[0, 1]", "bernoulli"])]
