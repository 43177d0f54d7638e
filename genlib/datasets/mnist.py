"""MNIST, 28x28: found locally first, downloaded and checked otherwise.

The course's format is one ``.npz`` file with uint8 images 0..255 and the standard
50k/10k/10k split: keys ``x_train y_train x_valid y_valid x_test y_test``. Where no such
file exists, the loader downloads the widely mirrored ``mnist.npz`` (60k train / 10k test),
verifies its SHA-256, splits the training set into its first 50,000 images (train) and
last 10,000 (validation), and writes the course file atomically, so an interrupted
download never leaves a broken file behind.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import numpy as np

from .._validation import check_bool

__all__ = ["load_mnist", "MNIST_FILENAME", "MNIST_KEYS", "SOURCE_URL", "SOURCE_SHA256"]

MNIST_FILENAME = "mnist.npz"
MNIST_KEYS = ("x_train", "y_train", "x_valid", "y_valid", "x_test", "y_test")
#: The public 60k/10k file (the one Keras uses) and its SHA-256.
SOURCE_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
SOURCE_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _candidates(data_home) -> list[Path]:
    """Where a local copy may be: ``data_home``, then ``$GENLIB_DATA``, then ``~/.genlib_data``.

    Each may name the file itself or a folder holding ``mnist.npz``.
    """
    places = []
    if data_home is not None:
        places.append(Path(data_home).expanduser())
    if os.environ.get("GENLIB_DATA"):
        places.append(Path(os.environ["GENLIB_DATA"]).expanduser())
    places.append(Path.home() / ".genlib_data")
    out = []
    for p in places:
        out.append(p if p.suffix == ".npz" else p / MNIST_FILENAME)
    return out


def _read(path: Path) -> dict:
    """The course file at ``path``, verified: readable, the six keys, 28x28 uint8 images, one label each."""
    fix = f"remove it, or point GENLIB_DATA at a course mnist.npz (keys {list(MNIST_KEYS)})"
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [k for k in MNIST_KEYS if k not in data.files]
            if missing:
                raise ValueError(f"{path} is not a course MNIST file: keys {missing} are missing (found {data.files}); "
                                 f"{fix}.")
            out = {k: data[k] for k in MNIST_KEYS}
    except (OSError, EOFError, zipfile.BadZipFile) as exc:  # truncated or corrupted file
        raise ValueError(f"{path} cannot be read as an .npz file ({type(exc).__name__}: {exc}); {fix}.") from None
    for split in ("train", "valid", "test"):
        x, y = out[f"x_{split}"], out[f"y_{split}"]
        if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1] != x.shape[2] or y.ndim != 1 or len(y) != len(x) \
                or not np.issubdtype(y.dtype, np.integer) or (y.size and (y.min() < 0 or y.max() > 9)):
            raise ValueError(f"{path} holds x_{split} {x.dtype}{x.shape} and y_{split} {y.dtype}{y.shape}; a course "
                             f"file has square uint8 images (n, 28, 28) and one digit 0..9 per image; {fix}.")
    return out


def _download(url: str, sha256: str, target: Path) -> None:
    """Download ``url``, check its SHA-256, convert to the course format, write ``target`` atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(".mnist-download-*.npz"):  # left by a download that was killed
        stale.unlink(missing_ok=True)
    fd, raw_name = tempfile.mkstemp(dir=target.parent, prefix=".mnist-download-", suffix=".npz")
    os.close(fd)
    raw = Path(raw_name)
    try:
        try:
            with urllib.request.urlopen(url, timeout=60) as response, open(raw, "wb") as out:
                for block in iter(lambda: response.read(1 << 20), b""):
                    out.write(block)
        except (urllib.error.URLError, OSError) as exc:
            raise RuntimeError(
                f"MNIST is not available locally and could not be downloaded from {url} ({exc}). "
                f"If you are offline, copy a course mnist.npz (keys {list(MNIST_KEYS)}) somewhere and set "
                f"GENLIB_DATA to its folder, or pass data_home=."
            ) from exc
        got = _sha256(raw)
        if got != sha256:
            raise RuntimeError(
                f"the file downloaded from {url} has SHA-256 {got}, expected {sha256}; "
                f"the download is corrupt or the mirror changed. Nothing was written; try again."
            )
        with np.load(raw) as data:
            x, y = data["x_train"], data["y_train"]
            arrays = {
                "x_train": x[:50000], "y_train": y[:50000],
                "x_valid": x[50000:], "y_valid": y[50000:],
                "x_test": data["x_test"], "y_test": data["y_test"],
            }
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".mnist-", suffix=".npz")
        os.close(fd)
        try:
            np.savez_compressed(tmp_name, **arrays)
            os.replace(tmp_name, target)  # atomic on one file system
        finally:
            if os.path.exists(tmp_name):
                os.remove(tmp_name)
    finally:
        raw.unlink(missing_ok=True)


def load_mnist(data_home=None, *, download=True, url=SOURCE_URL, sha256=SOURCE_SHA256):
    """Load 28x28 MNIST as uint8 arrays with the standard 50k/10k/10k split.

    Parameters
    ----------
    data_home : str or Path, optional
        A folder holding ``mnist.npz``, or the file itself. Searched first; then the
        environment variable ``GENLIB_DATA`` (same meaning); then ``~/.genlib_data``.
    download : bool
        When no local copy exists, download ``url`` (checked against ``sha256``) and store
        the course file in the first place searched. With ``download=False`` a missing file
        is an error.
    url, sha256 : str
        Source of the 60k/10k file and its checksum (change only for a mirror).

    Returns
    -------
    dict of ndarray
        ``x_train`` (50000, 28, 28) uint8, ``y_train`` (50000,), ``x_valid``, ``y_valid``
        (10000 each), ``x_test``, ``y_test`` (10000 each).

    Examples
    --------
    >>> data = load_mnist()  # doctest: +SKIP
    >>> data["x_train"].shape  # doctest: +SKIP
    (50000, 28, 28)
    """
    if data_home is not None and not isinstance(data_home, (str, os.PathLike)):
        raise TypeError(f"data_home must be a folder or file path (str or Path), got {type(data_home).__name__}.")
    download = check_bool(download, "download")
    if not isinstance(url, str) or not url:
        raise TypeError(f"url must be the address of an mnist.npz (a non-empty str), got {url!r}.")
    if not isinstance(sha256, str) or len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256.lower()):
        raise ValueError(f"sha256 must be 64 hexadecimal digits, got {sha256!r}.")
    sha256 = sha256.lower()
    candidates = _candidates(data_home)
    for path in candidates:
        if path.is_file():
            return _read(path)
    if not download:
        raise FileNotFoundError(
            f"no mnist.npz in {[str(p) for p in candidates]} (data_home={data_home!r}, then GENLIB_DATA, then "
            f"~/.genlib_data) and download=False; pass data_home= or set GENLIB_DATA to the folder of a course "
            f"mnist.npz, or pass download=True."
        )
    target = candidates[0]
    _download(url, sha256, target)
    return _read(target)
