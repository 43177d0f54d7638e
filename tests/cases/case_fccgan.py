"""Conformance case of the FCC-GAN (genlib.neural.fccgan.FCCGAN) on 8x8 digits."""

from genlib.datasets import load_digits

KEY = "fccgan"


def make_model(random_state):
    from genlib.neural import FCCGAN

    return FCCGAN(image_size=8, latent_dim=8, n_filters=4, fc_hidden=(8, 16), n_steps=10, batch_size=16,
                  random_state=random_state)


def make_data():
    X, _ = load_digits(as_images=True)  # (1797, 8, 8) in [0, 1]
    return {"train": X[:96], "test": X[96:128]}


def bad_inputs(train):
    import numpy as np

    nan = np.array(train, copy=True)
    nan[0, 0, 0] = np.nan
    return [
        (nan, ["X", "NaN"]),
        (train[None], ["X", "channel"]),  # an extra leading axis: (1, n, 8, 8)
        (np.zeros((4, 28, 28)), ["X", "image_size=8"]),  # MNIST-sized images for an 8x8 model
        (train.reshape(len(train), -1)[:, :60], ["X", "pixels"]),  # flat rows of the wrong width
        (train * 16, ["X", "[0, 1]"]),  # raw 0..16 grey levels
    ]
