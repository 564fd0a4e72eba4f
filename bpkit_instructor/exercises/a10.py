"""Assignment 10 — reverse-mode automatic differentiation from scratch (the answer key).

Programs are plain strings, one statement `name = expression` per line; the last line assigns
`out`. Expressions use the inputs (a dict name -> float), earlier names, numbers, + − * / ** (a
number as exponent), unary −, and tanh(·), exp(·), log(·), relu(·). The student's
`gradients(program, values)` runs the program on their own Value class and returns
(out.data, {input name: ∂out/∂input}).

The references here are functional (an AST walk that records a tape, then a reverse sweep), so
that a variant's source pasted into a notebook needs nothing but numpy and these functions.

Graphs for the topological order are plain data: children[i] lists the nodes node i was computed
from (micrograd's `_prev`); an order is valid when every node comes AFTER all its children and
each node reachable from the root appears once (scored key-free: bpkit.grading.scores).

The memory exercise counts the nodes of a micrograd MLP's graph (one example, outputs only):
a neuron with n inputs is built as act = b; act = act + w_i * x_i (i = 1..n); out = act.tanh().
"""
import ast

import numpy as np

from bpkit.grading import scores
from bpkit_instructor.spec import exercise, variant

_FUNCS = ("tanh", "exp", "log", "relu")


# ============================================================ the reference: a tape
def _run(program, values, bugs=(), kinks=None):
    """Evaluate the program, recording a tape [(value, [(parent, local derivative), ...])]; then
    sweep it in reverse. Returns (out value, {input: gradient})."""
    tape, env = [], {}

    def leaf(v):
        tape.append((float(v), []))
        return len(tape) - 1

    def node(v, parents):
        tape.append((float(v), parents))
        return len(tape) - 1

    def val(i):
        return tape[i][0] if isinstance(i, int) else i[1]

    def ev(e):
        # returns an int (a tape node) or ("const", number)
        if isinstance(e, ast.Constant):
            return ("const", float(e.value))
        if isinstance(e, ast.Name):
            return env[e.id]
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
            a = ev(e.operand)
            if not isinstance(a, int):
                return ("const", -a[1])
            return node(-val(a), [(a, -1.0)])
        if isinstance(e, ast.Call):
            a = ev(e.args[0])
            x = val(a)
            f = e.func.id
            if f == "tanh":
                t = np.tanh(x)
                d = (1 - t) if "tanh-no-square" in bugs else (1 - t * t)
                return node(t, [(a, d)])
            if f == "exp":
                y = np.exp(x)
                return node(y, [(a, x if "exp-input" in bugs else y)])
            if f == "log":
                return node(np.log(x), [(a, np.log(x) if "log-as-log" in bugs else 1.0 / x)])
            if f == "relu":
                if kinks is not None:
                    kinks.append(abs(x))
                y = max(x, 0.0)
                return node(y, [(a, 1.0 if "relu-always-one" in bugs else float(x > 0))])
            raise ValueError(f"unknown function {f}")
        if isinstance(e, ast.BinOp):
            a, b = ev(e.left), ev(e.right)
            x, y = val(a), val(b)
            op = type(e.op)
            if op is ast.Pow:
                k = y
                d = k * x ** k if "pow-no-minus-one" in bugs else k * x ** (k - 1)
                return node(x ** k, [(a, d)])
            if op is ast.Sub and not isinstance(a, int) and "rsub-swapped" in bugs:
                return node(y - x, [(b, 1.0)])
            if op is ast.Div and not isinstance(a, int) and "rdiv-swapped" in bugs:
                return node(y / x, [(b, 1.0 / x)])
            if op is ast.Add:
                v, da, db = x + y, 1.0, 1.0
            elif op is ast.Sub:
                v, da, db = x - y, 1.0, -1.0
            elif op is ast.Mult:
                v, da, db = x * y, y, x
            elif op is ast.Div:
                v, da, db = x / y, 1.0 / y, (x / y ** 2 if "div-sign" in bugs else -x / y ** 2)
            else:
                raise ValueError(f"unknown operator {op.__name__}")
            parents = [(p, d) for p, d in ((a, da), (b, db)) if isinstance(p, int)]
            return node(v, parents) if parents else ("const", v)
        raise ValueError(f"unsupported expression {ast.dump(e)}")

    for name, v in values.items():
        env[name] = leaf(v)
    inputs = dict(env)
    for stmt in ast.parse(program).body:
        env[stmt.targets[0].id] = ev(stmt.value)
    out = env["out"]
    grad = [0.0] * len(tape)
    if not isinstance(out, int):
        return float(out[1]), {k: 0.0 for k in inputs}
    grad[out] = 0.0 if "no-seed" in bugs else 1.0
    if "recursive" in bugs:
        def push(i):
            for p, d in tape[i][1]:
                grad[p] += grad[i] * d
            for p, _ in tape[i][1]:
                push(p)
        push(out)
    else:
        for i in range(out, -1, -1):        # the tape is in creation order: a topological order
            for p, d in tape[i][1]:
                if "overwrite" in bugs:
                    grad[p] = grad[i] * d
                else:
                    grad[p] += grad[i] * d
    return float(tape[out][0]), {k: float(grad[i]) for k, i in inputs.items()}


# ------------------------------------------------------------------ random programs
_BASIC = ["{a} + {b}", "{a} * {b}", "tanh({a})", "{c} * {a}", "{a} + {c}", "{a} * {a}", "tanh({a}) * {b}"]
_NEW = ["{a} - {b}", "{c} - {a}", "{a} / ({b} * {b} + 1.0)", "{c} / ({a} * {a} + 1.0)", "{a} ** {k}",
        "exp(0.5 * {a})", "log({a} * {a} + 1.0)", "relu({a})", "-{a}", "relu({a} - {b})"]


def _program(rng, patterns, required=(), n_extra=2):
    """Random inputs, one line per pattern (every `required` one, plus `n_extra` drawn from
    `patterns`), operands drawn from the inputs and earlier lines; every line reaches `out`."""
    names = ["x", "y", "z", "w"][: int(rng.integers(2, 5))]
    values = {n: round(float(rng.uniform(-1.5, 1.5)), 4) for n in names}
    pats = list(required) + [patterns[int(i)] for i in rng.integers(0, len(patterns), size=n_extra)]
    pats = [pats[int(i)] for i in rng.permutation(len(pats))]
    lines, avail = [], list(names)
    for i, pat in enumerate(pats):
        a, b = rng.choice(avail, size=2)
        expr = pat.format(a=a, b=b, c=round(float(rng.uniform(-2, 2)), 2) or 0.5,
                          k=int(rng.integers(2, 4)))
        lines.append(f"h{i} = {expr}")
        avail.append(f"h{i}")
    n = len(lines)
    rest = " + ".join(f"h{i}" for i in range(n - 2)) or "x"
    # the last two lines multiply; all the others reach out through one tanh (shared: fan-out)
    lines.append(f"out = h{n - 1} * h{n - 2} + tanh(0.5 * ({rest}))")
    return {"program": "\n".join(lines), "values": values}


def _differs(a, b):
    va = np.array([a[0], *[a[1][k] for k in sorted(a[1])]])
    vb = np.array([b[0], *[b[1][k] for k in sorted(b[1])]])
    return not np.allclose(va, vb, rtol=1e-6, atol=1e-9)


def _safe(case, bugs_to_see):
    """Keep a drawn program? Finite and moderate values, no relu input within 1e-3 of its kink,
    and every listed mistake changes the answer."""
    kinks = []
    try:
        with np.errstate(all="raise"):
            ref = _run(**case, kinks=kinks)
    except (FloatingPointError, OverflowError, ValueError, ZeroDivisionError):
        return False
    if not np.all(np.isfinite([ref[0], *ref[1].values()])) or abs(ref[0]) > 1e4:
        return False
    if kinks and min(kinks) < 1e-3:
        return False
    return all(_differs(_run(**case, bugs=(b,)), ref) for b in bugs_to_see)


_BASIC_BUGS = ("overwrite", "recursive", "no-seed", "tanh-no-square")
_NEW_BUGS = ("pow-no-minus-one", "rsub-swapped", "rdiv-swapped", "div-sign", "exp-input", "relu-always-one")


def _basic_case(rng):
    while True:
        case = _program(rng, _BASIC, n_extra=int(rng.integers(3, 6)))
        if _safe(case, _BASIC_BUGS):
            return case


_NEW_REQUIRED = ["{c} - {a}", "{c} / ({a} * {a} + 1.0)", "{a} ** {k}", "exp(0.5 * {a})",
                 "relu({a} - {b})", "log({a} * {a} + 1.0)"]


def _new_case(rng):
    while True:
        case = _program(rng, _NEW + _BASIC[:3], required=_NEW_REQUIRED, n_extra=int(rng.integers(1, 3)))
        if _safe(case, _NEW_BUGS):
            return case


_VIS_BASIC = [
    {"program": "h = x * w + b\nout = tanh(h) * h", "values": {"x": 0.5, "w": -1.5, "b": 0.25}},
    {"program": "h0 = x * x\nh1 = h0 + y\nh2 = tanh(h1)\nout = h2 * h1 + h0 * y",
     "values": {"x": 0.8, "y": -0.3}},
    _basic_case(np.random.default_rng(101)),
]
_VIS_NEW = [
    {"program": "h0 = 2.0 - x\nh1 = 1.0 / (h0 * h0 + 1.0)\nout = h1 ** 3 + exp(0.5 * x) * h0",
     "values": {"x": 0.7}},
    {"program": "h0 = x / (y * y + 1.0)\nh1 = log(h0 * h0 + 1.0)\nh2 = relu(y - h0)\nh3 = relu(h0 - y)\nout = h1 * (h2 + h3) - x",
     "values": {"x": 1.3, "y": -0.4}},
    _new_case(np.random.default_rng(102)),
]


exercise(
    "10.value_basic",
    outputs=('out', 'grads'),
    reference=_run,
    visible=_VIS_BASIC,
    hidden=_basic_case,
    n_hidden=6,
    variants=[
        variant("gradients overwritten instead of accumulated",
                lambda program, values: _run(program, values, bugs=("overwrite",)),
                "a node used twice (squared by itself, or an intermediate that feeds two nodes) "
                "receives a gradient from EACH use: accumulate them, as the multivariable chain "
                "rule sums over paths (lecture 01, section 3)."),
        variant("recursive backward instead of a topological order",
                lambda program, values: _run(program, values, bugs=("recursive",)),
                "calling _backward on a node before ALL its parents have added their share pushes an "
                "incomplete gradient (and pushes it again later): sort the graph topologically, then "
                "call _backward once per node, in reverse order."),
        variant("the output's gradient not seeded with one",
                lambda program, values: _run(program, values, bugs=("no-seed",)),
                "the reverse sweep starts from the derivative of the output with respect to "
                "itself, which is one: seed the root's gradient before the sweep (lecture 10, "
                "section 3)."),
        variant("tanh′ with its square missing",
                lambda program, values: _run(program, values, bugs=("tanh-no-square",)),
                "tanh′ is one minus the SQUARE of tanh: square the node's output."),
    ],
    what="(out, {input: ∂out/∂input}) of programs with +, *, tanh and shared intermediates",
)

exercise(
    "10.value_ops",
    outputs=('out', 'grads'),
    reference=_run,
    visible=_VIS_NEW,
    hidden=_new_case,
    n_hidden=6,
    variants=[
        variant("power rule without lowering the exponent",
                lambda program, values: _run(program, values, bugs=("pow-no-minus-one",)),
                "the power rule lowers the exponent by one as it brings it down."),
        variant("reflected subtraction with its operands swapped",
                lambda program, values: _run(program, values, bugs=("rsub-swapped",)),
                "a number minus a Value calls the Value's reflected subtraction, which must "
                "subtract the Value FROM the other operand, not the other way round."),
        variant("reflected division with its operands swapped",
                lambda program, values: _run(program, values, bugs=("rdiv-swapped",)),
                "a number divided by a Value calls the Value's reflected division, which must "
                "divide the other operand BY the Value."),
        variant("quotient rule with the wrong sign",
                lambda program, values: _run(program, values, bugs=("div-sign",)),
                "the derivative of a quotient with respect to its denominator is negative for a "
                "positive numerator: the sign is wrong."),
        variant("exp′ from the input",
                lambda program, values: _run(program, values, bugs=("exp-input",)),
                "the exponential is its own derivative: the local derivative is the OUTPUT of the "
                "node, not its input."),
        variant("relu′ always 1",
                lambda program, values: _run(program, values, bugs=("relu-always-one",)),
                "relu′ is one where the unit was on and zero where it was off: no gradient flows "
                "where the unit was off."),
    ],
    what="(out, {input: ∂out/∂input}) of programs with −, /, **, exp, log, relu",
)


# ============================================================ arrays: a Tensor engine (issue 23)
# Programs over ARRAYS: inputs are 2-D arrays, `@` is a matrix product, + − * / broadcast as numpy
# does, sum(a) / mean(a) reduce to a number and sum(a, axis) / mean(a, axis) keep the reduced axis
# (shape (1, n) or (m, 1)); the last line makes `out` a number. The student's
# tensor_gradients(program, values) runs the program on their own Tensor class and returns
# (out, {input: ∂out/∂input, an array of the input's shape}). What micrograd does not show: the
# gradient of a broadcast operand is summed back to its shape, a reduction's gradient is spread
# back over the reduced axis, and a matrix product's gradients are products with transposes.

def _unbroadcast(g, shape, how="sum"):
    red = np.sum if how == "sum" else np.mean
    g = np.asarray(g, dtype=float)
    while g.ndim > len(shape):
        g = red(g, axis=0)
    for ax, n in enumerate(shape):
        if n == 1 and g.shape[ax] != 1:
            g = red(g, axis=ax, keepdims=True)
    return g


def _trun(program, values, bugs=(), kinks=None):
    """Evaluate an array program on a tape [(value, [(parent, vjp), ...])]; sweep it in reverse.
    Returns (out as a float, {input: gradient array})."""
    tape, env = [], {}
    how = "mean" if "unbroadcast-mean" in bugs else "sum"

    def node(v, parents):
        tape.append((np.asarray(v, dtype=float), parents))
        return len(tape) - 1

    def val(i):
        return tape[i][0] if isinstance(i, int) else i[1]

    def binary(op, a, b):
        x, y = val(a), val(b)
        sx, sy = np.shape(x), np.shape(y)
        if op is ast.Add:
            v, fa, fb = x + y, (lambda g: g), (lambda g: g)
        elif op is ast.Sub:
            if "rsub-swapped" in bugs and not isinstance(a, int):
                return node(y - x, [(b, lambda g: _unbroadcast(g, sy, how))])
            v, fa, fb = x - y, (lambda g: g), (lambda g: -g)
        elif op is ast.Mult:
            v, fa, fb = x * y, (lambda g: g * y), (lambda g: g * x)
        elif op is ast.Div:
            if "rdiv-swapped" in bugs and not isinstance(a, int):
                return node(y / x, [(b, lambda g: _unbroadcast(g / x, sy, how))])
            sign = 1.0 if "div-sign" in bugs else -1.0
            v, fa, fb = x / y, (lambda g: g / y), (lambda g: sign * g * x / y ** 2)
        elif op is ast.Pow:
            k = float(y)
            e = k if "pow-no-minus-one" in bugs else k - 1
            return node(x ** k, [(a, lambda g: g * k * x ** e)])
        elif op is ast.MatMult:
            v = x @ y
            fa = lambda g: g @ y.T                                        # noqa: E731
            if "matmul-no-transpose" in bugs and x.shape[0] == x.shape[1]:
                fb = lambda g: x @ g                                      # noqa: E731
            else:
                fb = lambda g: x.T @ g                                    # noqa: E731
            return node(v, [(p, f) for p, f in ((a, fa), (b, fb)) if isinstance(p, int)])
        else:
            raise ValueError(f"unknown operator {op.__name__}")
        parents = [(p, (lambda f, s: lambda g: _unbroadcast(f(g), s, how))(f, s))
                   for p, f, s in ((a, fa, sx), (b, fb, sy)) if isinstance(p, int)]
        return node(v, parents) if parents else ("const", v)

    def call(f, args):
        a = ev(args[0])
        x = val(a)
        if f in ("sum", "mean"):
            axis = int(args[1].value) if len(args) > 1 else None
            n = x.size if axis is None else x.shape[axis]
            v = x.sum(axis=axis, keepdims=axis is not None)
            if f == "mean":
                v = v / n
            scale = 1.0 if (f == "sum" or "mean-no-1/n" in bugs) else 1.0 / n
            return node(v, [(a, lambda g: np.broadcast_to(g * scale, x.shape).copy())])
        if f == "tanh":
            t = np.tanh(x)
            d = (1 - t) if "tanh-no-square" in bugs else (1 - t * t)
            return node(t, [(a, lambda g: g * d)])
        if f == "exp":
            y = np.exp(x)
            d = x if "exp-input" in bugs else y
            return node(y, [(a, lambda g: g * d)])
        if f == "log":
            return node(np.log(x), [(a, lambda g: g / x)])
        if f == "relu":
            if kinks is not None:
                kinks.append(float(np.min(np.abs(x))))
            d = np.ones_like(x) if "relu-always-one" in bugs else (x > 0).astype(float)
            return node(np.maximum(x, 0.0), [(a, lambda g: g * d)])
        raise ValueError(f"unknown function {f}")

    def ev(e):
        if isinstance(e, ast.Constant):
            return ("const", float(e.value))
        if isinstance(e, ast.Name):
            return env[e.id]
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
            a = ev(e.operand)
            if not isinstance(a, int):
                return ("const", -a[1])
            return node(-val(a), [(a, lambda g: -g)])
        if isinstance(e, ast.Call):
            return call(e.func.id, e.args)
        if isinstance(e, ast.BinOp):
            return binary(type(e.op), ev(e.left), ev(e.right))
        raise ValueError(f"unsupported expression {ast.dump(e)}")

    for name, v in values.items():
        env[name] = node(np.array(v, dtype=float), [])
    inputs = dict(env)
    for stmt in ast.parse(program).body:
        env[stmt.targets[0].id] = ev(stmt.value)
    out = env["out"]
    grad = [np.zeros_like(v) for v, _ in tape]
    grad[out] = np.zeros_like(tape[out][0]) if "no-seed" in bugs else np.ones_like(tape[out][0])
    if "recursive" in bugs:
        def push(i):
            for p, f in tape[i][1]:
                grad[p] = grad[p] + f(grad[i])
            for p, _ in tape[i][1]:
                push(p)
        push(out)
    else:
        for i in range(out, -1, -1):                   # creation order is a topological order
            for p, f in tape[i][1]:
                grad[p] = f(grad[i]) if "overwrite" in bugs else grad[p] + f(grad[i])
    return float(tape[out][0]), {k: grad[i] for k, i in inputs.items()}


def _arr(rng, shape, lo=-1.5, hi=1.5):
    return np.round(rng.uniform(lo, hi, size=shape), 3)


# ------------------------------------------------------------------ random array programs
_TBASIC = ["{M} + {N}", "{M} * {N}", "tanh({M})", "{c} * {M}", "{M} * {M}", "tanh({M}) * {N}",
           "U @ tanh({M})"]


def _tbasic_program(rng, n_extra=None):
    m, n, k = (int(v) for v in rng.permutation([2, 3, 4]))
    values = {"W": _arr(rng, (m, n)), "X": _arr(rng, (n, k)), "V": _arr(rng, (m, k)),
              "U": _arr(rng, (m, m), -0.8, 0.8)}
    pats = ["W @ X", "U @ {M}"] + [_TBASIC[int(i)] for i in
                                    rng.integers(0, len(_TBASIC), size=n_extra or int(rng.integers(2, 4)))]
    pats = pats[:1] + [pats[1 + int(i)] for i in rng.permutation(len(pats) - 1)]
    lines, avail = [], ["V"]
    for i, pat in enumerate(pats):
        M, N = (str(s) for s in rng.choice(avail, size=2))
        lines.append(f"h{i} = " + pat.format(M=M, N=N, c=round(float(rng.uniform(-2, 2)), 2) or 0.5))
        avail.append(f"h{i}")
    last = len(lines) - 1
    rest = " + ".join(f"h{i}" for i in range(last - 1)) or "V"
    # h0 (and every early line) reaches out twice: a shared subgraph
    lines.append(f"out = sum(h{last} * h{last - 1}) + sum(tanh(0.5 * ({rest})))")
    return {"program": "\n".join(lines), "values": values}


_TB_FULL = ["{F} + {C}", "{F} * {R}", "{F} - {C}", "{R} - {F}", "{F} / ({C} * {C} + 1.0)",
            "{k} / ({F} * {F} + 1.0)", "{F} ** {p}", "exp(0.5 * {F})", "log({F} * {F} + 1.0)",
            "relu({F} - {R})", "-{F}", "{F} - mean({F}, 0)", "{F} * sum({G}, 1)",
            "{F} / (mean({G} * {G}, 1) + 1.0)", "{k} - {F}", "{F} * {G}"]
_TB_REQUIRED = ["{F} + {C}", "{F} * {R}", "{k} - {F}", "{k} / ({F} * {F} + 1.0)", "{F} ** {p}",
                "exp(0.5 * {F})", "relu({F} - {R})", "{F} - mean({F}, 0)", "{F} / (mean({G} * {G}, 1) + 1.0)"]


def _tbroadcast_program(rng, n_extra=None):
    m, n = (int(v) for v in rng.permutation([2, 3, 4])[:2])
    values = {"X": _arr(rng, (m, n)), "Y": _arr(rng, (m, n)), "c": _arr(rng, (m, 1)), "r": _arr(rng, (1, n))}
    pats = list(_TB_REQUIRED) + [_TB_FULL[int(i)] for i in
                                 rng.integers(0, len(_TB_FULL), size=n_extra or int(rng.integers(1, 3)))]
    pats = [pats[int(i)] for i in rng.permutation(len(pats))]
    lines, full, cols, rows = [], ["X", "Y"], ["c"], ["r"]
    for pat in pats:
        F, G = (str(s) for s in rng.choice(full, size=2))
        expr = pat.format(F=F, G=G, C=str(rng.choice(cols)), R=str(rng.choice(rows)),
                          k=round(float(rng.uniform(0.5, 2)), 2), p=int(rng.integers(2, 4)))
        i = len(lines)
        lines.append(f"h{i} = {expr}")
        full.append(f"h{i}")
        if rng.random() < 0.3:                         # a reduction that later lines broadcast back
            j = len(lines)
            if rng.random() < 0.5:
                lines.append(f"h{j} = sum(tanh(h{i}), 1)")
                cols.append(f"h{j}")
            else:
                lines.append(f"h{j} = mean(h{i} * {rng.choice(full)}, 0)")
                rows.append(f"h{j}")
    fulls = [f for f in full if f.startswith("h")]
    a, b = fulls[-1], fulls[-2]
    rest = " + ".join(f"h{i}" for i in range(len(lines)) if f"h{i}" not in (a, b))
    lines.append(f"out = sum({a} * {b}) + mean(tanh(0.1 * ({rest})))")
    return {"program": "\n".join(lines), "values": values}


def _tdiffers(a, b):
    fa = np.concatenate([[a[0]], *[np.ravel(a[1][k]) for k in sorted(a[1])]])
    fb = np.concatenate([[b[0]], *[np.ravel(b[1][k]) for k in sorted(b[1])]])
    return fa.shape != fb.shape or not np.allclose(fa, fb, rtol=1e-6, atol=1e-9)


def _tsafe(case, bugs_to_see):
    kinks = []
    try:
        with np.errstate(all="raise"):
            ref = _trun(**case, kinks=kinks)
    except (FloatingPointError, OverflowError, ValueError, ZeroDivisionError):
        return False
    flat = np.concatenate([[ref[0]], *[np.ravel(g) for g in ref[1].values()]])
    if not np.all(np.isfinite(flat)) or np.abs(flat).max() > 1e4 or abs(ref[0]) < 1e-3:
        return False
    if kinks and min(kinks) < 1e-3:
        return False
    return all(_tdiffers(_trun(**case, bugs=(bug,)), ref) for bug in bugs_to_see)


_TBASIC_BUGS = ("overwrite", "recursive", "no-seed", "tanh-no-square", "matmul-no-transpose")
_TBROAD_BUGS = ("unbroadcast-mean", "mean-no-1/n", "pow-no-minus-one", "rsub-swapped", "rdiv-swapped",
                "div-sign", "exp-input", "relu-always-one")


def _tbasic_case(rng):
    while True:
        case = _tbasic_program(rng)
        if _tsafe(case, _TBASIC_BUGS):
            return case


def _tbroadcast_case(rng):
    while True:
        case = _tbroadcast_program(rng)
        if _tsafe(case, _TBROAD_BUGS):
            return case


_VIS_TBASIC = [
    {"program": "H = W @ X\nA = tanh(H)\nout = sum(A * A) + sum(U @ A)",
     "values": {"W": np.array([[0.5, -1.0, 0.25], [1.5, 0.3, -0.7]]),
                "X": np.array([[0.2, -0.4, 1.1, 0.6], [-1.3, 0.8, 0.1, -0.2], [0.7, 0.5, -0.9, 0.4]]),
                "U": np.array([[0.3, -0.6], [0.9, 0.2]])}},
    _tbasic_case(np.random.default_rng(111)),
    _tbasic_case(np.random.default_rng(112)),
]
_VIS_TBROAD = [
    {"program": "Z = X * r + c\nS = mean(Z * Z, 0)\nN = Z / (S + 1.0)\nout = sum(N * X) + mean(exp(0.5 * N))",
     "values": {"X": np.array([[0.5, -1.2, 0.3], [1.1, 0.4, -0.8]]), "r": np.array([[0.7, -0.3, 1.4]]),
                "c": np.array([[0.2], [-0.9]])}},
    _tbroadcast_case(np.random.default_rng(121)),
    _tbroadcast_case(np.random.default_rng(122)),
]

exercise(
    "10.tensor_basic",
    outputs=('out', 'grads'),
    reference=_trun,
    visible=_VIS_TBASIC,
    hidden=_tbasic_case,
    n_hidden=5,
    variants=[
        variant("array gradients overwritten instead of accumulated",
                lambda program, values: _trun(program, values, bugs=("overwrite",)),
                "an array used twice (multiplied by itself, or an intermediate that feeds two lines) "
                "receives a gradient from EACH use: accumulate them, as the chain rule sums over paths "
                "(lecture 01, section 3)."),
        variant("recursive backward instead of a topological order",
                lambda program, values: _trun(program, values, bugs=("recursive",)),
                "calling a node's backward before ALL its users have added their share pushes an "
                "incomplete gradient: sort the graph topologically, then call each backward once, in "
                "reverse order (section 3)."),
        variant("the output's gradient not seeded",
                lambda program, values: _trun(program, values, bugs=("no-seed",)),
                "the reverse sweep starts from the derivative of the output with respect to itself, "
                "which is one (lecture 10, section 3)."),
        variant("tanh′ with its square missing",
                lambda program, values: _trun(program, values, bugs=("tanh-no-square",)),
                "tanh′ is one minus the SQUARE of tanh, elementwise."),
        variant("matrix product's right gradient without the transpose",
                lambda program, values: _trun(program, values, bugs=("matmul-no-transpose",)),
                "the gradient with respect to the right factor of a matrix product multiplies by the "
                "TRANSPOSE of the left factor, as δ^[l] takes the transpose of W^[l+1] in lecture 03 "
                "(eq. (23)); with a square factor the shapes fit either way, the numbers do not."),
    ],
    what="(out, {input: ∂out/∂input}) of array programs with @, +, *, tanh, sum and shared intermediates",
)

exercise(
    "10.tensor_broadcast",
    outputs=('out', 'grads'),
    reference=_trun,
    visible=_VIS_TBROAD,
    hidden=_tbroadcast_case,
    n_hidden=5,
    variants=[
        variant("broadcast gradient averaged instead of summed",
                lambda program, values: _trun(program, values, bugs=("unbroadcast-mean",)),
                "an operand that numpy stretched along an axis was USED once per position of that axis: "
                "its gradient adds up every use (the bias gradient of lecture 03 sums over the batch)."),
        variant("mean's gradient without dividing by the count",
                lambda program, values: _trun(program, values, bugs=("mean-no-1/n",)),
                "a mean weighs each entry by one over the number of entries it averages: its backward "
                "pass spreads the gradient back with that weight, a sum's with weight one."),
        variant("power rule without lowering the exponent",
                lambda program, values: _trun(program, values, bugs=("pow-no-minus-one",)),
                "the power rule lowers the exponent by one as it brings it down."),
        variant("reflected subtraction with its operands swapped",
                lambda program, values: _trun(program, values, bugs=("rsub-swapped",)),
                "a number minus a Tensor calls the Tensor's reflected subtraction, which subtracts the "
                "Tensor FROM the number."),
        variant("reflected division with its operands swapped",
                lambda program, values: _trun(program, values, bugs=("rdiv-swapped",)),
                "a number divided by a Tensor calls the Tensor's reflected division, which divides the "
                "number BY the Tensor."),
        variant("quotient rule with the wrong sign",
                lambda program, values: _trun(program, values, bugs=("div-sign",)),
                "the derivative of a quotient with respect to its denominator is negative for a positive "
                "numerator: the sign is wrong."),
        variant("exp′ from the input",
                lambda program, values: _trun(program, values, bugs=("exp-input",)),
                "the exponential is its own derivative: the local derivative is the node's OUTPUT."),
        variant("relu′ always one",
                lambda program, values: _trun(program, values, bugs=("relu-always-one",)),
                "relu′ is one where an entry was positive and zero elsewhere: no gradient flows where the "
                "unit was off."),
    ],
    what="(out, {input: ∂out/∂input}) of array programs with broadcasting, sum and mean over an axis, "
         "−, /, **, exp, log and relu, drawn at grading",
)


# ============================================================ the topological order
def _topo(children, root, *, visited=True, reverse=False, direct=False):
    order, seen = [], set()

    def build(v):
        if visited and v in seen:
            return
        seen.add(v)
        for c in children[v]:
            if not direct or v == root:
                if direct:
                    order.append(c)
                else:
                    build(c)
        if not direct:
            order.append(v)
    build(root)
    if direct:
        order.append(root)
    return order[::-1] if reverse else order


def _graph_case(rng):
    """A random DAG in creation order (children have smaller indices), with shared nodes; the
    root is the last node; some nodes are not reachable from it."""
    n = int(rng.integers(6, 14))
    children = [[] for _ in range(n)]
    first_ops = int(rng.integers(2, 4))              # nodes 0..first_ops-1 are leaves
    for v in range(first_ops, n):
        k = int(rng.integers(1, 3))
        children[v] = sorted({int(c) for c in rng.integers(0, v, size=k)})
    children[n - 1] = sorted(set(children[n - 1]) | {n - 2, n - 3})
    perm = rng.permutation(n)                       # hide the creation order in the numbering
    inv = np.argsort(perm)
    shuffled = [[int(perm[c]) for c in children[int(inv[v])]] for v in range(n)]
    return {"children": shuffled, "root": int(perm[n - 1])}


_VIS_TOPO = [
    {"children": [[], [], [0, 1], [2, 0], [3, 2], []], "root": 4},
    {"children": [[3, 5], [], [1], [2, 1], [], [4, 2]], "root": 0},
    _graph_case(np.random.default_rng(103)),
]

exercise(
    "10.topological_order",
    reference=_topo,
    score=scores.topological_order,
    visible=_VIS_TOPO,
    hidden=_graph_case,
    n_hidden=6,
    variants=[
        variant("no visited set (shared nodes repeated)",
                lambda children, root: _topo(children, root, visited=False),
                "a node reachable by two paths is visited twice: keep a set of visited nodes and skip "
                "those already in it, so each node appears once."),
        variant("order reversed (root first)",
                lambda children, root: _topo(children, root, reverse=True),
                "the order this function returns lists every node AFTER its children (append a node "
                "once all its children are in); backward() then walks it in reverse, root first."),
        variant("only the root's direct children",
                lambda children, root: _topo(children, root, direct=True),
                "recurse: the children of the children are part of the graph too (depth-first search)."),
    ],
    what="a topological order (children before parents, each reachable node once) of random graphs",
)


# ============================================================ what reverse mode keeps in memory
def _graph_size(sizes, *, leaves=True, bias=True, paths=False):
    sizes = [int(s) for s in sizes]
    if paths:
        # a depth-first search without a visited set, from every output: count the visits.
        # From a neuron's tanh with n inputs: 1 (tanh) + 1 (b) + n·(1 add + 1 mul + 1 w + X),
        # X the visits below one input: 1 for an input leaf, else the previous layer's count.
        visits = 1
        for l in range(1, len(sizes)):
            visits = 2 + sizes[l - 1] * (3 + visits)
        return int(sizes[-1] * visits)
    total = sizes[0] if leaves else 0
    for l in range(1, len(sizes)):
        n, m = sizes[l - 1], sizes[l]
        ops = 2 * n + 1                                 # n products, n sums, one tanh
        lv = (n + (1 if bias else 0)) if leaves else 0  # weights and the bias
        total += m * (ops + lv - (0 if bias else 1))
    return int(total)


def _size_case(rng):
    depth = int(rng.integers(2, 5))
    return {"sizes": [int(v) for v in rng.integers(1, 5, size=depth)]}


exercise(
    "10.graph_size",
    reference=_graph_size,
    visible=[{"sizes": [2, 3, 1]}, {"sizes": [3, 4, 4, 2]}],
    hidden=_size_case,
    n_hidden=6,
    variants=[
        variant("leaves not counted",
                lambda sizes: _graph_size(sizes, leaves=False),
                "inputs, weights and biases are Value nodes too, and the graph keeps them: count every "
                "node your topological order visits, leaves included."),
        variant("nodes counted once per path (no visited set)",
                lambda sizes: _graph_size(sizes, paths=True),
                "a neuron of the previous layer feeds every neuron of the next: counted once per "
                "path it is visited many times. Count DISTINCT nodes (a set, or the length of a "
                "topological order)."),
        variant("bias left out",
                lambda sizes: _graph_size(sizes, bias=False),
                "the neuron starts from its bias, then adds the products of weights and inputs one"
                " at a time: each neuron has one parameter leaf more than it has inputs, as many "
                "products and sums as inputs, and one tanh."),
    ],
    what="the number of distinct Value nodes in the graph of a micrograd MLP's forward pass",
)
