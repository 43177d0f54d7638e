"""Conformance case of latent Dirichlet allocation (genlib.classic.lda)."""

import numpy as np

from genlib.classic.lda import LatentDirichletAllocation
from genlib.datasets import make_bars

KEY = "lda"


def make_model(random_state):
    return LatentDirichletAllocation(10, alpha=1.0, beta=0.1, method="blocked", n_iter=30,
                                     random_state=random_state)


def make_data():
    return {
        "train": make_bars(60, doc_length=30, random_state=0)["counts"],
        "test": make_bars(20, doc_length=30, random_state=1)["counts"],
    }


def bad_inputs(train):
    train = np.asarray(train)
    nan = train.astype(float)
    nan[0, 0] = np.nan
    negative = train.copy()
    negative[0, 0] = -1
    fractional = train.astype(float)
    fractional[0, 0] = 0.5
    empty_doc = train.copy()
    empty_doc[1] = 0
    return [
        (nan, ["X", "NaN"]),
        (train[None, ...], ["X", "2-D"]),
        (negative, ["X", "negative"]),
        (fractional, ["X", "non-integer"]),
        (empty_doc, ["X", "empty document"]),
        (np.zeros((5, 0)), ["X", "empty vocabulary"]),
    ]
