"""genlib.datasets: seeded, shaped as documented, deterministic, and the MNIST loader works offline."""

import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp

from genlib import datasets as ds
from genlib.datasets import mnist as mnist_module


@pytest.mark.parametrize("make", [ds.make_blobs, ds.make_rings, ds.make_moons, ds.make_spirals])
def test_toy_sets_are_seeded_and_shaped(make):
    X1, y1 = make(123, random_state=7)
    X2, y2 = make(123, random_state=7)
    X3, _ = make(123, random_state=8)
    assert X1.shape == (123, 2) and X1.dtype == np.float64 and y1.shape == (123,)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


def test_make_blobs_has_the_requested_moments():
    centers = np.array([[0.0, 0.0], [10.0, 10.0]])
    covs = np.array([[[1.0, 0.8], [0.8, 1.0]], [[2.0, 0.0], [0.0, 0.5]]])
    X, y = ds.make_blobs(20000, centers=centers, covariances=covs, random_state=0)
    for k in range(2):
        Xk = X[y == k]
        # 10,000 draws: the standard error of a mean is sqrt(var / n) <= 0.015, of a covariance
        # entry about sqrt(2 var^2 / n) <= 0.03; 0.1 is more than three standard errors.
        np.testing.assert_allclose(Xk.mean(axis=0), centers[k], atol=0.1)
        np.testing.assert_allclose(np.cov(Xk.T), covs[k], atol=0.1)


def test_make_blobs_weights_and_bad_input():
    X, y = ds.make_blobs(10000, weights=[0.7, 0.2, 0.1], random_state=0)
    np.testing.assert_allclose(np.bincount(y) / len(y), [0.7, 0.2, 0.1], atol=0.02)
    with pytest.raises(ValueError, match="weights"):
        ds.make_blobs(10, weights=[0.5, 0.6, 0.1])
    with pytest.raises(ValueError, match="positive definite"):
        ds.make_blobs(10, centers=[[0, 0]], covariances=[[[1, 2], [2, 1]]])
    with pytest.raises(TypeError, match="n_samples"):
        ds.make_blobs(10.5)


def test_make_rings_modes_on_the_circle():
    X, y = ds.make_rings(800, n_modes=8, radius=4.0, std=0.01, random_state=0)
    angles = 2 * np.pi * y / 8
    np.testing.assert_allclose(X, 4.0 * np.c_[np.cos(angles), np.sin(angles)], atol=0.06)
    with pytest.raises(ValueError, match="std"):
        ds.make_rings(10, std=0.0)


def test_load_digits_float_binary_images():
    X, y = ds.load_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.min() == 0.0 and X.max() == 1.0
    Xb, _ = ds.load_digits(binary=True)
    assert set(np.unique(Xb)) == {0.0, 1.0}
    np.testing.assert_array_equal(Xb, (X > 0.5).astype(float))
    Xi, _ = ds.load_digits(as_images=True)
    assert Xi.shape == (1797, 8, 8)


def test_binarize_sample_is_bernoulli():
    X = np.full((200, 50), 0.3)
    B = ds.binarize(X, method="sample", random_state=0)
    assert set(np.unique(B)) <= {0.0, 1.0}
    assert abs(B.mean() - 0.3) < 0.02  # 10,000 Bernoulli(0.3): sd 0.0046
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        ds.binarize(np.array([[2.0]]))


def test_stdlib_corpus_is_a_count_matrix():
    corpus = ds.load_stdlib_corpus()
    C = corpus["counts"]
    assert sp.isspmatrix_csr(C) and C.dtype == np.int64
    assert C.shape == (len(corpus["documents"]), len(corpus["vocabulary"]))
    assert C.shape[0] > 300 and C.shape[1] > 500
    assert (np.diff(C.indptr) > 0).all() and C.sum(axis=1).min() >= 20
    assert corpus["vocabulary"] == sorted(corpus["vocabulary"])
    assert not set(corpus["vocabulary"]) & ds.text.STOP_WORDS
    # the counts are those of the raw text
    doc, vocab = corpus["documents"][0], corpus["vocabulary"]
    words = ds.text._tokens(doc)
    row = C[0].toarray().ravel()
    for j in np.flatnonzero(row)[:5]:
        assert words.count(vocab[j]) == row[j]


def test_stdlib_corpus_is_deterministic_across_processes():
    code = (
        "from genlib.datasets import load_stdlib_corpus as f, load_stdlib_characters as g;"
        "import hashlib; c = f()['counts']; x, _ = g();"
        "print(hashlib.sha256(c.indices.tobytes() + c.data.tobytes() + x.tobytes()).hexdigest())"
    )
    runs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2")
    }
    assert len(runs) == 1


def test_stdlib_characters():
    X, alphabet = ds.load_stdlib_characters(5000)
    assert X.shape == (5000, 1) and X.dtype == np.int64
    assert X.min() >= 0 and X.max() <= 26 and alphabet[0] == " "
    text = "".join(alphabet[s] for s in X[:, 0])
    assert "  " not in text and text == text.strip()
    with pytest.raises(ValueError, match="exceeds"):
        ds.load_stdlib_characters(10**9)


# --- MNIST ---------------------------------------------------------------------------

def _small_mnist(rng):
    return {
        "x_train": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8), "y_train": np.arange(6, dtype=np.uint8),
        "x_valid": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8), "y_valid": np.arange(2, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8), "y_test": np.arange(3, dtype=np.uint8),
    }


def test_load_mnist_local_file_via_env_and_data_home(tmp_path, monkeypatch):
    arrays = _small_mnist(np.random.default_rng(0))
    np.savez(tmp_path / "mnist.npz", **arrays)
    monkeypatch.setenv("GENLIB_DATA", str(tmp_path))
    out = ds.load_mnist(download=False)
    for k, a in arrays.items():
        np.testing.assert_array_equal(out[k], a)
    monkeypatch.delenv("GENLIB_DATA")
    out2 = ds.load_mnist(tmp_path / "mnist.npz", download=False)
    np.testing.assert_array_equal(out2["x_test"], arrays["x_test"])


def test_load_mnist_refuses_a_foreign_file(tmp_path):
    np.savez(tmp_path / "mnist.npz", x_train=np.zeros(1))
    with pytest.raises(ValueError, match="keys"):
        ds.load_mnist(tmp_path, download=False)


def test_load_mnist_missing_without_download(tmp_path, monkeypatch):
    monkeypatch.delenv("GENLIB_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="GENLIB_DATA"):
        ds.load_mnist(tmp_path / "nowhere", download=False)


def _source_file(tmp_path):
    """A small stand-in for the public 60k/10k file: 60,003 rows would be too big, so use few."""
    rng = np.random.default_rng(1)
    src = tmp_path / "source.npz"
    x = rng.integers(0, 256, (50003, 2, 2), dtype=np.uint8)  # tiny images, real split sizes
    np.savez(src, x_train=x, y_train=(np.arange(50003) % 10).astype(np.uint8),
             x_test=x[:4], y_test=np.arange(4, dtype=np.uint8))
    return src, hashlib.sha256(src.read_bytes()).hexdigest(), x


def test_load_mnist_downloads_checks_and_splits(tmp_path, monkeypatch):
    monkeypatch.delenv("GENLIB_DATA", raising=False)
    src, digest, x = _source_file(tmp_path)
    home = tmp_path / "home"
    out = ds.load_mnist(home, url=src.as_uri(), sha256=digest)
    assert out["x_train"].shape[0] == 50000 and out["x_valid"].shape[0] == 3
    np.testing.assert_array_equal(out["x_valid"], x[50000:])
    assert (home / "mnist.npz").is_file()
    assert [p.name for p in home.iterdir()] == ["mnist.npz"]  # no temporary file left
    # second call reads the stored file, no download needed
    again = ds.load_mnist(home, download=False)
    np.testing.assert_array_equal(again["x_train"], out["x_train"])


def test_load_mnist_bad_checksum_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("GENLIB_DATA", raising=False)
    src, _, _ = _source_file(tmp_path)
    home = tmp_path / "home"
    with pytest.raises(RuntimeError, match="SHA-256"):
        ds.load_mnist(home, url=src.as_uri(), sha256="0" * 64)
    assert list(home.iterdir()) == []


def test_load_mnist_offline_error_is_clear(tmp_path, monkeypatch):
    monkeypatch.delenv("GENLIB_DATA", raising=False)
    missing = (tmp_path / "does-not-exist.npz").as_uri()
    with pytest.raises(RuntimeError, match="offline.*GENLIB_DATA"):
        ds.load_mnist(tmp_path / "home", url=missing, sha256="0" * 64)
    assert list((tmp_path / "home").iterdir()) == []


SHARED_MNIST = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "mnist.npz")


@pytest.mark.skipif(not os.path.exists(SHARED_MNIST), reason="the workspace copy of MNIST is not beside the repo")
def test_load_mnist_reads_the_workspace_copy():
    data = ds.load_mnist(SHARED_MNIST, download=False)
    assert data["x_train"].shape == (50000, 28, 28) and data["x_train"].dtype == np.uint8
    assert data["x_valid"].shape == (10000, 28, 28) and data["x_test"].shape == (10000, 28, 28)
    assert sorted(np.unique(data["y_test"]).tolist()) == list(range(10))
