"""Tests of genlib.metrics: Fréchet distance against closed forms and scipy, precision/recall
against a brute-force reference and on identical / disjoint / subset cases, mode coverage,
and the deterministic digit classifier."""

import subprocess
import sys

import numpy as np
import pytest
import scipy.linalg
from scipy.spatial.distance import cdist

from genlib.datasets import load_digits, make_rings
from genlib.metrics import (DigitClassifier, digit_classifier, digit_frechet_distance, digit_precision_recall,
                            frechet_distance, gaussian_frechet_distance, label_accuracy, mode_coverage,
                            precision_recall, ring_centers)


def _random_spd(rng, d):
    A = rng.standard_normal((d, d))
    return A @ A.T + 0.1 * np.eye(d)


# ---- Fréchet distance ------------------------------------------------------------------------------

def test_frechet_zero_for_identical_sets():
    X = np.random.default_rng(0).standard_normal((300, 5))
    assert frechet_distance(X, X) == pytest.approx(0.0, abs=1e-9)


def test_gaussian_frechet_matches_scipy_sqrtm():
    rng = np.random.default_rng(1)
    for d in (1, 3, 6):
        mu_a, mu_b = rng.standard_normal(d), rng.standard_normal(d)
        S_a, S_b = _random_spd(rng, d), _random_spd(rng, d)
        ref = np.sum((mu_a - mu_b) ** 2) + np.trace(S_a + S_b - 2 * scipy.linalg.sqrtm(S_a @ S_b).real)
        assert gaussian_frechet_distance(mu_a, S_a, mu_b, S_b) == pytest.approx(ref, rel=1e-8)


def test_gaussian_frechet_closed_forms():
    # 1-D: (mu_a - mu_b)^2 + (sigma_a - sigma_b)^2; commuting (diagonal) covariances: sum (sqrt a - sqrt b)^2
    assert gaussian_frechet_distance([1.0], [[4.0]], [-2.0], [[9.0]]) == pytest.approx(9.0 + 1.0)
    a, b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    expected = np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert gaussian_frechet_distance(np.zeros(3), np.diag(a), np.zeros(3), np.diag(b)) == pytest.approx(expected)


def test_frechet_of_samples_approaches_the_closed_form_for_two_gaussians():
    rng = np.random.default_rng(2)
    mu_a, mu_b = np.array([0.0, 1.0]), np.array([1.5, -0.5])
    S_a, S_b = np.array([[1.0, 0.5], [0.5, 2.0]]), np.array([[0.5, -0.2], [-0.2, 1.0]])
    A = rng.multivariate_normal(mu_a, S_a, size=200_000)
    B = rng.multivariate_normal(mu_b, S_b, size=200_000)
    exact = gaussian_frechet_distance(mu_a, S_a, mu_b, S_b)
    assert frechet_distance(A, B) == pytest.approx(exact, rel=0.02)


def test_frechet_grows_with_a_shift():
    X = np.random.default_rng(3).standard_normal((2000, 4))
    dists = [frechet_distance(X, X + s) for s in (0.0, 0.5, 1.0, 2.0)]
    assert np.all(np.diff(dists) > 0)
    assert dists[-1] == pytest.approx(4 * 2.0 ** 2)  # a shift of 2 in 4 coordinates: ||shift||^2


def test_frechet_refuses_bad_input():
    with pytest.raises(ValueError, match="same feature space"):
        frechet_distance(np.zeros((5, 2)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="features_a"):
        frechet_distance(np.zeros((1, 2)), np.zeros((5, 2)))
    with pytest.raises(ValueError, match="features_b"):
        frechet_distance(np.zeros((5, 2)), np.full((5, 2), np.nan))


# ---- improved precision and recall -------------------------------------------------------------------

def _brute_force_pr(real, fake, k):
    def radii(X):
        d = cdist(X, X)
        return np.sort(d, axis=1)[:, k]  # column 0 is the point itself

    precision = np.mean((cdist(fake, real) <= radii(real)[None, :]).any(axis=1))
    recall = np.mean((cdist(real, fake) <= radii(fake)[None, :]).any(axis=1))
    return precision, recall


@pytest.mark.parametrize("k", [1, 3, 5])
def test_precision_recall_matches_brute_force(k):
    rng = np.random.default_rng(k)
    real = rng.standard_normal((120, 3))
    fake = 0.7 * rng.standard_normal((90, 3)) + [0.8, 0.0, 0.0]
    got = precision_recall(real, fake, k=k)
    np.testing.assert_allclose(got, _brute_force_pr(real, fake, k), atol=1e-12)


def test_precision_recall_identical_disjoint_subset():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((200, 2))
    b = rng.standard_normal((200, 2)) + [50.0, 0.0]
    real = np.concatenate([a, b])
    assert precision_recall(real, real) == (1.0, 1.0)
    assert precision_recall(real, real + 1000.0) == (0.0, 0.0)
    # samples from one of the two clusters only (mode dropping): all realistic, half the data covered
    p, r = precision_recall(real, a)
    assert p == 1.0
    assert r == pytest.approx(0.5, abs=0.02)


def test_precision_recall_refuses_bad_input():
    with pytest.raises(ValueError, match="k=3"):
        precision_recall(np.zeros((3, 2)), np.zeros((10, 2)))
    with pytest.raises(ValueError, match="same space"):
        precision_recall(np.zeros((10, 2)), np.zeros((10, 3)))


# ---- mode coverage --------------------------------------------------------------------------------

def test_mode_coverage_on_data_collapse_and_noise():
    X, y = make_rings(800, random_state=0)
    centers = ring_centers(8, 4.0)
    full = mode_coverage(X, centers, std=0.25)
    assert full.n_covered == 8 and full.quality > 0.95
    collapsed = mode_coverage(X[y < 3], centers, std=0.25)  # a sampler that found 3 modes
    assert collapsed.n_covered == 3
    assert collapsed.counts[3:].sum() == 0
    far = mode_coverage(np.full((50, 2), 20.0), centers, std=0.25)
    assert far.n_covered == 0 and far.quality == 0.0


def test_ring_centers_match_make_rings():
    X, y = make_rings(4000, std=0.05, random_state=0)
    means = np.stack([X[y == k].mean(axis=0) for k in range(8)])
    np.testing.assert_allclose(means, ring_centers(), atol=0.01)


# ---- the digit classifier and metrics in its feature space -------------------------------------------

def test_digit_classifier_is_deterministic_and_accurate():
    X, y = load_digits()
    rng = np.random.default_rng(0)
    p = rng.permutation(len(X))
    train, test = p[:1200], p[1200:]
    a = DigitClassifier().fit(X[train], y[train])
    b = DigitClassifier().fit(X[train], y[train])
    np.testing.assert_array_equal(a.features(X[test]), b.features(X[test]))
    assert a.score(X[test], y[test]) > 0.95
    assert a.features(X[:4]).shape == (4, 32)


def test_metrics_in_digit_feature_space():
    X, y = load_digits()
    clf = digit_classifier()
    assert clf is digit_classifier()  # trained once per process
    rng = np.random.default_rng(0)
    p = rng.permutation(len(X))
    a, b = X[p[:800]], X[p[800:1600]]
    floor = digit_frechet_distance(a, b)
    noise = digit_frechet_distance(a, rng.random((800, 64)))
    assert digit_frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    assert noise > 20 * floor
    pr = digit_precision_recall(a, b)
    assert pr.precision > 0.8 and pr.recall > 0.8
    assert label_accuracy(a.reshape(-1, 8, 8), y[p[:800]]) > 0.95
    assert label_accuracy(a, (y[p[:800]] + 1) % 10) < 0.05


def test_digit_metrics_refuse_bad_input():
    clf = digit_classifier()
    with pytest.raises(ValueError, match="8x8"):
        clf.features(np.zeros((3, 100)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        clf.features(np.full((3, 64), 16.0))
    with pytest.raises(ValueError, match="one label per image"):
        label_accuracy(np.zeros((3, 64)), [1, 2])
    with pytest.raises(ValueError, match="image_size"):
        digit_classifier(16)


def test_import_does_not_load_torch():
    code = "import sys, genlib.metrics; genlib.metrics.frechet_distance; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---- per-class measures of conditional samples ----------------------------------------------------------

def test_within_class_spread_is_one_for_the_data_and_zero_for_one_image_per_class():
    from genlib.metrics import within_class_spread

    X, y = load_digits()
    assert np.allclose(within_class_spread(X, y, X, y), 1.0)
    one = np.stack([X[y == k][0] for k in range(10)])[y]
    assert np.allclose(within_class_spread(X, y, one, y), 0.0)
    # a brute-force mean pairwise distance for one class
    A = X[y == 3][:20]
    brute = np.mean([np.linalg.norm(a - b) for i, a in enumerate(A) for j, b in enumerate(A) if i != j])
    ratio = within_class_spread(X[y == 3][:20], np.full(20, 3), A[:10], np.full(10, 3))
    brute_fake = np.mean([np.linalg.norm(a - b) for i, a in enumerate(A[:10]) for j, b in enumerate(A[:10]) if i != j])
    assert np.allclose(ratio, brute_fake / brute)


def test_intra_class_frechet_distance_is_the_frechet_distance_of_each_class():
    from genlib.metrics import digit_classifier, frechet_distance, intra_class_frechet_distance

    X, y = load_digits()
    clf = digit_classifier()
    d = intra_class_frechet_distance(X[:900], y[:900], X[900:], y[900:], classifier=clf)
    F_a, F_b = clf.features(X[:900]), clf.features(X[900:])
    expected = [frechet_distance(F_a[y[:900] == k], F_b[y[900:] == k]) for k in range(10)]
    assert np.allclose(d, expected)


def test_per_class_measures_refuse_a_class_with_too_few_images():
    from genlib.metrics import intra_class_frechet_distance, within_class_spread

    X, y = load_digits()
    with pytest.raises(ValueError, match="class 7 has"):
        within_class_spread(X, y, X[:1], np.array([7]))
    with pytest.raises(ValueError, match="fake_labels must hold one label per image"):
        intra_class_frechet_distance(X, y, X[:5], y[:4])
