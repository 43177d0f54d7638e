"""A small digit classifier that genlib trains itself, and the sample metrics built on it.

Why not Inception features? The Fréchet Inception Distance (Heusel et al., 2017) measures
samples in the features of an ImageNet network: meaningless for 8x8 grey digits, and a large
download. genlib instead trains a small multilayer perceptron on the digits themselves and
uses its **penultimate layer** as the feature space.

Decision (documented here and in the chapters): the classifier is *trained, not shipped*.
scikit-learn's :class:`~sklearn.neural_network.MLPClassifier` with a fixed ``random_state``
learns the 1,797 8x8 digits in a few seconds of CPU, deterministically, so there is no
weights file to version or checksum, and the metrics need no torch. For 28x28 MNIST,
:func:`digit_classifier` trains the same architecture on MNIST's 50,000 training images
(tens of seconds; benchmarks only).

Everything measured in this space - :func:`digit_frechet_distance`,
:func:`digit_precision_recall`, :func:`label_accuracy` - is comparable only with numbers
from the same classifier on the same data. They are *not* FID values of the literature.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

import numpy as np

from .._validation import check_float, check_images, check_int
from .frechet import frechet_distance
from .manifold import PrecisionRecall, precision_recall

__all__ = [
    "DigitClassifier",
    "digit_classifier",
    "digit_features",
    "digit_frechet_distance",
    "digit_precision_recall",
    "label_accuracy",
]


def _flat_images(X: Any, n_pixels: int | None, name: str = "X") -> np.ndarray:
    """Images in [0, 1] of shape (n, h, w), (n, 1, h, w) or (n, h*w) -> float64 (n, h*w)."""
    side = int(round(np.sqrt(n_pixels))) if n_pixels else 0
    return check_images(X, name, n_pixels=n_pixels,
                        hint=f"the classifier was trained on {side}x{side} images; use digit_classifier(image_size=...) "
                             f"for your image size")


class DigitClassifier:
    """A multilayer perceptron for grey digit images whose penultimate layer gives features.

    Parameters
    ----------
    hidden : tuple of int
        Hidden layer widths; the last one is the dimension of :meth:`features`.
    max_iter : int
        Epochs of Adam (scikit-learn's ``MLPClassifier``).
    alpha : float
        L2 penalty.
    random_state : int
        Seed of the initial weights and the mini-batch order: the same seed, the same classifier.

    Examples
    --------
    >>> from genlib.datasets import load_digits
    >>> X, y = load_digits()
    >>> clf = DigitClassifier(max_iter=50).fit(X[:1000], y[:1000])
    >>> clf.features(X[:3]).shape
    (3, 32)
    """

    def __init__(self, *, hidden=(128, 32), max_iter: int = 200, alpha: float = 1e-3, random_state: int = 0):
        if isinstance(hidden, int) and not isinstance(hidden, bool):
            hidden = (hidden,)
        if not isinstance(hidden, (tuple, list)) or not hidden:
            raise TypeError(f"hidden must be a non-empty tuple of layer widths, e.g. (128, 32), got {hidden!r:.60}.")
        self.hidden = tuple(check_int(h, "hidden", minimum=1) for h in hidden)
        self.max_iter = check_int(max_iter, "max_iter", minimum=1)
        self.alpha = check_float(alpha, "alpha", minimum=0.0)
        self.random_state = check_int(random_state, "random_state", minimum=0)
        self.mlp_ = None
        self.n_pixels_ = None

    def fit(self, X: Any, y: Any) -> "DigitClassifier":
        """Train on images ``X`` in [0, 1] and integer labels ``y``."""
        from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning
        from sklearn.neural_network import MLPClassifier

        X = _flat_images(X, None)
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(f"y must hold one label per image ({X.shape[0]}), got shape {y.shape}.")
        self.mlp_ = MLPClassifier(hidden_layer_sizes=self.hidden, alpha=self.alpha, max_iter=self.max_iter,
                                  batch_size=min(200, X.shape[0]), random_state=self.random_state)
        with warnings.catch_warnings():  # a fixed budget is the point, not convergence to tol
            warnings.simplefilter("ignore", SkConvergenceWarning)
            self.mlp_.fit(X, y)
        self.n_pixels_ = X.shape[1]
        return self

    def _check(self, X: Any, name: str = "X") -> np.ndarray:
        if self.mlp_ is None:
            from ..base import NotFittedError

            raise NotFittedError("This DigitClassifier is not fitted yet; call fit(X, y) or use digit_classifier().")
        return _flat_images(X, self.n_pixels_, name)

    def features(self, X: Any) -> np.ndarray:
        """The penultimate layer's activations: (n, hidden[-1]), the feature space of the metrics."""
        h = self._check(X)
        for W, b in zip(self.mlp_.coefs_[:-1], self.mlp_.intercepts_[:-1]):
            h = np.maximum(h @ W + b, 0.0)  # ReLU hidden layers, as MLPClassifier computes them
        return h

    def predict(self, X: Any) -> np.ndarray:
        """Predicted digit for each image."""
        return self.mlp_.predict(self._check(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (n, n_classes)."""
        return self.mlp_.predict_proba(self._check(X))

    def score(self, X: Any, y: Any) -> float:
        """Accuracy on labelled images."""
        return float(np.mean(self.predict(X) == np.asarray(y)))


@functools.lru_cache(maxsize=4)
def _cached_classifier(image_size: int) -> DigitClassifier:
    if image_size == 8:
        from ..datasets import load_digits

        X, y = load_digits()
        return DigitClassifier().fit(X, y)
    from ..datasets import load_mnist

    data = load_mnist()
    X = data["x_train"].reshape(len(data["x_train"]), -1) / 255.0
    return DigitClassifier(hidden=(256, 64), max_iter=15).fit(X, data["y_train"])


def digit_classifier(image_size: int = 8) -> DigitClassifier:
    """The reference classifier of genlib's sample metrics, trained once per process.

    ``image_size=8``: trained on all 1,797 scikit-learn digits (a few seconds).
    ``image_size=28``: trained on MNIST's 50,000 training images (needs
    :func:`genlib.datasets.load_mnist`; tens of seconds).

    Examples
    --------
    >>> clf = digit_classifier()
    >>> clf.features(np.zeros((2, 64))).shape
    (2, 32)
    """
    image_size = check_int(image_size, "image_size")
    if image_size not in (8, 28):
        raise ValueError(f"image_size must be 8 (scikit-learn digits) or 28 (MNIST), got {image_size}.")
    return _cached_classifier(image_size)


def _classifier_for(X: np.ndarray, classifier: DigitClassifier | None) -> DigitClassifier:
    """``classifier``, or the reference classifier of the image size of ``X`` (checked flat images)."""
    if classifier is not None:
        if not isinstance(classifier, DigitClassifier):
            raise TypeError(f"classifier must be a DigitClassifier, got {type(classifier).__name__}.")
        return classifier
    return digit_classifier(28 if X.shape[1] == 784 else 8)


def _images(images: Any, name: str, classifier: DigitClassifier | None) -> tuple[np.ndarray, DigitClassifier]:
    """Checked flat images (named ``name`` in errors) and the classifier that measures them."""
    X = _flat_images(images, classifier.n_pixels_ if isinstance(classifier, DigitClassifier)
                     and classifier.mlp_ is not None else None, name)
    return X, _classifier_for(X, classifier)


def digit_features(images: Any, *, classifier: DigitClassifier | None = None) -> np.ndarray:
    """Features of digit images: the penultimate layer of ``classifier`` (default :func:`digit_classifier`)."""
    X, clf = _images(images, "images", classifier)
    return clf.features(X)


def digit_frechet_distance(images_a: Any, images_b: Any, *, classifier: DigitClassifier | None = None) -> float:
    """Fréchet distance between two sets of digit images in the classifier's feature space.

    Like FID, but in genlib's digit features: compare it only with other values computed
    with the same classifier (and similar set sizes; the estimate is biased upwards for
    small sets). Images in [0, 1], 8x8 or 28x28.

    Examples
    --------
    >>> from genlib.datasets import load_digits
    >>> X, _ = load_digits()
    >>> round(digit_frechet_distance(X[:800], X[:800]), 6)
    0.0
    """
    A, clf = _images(images_a, "images_a", classifier)
    B, _ = _images(images_b, "images_b", clf)
    return frechet_distance(clf.features(A), clf.features(B))


def digit_precision_recall(real_images: Any, fake_images: Any, *, k: int = 3,
                           classifier: DigitClassifier | None = None) -> PrecisionRecall:
    """Improved precision and recall (:func:`~genlib.metrics.precision_recall`) in the digit feature space."""
    R, clf = _images(real_images, "real_images", classifier)
    F, _ = _images(fake_images, "fake_images", clf)
    return precision_recall(clf.features(R), clf.features(F), k=k)


def label_accuracy(images: Any, labels: Any, *, classifier: DigitClassifier | None = None) -> float:
    """Fraction of class-conditional samples that the classifier assigns to the label they were drawn for.

    Chance level is 1/10 for digits; real held-out digits give the ceiling.

    Examples
    --------
    >>> from genlib.datasets import load_digits
    >>> X, y = load_digits()
    >>> label_accuracy(X[:100], y[:100]) > 0.9
    True
    """
    X, clf = _images(images, "images", classifier)
    labels = _check_labels_for(X, labels, "labels")
    return float(np.mean(clf.predict(X) == labels))


def _check_labels_for(images: np.ndarray, labels: Any, name: str) -> np.ndarray:
    labels = np.asarray(labels.detach().cpu() if hasattr(labels, "detach") else labels)
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise ValueError(f"{name} must hold one label per image ({images.shape[0]}), got shape {labels.shape}.")
    return labels


def _per_class(real_images: Any, real_labels: Any, fake_images: Any, fake_labels: Any, min_per_class: int):
    """Flattened images and labels of both sets, and the classes both hold at least ``min_per_class`` of."""
    real = _flat_images(real_images, None, "real_images")
    fake = _flat_images(fake_images, real.shape[1], "fake_images")
    real_labels = _check_labels_for(real, real_labels, "real_labels")
    fake_labels = _check_labels_for(fake, fake_labels, "fake_labels")
    classes = sorted(set(np.unique(fake_labels).tolist()))
    for k in classes:
        n_real, n_fake = int(np.sum(real_labels == k)), int(np.sum(fake_labels == k))
        if min(n_real, n_fake) < min_per_class:
            raise ValueError(
                f"class {k} has {n_real} real and {n_fake} generated images; each class needs at least "
                f"{min_per_class} of both: draw more samples of it or leave its label out of fake_labels."
            )
    return real, real_labels, fake, fake_labels, classes


def intra_class_frechet_distance(real_images: Any, real_labels: Any, fake_images: Any, fake_labels: Any, *,
                                 classifier: DigitClassifier | None = None) -> np.ndarray:
    """Fréchet distance between the samples *of each class* and the real digits of that class.

    The intra-class Fréchet distance of Miyato & Koyama (2018): for every class k in
    ``fake_labels``, :func:`digit_frechet_distance` between the fakes drawn for k and the real
    images labelled k. Label accuracy cannot see a generator that draws one perfect digit per
    class; this can. Returns an array with one distance per class (sorted class order); each
    class needs at least two images in both sets (more than the feature width for a stable
    covariance).

    Examples
    --------
    >>> from genlib.datasets import load_digits
    >>> X, y = load_digits()
    >>> d = intra_class_frechet_distance(X[:900], y[:900], X[:900], y[:900])
    >>> d.shape, float(d.max())
    ((10,), 0.0)
    """
    real, real_labels, fake, fake_labels, classes = _per_class(real_images, real_labels, fake_images, fake_labels, 2)
    _, clf = _images(real, "real_images", classifier)
    f_real, f_fake = clf.features(real), clf.features(fake)
    return np.array([frechet_distance(f_real[real_labels == k], f_fake[fake_labels == k]) for k in classes])


def _mean_pairwise_distance(X: np.ndarray) -> float:
    sq = np.sum(X**2, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * X @ X.T, 0.0)
    n = X.shape[0]
    return float(np.sqrt(d2).sum() / (n * (n - 1)))


def within_class_spread(real_images: Any, real_labels: Any, fake_images: Any, fake_labels: Any) -> np.ndarray:
    """Per class: mean pairwise pixel distance of the fakes over that of the real images of the class.

    1 means the samples of a class vary as much as real digits of that class; below 1, the
    generator draws a class with less variety than the data (in the limit 0, one image per
    class: a generator that ignores its noise). Returns one ratio per class of
    ``fake_labels`` (sorted class order); each class needs at least two images in both sets.

    Examples
    --------
    >>> from genlib.datasets import load_digits
    >>> X, y = load_digits()
    >>> r = within_class_spread(X, y, X, y)
    >>> bool(np.allclose(r, 1.0))
    True
    """
    real, real_labels, fake, fake_labels, classes = _per_class(real_images, real_labels, fake_images, fake_labels, 2)
    return np.array([_mean_pairwise_distance(fake[fake_labels == k]) / _mean_pairwise_distance(real[real_labels == k])
                     for k in classes])
