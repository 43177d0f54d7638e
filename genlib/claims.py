"""Claims and glue: how a chapter's prose stays true on any reader's computer.

A chapter states results ("the ELBO never exceeds log p(x)", "BIC picks three components").
Each such sentence is backed by a :func:`claim` next to the computation: a condition with an
honest tolerance, checked every time the chapter runs, that fails the chapter with the
claim's text and the measured values when it stops holding - under another seed, on another
CPU, with newer libraries. The numbers a sentence quotes come from the code through
:func:`glue` and MyST-NB's ``{glue:text}`` role, so the rendered sentence always shows the
number the committed output computed.

Neither function imports torch, matplotlib or MyST-NB: :func:`glue` writes the same output
MyST-NB's ``glue(name, value, display=False)`` writes, so chapters run in Colab without the
book's build stack.

Examples
--------
>>> from genlib.claims import claim
>>> elbo, logp = -90.2, -88.7
>>> claim("the ELBO never exceeds log p(x)", elbo <= logp + 1e-6, elbo=elbo, logp=logp)
claim holds: the ELBO never exceeds log p(x) [elbo=-90.2, logp=-88.7]
"""

from __future__ import annotations

import numbers

__all__ = ["ClaimError", "claim", "glue", "GLUE_PREFIX"]

# The MIME prefix MyST-NB reads glued values from (myst_nb.ext.glue.GLUE_PREFIX).
GLUE_PREFIX = "application/papermill.record/"


class ClaimError(AssertionError):
    """A sentence of the book no longer holds for the numbers this run computed."""


def _fmt(value) -> str:
    """Four significant digits for real numbers (and arrays of them), ``repr`` otherwise."""
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy is a dependency
        np = None
    if np is not None and isinstance(value, np.ndarray):
        return np.array2string(value, precision=4, separator=", ", threshold=8)
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 1) == 0:
        value = value.item()  # numpy / torch scalars
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return repr(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    return f"{float(value):.4g}"


class Claim:
    """A claim's text and the measured values; its ``repr`` is the line a chapter shows."""

    def __init__(self, text: str, measured: dict):
        self.text = text
        self.measured = measured

    def __repr__(self) -> str:
        values = ", ".join(f"{k}={_fmt(v)}" for k, v in self.measured.items())
        return f"claim holds: {self.text}" + (f" [{values}]" if values else "")


def claim(text: str, condition, **measured) -> None:
    """Check a sentence of the book against this run's numbers.

    Parameters
    ----------
    text : str
        The sentence as the prose states it, e.g. ``"BIC picks three components"``.
    condition : bool
        Whether it holds, computed with an honest tolerance (a NumPy or torch boolean scalar
        is accepted; an array is refused - reduce it with ``.all()`` or ``.any()`` first).
    **measured
        The numbers the condition was computed from; shown beside the claim, and quoted in
        the error when it fails.

    A claim that holds prints one line, ``claim holds: <text> [name=value, ...]``, so the
    reader sees what was checked and on which numbers.

    Raises
    ------
    ClaimError
        When ``condition`` is false: the message quotes the claim and the measured values.
    TypeError, ValueError
        When ``text`` is not a non-empty string or ``condition`` is not a single truth value.
    """
    if not isinstance(text, str) or not text.strip():
        raise TypeError(f"text must be the claim as a non-empty sentence, got {text!r}.")
    if hasattr(condition, "shape") and tuple(getattr(condition, "shape")) not in ((), (1,)):
        raise ValueError(
            f"condition must be one truth value, got an array of shape {tuple(condition.shape)} for "
            f"the claim {text!r}; reduce it with .all() or .any()."
        )
    if hasattr(condition, "item") and callable(condition.item):
        condition = condition.item()
    if not isinstance(condition, (bool, numbers.Integral)):
        raise TypeError(
            f"condition must be a truth value (bool), got {type(condition).__name__} ({condition!r}) "
            f"for the claim {text!r}; pass a comparison such as a <= b + tol."
        )
    record = Claim(text, measured)
    if not condition:
        values = ", ".join(f"{k}={_fmt(v)}" for k, v in measured.items()) or "no values given"
        raise ClaimError(
            f"The book claims: {text!r}, but this run measured {values}. Rerun with other seeds "
            f"(GENLIB_SEED) to see whether the sentence or the experiment is wrong, and fix the one "
            f"that is."
        )
    print(repr(record))


def _plain(value):
    """A value whose ``repr`` MyST-NB's ``{glue:text}`` can parse and format: NumPy and torch
    scalars become Python numbers; strings and Python numbers pass through."""
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 0) == 0:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, str)):
        raise TypeError(
            f"glue takes a number or a string, got {type(value).__name__} ({value!r}); glue each "
            f"number a sentence quotes under its own name."
        )
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    return value


def glue(name: str, value) -> None:
    """Store ``value`` under ``name`` for the chapter's prose, without displaying it.

    The prose quotes it with MyST-NB's role and a format, e.g. ``{glue:text}`fd_dcgan:.1f```,
    so the rendered sentence shows the number this execution computed. Equivalent to
    ``myst_nb.glue(name, value, display=False)`` for numbers and strings, without needing
    MyST-NB where the chapter runs (Colab).

    Parameters
    ----------
    name : str
        A name unique within the chapter (letters, digits, ``_`` and ``-``).
    value : int, float or str
        A Python, NumPy or torch scalar, or a string.
    """
    import re

    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][\w-]*", name):
        raise ValueError(
            f"name must be an identifier of letters, digits, '_' and '-', got {name!r}; e.g. 'fd_dcgan'."
        )
    value = _plain(value)
    from IPython.display import display

    display(
        {GLUE_PREFIX + "text/plain": repr(value)},
        raw=True,
        metadata={"scrapbook": {"name": name, "mime_prefix": GLUE_PREFIX}},
    )
