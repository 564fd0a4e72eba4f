"""The diagnosis of wrong answers nobody catalogued (issue 11), on real exercises.

Each answer below is written as a student would write it and judged by the real judge
(in-process: `judge.judge` forks the child that runs the answer, as in grading). The message
must name the kind of mistake: a factor, a transpose, swapped outputs, which layers are wrong, an
inverted mask, a mutant of the reference, a probe's verdict; and messages about hidden cases show
shapes and kinds only, never a hidden value. benchmarks/diagnosis.py measures the same on a
corpus of 166 wrong answers.
"""
import re
import textwrap

import numpy as np
import pytest

from bpkit.grading import checker, diagnose, judge
from bpkit_instructor import spec


@pytest.fixture(autouse=True)
def answers(tmp_path, monkeypatch):
    monkeypatch.setenv(checker.ANSWERS_ENV, str(tmp_path))


def verdict(name, source, hidden=False, seed=None):
    ns = {"__name__": "student_answer"}
    exec("import numpy as np\n" + textwrap.dedent(source), ns)
    fn = [v for k, v in ns.items() if callable(v) and not k.startswith("_") and k != "np"][-1]
    path = checker.record(name, fn)
    v = judge.judge(name, path, hidden=hidden, seed=seed)
    assert not v.passed, v.message
    return v


BACKWARD = """
def backward(params, X, Y):
    L, B = 1 + len(params) // 2, X.shape[1]
    a, z = {1: X}, {}
    for l in range(2, L + 1):
        z[l] = params[f"W{l}"] @ a[l - 1] + params[f"b{l}"]
        if l < L:
            a[l] = np.tanh(z[l])
        else:
            e = np.exp(z[l] - z[l].max(axis=0))
            a[l] = e / e.sum(axis=0)
    delta, g = a[L] - Y, {}
    for l in range(L, 1, -1):
        g[f"W{l}"] = WEIGHT
        g[f"b{l}"] = BIAS
        if l > 2:
            delta = RECURSION
    return g
"""


def backward(weight="delta @ a[l - 1].T / B", bias="delta.sum(axis=1, keepdims=True) / B",
             recursion="(1 - a[l - 1] ** 2) * (params[f'W{l}'].T @ delta)"):
    return BACKWARD.replace("WEIGHT", weight).replace("BIAS", bias).replace("RECURSION", recursion)


def test_the_student_backward_of_these_tests_is_right():
    ns = {}
    exec("import numpy as np\n" + backward(), ns)
    path = checker.record("03.backward", ns["backward"])
    assert judge.judge("03.backward", path).passed


def test_a_factor_is_named_with_its_symbol_and_the_layers_that_carry_it():
    v = verdict("03.backward", backward(bias="delta.sum(axis=1, keepdims=True)"))
    assert "Only the bias gradients are wrong" in v.message
    assert "a factor B too many: the batch mean (÷B) is missing" in v.message


def test_a_transpose_is_named():
    v = verdict("03.backward", backward(weight="a[l - 1] @ delta.T / B"))  # visible case 1 is square
    assert "transpose" in v.message


def test_only_some_layers_wrong_points_at_the_recursion():
    v = verdict("03.backward", backward(
        weight="delta @ a[l - 1].T", bias="delta.sum(axis=1, keepdims=True)",
        recursion="(1 - a[l - 1] ** 2) * (params[f'W{l}'].T @ delta) / B").replace(
        "delta, g = a[L] - Y, {}", "delta, g = (a[L] - Y) / B, {}"))
    assert "∂C/∂W^[4]" in v.message and "are right" in v.message
    assert "look at the δ recursion" in v.message


def test_swapped_outputs_are_named():
    v = verdict("01.graph_grad", """
        def graph_grad(x1, x2):
            m1 = x1 * x2
            m2 = np.tanh(x1 + m1)
            s = 1 / (1 + np.exp(-m1))
            t = 1 - m2 ** 2
            d = s * (1 - s) * m2 + s * t
            return d * x1, d * x2 + s * t
    """)
    assert "are swapped" in v.message


def test_swapped_entries_of_one_returned_tuple_are_named():
    v = verdict("08.early_stopping", """
        def early_stopping(val_losses, patience):
            best, best_epoch, wait = np.inf, 0, 0
            for epoch, x in enumerate(val_losses, 1):
                if x < best:
                    best, best_epoch, wait = x, epoch, 0
                else:
                    wait += 1
                    if wait == patience:
                        return epoch, best_epoch
            return len(val_losses), best_epoch
    """)
    assert "entries 1 and 2 are swapped" in v.message


def test_an_inverted_mask_is_named_on_a_real_case():
    case = spec.get("08.dropout_net_train").visible[0]
    a2 = np.maximum(case["W2"] @ case["X"] + case["b2"], 0) + 0.5   # every unit active
    mask = case["mask"]
    expected = {"out": a2 * mask / (1 - case["p"])}
    got = {"out": a2 * (1 - mask) / (1 - case["p"])}
    msg = diagnose.explain(got, expected, case, 1e-7, 1e-10, hidden=False)
    assert "mask used the wrong way round" in msg


def test_a_branch_is_localised_by_the_sign_of_the_input():
    v = verdict("01.elu_prime", """
        def elu_prime(z, alpha):
            return np.where(z > 0, alpha, alpha * np.exp(z))
    """)
    assert "right where z < 0 and wrong where z > 0" in v.message


def test_a_mutant_of_the_reference_names_a_derivative_written_wrongly():
    v = verdict("07.residual_proj_backward", """
        def residual_proj_backward(dout, a, W, b, P):
            delta = dout * np.sign(W @ a + b)
            return P.T @ dout + W.T @ delta, delta @ a.T, delta.sum(axis=1, keepdims=True), dout @ a.T
    """)
    assert v.misconception.startswith("looks like: ")
    assert "ReLU′ written as sign(z)" in v.message


def test_a_probe_says_which_property_breaks_the_answer():
    v = verdict("03.delta_L", """
        def delta_L(Z, Y):
            e = np.exp(Z - Z.max())
            return e / e.sum() - Y
    """)
    assert "Probing: your answer is right for each example alone" in v.message


def test_a_count_gets_no_made_up_factor():
    v = verdict("02.n_params_dense", """
        def n_params_dense(sizes):
            return sum(sizes[l] * (sum(sizes[:l]) + 1) for l in range(2, len(sizes)))
    """)
    assert "½" not in v.message and "factor" not in v.message
    assert "loop over the layers starts or stops one step off" in v.message


SECRET_DIGITS = re.compile(r"\d\.\d{3,}|\d{4,}")


@pytest.mark.parametrize("name, source", [
    ("04.sgd_update", """
        def sgd_update(params, grads, eta):
            return {k: params[k] - grads[k] / eta for k in params}
     """),
    ("05.warmup_cosine", """
        def warmup_cosine(eta_max, eta_min, warmup, n_epochs):
            e = np.arange(n_epochs)
            t = (e - warmup) / (n_epochs - 1 - warmup)
            return np.where(e < warmup, eta_max * (e + 1) / warmup,
                            eta_min + 0.5 * (eta_max - eta_min) * (1 + np.cos(t)))
     """),
    ("01.xent_neuron_grads", """
        def xent_neuron_grads(w, b, X, y):
            err = 1 / (1 + np.exp(-(w @ X + b))) - y
            return X @ err / X.shape[1] * 1.7, np.sum(err) * 1.7
     """),
])
def test_hidden_case_messages_show_no_hidden_value(name, source):
    v = verdict(name, source, hidden=True, seed=12345)
    ex = spec.get(name)
    case = ex.cases(True, np.random.default_rng(12345))[0]
    msg = v.message
    for k, x in case.items():
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            assert not re.search(rf"\b{k}\s*=", msg), msg
    assert not SECRET_DIGITS.search(msg.split("\n", 1)[1]), msg   # no entries, no ratios
    for k, x in case.items():                                       # kinds instead of values
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            assert f"{k}: {type(x).__name__}" in msg, msg
