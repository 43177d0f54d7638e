"""Conformance case of the deep Boltzmann machine (registry key "dbm")."""

import numpy as np

KEY = "dbm"


def _bars_and_stripes(n, seed):
    # 4x4 images: every row (bars) or every column (stripes) on or off at random.
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, (n, 4)).astype(float)
    bars = np.repeat(bits[:, :, None], 4, axis=2)
    X = np.where(rng.random(n)[:, None, None] < 0.5, bars, bars.transpose(0, 2, 1))
    return X.reshape(n, 16)


def make_model(random_state):
    from genlib.energy import DeepBoltzmannMachine

    return DeepBoltzmannMachine([16, 8, 6], n_epochs=3, pretrain_epochs=3, batch_size=10, n_chains=20,
                                random_state=random_state, device="cpu")


def make_data():
    return {"train": _bars_and_stripes(100, 0), "test": _bars_and_stripes(30, 1)}


def bad_inputs(train):
    nan = np.array(train, dtype=float, copy=True)
    nan[0, 0] = np.nan
    grey = np.array(train, dtype=float, copy=True)
    grey[0, 0] = 0.3
    return [
        (nan, ["X", "NaN"]),
        (np.asarray(train)[None, ...], ["X", "2-D"]),
        (grey, ["X", "binary"]),
        (np.asarray(train)[:, :10], ["X", "16"]),
    ]
