"""Metrics for generative models: how close are samples to data?

Sample-quality metrics (this package started with the GAN chapters):

- :func:`frechet_distance` - the Fréchet distance between Gaussians fitted to two sets of
  feature vectors (any features), and :func:`gaussian_frechet_distance`, its closed form;
- :func:`precision_recall` - improved precision and recall (Kynkäänniemi et al., 2019):
  how much of the samples lies on the data manifold, and how much of the data the
  samples cover;
- :class:`DigitClassifier`, :func:`digit_classifier` - a small digit classifier that
  genlib trains deterministically in seconds; its penultimate layer is the feature space
  of :func:`digit_frechet_distance` and :func:`digit_precision_recall`, and its
  predictions give :func:`label_accuracy` of class-conditional samples; per class,
  :func:`intra_class_frechet_distance` and :func:`within_class_spread` say whether the
  samples of each class are as varied as the data of that class;
- :func:`mode_coverage`, :func:`ring_centers` - modes covered and sample quality for
  2-D mixtures such as :func:`genlib.datasets.make_rings`.

Numbers from the digit feature space are comparable only with each other (the same
classifier, the same data): they are *not* the Inception-based FID of the literature.

Importing :mod:`genlib.metrics` is cheap: names load lazily, and none of these metrics
needs torch (tensors are accepted and converted).

Layout (one module per family of metrics; add a module and its names to ``_NAMES``):
``frechet`` (Fréchet distance), ``manifold`` (k-NN manifold precision/recall),
``classifier`` (the digit feature space and the metrics measured in it), ``modes``
(mode coverage on 2-D mixtures), ``evaluation`` (:func:`evaluate`, the one report per model;
:func:`parzen_log_likelihood`, shown to mislead; :func:`nearest_neighbour_ratio`, the
memorisation check), ``results`` (the benchmarks' paper-scale results shipped as package data,
and the published numbers they are compared with).
"""

from .._lazy import lazy_module

_NAMES = {
    "frechet_distance": "frechet",
    "gaussian_frechet_distance": "frechet",
    "precision_recall": "manifold",
    "PrecisionRecall": "manifold",
    "DigitClassifier": "classifier",
    "digit_classifier": "classifier",
    "digit_features": "classifier",
    "digit_frechet_distance": "classifier",
    "digit_precision_recall": "classifier",
    "label_accuracy": "classifier",
    "intra_class_frechet_distance": "classifier",
    "within_class_spread": "classifier",
    "mode_coverage": "modes",
    "ModeCoverage": "modes",
    "ring_centers": "modes",
    "evaluate": "evaluation",
    "Evaluation": "evaluation",
    "parzen_log_likelihood": "evaluation",
    "ParzenEstimate": "evaluation",
    "nearest_neighbour_ratio": "evaluation",
    "NearestNeighbourRatio": "evaluation",
    "load_benchmark_results": "results",
    "available_benchmark_results": "results",
    "PUBLISHED": "results",
    "PublishedResult": "results",
    "BENCHMARK_TOPICS": "results",
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = lazy_module(__name__, _NAMES)
