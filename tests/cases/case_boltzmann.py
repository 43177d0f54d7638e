"""Conformance case of the Boltzmann machine (registry key "boltzmann")."""

import numpy as np

KEY = "boltzmann"


def _patterns(n, seed):
    # Two prototypes of 6 bits, each bit flipped with probability 0.1.
    rng = np.random.default_rng(seed)
    protos = np.array([[1, 1, 1, 0, 0, 0], [0, 0, 1, 1, 1, 1]], dtype=float)
    X = protos[rng.integers(0, 2, n)]
    flip = rng.random(X.shape) < 0.1
    return np.where(flip, 1 - X, X)


def make_model(random_state):
    from genlib.energy import BoltzmannMachine

    return BoltzmannMachine(6, 3, n_epochs=10, learning_rate=0.2, n_sample_steps=20,
                            random_state=random_state, device="cpu")


def make_data():
    return {"train": _patterns(60, 0), "test": _patterns(20, 1)}


def bad_inputs(train):
    nan = np.array(train, dtype=float, copy=True)
    nan[0, 0] = np.nan
    grey = np.array(train, dtype=float, copy=True)
    grey[0, 0] = 0.5
    return [
        (nan, ["X", "NaN"]),
        (np.asarray(train)[None, ...], ["X", "2-D"]),
        (grey, ["X", "binary"]),
        (np.asarray(train)[:, :4], ["X", "feature"]),
    ]
