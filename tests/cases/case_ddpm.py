"""Conformance case of the denoising diffusion model (registry key "ddpm") on 8x8 digits (17 grey levels)."""

from genlib.datasets import load_digits

KEY = "ddpm"


def make_model(random_state):
    from genlib.neural import DDPM

    return DDPM(8, n_timesteps=10, channels=(4, 8), emb_dim=8, data_levels=17, random_state=random_state)


def make_data():
    X, _ = load_digits(as_images=True)  # (1797, 8, 8) in [0, 1], levels k / 16
    return {"train": X[:64], "test": X[64:80], "fit_kwargs": {"n_epochs": 1, "batch_size": 32}}


def bad_inputs(train):
    import numpy as np

    nan = np.array(train, copy=True)
    nan[0, 0, 0] = np.nan
    return [
        (nan, ["X", "NaN"]),
        (train[None], ["X", "channel"]),  # an extra leading axis: (1, n, 8, 8)
        (np.zeros((4, 28, 28)), ["X", "image_size=8"]),  # MNIST-sized images for an 8x8 model
        (train * 16, ["X", "[0, 1]"]),  # raw 0..16 grey levels
    ]
