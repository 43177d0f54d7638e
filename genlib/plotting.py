"""Figures the chapters share: image grids, 2-D densities with samples, training curves, animations.

Every function draws on a given matplotlib ``Axes`` (or makes one) and returns it, so a
chapter can compose panels. Animations are returned as HTML (matplotlib's ``to_jshtml``),
which a static Jupyter Book page plays without a running kernel.
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import matplotlib

import matplotlib.pyplot as plt
import numpy as np

from ._validation import check_array, check_float, check_int

__all__ = ["image_grid", "density_contour", "scatter_classes", "training_curves", "animate", "table", "Table", "COLORS"]

#: A colour-blind-safe cycle (Okabe & Ito) used for classes and components.
COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


def _axes(ax, figsize=(4, 4)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def image_grid(images, *, n_cols=10, image_shape=None, ax=None, cmap="gray_r", vmin=0.0, vmax=1.0,
               titles=None, pad=1):
    """Tile images into one picture.

    Parameters
    ----------
    images : array-like of shape (n, h, w) or (n, h*w) or (n, 1, h, w)
        Grey images; flat rows are reshaped with ``image_shape`` (default: square).
    n_cols : int
        Images per row.
    image_shape : tuple (h, w), optional
        Shape of one image when ``images`` is flat.
    ax : matplotlib Axes, optional
    cmap, vmin, vmax : passed to ``imshow``. Default: ink dark on white for values in [0, 1].
    titles : str, optional
        Title of the axes.
    pad : int
        Pixels of blank space between images.

    Returns
    -------
    matplotlib Axes
    """
    arr = check_array(images.detach().cpu().numpy() if hasattr(images, "detach") else images, "images", ndim=None,
                      allow_nonfinite=True)  # NaN shows as a blank pixel
    if arr.ndim not in (2, 3, 4):
        raise ValueError(f"images must have shape (n, h, w), (n, 1, h, w) or (n, h*w), got {arr.shape}.")
    if cmap not in matplotlib.colormaps:
        raise ValueError(f"cmap must be a matplotlib colormap name such as 'gray_r' or 'viridis', got {cmap!r}.")
    if arr.ndim == 4 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim == 2:
        if image_shape is None:
            side = int(round(np.sqrt(arr.shape[1])))
            if side * side != arr.shape[1]:
                raise ValueError(
                    f"images are flat with {arr.shape[1]} pixels, not a square; pass image_shape=(h, w)."
                )
            image_shape = (side, side)
        arr = arr.reshape(-1, *image_shape)
    if arr.ndim != 3:
        raise ValueError(f"images must have shape (n, h, w) or (n, h*w), got {arr.shape}.")
    n_cols = check_int(n_cols, "n_cols", minimum=1)
    n, h, w = arr.shape
    n_cols = min(n_cols, n)
    n_rows = int(np.ceil(n / n_cols))
    canvas = np.full((n_rows * (h + pad) + pad, n_cols * (w + pad) + pad), np.nan)
    for i in range(n):
        r, c = divmod(i, n_cols)
        canvas[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = arr[i]
    ax = _axes(ax, figsize=(n_cols * 0.6, n_rows * 0.6))
    cm = matplotlib.colormaps[cmap].copy()
    cm.set_bad("white")
    ax.imshow(canvas, cmap=cm, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_axis_off()
    if titles:
        ax.set_title(titles)
    return ax


def scatter_classes(X, y=None, *, ax=None, s=8, alpha=0.7, labels=None, legend=True):
    """Scatter 2-D points coloured by class or component ``y``."""
    X = check_array(X, "X")
    if X.shape[1] != 2:
        raise ValueError(f"X must have 2 columns to scatter in the plane, got {X.shape[1]}.")
    ax = _axes(ax)
    if y is None:
        ax.scatter(X[:, 0], X[:, 1], s=s, alpha=alpha, color=COLORS[0], linewidths=0)
        return ax
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(f"y must hold one class per point of X ({len(X)}), got shape {y.shape}.")
    classes = np.unique(y)
    # more classes than the colour-blind-safe cycle holds: a qualitative map, so no colour repeats
    palette = COLORS if len(classes) <= len(COLORS) else [
        matplotlib.colormaps["tab10" if len(classes) <= 10 else "tab20"](i) for i in range(len(classes))]
    for i, k in enumerate(classes):
        name = labels[i] if labels is not None else f"{k}"
        ax.scatter(*X[y == k].T, s=s, alpha=alpha, color=palette[i % len(palette)], label=name, linewidths=0)
    if legend:
        ax.legend(markerscale=2, fontsize="small", frameon=False)
    return ax


def density_contour(log_prob: Callable[[np.ndarray], np.ndarray], X=None, *, ax=None, bounds=None,
                    resolution=150, levels=12, samples=None, cmap="Blues", filled=True, margin=0.15):
    """Draw the density ``exp(log_prob)`` of a 2-D model, with data and samples on top.

    Parameters
    ----------
    log_prob : callable
        Maps an array (m, 2) to log-densities (m,): e.g. ``model.log_prob``.
    X : array-like (n, 2), optional
        Data, drawn as small grey points.
    bounds : (xmin, xmax, ymin, ymax), optional
        Plot window; default: the data (and samples) plus a ``margin``.
    resolution : int
        Grid points per axis.
    levels : int
        Number of contour levels.
    samples : array-like (m, 2), optional
        Model samples, drawn as orange crosses.
    """
    if not callable(log_prob):
        raise TypeError(f"log_prob must be a callable mapping points (m, 2) to log-densities (m,), e.g. "
                        f"model.log_prob, got {type(log_prob).__name__}.")
    X = None if X is None else _points_2d(X, "X")
    samples = None if samples is None else _points_2d(samples, "samples")
    resolution = check_int(resolution, "resolution", minimum=2)
    margin = check_float(margin, "margin", minimum=0.0)
    pts = [a for a in (X, samples) if a is not None]
    if bounds is None:
        if not pts:
            raise ValueError("pass X, samples or bounds so the plot window is known.")
        allp = np.concatenate(pts)
        lo, hi = allp.min(axis=0), allp.max(axis=0)
        span = np.where(hi > lo, hi - lo, 1.0)  # one point, or points on a line: a window of width 1 around them
        lo, hi = lo - margin * span, hi + margin * span
        bounds = (lo[0], hi[0], lo[1], hi[1])
    bounds = check_array(bounds, "bounds", ndim=1)
    if bounds.shape != (4,) or not (bounds[0] < bounds[1] and bounds[2] < bounds[3]):
        raise ValueError(f"bounds must be (xmin, xmax, ymin, ymax) with xmin < xmax and ymin < ymax, got "
                         f"{bounds.tolist()}.")
    xs = np.linspace(bounds[0], bounds[1], resolution)
    ys = np.linspace(bounds[2], bounds[3], resolution)
    gx, gy = np.meshgrid(xs, ys)
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    logp = _log_densities(log_prob(grid), grid.shape[0], bounds).reshape(gx.shape)
    ax = _axes(ax)
    dens = np.exp(logp - np.max(logp))  # scale-free: contours of relative density
    if filled:
        ax.contourf(gx, gy, dens, levels=levels, cmap=cmap)
    else:
        ax.contour(gx, gy, dens, levels=levels, cmap=cmap, linewidths=0.8)
    if X is not None:
        ax.scatter(X[:, 0], X[:, 1], s=3, color="0.25", alpha=0.5, linewidths=0, label="data")
    if samples is not None:
        ax.scatter(samples[:, 0], samples[:, 1], s=12, marker="x", color=COLORS[5], linewidths=0.8, label="samples")
    ax.set_xlim(bounds[0], bounds[1])
    ax.set_ylim(bounds[2], bounds[3])
    ax.set_aspect("equal", adjustable="box")
    return ax


def _points_2d(P, name):
    P = check_array(P, name)
    if P.shape[1] != 2:
        raise ValueError(f"{name} must be points in the plane, shape (n, 2), got shape {P.shape}; plot two "
                         f"features, e.g. {name}[:, :2] or a 2-D projection.")
    return P


def _log_densities(values, m, bounds):
    """``log_prob``'s answer on the m grid points: m numbers, no NaN or +inf, not all -inf."""
    try:
        logp = np.asarray(values.detach().cpu() if hasattr(values, "detach") else values, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise TypeError(f"log_prob must return {m} log-densities (one per grid point), got "
                        f"{type(values).__name__}.") from None
    if logp.size != m:
        raise ValueError(f"log_prob must return one log-density per point ({m} points of shape (m, 2)), got "
                         f"{logp.size} value(s).")
    if np.isnan(logp).any() or np.isposinf(logp).any():
        raise ValueError(f"log_prob returned {int(np.isnan(logp).sum())} NaN and {int(np.isposinf(logp).sum())} +inf "
                         f"value(s) on the plot window; a log-density is finite or -inf.")
    if np.isneginf(logp).all():
        raise ValueError(f"log_prob is -inf (density 0) everywhere on the plot window {[f'{b:.3g}' for b in bounds]} "
                         f"(from bounds, or from X and samples); pass bounds where the model has mass, or check the "
                         f"model.")
    return logp


def training_curves(history: Mapping[str, Sequence[float]] | Sequence[float], *, ax=None, xlabel="iteration",
                    ylabel=None, logy=False, keys=None):
    """Plot one or several training curves.

    ``history`` is a sequence (one curve) or a mapping name -> sequence (several curves
    sharing the x axis), e.g. a model's ``history_``.
    """
    if isinstance(history, Mapping):
        items = [(k, history[k]) for k in (keys or history.keys())]
    else:
        items = [(ylabel or "value", history)]
    curves = []
    for name, values in items:
        v = check_array(values, f"history[{name!r}]" if isinstance(history, Mapping) else "history", ndim=1,
                        allow_nonfinite=True)  # a diverged run's inf/NaN is part of its curve
        curves.append((name, v))
    ax = _axes(ax, figsize=(5, 3.2))
    for i, (name, v) in enumerate(curves):
        ax.plot(np.arange(1, len(v) + 1), v, color=COLORS[i % len(COLORS)], label=name, lw=1.5)
    ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    if len(items) > 1:
        ax.legend(frameon=False, fontsize="small")
    ax.grid(alpha=0.3)
    return ax


def animate(draw_frame: Callable[[plt.Axes, int], None], n_frames: int, *, figsize=(4, 4), interval=200,
            default_mode="once"):
    """Build an animation that plays in a static HTML page.

    ``draw_frame(ax, i)`` draws frame ``i`` on a cleared axes. Returns an
    ``IPython.display.HTML`` object (``FuncAnimation.to_jshtml``): display it as a cell's
    last expression. The figure is closed so it is not shown a second time.
    """
    from matplotlib import animation
    from IPython.display import HTML

    if not callable(draw_frame):
        raise TypeError(f"draw_frame must be a callable draw_frame(ax, i) that draws frame i, got "
                        f"{type(draw_frame).__name__}.")
    n_frames = check_int(n_frames, "n_frames", minimum=1)
    interval = check_float(interval, "interval", minimum=0.0, strict=True)
    fig, ax = plt.subplots(figsize=figsize)

    def update(i):
        ax.clear()
        draw_frame(ax, i)
        return []

    anim = animation.FuncAnimation(fig, update, frames=n_frames, interval=interval, blit=False)
    html = anim.to_jshtml(default_mode=default_mode)
    plt.close(fig)
    return HTML(html)


class Table:
    """A results table that renders as an HTML table in the book (it wraps and fits the page
    column, where a printed text table scrolls sideways) and as aligned text elsewhere.

    Make one with :func:`table`.
    """

    def __init__(self, columns: list[str], rows: list[list[str]], caption: str | None):
        self.columns, self.rows, self.caption = columns, rows, caption

    def _repr_html_(self) -> str:
        import html

        def cells(values, tag):
            return "".join(f"<{tag}>{html.escape(v)}</{tag}>" for v in values)

        caption = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        body = "".join(f"<tr>{cells(row, 'td')}</tr>" for row in self.rows)
        return (f'<table class="table genlib-table">{caption}<thead><tr>{cells(self.columns, "th")}'
                f"</tr></thead><tbody>{body}</tbody></table>")

    def __repr__(self) -> str:
        widths = [max(len(v) for v in column) for column in zip(self.columns, *self.rows)]
        lines = ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in [self.columns, *self.rows]]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(([self.caption] if self.caption else []) + lines)


def table(rows: Sequence[Sequence], columns: Sequence[str], *, formats: Mapping[str, str] | None = None,
          caption: str | None = None) -> Table:
    """A table of results for a chapter: HTML in the book, aligned text in a terminal.

    Parameters
    ----------
    rows : sequence of sequences
        One sequence of values per row, as many as ``columns``; ``None`` shows as an empty cell.
    columns : sequence of str
        Column headings.
    formats : mapping column -> format spec, optional
        How numbers of a column are written, e.g. ``{"log p(x)": ".2f"}``; other values use ``str``.
    caption : str, optional

    Examples
    --------
    >>> table([["GMM", -12.345], ["RBM", None]], ["model", "log p(x)"], formats={"log p(x)": ".1f"})
    model  log p(x)
    -----  --------
    GMM    -12.3
    RBM
    """
    if isinstance(columns, (str, bytes)) or not isinstance(columns, Sequence) and not hasattr(columns, "__iter__"):
        raise TypeError(f"columns must be a list of column headings, got {type(columns).__name__} ({columns!r}).")
    if isinstance(rows, (str, bytes)) or not hasattr(rows, "__iter__"):
        raise TypeError(f"rows must be a list of rows (one sequence of values each), got {type(rows).__name__}.")
    columns = list(columns)
    if not all(isinstance(c, (str, int, float)) for c in columns):
        raise TypeError(f"columns must be headings (strings), got {[type(c).__name__ for c in columns]}.")
    columns = [str(c) for c in columns]
    if not columns:
        raise ValueError("columns must name at least one column, got none.")
    formats = dict(formats or {})
    unknown = set(formats) - set(columns)
    if unknown:
        raise ValueError(f"formats names columns {sorted(unknown)} that are not in columns {columns}; "
                         f"use the headings as given.")
    out = []
    for i, row in enumerate(rows):
        if isinstance(row, (str, bytes)) or not hasattr(row, "__iter__"):
            raise TypeError(f"rows[{i}] must be a sequence of values, one per column, got {type(row).__name__}.")
        row = list(row)
        if not all(v is None or isinstance(v, str) or np.isscalar(v) for v in row):
            raise TypeError(f"rows[{i}] must hold single values (numbers, strings, None), got "
                            f"{[type(v).__name__ for v in row]}.")
        if len(row) != len(columns):
            raise ValueError(f"row {i} has {len(row)} values but there are {len(columns)} columns "
                             f"({columns}); give one value per column (None for an empty cell).")
        out.append(["" if v is None else format(v, formats[c]) if c in formats else str(v)
                    for v, c in zip(row, columns)])
    return Table(columns, out, caption)
