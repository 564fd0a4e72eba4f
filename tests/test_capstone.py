"""The capstone's accuracy bar (assignment 11) means something: the reference clears it with
margin, and the same widths without batch norm and residual connections, trained on the same budget
with the same optimiser, miss it. Grading is repeatable: same answer, same grade."""
import numpy as np

from bpkit.grading import scores
from bpkit_instructor.exercises import a11

MARGIN = 0.05            # the reference must clear the bar by this much (≈ 15 standard errors)


def held_out(data_seed):
    """The held-out set the key draws at grading time for this data seed."""
    return a11.held_out(data_seed, 0.0)


def test_reference_clears_the_bar_with_margin_and_a_plain_network_misses_it():
    measured = []
    for data_seed, seed in [(2026, 0), (7, 1)]:             # the visible case, and another draw
        X, y = held_out(data_seed)
        reference = a11._train(data_seed, seed)
        ref_acc = float(np.mean(scores.capstone_scores(reference, X).argmax(axis=0) == y))
        plain_acc = a11.plain_accuracy(a11._train(data_seed, seed, bn=False, residual=False), X, y)
        measured.append((data_seed, ref_acc, plain_acc))
        case = {"data_seed": data_seed, "seed": seed, "angle": 0.0}
        for scorer in (scores.capstone_accuracy, a11.held_out_accuracy):   # validation, held out
            ok, message = scorer(case, reference)
            assert ok, message
    print(f"\nbar {scores.CAPSTONE_BAR:.0%}; (data seed, reference, plain): {measured}")
    for _, ref_acc, plain_acc in measured:
        assert ref_acc >= scores.CAPSTONE_BAR + MARGIN, measured
        assert plain_acc < scores.CAPSTONE_BAR, measured


def test_grading_is_repeatable():
    case = a11._epoch_case(np.random.default_rng(5))
    first, second = a11._epoch(**case), a11._epoch(**case)
    for k in first[0]:
        assert np.array_equal(first[0][k], second[0][k])
    params = a11._random_params(np.random.default_rng(6), 2, 5)
    verdicts = {scores.capstone_accuracy({"data_seed": 3}, params) for _ in range(2)}
    assert len(verdicts) == 1 and not next(iter(verdicts))[0]      # an untrained net fails, twice alike


def test_a_network_trained_at_one_angle_fails_another():
    """Why hidden cases draw an angle: a trained network pasted in as numbers does not pass them."""
    trained = a11._train(2026, 0, 0.0)
    assert scores.capstone_accuracy({"data_seed": 5, "angle": 0.0}, trained)[0]
    assert not scores.capstone_accuracy({"data_seed": 5, "angle": 1.6}, trained)[0]


def test_scorer_explains_wrong_answers():
    ok, msg = scores.capstone_accuracy({"data_seed": 1}, [1, 2, 3])
    assert not ok and "dict" in msg
    params = a11._random_params(np.random.default_rng(6), 1, 4)
    del params["gamma1"]
    ok, msg = scores.capstone_accuracy({"data_seed": 1}, params)
    assert not ok and "gamma1" in msg


def test_the_student_part_cannot_draw_the_held_out_set():
    """The visible check's validation set is not the held-out set, and nothing in bpkit holds the
    key's salt."""
    from pathlib import Path
    X_val, _ = scores.capstone_data(scores.CAPSTONE_N_TEST, np.random.default_rng(
        [scores._CAPSTONE_VALIDATION_SALT, 2026]), 0.0)
    X_test, _ = a11.held_out(2026)
    assert not np.allclose(X_val, X_test)
    salt = str(a11._HELD_OUT_SALT)
    bpkit_dir = Path(scores.__file__).resolve().parents[1]
    assert not [p for p in bpkit_dir.rglob("*.py") if salt in p.read_text().replace("_", "")]
