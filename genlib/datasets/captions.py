"""Digit images with short generated captions, for text-to-image models (chapter ``05_beyond/02_stackgan``).

No download: the images are scikit-learn's 8x8 digits (or 28x28 MNIST when its file is
present), and each image gets one caption, made deterministically from its label and two
measured attributes::

    "a seven"   "a thick seven"   "a slanted zero"   "a thin upright two"   "an eight"

The two measurements (module-level functions that tests and chapters call):

- **stroke thickness** from the *ink mass*, the mean grey level of the image
  (:func:`measure_attributes`). For one digit shape drawn with a thicker pen the strokes
  cover more pixels, so within a class more ink means thicker strokes;
- **slant** from the image's second moments: with pixel intensities as weights, row r
  (downwards) and column c, the slant is the shear ``-Cov(c, r) / Var(r)``: how many columns
  the stroke moves to the right per row upwards. Positive leans right (like italics).

Both depend on the digit's shape (a 1 has little ink, a 7 leans right by its form), so each is
compared with the quantiles of *its own class*: the lowest third of a class is "thin" (ink) or
"upright" (slant), the highest third "thick" or "slanted", and the middle third gets no word.
The thresholds (:func:`caption_thresholds`) are the class's 1/3 and 2/3 quantiles; they are
computed on the data set captioned (or passed in, so that generated images are judged by the
thresholds of the training data: :func:`caption_agreement`).

A caption is a list of words from :data:`VOCABULARY`; :func:`encode_captions` turns captions
into token ids padded with 0 (``"<pad>"``), refusing unknown words and empty captions.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .._validation import check_array, check_bool, check_option

__all__ = [
    "VOCABULARY",
    "DIGIT_WORDS",
    "THICKNESS_WORDS",
    "SLANT_WORDS",
    "measure_attributes",
    "caption_thresholds",
    "make_captions",
    "encode_captions",
    "decode_captions",
    "parse_captions",
    "caption_agreement",
    "load_digit_captions",
]

#: The name of each digit, index = label.
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
#: Words for the lowest and highest third of a class's ink mass (the middle third has none).
THICKNESS_WORDS = ("thin", "thick")
#: Words for the lowest and highest third of a class's slant (the middle third has none).
SLANT_WORDS = ("upright", "slanted")
#: Every word a caption may use; token id = position. Id 0 pads short captions.
VOCABULARY = ("<pad>", "a", "an", *THICKNESS_WORDS, *SLANT_WORDS, *DIGIT_WORDS)

#: The quantiles that split each class into thirds.
QUANTILES = (1.0 / 3.0, 2.0 / 3.0)


def _images(images: Any, name: str = "images") -> np.ndarray:
    """Grey square images in [0, 1] as float64 (n, s, s); flat (n, s*s) rows are reshaped."""
    ndim = np.ndim(images)
    if ndim not in (2, 3, 4):
        raise ValueError(f"{name} must be square grey images (n, s, s), (n, 1, s, s) or flat (n, s*s), "
                         f"got shape {np.shape(images)}.")
    arr = check_array(images, name, ndim=ndim)
    if ndim == 4:
        if arr.shape[1] != 1:
            raise ValueError(f"{name} must hold grey images with one channel, got shape {arr.shape}.")
        arr = arr[:, 0]
    elif ndim == 2:
        side = int(round(np.sqrt(arr.shape[1])))
        if side * side != arr.shape[1]:
            raise ValueError(f"{name} has {arr.shape[1]} pixels per row, not a square image; pass (n, s, s) images.")
        arr = arr.reshape(-1, side, side)
    if arr.shape[1] != arr.shape[2] or arr.shape[1] < 2:
        raise ValueError(f"{name} must hold square images of side >= 2, got {arr.shape[1]}x{arr.shape[2]}.")
    if arr.min() < 0 or arr.max() > 1:
        raise ValueError(f"{name} must hold grey levels in [0, 1], got range [{arr.min():.3g}, {arr.max():.3g}]; "
                         f"divide 8-bit images by 255 (scikit-learn's digits by 16).")
    return arr


def _labels(labels: Any, n: int, name: str = "labels") -> np.ndarray:
    arr = np.asarray(labels.detach().cpu() if hasattr(labels, "detach") else labels)
    if arr.dtype == object or arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer digit labels 0..9, got dtype {arr.dtype}.")
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"{name} must be 1-D with one label per image ({n}), got shape {arr.shape}.")
    if n and (arr.min() < 0 or arr.max() > 9):
        raise ValueError(f"{name} must hold digit labels 0..9, got values in [{arr.min()}, {arr.max()}].")
    return arr.astype(np.int64)


def measure_attributes(images: Any) -> tuple[np.ndarray, np.ndarray]:
    """The ink mass and the slant of each image: two arrays of shape (n,).

    ink = mean grey level; slant = -Cov(c, r) / Var(r) (eq. (captions-slant)) under the weights w_rc = x_rc / sum x,
    with r the row (downwards) and c the column: columns moved right per row up. An empty
    (all-zero) image has ink 0 and slant 0.

    Examples
    --------
    >>> import numpy as np
    >>> bar = np.zeros((1, 4, 4)); bar[0, [0, 1, 2, 3], [3, 2, 1, 0]] = 1.0  # "/" : leans right
    >>> ink, slant = measure_attributes(bar)
    >>> float(ink[0]), float(slant[0])
    (0.25, 1.0)
    """
    X = _images(images)
    n, s, _ = X.shape
    ink = X.mean(axis=(1, 2))
    mass = X.sum(axis=(1, 2))
    w = X / np.where(mass > 0, mass, 1.0)[:, None, None]  # (n, s, s), rows of weights summing to 1
    r = np.arange(s, dtype=np.float64)[None, :, None]
    c = np.arange(s, dtype=np.float64)[None, None, :]
    mr = (w * r).sum(axis=(1, 2))  # (n,)
    mc = (w * c).sum(axis=(1, 2))
    var_r = (w * (r - mr[:, None, None]) ** 2).sum(axis=(1, 2))
    cov_rc = (w * (r - mr[:, None, None]) * (c - mc[:, None, None])).sum(axis=(1, 2))
    slant = np.where(var_r > 1e-12, -cov_rc / np.where(var_r > 1e-12, var_r, 1.0), 0.0)
    return ink, slant


def caption_thresholds(images: Any, labels: Any) -> dict[str, np.ndarray]:
    """Per class, the 1/3 and 2/3 quantiles of ink and slant: ``{"ink": (10, 2), "slant": (10, 2)}``.

    Every class 0..9 must have at least 3 images.
    """
    X = _images(images)
    y = _labels(labels, X.shape[0])
    counts = np.bincount(y, minlength=10)
    if counts.min() < 3:
        raise ValueError(f"labels must give every digit 0..9 at least 3 images to split it into thirds, "
                         f"got counts {counts.tolist()}; pass more images.")
    ink, slant = measure_attributes(X)
    return {"ink": np.array([np.quantile(ink[y == k], QUANTILES) for k in range(10)]),
            "slant": np.array([np.quantile(slant[y == k], QUANTILES) for k in range(10)])}


def _check_thresholds(thresholds: Any) -> dict[str, np.ndarray]:
    if not isinstance(thresholds, dict) or set(thresholds) != {"ink", "slant"}:
        raise TypeError("thresholds must be the dict {'ink': (10, 2), 'slant': (10, 2)} of caption_thresholds, "
                        f"got {type(thresholds).__name__}.")
    out = {}
    for key in ("ink", "slant"):
        arr = check_array(thresholds[key], f"thresholds[{key!r}]")
        if arr.shape != (10, 2) or np.any(arr[:, 0] > arr[:, 1]):
            raise ValueError(f"thresholds[{key!r}] must be (10, 2) with low <= high per class, got shape {arr.shape}.")
        out[key] = arr
    return out


def _levels(values: np.ndarray, y: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """-1 below the class's low threshold, +1 above its high one, 0 in between."""
    lo, hi = cuts[y, 0], cuts[y, 1]
    return np.where(values < lo, -1, np.where(values > hi, 1, 0))


def make_captions(images: Any, labels: Any, *, thresholds: dict | None = None) -> list[str]:
    """One caption per image: ``"a [thin|thick] [upright|slanted] <digit>"`` ("an" before a vowel).

    The words come from the image's ink and slant compared with its class's thresholds
    (:func:`caption_thresholds` of these images unless ``thresholds`` is given).

    Examples
    --------
    >>> from genlib.datasets import load_digits
    >>> X, y = load_digits(as_images=True)
    >>> make_captions(X, y)[:4]
    ['a thin slanted zero', 'a one', 'a thick slanted two', 'a thin upright three']
    """
    X = _images(images)
    y = _labels(labels, X.shape[0])
    cuts = caption_thresholds(X, y) if thresholds is None else _check_thresholds(thresholds)
    ink, slant = measure_attributes(X)
    thick, lean = _levels(ink, y, cuts["ink"]), _levels(slant, y, cuts["slant"])
    out = []
    for t, s, k in zip(thick, lean, y):
        words = []
        if t:
            words.append(THICKNESS_WORDS[(t + 1) // 2])
        if s:
            words.append(SLANT_WORDS[(s + 1) // 2])
        words.append(DIGIT_WORDS[k])
        out.append(" ".join(["an" if words[0] in ("upright", "eight") else "a"] + words))  # spoken vowels
    return out


def _check_vocabulary(vocabulary: Any) -> tuple[str, ...]:
    if isinstance(vocabulary, (str, bytes)) or not isinstance(vocabulary, (tuple, list)):
        raise TypeError(f"vocabulary must be a tuple of words with '<pad>' first, got {type(vocabulary).__name__}.")
    if not vocabulary or vocabulary[0] != "<pad>" or not all(isinstance(w, str) and w for w in vocabulary):
        raise ValueError(f"vocabulary must be non-empty words with '<pad>' first (id 0 pads), got {list(vocabulary)[:5]}.")
    if len(set(vocabulary)) != len(vocabulary):
        raise ValueError("vocabulary must not repeat a word.")
    return tuple(vocabulary)


def encode_captions(captions: Any, *, vocabulary: Sequence[str] = VOCABULARY, max_length: int | None = None) -> np.ndarray:
    """Captions (a string or a list of strings) as token ids (n, L), padded with 0 on the right.

    Words are separated by white space, case-insensitive. ``L`` is the longest caption's
    length, or ``max_length``. Unknown words, empty captions and captions longer than
    ``max_length`` are refused with the offending caption in the message.

    Examples
    --------
    >>> encode_captions(["a seven", "a thick slanted one"]).tolist()
    [[1, 14, 0, 0], [1, 4, 6, 8]]
    """
    return _encode(captions, vocabulary, max_length, "captions")


def _encode(captions: Any, vocabulary: Any, max_length: Any, name: str) -> np.ndarray:
    """:func:`encode_captions`, with the argument's name for the messages (a model's ``captions``)."""
    vocabulary = _check_vocabulary(vocabulary)
    if isinstance(captions, str):
        captions = [captions]
    if isinstance(captions, np.ndarray) and captions.dtype.kind in "US":
        captions = captions.tolist()
    if not isinstance(captions, (list, tuple)):
        raise TypeError(f"{name} must be a caption string or a list of them, got {type(captions).__name__}.")
    if not captions:
        raise ValueError(f"{name} is empty; pass at least one caption such as 'a thick seven'.")
    index = {w: i for i, w in enumerate(vocabulary)}
    rows = []
    for i, text in enumerate(captions):
        if not isinstance(text, str):
            raise TypeError(f"{name}[{i}] must be a string, got {type(text).__name__}.")
        words = text.lower().split()
        if not words:
            raise ValueError(f"{name}[{i}] is an empty caption; every caption needs at least one word, e.g. 'a seven'.")
        unknown = [w for w in words if w not in index or w == "<pad>"]
        if unknown:
            raise ValueError(f"{name}[{i}] = {text!r} has word(s) {unknown} outside the vocabulary "
                             f"{list(vocabulary[1:])}; use only these words.")
        rows.append([index[w] for w in words])
    longest = max(len(r) for r in rows)
    if max_length is not None:
        from .._validation import check_int

        max_length = check_int(max_length, "max_length", minimum=1)
        if longest > max_length:
            raise ValueError(f"{name} has a caption of {longest} words, longer than max_length={max_length}.")
        longest = max_length
    out = np.zeros((len(rows), longest), dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, :len(r)] = r
    return out


def _check_tokens(tokens: Any, n_words: int, name: str = "tokens") -> np.ndarray:
    arr = np.asarray(tokens.detach().cpu() if hasattr(tokens, "detach") else tokens)
    if arr.dtype == object or arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer token ids, got dtype {arr.dtype}; encode strings with "
                        f"encode_captions.")
    if arr.ndim == 1:
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"{name} must be (n_captions, length) token ids, got shape {arr.shape}.")
    if arr.min() < 0 or arr.max() >= n_words:
        raise ValueError(f"{name} holds ids outside the vocabulary 0..{n_words - 1}, got range "
                         f"[{arr.min()}, {arr.max()}].")
    empty = np.flatnonzero((arr != 0).sum(axis=1) == 0)
    if empty.size:
        raise ValueError(f"{name}[{int(empty[0])}] is an empty caption (only padding); every caption needs a word.")
    return arr.astype(np.int64)


def decode_captions(tokens: Any, *, vocabulary: Sequence[str] = VOCABULARY) -> list[str]:
    """Token ids (n, L) back to caption strings (padding dropped).

    Examples
    --------
    >>> decode_captions([[1, 4, 6, 8]])
    ['a thick slanted one']
    """
    vocabulary = _check_vocabulary(vocabulary)
    arr = _check_tokens(tokens, len(vocabulary))
    return [" ".join(vocabulary[t] for t in row if t != 0) for row in arr]


def parse_captions(captions: Any) -> dict[str, np.ndarray]:
    """What each caption asks for: ``{"label", "ink", "slant"}``, arrays of shape (n,).

    ``ink`` and ``slant`` are the asked levels: -1 ("thin" / "upright"), +1 ("thick" /
    "slanted") or 0 (no word: the middle third). Each caption must name exactly one digit.

    Examples
    --------
    >>> {k: v.tolist() for k, v in parse_captions(["a thin slanted two"]).items()}
    {'label': [2], 'ink': [-1], 'slant': [1]}
    """
    tokens = encode_captions(captions)
    words = [[VOCABULARY[t] for t in row if t] for row in tokens]
    label, ink, slant = [], [], []
    for i, ws in enumerate(words):
        digits = [DIGIT_WORDS.index(w) for w in ws if w in DIGIT_WORDS]
        if len(digits) != 1:
            raise ValueError(f"captions[{i}] must name exactly one digit ({DIGIT_WORDS[0]}..{DIGIT_WORDS[-1]}), "
                             f"got {' '.join(ws)!r}.")
        label.append(digits[0])
        ink.append(-1 if "thin" in ws else 1 if "thick" in ws else 0)
        slant.append(-1 if "upright" in ws else 1 if "slanted" in ws else 0)
    return {"label": np.array(label, dtype=np.int64), "ink": np.array(ink), "slant": np.array(slant)}


def caption_agreement(images: Any, captions: Any, thresholds: dict) -> dict[str, float]:
    """How often images show the thickness and slant their captions ask for.

    Each image is measured (:func:`measure_attributes`) and its level (-1, 0, +1) found with
    the thresholds of the class its caption names; the answer is the fraction of images whose
    level equals the caption's, for ``"ink"`` and ``"slant"`` (no word asks for the middle
    third), and ``"words"``: the fraction of explicit attribute words (thin, thick, upright,
    slanted) that hold. For images of a class with its own captions all three are 1 by
    construction; an image that ignores the attribute words scores about 1/3 on ``"ink"`` and
    ``"slant"`` when it is drawn like the data.
    """
    X = _images(images)
    asked = parse_captions(captions)
    if len(asked["label"]) != X.shape[0]:
        raise ValueError(f"captions must give one caption per image ({X.shape[0]}), got {len(asked['label'])}.")
    cuts = _check_thresholds(thresholds)
    ink, slant = measure_attributes(X)
    got_ink = _levels(ink, asked["label"], cuts["ink"])
    got_slant = _levels(slant, asked["label"], cuts["slant"])
    words = np.concatenate([(got_ink == asked["ink"])[asked["ink"] != 0],
                            (got_slant == asked["slant"])[asked["slant"] != 0]])
    return {"ink": float(np.mean(got_ink == asked["ink"])), "slant": float(np.mean(got_slant == asked["slant"])),
            "words": float(words.mean()) if words.size else float("nan")}


def load_digit_captions(dataset: str = "digits", *, data_home: Any = None, as_images: bool = True) -> dict:
    """Digit images with their captions and everything needed to use them.

    Parameters
    ----------
    dataset : {"digits", "mnist"}
        ``"digits"``: scikit-learn's 1,797 8x8 digits (ships, no download). ``"mnist"``: the
        50,000 training images of 28x28 MNIST from :func:`~genlib.datasets.load_mnist` with
        ``download=False`` (a missing file is an error; thresholds from these images).
    data_home :
        Passed to :func:`~genlib.datasets.load_mnist`.
    as_images : bool
        Images (n, s, s) (default) or flat rows (n, s*s).

    Returns
    -------
    dict
        ``images`` float64 in [0, 1]; ``labels`` (n,); ``captions`` (list of n strings);
        ``tokens`` (n, L) int64 (:func:`encode_captions`); ``vocabulary``; ``thresholds``
        (:func:`caption_thresholds`); ``ink`` and ``slant`` (n,) measured.

    Examples
    --------
    >>> data = load_digit_captions()
    >>> data["images"].shape, data["tokens"].shape, data["captions"][7]
    ((1797, 8, 8), (1797, 4), 'a slanted seven')
    """
    check_option(dataset, "dataset", ("digits", "mnist"))
    as_images = check_bool(as_images, "as_images")
    if dataset == "digits" and data_home is not None:
        raise ValueError(f"data_home is where MNIST is stored and dataset='digits' ships with scikit-learn; pass "
                         f"data_home only with dataset='mnist', got data_home={data_home!r}.")
    if dataset == "digits":
        from .images import load_digits

        X, y = load_digits(as_images=True)
    else:
        from .mnist import load_mnist

        data = load_mnist(data_home, download=False)
        X, y = data["x_train"].astype(np.float64) / 255.0, data["y_train"].astype(np.int64)
    thresholds = caption_thresholds(X, y)
    captions = make_captions(X, y, thresholds=thresholds)
    ink, slant = measure_attributes(X)
    return {"images": X if as_images else X.reshape(len(X), -1), "labels": y, "captions": captions,
            "tokens": encode_captions(captions), "vocabulary": VOCABULARY, "thresholds": thresholds,
            "ink": ink, "slant": slant}
