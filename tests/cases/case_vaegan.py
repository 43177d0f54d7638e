"""Conformance case of the VAE-GAN (registry key "vaegan"): grey 8x8 digits in [0, 1]."""

from genlib.datasets import load_digits

KEY = "vaegan"


def make_model(random_state):
    from genlib.neural.vaegan import VAEGAN

    return VAEGAN(64, 2, hidden=(16,), disc_hidden=(16,), random_state=random_state)


def make_data():
    X, _ = load_digits()
    return {"train": X[:150], "test": X[150:200], "fit_kwargs": {"epochs": 2, "batch_size": 50}}


def bad_inputs(train):
    X = train.copy()
    X[0, 0] = float("nan")
    # NaN, an extra leading axis, and values outside [0, 1] for the Bernoulli likelihood
    return [(X, ["X", "NaN"]), (train[None, ...], ["X"]), (train * 2, ["X", "[0, 1]", "bernoulli"])]
