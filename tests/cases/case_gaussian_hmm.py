"""Conformance case of the Gaussian hidden Markov model (chapter 02_ml/02_hmm)."""

import numpy as np

from genlib.classic import GaussianHMM

KEY = "gaussian_hmm"


def make_model(random_state):
    return GaussianHMM(2, covariance_type="full", n_init=2, max_iter=30, random_state=random_state)


def make_data():
    truth = GaussianHMM.from_parameters([0.5, 0.5], [[0.9, 0.1], [0.15, 0.85]], [[0.0, 0.0], [3.0, 1.0]],
                                        [np.eye(2), [[1.0, 0.5], [0.5, 1.0]]], random_state=0)
    X = truth.sample(500)  # (500, 2)
    return {
        "train": X[:300], "test": X[300:],
        "fit_kwargs": {"lengths": [100, 200]}, "score_kwargs": {"lengths": [50, 150]},
    }


def bad_inputs(train):
    X = np.array(train, dtype=float, copy=True)
    X[0, 0] = np.nan
    return [
        (X, ["X", "NaN"]),
        (np.asarray(train)[None, ...], ["X", "2-D"]),
        (np.asarray(train)[:, 0], ["X", "2-D", "reshape"]),
    ]
