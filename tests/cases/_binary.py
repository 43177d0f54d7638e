"""Data and bad inputs shared by the conformance cases of the binary energy models (RBM, DBN, DBM)."""

import numpy as np


def bars_and_stripes(n, seed):
    """4x4 images: every row (bars) or every column (stripes) on or off at random, flattened to 16."""
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, (n, 4)).astype(float)
    bars = np.repeat(bits[:, :, None], 4, axis=2)
    X = np.where(rng.random(n)[:, None, None] < 0.5, bars, bars.transpose(0, 2, 1))
    return X.reshape(n, 16)


def make_data():
    return {"train": bars_and_stripes(100, 0), "test": bars_and_stripes(30, 1)}


def bad_inputs(train):
    """NaN, an extra axis, a grey (non-binary) pixel and the wrong number of features."""
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
