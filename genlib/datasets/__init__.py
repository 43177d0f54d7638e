"""Data sets of the course. Nothing here downloads unless you call :func:`load_mnist` without a local copy.

- toy 2-D sets, seeded: :func:`make_blobs`, :func:`make_rings`, :func:`make_moons`, :func:`make_spirals`;
- images: :func:`load_digits` (scikit-learn's 8x8 digits, [0, 1] floats or binarised),
  :func:`load_mnist` (28x28, from a local file or a checked download);
- text: :func:`load_stdlib_corpus` (documents from the docstrings of Python's standard
  library, as a count matrix) and :func:`load_stdlib_characters` (the same text as a
  27-symbol character sequence for HMMs), and :func:`make_bars` (the synthetic bars corpus
  of Griffiths & Steyvers, with known topics, for LDA);
- captioned images: :func:`load_digit_captions` (digits with generated captions such as "a thick
  seven", for text-to-image models), :func:`encode_captions`, :func:`decode_captions`.
"""

from .captions import decode_captions, encode_captions, load_digit_captions
from .images import binarize, load_digits
from .mnist import load_mnist
from .text import bars_topics, load_stdlib_characters, load_stdlib_corpus, make_bars, stdlib_docstrings
from .toy import make_blobs, make_moons, make_rings, make_spirals

__all__ = [
    "make_blobs",
    "make_rings",
    "make_moons",
    "make_spirals",
    "load_digits",
    "binarize",
    "load_mnist",
    "load_stdlib_corpus",
    "load_stdlib_characters",
    "stdlib_docstrings",
    "make_bars",
    "bars_topics",
    "load_digit_captions",
    "encode_captions",
    "decode_captions",
]
