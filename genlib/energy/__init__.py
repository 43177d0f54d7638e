"""Energy-based models in torch (CPU or GPU): Boltzmann machines, RBMs, DBNs, DBMs, and AIS.

- :class:`BoltzmannMachine` (:mod:`genlib.energy.boltzmann`);
- :class:`BernoulliRBM`, :class:`GaussianBernoulliRBM` (:mod:`genlib.energy.rbm`);
- :class:`DeepBeliefNetwork` (:mod:`genlib.energy.dbn`), :class:`DeepBoltzmannMachine`
  (:mod:`genlib.energy.dbm`);
- :mod:`genlib.energy.ais` - annealed importance sampling of log partition functions.

Names load lazily: ``import genlib.energy`` does not import torch.
"""

from .._lazy import lazy_module

_NAMES = {
    "BoltzmannMachine": "boltzmann",
    "BernoulliRBM": "rbm",
    "GaussianBernoulliRBM": "rbm",
    "DeepBeliefNetwork": "dbn",
    "DeepBoltzmannMachine": "dbm",
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = lazy_module(__name__, _NAMES)
