"""Conformance case of the categorical hidden Markov model (chapter 02_ml/02_hmm)."""

import numpy as np

from genlib.classic import CategoricalHMM

KEY = "hmm"

_TRUTH = dict(
    startprob=[0.7, 0.3],
    transmat=[[0.9, 0.1], [0.2, 0.8]],
    emissionprob=[[0.6, 0.3, 0.05, 0.05], [0.05, 0.05, 0.4, 0.5]],
)


def make_model(random_state):
    return CategoricalHMM(2, n_features=4, n_init=2, max_iter=200, random_state=random_state)


def make_data():
    truth = CategoricalHMM.from_parameters(**_TRUTH, random_state=0)
    X = truth.sample(600)  # (600, 1) symbols
    return {
        "train": X[:400], "test": X[400:],
        "fit_kwargs": {"lengths": [150, 250]}, "score_kwargs": {"lengths": [120, 80]},
    }


def bad_inputs(train):
    X = np.asarray(train)
    nan = X.astype(float)
    nan[0, 0] = np.nan
    negative = X.copy()
    negative[3, 0] = -1
    fractional = X.astype(float)
    fractional[5, 0] = 1.5
    outside = X.copy()
    outside[7, 0] = 4  # n_features=4: symbols are 0..3
    return [
        (nan, ["X", "NaN"]),
        (X[None, ...], ["X", "one symbol per row"]),
        (negative, ["X", "negative"]),
        (fractional, ["X", "non-integer"]),
        (outside, ["X", "outside the vocabulary", "n_features"]),
    ]
