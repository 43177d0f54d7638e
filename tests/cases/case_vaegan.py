"""Conformance case of the VAE-GAN (registry key "vaegan"): grey 8x8 digits in [0, 1]."""

from case_autoencoder import make_data  # noqa: F401 (the same grey digits as the autoencoder's case)

KEY = "vaegan"


def make_model(random_state):
    from genlib.neural.vaegan import VAEGAN

    return VAEGAN(64, 2, hidden=(16,), disc_hidden=(16,), random_state=random_state)


def bad_inputs(train):
    X = train.copy()
    X[0, 0] = float("nan")
    # NaN, an extra leading axis, and values outside [0, 1] for the Bernoulli likelihood
    return [(X, ["X", "NaN"]), (train[None, ...], ["X"]), (train * 2, ["X", "[0, 1]", "bernoulli"])]
