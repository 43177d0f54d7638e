"""genlib.plotting draws what it says on the axes it returns."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy.stats import multivariate_normal  # noqa: E402

from genlib import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_image_grid_tiles_images_in_place():
    images = np.zeros((3, 2, 2))
    images[1] = 1.0
    ax = plotting.image_grid(images, n_cols=2, pad=1)
    canvas = ax.get_images()[0].get_array()
    assert canvas.shape == (2 * 3 + 1, 2 * 3 + 1)
    np.testing.assert_array_equal(canvas[1:3, 4:6], 1.0)  # image 1: row 0, column 1
    np.testing.assert_array_equal(canvas[4:6, 1:3], 0.0)  # image 2: row 1, column 0
    assert canvas.mask[0].all()  # padding is blank
    assert canvas.mask[4:6, 4:6].all()  # the empty slot is blank


def test_image_grid_flat_and_errors():
    ax = plotting.image_grid(np.random.default_rng(0).random((4, 64)), n_cols=4)
    assert ax.get_images()[0].get_array().shape == (1 * 9 + 1, 4 * 9 + 1)
    with pytest.raises(ValueError, match="image_shape"):
        plotting.image_grid(np.zeros((2, 10)))
    ax = plotting.image_grid(np.zeros((2, 10)), image_shape=(2, 5))
    assert ax.get_images()


def test_density_contour_evaluates_the_model_on_the_window():
    calls = []

    def log_prob(P):
        calls.append(P)
        return multivariate_normal(mean=[0, 0]).logpdf(P)

    ax = plotting.density_contour(log_prob, bounds=(-3, 3, -2, 2), resolution=20, samples=np.zeros((5, 2)))
    grid = calls[0]
    assert grid.shape == (400, 2)
    assert grid[:, 0].min() == -3 and grid[:, 1].max() == 2
    assert ax.get_xlim() == (-3, 3)
    with pytest.raises(ValueError, match="bounds"):
        plotting.density_contour(log_prob)


def test_scatter_classes_and_training_curves():
    X = np.random.default_rng(0).normal(size=(30, 2))
    ax = plotting.scatter_classes(X, np.repeat([0, 1, 2], 10))
    assert len(ax.collections) == 3
    with pytest.raises(ValueError, match="2 columns"):
        plotting.scatter_classes(np.zeros((3, 3)))
    ax = plotting.training_curves({"train": [3, 2, 1], "test": [3, 2.5, 2]})
    assert len(ax.lines) == 2 and ax.get_legend() is not None
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 3])


def test_animate_returns_self_contained_html():
    pytest.importorskip("IPython")
    frames = []

    def draw(ax, i):
        frames.append(i)
        ax.plot([0, i], [0, i])

    html = plotting.animate(draw, 3, figsize=(2, 2))
    assert "<script" in html.data and "data:image/png;base64" in html.data
    assert set(frames) == {0, 1, 2}
    assert plt.get_fignums() == []  # closed, not shown twice


def test_table_renders_html_and_aligned_text():
    from genlib.plotting import table

    t = table([["GMM", -12.345, 3], ["RBM <b>", None, 10]], ["model", "log p(x)", "n"],
              formats={"log p(x)": ".1f"}, caption="held-out")
    html = t._repr_html_()
    assert html.count("<tr>") == 3 and "<caption>held-out</caption>" in html
    assert "<td>-12.3</td>" in html and "RBM &lt;b&gt;" in html and "<td></td>" in html
    assert repr(t).splitlines() == ["held-out", "model    log p(x)  n", "-------  --------  --",
                                    "GMM      -12.3     3", "RBM <b>            10"]


@pytest.mark.parametrize("rows, columns, formats, match", [
    ([[1, 2]], ["a"], None, "row 0 has 2 values but there are 1 columns"),
    ([[1]], [], None, "at least one column"),
    ([[1]], ["a"], {"b": ".1f"}, "formats names columns"),
])
def test_table_refuses_mismatched_rows_and_formats(rows, columns, formats, match):
    from genlib.plotting import table

    with pytest.raises(ValueError, match=match):
        table(rows, columns, formats=formats)
