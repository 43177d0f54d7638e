"""genlib: the models of the course *Generative Models, from GMM to GAN*.

Every model the book teaches lives here, written to be read next to its chapter:

- :mod:`genlib.datasets` - seeded toy 2-D sets, digits, a text corpus, MNIST loader;
- :mod:`genlib.classic` - NumPy, scikit-learn-style estimators (GMM, HMM, LDA);
- :mod:`genlib.plotting` - image grids, density contours, training curves, animations;
- :mod:`genlib.base` - the model protocols and the registry of the course's models.

Importing :mod:`genlib` is cheap: it imports neither torch nor matplotlib. Those load
only when a submodule that needs them is imported.
"""

from __future__ import annotations

import os
import random

__version__ = "0.1.0"

__all__ = ["__version__", "seed_everything", "SEED_ENV"]


SEED_ENV = "GENLIB_SEED"


def seed_everything(seed: int = 0) -> int:
    """Seed every global random number generator a notebook may touch; return the seed used.

    Notebooks call this once at the top (``SEED = genlib.seed_everything(0)``) so that a
    chapter re-executes to the same numbers, and derive every other seed from the value it
    returns (``random_state=SEED + 1``). Library code never calls it: estimators take
    ``random_state`` instead, and ``random_state=None`` follows the generators seeded here.

    The environment variable ``GENLIB_SEED``, when set, replaces ``seed``: re-executing the
    book with ``GENLIB_SEED=1`` re-runs every experiment on other random numbers, which is how
    CI checks that a chapter's claims do not rest on one lucky seed.

    Parameters
    ----------
    seed : int
        A non-negative integer below 2**32 (ignored when ``GENLIB_SEED`` is set).

    Returns
    -------
    int
        The seed every generator was given: ``GENLIB_SEED`` if set, else ``seed``.

    Examples
    --------
    >>> import numpy as np, genlib
    >>> _ = genlib.seed_everything(0); a = np.random.rand()
    >>> _ = genlib.seed_everything(0); b = np.random.rand()
    >>> a == b
    True
    """
    import numpy as np

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(
            f"seed must be an int, got {type(seed).__name__} ({seed!r}); pass e.g. seed_everything(0)."
        )
    if not 0 <= int(seed) < 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}; pass a smaller non-negative int.")
    override = os.environ.get(SEED_ENV, "").strip()
    if override:
        if not override.isdigit() or not 0 <= int(override) < 2**32:
            raise ValueError(
                f"the environment variable {SEED_ENV} must be an integer in [0, 2**32), got "
                f"{override!r}; set e.g. {SEED_ENV}=1, or unset it to use the notebook's seed."
            )
        seed = int(override)
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    # torch is imported here, on the call, never by `import genlib` itself.
    try:
        import torch
    except ImportError:  # genlib's NumPy half works without torch
        return seed
    torch.manual_seed(seed)
    return seed
