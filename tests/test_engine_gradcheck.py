"""bpkit.gradcheck's one relative error and its table of thresholds (the course's definition)."""
import math

import numpy as np
import pytest

from bpkit.gradcheck import THRESHOLDS, relative_error, verdict


def test_relative_error_is_the_norm_form():
    a = np.array([[1.0, 0.0], [2.0, -1.0]])
    b = np.array([[1.0, 1e-9], [2.5, -1.0]])
    by_hand = math.sqrt(1e-18 + 0.25) / (math.sqrt(6.0) + math.sqrt(1 + 1e-18 + 6.25 + 1))
    assert relative_error(a, b) == pytest.approx(by_hand, rel=1e-12)
    assert relative_error(a, b) == relative_error(b, a)
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0          # the floor: no 0/0
    # near-zero entries do not blow it up (the elementwise form would give 1 for the 0 vs 1e-9)
    assert relative_error(a, a + np.array([[0, 1e-9], [0, 0]])) < 1e-9


def test_thresholds_table_is_contiguous_and_ordered():
    assert [t[2] for t in THRESHOLDS] == ["fine", "suspect", "probably wrong", "wrong"]
    assert THRESHOLDS[0][0] == 0.0 and THRESHOLDS[-1][1] == math.inf
    assert [t[1] for t in THRESHOLDS[:-1]] == [1e-7, 1e-4, 1e-2]
    for (lo1, hi1, *_), (lo2, _hi2, *_) in zip(THRESHOLDS, THRESHOLDS[1:]):
        assert hi1 == lo2 and lo1 < hi1


@pytest.mark.parametrize("rel, expected", [
    (0.0, "fine"), (3e-11, "fine"), (9.99e-8, "fine"),
    (1e-7, "suspect"), (2e-5, "suspect"),
    (1e-4, "probably wrong"), (5e-3, "probably wrong"),
    (1e-2, "wrong"), (0.7, "wrong"), (math.inf, "wrong"), (math.nan, "wrong")])
def test_verdict_bands(rel, expected):
    assert verdict(rel) == expected


def test_verdict_on_real_gradients():
    rng = np.random.default_rng(0)
    g = rng.normal(size=(4, 3))
    assert verdict(relative_error(g, g * (1 + 1e-12))) == "fine"
    assert verdict(relative_error(g, g + 1e-6 * rng.normal(size=g.shape))) == "suspect"
    wrong_entry = g.copy()
    wrong_entry[0, 0] += 0.01
    assert verdict(relative_error(g, wrong_entry)) == "probably wrong"
    assert verdict(relative_error(g, g.T.reshape(g.shape))) == "wrong"       # a transposed gradient
    with pytest.raises(ValueError, match="≥ 0"):
        verdict(-1e-3)
