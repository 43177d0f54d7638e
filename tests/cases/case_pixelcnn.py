"""Conformance case of the PixelCNN (registry key "pixelcnn"): binarised 8x8 digits, flattened."""

from genlib.datasets import load_digits

KEY = "pixelcnn"


def make_model(random_state):
    from genlib.neural import PixelCNN

    return PixelCNN(8, n_filters=8, n_layers=1, random_state=random_state)


def make_data():
    X, _ = load_digits(binary=True)
    return {"train": X[:150], "test": X[150:200], "fit_kwargs": {"n_epochs": 2, "batch_size": 50}}


def bad_inputs(train):
    import numpy as np

    nan = train.copy()
    nan[0, 0] = float("nan")
    return [
        (nan, ["X", "NaN"]),
        (train[None, ...], ["X", "image_size=(8, 8)"]),  # an extra leading axis reads as one 150x64 image
        (train * 0.5, ["X", "binary"]),  # grey pixels for a Bernoulli model
        (np.zeros((4, 28, 28)), ["X", "28x28", "image_size=(8, 8)"]),  # MNIST-sized images for an 8x8 model
    ]
