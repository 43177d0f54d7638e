"""Classic (machine-learning based) generative models, NumPy and scikit-learn style.

- :class:`ClassConditionalGaussian` - p(x, y) = p(y) N(x | mu_y, Sigma_y), the generative
  classifier of the overview chapter (:mod:`genlib.classic.gda`);
- :class:`GaussianMixture` (:mod:`genlib.classic.gmm`);
- :class:`CategoricalHMM`, :class:`GaussianHMM` (:mod:`genlib.classic.hmm`) and the
  inference functions (:mod:`genlib.classic.hmm_inference`);
- :class:`LatentDirichletAllocation` (:mod:`genlib.classic.lda`).

Names load lazily, so ``from genlib.classic import GaussianMixture`` imports only the GMM module.
"""

from .._lazy import lazy_module

_NAMES = {
    "ClassConditionalGaussian": "gda",
    "GaussianMixture": "gmm",
    "CategoricalHMM": "hmm",
    "GaussianHMM": "hmm",
    "LatentDirichletAllocation": "lda",
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = lazy_module(__name__, _NAMES)
