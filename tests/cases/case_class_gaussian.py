"""Conformance case of the class-conditional Gaussian (generative classifier, overview chapter)."""

import numpy as np

from genlib.classic import ClassConditionalGaussian
from genlib.datasets import make_blobs

KEY = "class_gaussian"


def make_model(random_state):
    return ClassConditionalGaussian(covariance="full", random_state=random_state)


def make_data():
    X, y = make_blobs(240, random_state=0)
    return {"train": X[:180], "test": X[180:], "fit_kwargs": {"y": y[:180]}}


def bad_inputs(train):
    X = np.array(train, dtype=float, copy=True)
    X[0, 0] = np.nan
    return [
        (X, ["X", "NaN"]),
        (np.asarray(train)[None, ...], ["X", "2-D"]),
        (np.asarray(train)[:, 0], ["X", "2-D", "reshape"]),
    ]
