"""Tests of the benchmark scripts' own logic (not their results): the RBM quality cases' schedules.

The benchmarks themselves run for minutes to hours and are not part of the test suite; what is
tested here is the arithmetic that decides how they spend their budget, and how a speed case
picks its median process.
"""

import numpy as np
import pytest

rbm = pytest.importorskip("benchmarks.rbm", reason="benchmarks/ is not here (installed wheel)")


@pytest.mark.parametrize("n_epochs", [2, 3, 10, 51, 400])
def test_cd25_raises_k_from_1_to_25_over_the_first_half_then_keeps_it(n_epochs):
    ks = [rbm.k_schedule("CD-25", e, n_epochs) for e in range(n_epochs)]
    assert ks[0] == 1
    assert all(a <= b for a, b in zip(ks, ks[1:])), "k must never decrease"
    assert set(ks) <= set(range(1, 26))
    half = max(1, n_epochs // 2)
    assert all(k == 25 for k in ks[half:]), "k is 25 from half-way on"
    if n_epochs >= 50:
        assert ks[half // 2] in range(11, 15), "the ramp is linear"


@pytest.mark.parametrize("method", ["CD-1", "PCD"])
def test_other_methods_keep_their_k(method):
    assert {rbm.k_schedule(method, e, 100) for e in range(100)} == {1}


def _predicted_seconds(method, first, second, n):
    """Brute force: the cost model of plan_epochs, summed epoch by epoch."""
    base = 6 if rbm.RECIPES[method]["persistent"] else 5
    unit = second / (7 if method == "CD-25" else base)
    return first + second + sum(unit * (base + 2 * (rbm.k_schedule(method, e, n) - 1)) for e in range(2, n))


@pytest.mark.parametrize("method, first, second, minutes", [
    ("PCD", 10.0, 5.0, 1.0), ("PCD", 9.0, 8.0, 55.0), ("CD-1", 4.0, 3.5, 10.0), ("CD-25", 6.0, 8.0, 55.0),
    ("CD-25", 0.5, 0.6, 0.3)])
def test_planned_epochs_are_the_most_that_fit_the_budget(method, first, second, minutes):
    n = rbm.plan_epochs(method, first, second, minutes, cap=10_000)
    budget = 0.93 * minutes * 60
    assert n >= 2
    assert _predicted_seconds(method, first, second, n) <= budget + 1e-9
    assert _predicted_seconds(method, first, second, n + 1) > budget


def test_plan_respects_the_epoch_cap():
    assert rbm.plan_epochs("PCD", 1.0, 1.0, 60.0, cap=50) == 50


def test_merge_replaces_only_the_re_run_cases(tmp_path):
    import json

    speed = lambda name: {"case": name, "genlib": {"seconds": 1.0}, "cpu_ratio": 0.5}  # noqa: E731
    quality = {"case": "MNIST CD-1", "genlib": {"test_log_likelihood": -100.0}}
    path = tmp_path / "rbm.json"
    path.write_text(json.dumps({"date": "2026-01-02", "cases": [speed("(a) old"), speed("(b) old"), quality]}))
    merged = rbm.merge([speed("(a) new"), speed("(b) new")], path, "speed")
    assert [c["case"] for c in merged] == ["(a) new", "(b) new", "MNIST CD-1"]
    assert merged[2]["measured"] == "2026-01-02" and merged[0]["measured"] != "2026-01-02"
    merged = rbm.merge([dict(quality, case="MNIST PCD")], path, "quality")
    assert [c["case"] for c in merged] == ["(a) old", "(b) old", "MNIST PCD"]


def test_speed_case_in_processes_reports_the_median_process():
    # Three fresh processes on a tiny problem: the case returned is the one whose ratio is the median of the
    # three recorded, and every process's ratio and floor are kept in the order they ran.
    X = (np.random.default_rng(0).random((60, 6)) < 0.5).astype(float)
    case = rbm.speed_case_in_processes(3, "tiny", X, 4, 1, threads=1)
    ratios = case["process_ratios"]
    assert len(ratios) == 3 == len(case["process_floor_ratios"])
    assert case["ratio"] == sorted(ratios)[1]
    assert case["floor_ratio"] == case["process_floor_ratios"][ratios.index(case["ratio"])]
    with pytest.raises(ValueError, match="odd"):
        rbm.speed_case_in_processes(2, "tiny", X, 4, 1)


def test_pixelcnn_benchmark_keeps_the_weights_of_the_best_validation_epoch():
    import torch

    pixelcnn = pytest.importorskip("benchmarks.pixelcnn", reason="benchmarks/ is not here (installed wheel)")
    from genlib.neural import PixelCNN

    X = torch.as_tensor(np.random.default_rng(0).integers(0, 2, (40, 9)), dtype=torch.float32)
    snapshots, scores = [], iter([-1.0, -0.5, -3.0, -2.0])  # the second epoch is the best

    def score(model):
        snapshots.append({k: v.clone() for k, v in model.state_dict().items() if isinstance(v, torch.Tensor)})
        return next(scores)

    model = PixelCNN(3, n_filters=4, n_layers=1, kernel_size=3, random_state=0)
    epochs, best, _ = pixelcnn.train_for(model, X, n_epochs=4, batch_size=10, lr=1e-2, valid_score=score)
    assert (epochs, best) == (4, 2)
    for name, value in snapshots[1].items():
        assert torch.equal(model.state_dict()[name], value), name
    assert not all(torch.equal(snapshots[3][k], snapshots[1][k]) for k in snapshots[1])  # training moved on
