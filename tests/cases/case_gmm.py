"""Conformance case of genlib.classic.GaussianMixture (registry key "gmm")."""

import numpy as np

from genlib.classic import GaussianMixture
from genlib.datasets import make_blobs

KEY = "gmm"


def make_model(random_state):
    return GaussianMixture(3, covariance_type="full", max_iter=50, random_state=random_state)


def make_data():
    X, _ = make_blobs(300, random_state=0)
    train, test = X[:240], X[240:]
    return {"train": train, "test": test}


def bad_inputs(train):
    with_nan = np.array(train, dtype=float, copy=True)
    with_nan[0, 0] = np.nan
    with_inf = np.array(train, dtype=float, copy=True)
    with_inf[1, 1] = np.inf
    return [
        (with_nan, ["X", "NaN"]),
        (with_inf, ["X", "infinite"]),
        (np.asarray(train)[:, 0], ["X", "2-D"]),  # 1-D input
        (np.asarray(train)[None, ...], ["X", "2-D"]),  # an extra leading axis
        (np.asarray(train)[:2], ["X", "n_components"]),  # fewer samples than components
    ]
