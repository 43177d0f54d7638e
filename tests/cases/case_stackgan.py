"""Conformance case of the StackGAN (genlib.neural.stackgan.StackedGAN) on captioned 8x8 digits.

The captions travel as ``fit_kwargs`` (token ids, as ``genlib.datasets.captions.encode_captions`` makes
them; caption strings work the same), as the cGAN's case passes its labels.
"""

from genlib.datasets.captions import load_digit_captions

KEY = "stackgan"
_DATA = load_digit_captions()  # (1797, 8, 8) in [0, 1], one caption each


def make_model(random_state):
    from genlib.neural import StackedGAN

    return StackedGAN(8, latent_dim=4, embed_dim=4, cond_dim=3, text_dim=2, n_filters=2, n_steps=10,
                      batch_size=16, random_state=random_state)


def make_data():
    return {"train": _DATA["images"][:96], "test": _DATA["images"][96:128],
            "fit_kwargs": {"captions": _DATA["tokens"][:96]}}


def bad_inputs(train):
    import numpy as np

    nan = np.array(train, copy=True)
    nan[0, 0, 0] = np.nan
    return [
        (nan, ["X", "NaN"]),
        (train[None], ["X", "channel"]),  # an extra leading axis: (1, n, 8, 8)
        (np.zeros((96, 28, 28)), ["X", "image_size=8"]),  # MNIST-sized images for an 8x8 model
        (train * 16, ["X", "[0, 1]"]),  # raw 0..16 grey levels
        (train[:50], ["captions", "50"]),  # fewer images than captions
    ]
