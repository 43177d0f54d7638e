"""Conformance case of the autoencoder (registry key "autoencoder"): small MLP on 8x8 digits."""

from genlib.datasets import load_digits

KEY = "autoencoder"


def make_model(random_state):
    from genlib.neural import Autoencoder

    return Autoencoder(64, 2, hidden=(16,), random_state=random_state)


def make_data():
    X, _ = load_digits()
    return {"train": X[:150], "test": X[150:200], "fit_kwargs": {"n_epochs": 2, "batch_size": 50}}


def bad_inputs(train):
    X = train.copy()
    X[0, 0] = float("nan")
    # NaN, an extra leading axis, and grey values outside [0, 1] for the cross-entropy loss
    return [(X, ["X"]), (train[None, ...], ["X"]), (train * 16, ["X", "[0, 1]"])]
