"""Assignment 10 — automatic differentiation from scratch (the answer key).

Programs are plain strings, one statement `name = expression` per line; the last line assigns
`out`, a number. Expressions use the inputs, earlier names, numbers, + − * / ** (a number as
exponent), unary −, and tanh(·), exp(·), log(·), relu(·), sigmoid(·), logaddexp(·, ·); array
programs (section 5) add @, broadcasting and sum/mean over an axis.

ONE runner, `_sweep`, evaluates any program on a tape and sweeps it in reverse (an AST walk: a
variant's source pasted into a notebook needs nothing but numpy and these functions). Inputs
are numbers or 2-D arrays; they may be complex, which gives the second-order reference for free:
the gradient at x + i·t·d (t tiny) has imaginary part t·Hd to rounding (the complex step,
Squire & Trapp 1998), because every local derivative is an analytic function of the input.

Sections 1 and 2 ask for what micrograd does not do: forward mode on dual numbers (`jvp`, checked
against the reverse-mode gradient dotted with the direction) and Hessian-vector products by
running reverse mode on dual numbers (`hvp`, Pearlmutter's trick). Section 5 grades a Tensor
engine on arrays. A mistake in a FORWARD-mode tangent rule of a linear kind (a wrong local
derivative) gives the same JVP as the reverse sweep with that local derivative wrong, so one
runner with `bugs` serves both modes' catalogues.

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


# ============================================================ the reference: one tape, both modes
def _unbroadcast(g, shape, how="sum"):
    red = np.sum if how == "sum" else np.mean
    g = np.asarray(g)
    while g.ndim > len(shape):
        g = red(g, axis=0)
    for ax, n in enumerate(shape):
        if n == 1 and g.shape[ax] != 1:
            g = red(g, axis=ax, keepdims=True)
    return g


def _power(x, k):
    """x to a number k; an integer k by repeated products (exact for a negative complex base)."""
    return x ** int(k) if float(k).is_integer() else x ** k


def _sweep(program, values, bugs=(), kinks=None):
    """Evaluate a program on a tape [(value, [(parent, vjp), ...])]; sweep it in reverse.
    Returns (out, {input: gradient, the input's shape}), as arrays (complex in, complex out)."""
    tape, env = [], {}
    how = "mean" if "unbroadcast-mean" in bugs else "sum"

    def local(d):
        """A nonlinear operation's local derivative (its tangent dropped by the 'const-local' bug)."""
        return np.real(d) if "const-local" in bugs else d

    def node(v, parents):
        v = np.asarray(v)
        tape.append((v if v.dtype.kind == "c" else v.astype(float), parents))
        return len(tape) - 1

    def val(i):
        return tape[i][0] if isinstance(i, int) else i[1]

    def binary(op, a, b):
        x, y = val(a), val(b)
        sx, sy = np.shape(x), np.shape(y)
        both = isinstance(a, int) and isinstance(b, int)
        if op is ast.Add:
            v, fa, fb = x + y, (lambda g: g), (lambda g: g)
        elif op is ast.Sub:
            if "rsub-swapped" in bugs and not isinstance(a, int):
                return node(y - x, [(b, lambda g: _unbroadcast(g, sy, how))])
            v, fa, fb = x - y, (lambda g: g), (lambda g: -g)
        elif op is ast.Mult:
            keep_b = 0.0 if ("mul-one-term" in bugs and both) else 1.0
            v, fa, fb = x * y, (lambda g: g * y), (lambda g: keep_b * g * x)
        elif op is ast.Div:
            if "rdiv-swapped" in bugs and not isinstance(a, int):
                return node(y / x, [(b, lambda g: _unbroadcast(g * local(1 / x), sy, how))])
            sign = 1.0 if "div-sign" in bugs else -1.0
            da, db = 1 / y, x * local(sign / y ** 2)      # a/b built as a·b⁻¹: b⁻¹'s derivative local
            v, fa, fb = x / y, (lambda g: g * da), (lambda g: g * db)
        elif op is ast.Pow:
            k = float(np.real(y))
            d = local(k * _power(x, k if "pow-no-minus-one" in bugs else k - 1))
            return node(_power(x, k), [(a, lambda g: g * d)])
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
        parents = [(p, lambda g, f=f, s=s: _unbroadcast(f(g), s, how))
                   for p, f, s in ((a, fa, sx), (b, fb, sy)) if isinstance(p, int)]
        return node(v, parents) if parents else ("const", v)

    def unary(f, x):
        """(value, local derivative) of an elementwise function."""
        if f == "tanh":
            t = np.tanh(x)
            return t, (1 - t) if "tanh-no-square" in bugs else (1 - t * t)
        if f == "exp":
            y = np.exp(x)
            return y, x if "exp-input" in bugs else y
        if f == "log":
            return np.log(x), 1 / x
        if f == "sigmoid":
            s = 1 / (1 + np.exp(-x))
            return s, s if "sigmoid-as-self" in bugs else s * (1 - s)
        if f == "relu":
            if kinks is not None:
                kinks.append(float(np.min(np.abs(np.real(x)))))
            on = (np.real(x) > 0).astype(float)
            return x * on, np.ones_like(on) if "relu-always-one" in bugs else on
        raise ValueError(f"unknown function {f}")

    def call(f, args):
        if f == "logaddexp":                     # log(e^a + e^b), shifted by the larger real part
            a, b = ev(args[0]), ev(args[1])
            x, y = val(a), val(b)
            m = np.maximum(np.real(x), np.real(y))
            ex, ey = np.exp(x - m), np.exp(y - m)
            wa, wb = ((0.5, 0.5) if "lae-half" in bugs
                      else (np.exp(x), np.exp(y)) if "lae-unnormalised" in bugs
                      else (ex / (ex + ey), ey / (ex + ey)))
            wa, wb = local(wa), local(wb)
            parents = [(p, lambda g, w=w: g * w) for p, w in ((a, wa), (b, wb)) if isinstance(p, int)]
            return node(m + np.log(ex + ey), parents)
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
        v, d = unary(f, x)
        d = d if f == "relu" else local(d)
        return node(v, [(a, lambda g: g * d)])

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
        env[name] = node(v, [])
    inputs = dict(env)
    for stmt in ast.parse(program).body:
        env[stmt.targets[0].id] = ev(stmt.value)
    out = env["out"]
    grad = [np.zeros_like(v) for v, _ in tape]
    seed = 1 + 1j * _STEP if "seed-tangent" in bugs else 1.0
    grad[out] = np.zeros_like(tape[out][0]) if "no-seed" in bugs else seed * np.ones_like(tape[out][0])
    if "recursive" in bugs:
        def push(i):
            for p, f in tape[i][1]:
                grad[p] = grad[p] + f(grad[i])
            for p, _ in tape[i][1]:
                push(p)
        push(out)
    elif "forward-sweep" in bugs:                      # leaves first: only out's own share moves
        for i in range(out + 1):
            for p, f in tape[i][1]:
                grad[p] = grad[p] + f(grad[i])
    else:
        for i in range(out, -1, -1):                   # creation order is a topological order
            for p, f in tape[i][1]:
                grad[p] = f(grad[i]) if "overwrite" in bugs else grad[p] + f(grad[i])
    return tape[out][0], {k: grad[i] for k, i in inputs.items()}


def _run(program, values, bugs=(), kinks=None):
    """Reverse mode: (out as a float, {input: ∂out/∂input, an array of the input's shape})."""
    out, grads = _sweep(program, {k: np.asarray(v, dtype=float) for k, v in values.items()}, bugs, kinks)
    return float(out), grads


_STEP = 1e-20   # the complex step: far below rounding, so t·Hd is exact in the imaginary part


def _jvp(program, x, dx, bugs=()):
    """Forward mode's answer, from reverse mode: (out, ∇out · dx)."""
    out, grads = _run(program, x, bugs)
    return out, float(sum(float(grads[k]) * float(dx[k]) for k in x))


def _hvp(program, x, d, bugs=()):
    """({input: ∂out/∂input}, {input: (H d)_input}) by the complex step through the reverse sweep."""
    z = {k: np.asarray(float(v) + 1j * _STEP * float(d[k])) for k, v in x.items()}
    _, grads = _sweep(program, z, bugs)
    return ({k: float(np.real(g)) for k, g in grads.items()},
            {k: float(np.imag(g)) / _STEP for k, g in grads.items()})


def _jvp_with(*bugs):
    """Forward mode with catalogued mistakes (a variant's function)."""
    return lambda program, x, dx: _jvp(program, x, dx, bugs=bugs)


def _hvp_with(*bugs):
    """Hessian-vector products with catalogued mistakes (a variant's function)."""
    return lambda program, x, d: _hvp(program, x, d, bugs=bugs)


def _flat(answer):
    """An answer's numbers in a fixed order: floats, arrays and dicts of them, nested in tuples."""
    if isinstance(answer, dict):
        return np.concatenate([_flat(answer[k]) for k in sorted(answer)] or [np.zeros(0)])
    if isinstance(answer, tuple):
        return np.concatenate([_flat(a) for a in answer])
    return np.ravel(np.asarray(answer, dtype=float))


def _keep(case, answer, wrong, kinks):
    """Keep a drawn case? Its answer finite and moderate, no relu input within 1e-3 of its kink,
    and every catalogued mistake (each a function of the case) changes the answer."""
    try:
        with np.errstate(all="raise"):
            ref = _flat(answer(**case, kinks=kinks))
            outs = [_flat(w(**case)) for w in wrong]
    except (FloatingPointError, OverflowError, ValueError, ZeroDivisionError):
        return False
    if not np.all(np.isfinite(ref)) or np.abs(ref).max() > 1e4 or abs(ref[0]) < 1e-3:
        return False
    if kinks and min(kinks) < 1e-3:
        return False
    return all(o.shape != ref.shape or not np.allclose(o, ref, rtol=1e-6, atol=1e-9) for o in outs)


def _draw(make, answer, wrong):
    """Draw cases with `make` until one is kept (_keep)."""
    while True:
        case, kinks = make(), []
        if _keep(case, answer, wrong, kinks):
            return case


# ------------------------------------------------------------------ random scalar programs
_SCALAR = ["{a} + {b}", "{a} * {b}", "tanh({a})", "{c} * {a}", "{a} * {a}", "{a} - {b}", "{c} - {a}",
           "{a} / ({b} * {b} + 1.0)", "{c} / ({a} * {a} + 1.0)", "{a} ** {k}", "exp(0.5 * {a})",
           "log({a} * {a} + 1.0)", "relu({a} - {b})", "-{a}", "sigmoid({a})", "logaddexp({a}, {b})",
           "sigmoid({a} * {b})"]
_REQUIRED = ["{a} * {b}", "tanh({a})", "{c} / ({a} * {a} + 1.0)", "{a} ** {k}", "exp(0.5 * {a})",
             "sigmoid({a})", "logaddexp({a}, {b})"]


def _program(rng):
    """Random inputs, one line per required pattern plus one or two more, operands drawn from the
    inputs and earlier lines; every line and every input reaches `out`, some through two paths."""
    names = ["x", "y", "z", "w"][: int(rng.integers(2, 5))]
    pats = list(_REQUIRED) + [_SCALAR[int(i)] for i in rng.integers(0, len(_SCALAR), size=int(rng.integers(1, 3)))]
    pats = [pats[int(i)] for i in rng.permutation(len(pats))]
    lines, avail = [], list(names)
    for i, pat in enumerate(pats):
        a, b = rng.choice(avail, size=2)
        lines.append(f"h{i} = " + pat.format(a=a, b=b, c=round(float(rng.uniform(-2, 2)), 2) or 0.5,
                                              k=int(rng.integers(2, 4))))
        avail.append(f"h{i}")
    n = len(lines)
    rest = " + ".join([f"h{i}" for i in range(n - 2)] + names)
    # the last two lines multiply; all the others (and every input) reach out through one tanh
    lines.append(f"out = h{n - 1} * h{n - 2} + tanh(0.5 * ({rest}))")
    return "\n".join(lines), {k: round(float(rng.uniform(-1.5, 1.5)), 4) for k in names}


def _direction(rng, names):
    return {k: round(float(rng.uniform(-1, 1)), 3) or 0.5 for k in names}


# the mistakes each drawn case must tell apart from the right answer
_JVP_BUGS = ("mul-one-term", "tanh-no-square", "div-sign", "pow-no-minus-one", "exp-input",
             "sigmoid-as-self", "lae-half", "lae-unnormalised")
_HVP_BUGS = ("const-local", "seed-tangent", "overwrite", "recursive", "forward-sweep")


def _jvp_case(rng):
    def make():
        program, x = _program(rng)
        return {"program": program, "x": x, "dx": _direction(rng, x)}
    wrong = [_jvp_with(bug) for bug in _JVP_BUGS] + [_jvp_ones]
    return _draw(make, lambda kinks, **c: _run_jvp(kinks=kinks, **c), wrong)


def _run_jvp(program, x, dx, kinks):
    _run(program, x, kinks=kinks)                      # (records the relu inputs)
    return _jvp(program, x, dx)


def _jvp_ones(program, x, dx):
    """Every input's tangent one: the direction ignored (the sum of the partial derivatives)."""
    return _jvp(program, x, {k: 1.0 for k in x})


def _hvp_case(rng):
    def make():
        program, x = _program(rng)
        return {"program": program, "x": x, "d": _direction(rng, x)}
    wrong = [_hvp_with(bug) for bug in _HVP_BUGS] + [_hvp_ones, _hvp_grad]
    return _draw(make, lambda kinks, **c: _run_hvp(kinks=kinks, **c), wrong)


def _run_hvp(program, x, d, kinks):
    _run(program, x, kinks=kinks)
    return _hvp(program, x, d)


def _hvp_ones(program, x, d):
    """Every input's tangent one: the direction ignored (H times a vector of ones)."""
    return _hvp(program, x, {k: 1.0 for k in x})


def _hvp_grad(program, x, d):
    """The gradient returned in place of Hd (the value parts read where the tangents belong)."""
    grads, _ = _hvp(program, x, d)
    return grads, dict(grads)


_VIS_JVP = [
    {"program": "h0 = x * y\nh1 = tanh(h0) / (y * y + 1.0)\nout = h1 * h0 + exp(0.5 * x)",
     "x": {"x": 0.8, "y": -0.6}, "dx": {"x": 0.3, "y": -1.0}},
    {"program": "h0 = sigmoid(x * y)\nh1 = logaddexp(h0, z) ** 2\nout = h1 * log(z * z + 1.0) - relu(x - y)",
     "x": {"x": 1.2, "y": -0.5, "z": 0.7}, "dx": {"x": -0.4, "y": 0.9, "z": 0.25}},
    _jvp_case(np.random.default_rng(104)),
]
_VIS_HVP = [
    {"program": "h0 = x * y\nh1 = tanh(h0) / (y * y + 1.0)\nout = h1 * h0 + exp(0.5 * x)",
     "x": {"x": 0.8, "y": -0.6}, "d": {"x": 0.3, "y": -1.0}},
    {"program": "h0 = sigmoid(x * y)\nh1 = logaddexp(h0, z) ** 2\nout = h1 * log(z * z + 1.0) - relu(x - y)",
     "x": {"x": 1.2, "y": -0.5, "z": 0.7}, "d": {"x": -0.4, "y": 0.9, "z": 0.25}},
    _hvp_case(np.random.default_rng(105)),
]

exercise(
    "10.jvp",
    outputs=("out", "out_dot"),
    reference=_jvp,
    visible=_VIS_JVP,
    hidden=_jvp_case,
    n_hidden=6,
    variants=[
        variant("product rule with one term",
                _jvp_with("mul-one-term"),
                "the tangent of a product of two dual numbers has a term for EACH factor's tangent, "
                "each multiplied by the other factor's value (lecture 10, section 2: the line for f "
                "in the forward sweep)."),
        variant("tanh′ with its square missing",
                _jvp_with("tanh-no-square"),
                "tanh′ is one minus the SQUARE of tanh (lecture 10, section 1's table)."),
        variant("quotient rule with the wrong sign",
                _jvp_with("div-sign"),
                "a quotient falls when its denominator grows (for a positive numerator): the "
                "denominator's tangent enters with a minus sign."),
        variant("power rule without lowering the exponent",
                _jvp_with("pow-no-minus-one"),
                "the power rule lowers the exponent by one as it brings it down."),
        variant("exp′ from the input",
                _jvp_with("exp-input"),
                "the exponential is its own derivative: the tangent is the OUTPUT's value times the "
                "input's tangent, not the input's value."),
        variant("σ′ taken as σ",
                _jvp_with("sigmoid-as-self"),
                "the logistic sigmoid is not its own derivative: σ′ is σ times one minus σ, derive it "
                "from the quotient (lecture 01, section 4)."),
        variant("logaddexp's tangent weighted equally",
                _jvp_with("lae-half"),
                "logaddexp weighs its two inputs' tangents by the softmax of the two inputs, not one "
                "half each: the larger input counts more."),
        variant("logaddexp's tangent weights not normalised",
                _jvp_with("lae-unnormalised"),
                "logaddexp weighs each input's tangent by that input's share of the sum of the two "
                "exponentials: the weights add up to one (the softmax of the two inputs)."),
        variant("the direction ignored (every tangent one)", _jvp_ones,
                "seed each input's tangent with ITS component of the direction `dx`, not with one: with "
                "ones you get the sum of the partial derivatives, not the derivative along `dx`."),
    ],
    what="(out, the derivative of out along dx) of scalar programs by forward mode, drawn at grading",
)

exercise(
    "10.hvp",
    outputs=("grad", "hd"),
    reference=_hvp,
    visible=_VIS_HVP,
    hidden=_hvp_case,
    n_hidden=6,
    rtol=1e-9,
    atol=1e-11,
    variants=[
        variant("local derivatives computed from plain numbers (the curvature of the operations lost)",
                _hvp_with("const-local"),
                "the local derivatives of tanh, exp, log, σ, logaddexp, the power and the quotient "
                "were computed from the value parts alone, so they carry no tangent and the second "
                "derivatives of those operations drop out of Hd: compute every local derivative with "
                "dual-number arithmetic from the node's dual value (lecture 10, section 6)."),
        variant("the output's gradient seeded with a tangent",
                _hvp_with("seed-tangent"),
                "the seed is the derivative of out with respect to itself, one, a constant: its tangent "
                "is zero (the direction enters through the INPUTS' tangents only)."),
        variant("gradients overwritten instead of accumulated",
                _hvp_with("overwrite"),
                "a node used twice receives a gradient from EACH use: accumulate them, as the chain "
                "rule sums over paths (lecture 10, section 3)."),
        variant("recursive backward instead of a topological order",
                _hvp_with("recursive"),
                "calling _backward on a node before ALL its users have added their share pushes an "
                "incomplete gradient: sort the graph topologically, then call each _backward once, in "
                "reverse order (section 3)."),
        variant("backward sweep in the order of the forward pass (leaves first)",
                _hvp_with("forward-sweep"),
                "when a node's _backward runs before the nodes that use it have added their shares, it "
                "passes on nothing: walk the topological order in REVERSE, from out to the inputs "
                "(lecture 10, section 3)."),
        variant("the direction ignored (every tangent one)", _hvp_ones,
                "seed each input's tangent with ITS component of the direction `d`, not with one: that "
                "gives the Hessian times a vector of ones."),
        variant("the gradient returned in place of Hd", _hvp_grad,
                "Hd is the TANGENT part of each input's gradient; its value part is the gradient itself."),
    ],
    what="(∂out/∂input, Hd) of scalar programs by reverse mode run on dual numbers, drawn at grading",
)


# ============================================================ arrays: a Tensor engine (issue 23)
# Programs over ARRAYS: inputs are 2-D arrays, `@` is a matrix product, + − * / broadcast as numpy
# does, sum(a) / mean(a) reduce to a number and sum(a, axis) / mean(a, axis) keep the reduced axis
# (shape (1, n) or (m, 1)); the last line makes `out` a number. The student's
# tensor_gradients(program, values) runs the program on their own Tensor class and returns
# (out, {input: ∂out/∂input, an array of the input's shape}). What micrograd does not show: the
# gradient of a broadcast operand is summed back to its shape, a reduction's gradient is spread
# back over the reduced axis, and a matrix product's gradients are products with transposes.

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


_TBASIC_BUGS = ("overwrite", "recursive", "no-seed", "tanh-no-square", "matmul-no-transpose")
_TBROAD_BUGS = ("unbroadcast-mean", "mean-no-1/n", "pow-no-minus-one", "rsub-swapped", "rdiv-swapped",
                "div-sign", "exp-input", "relu-always-one")


def _with(*bugs):
    """The array reference with catalogued mistakes (a variant's function)."""
    return lambda program, values: _run(program, values, bugs=bugs)


def _tbasic_case(rng):
    return _draw(lambda: _tbasic_program(rng), _run, [_with(b) for b in _TBASIC_BUGS])


def _tbroadcast_case(rng):
    return _draw(lambda: _tbroadcast_program(rng), _run, [_with(b) for b in _TBROAD_BUGS])


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
    reference=_run,
    visible=_VIS_TBASIC,
    hidden=_tbasic_case,
    n_hidden=5,
    variants=[
        variant("array gradients overwritten instead of accumulated",
                _with("overwrite"),
                "an array used twice (multiplied by itself, or an intermediate that feeds two lines) "
                "receives a gradient from EACH use: accumulate them, as the chain rule sums over paths "
                "(lecture 01, section 3)."),
        variant("recursive backward instead of a topological order",
                _with("recursive"),
                "calling a node's backward before ALL its users have added their share pushes an "
                "incomplete gradient: sort the graph topologically, then call each backward once, in "
                "reverse order (section 3)."),
        variant("the output's gradient not seeded",
                _with("no-seed"),
                "the reverse sweep starts from the derivative of the output with respect to itself, "
                "which is one (lecture 10, section 3)."),
        variant("tanh′ with its square missing",
                _with("tanh-no-square"),
                "tanh′ is one minus the SQUARE of tanh, elementwise."),
        variant("matrix product's right gradient without the transpose",
                _with("matmul-no-transpose"),
                "the gradient with respect to the right factor of a matrix product multiplies by the "
                "TRANSPOSE of the left factor, as δ^[l] takes the transpose of W^[l+1] in lecture 03 "
                "(eq. (23)); with a square factor the shapes fit either way, the numbers do not."),
    ],
    what="(out, {input: ∂out/∂input}) of array programs with @, +, *, tanh, sum and shared intermediates",
)

exercise(
    "10.tensor_broadcast",
    outputs=('out', 'grads'),
    reference=_run,
    visible=_VIS_TBROAD,
    hidden=_tbroadcast_case,
    n_hidden=5,
    variants=[
        variant("broadcast gradient averaged instead of summed",
                _with("unbroadcast-mean"),
                "an operand that numpy stretched along an axis was USED once per position of that axis: "
                "its gradient adds up every use (the bias gradient of lecture 03 sums over the batch)."),
        variant("mean's gradient without dividing by the count",
                _with("mean-no-1/n"),
                "a mean weighs each entry by one over the number of entries it averages: its backward "
                "pass spreads the gradient back with that weight, a sum's with weight one."),
        variant("power rule without lowering the exponent",
                _with("pow-no-minus-one"),
                "the power rule lowers the exponent by one as it brings it down."),
        variant("reflected subtraction with its operands swapped",
                _with("rsub-swapped"),
                "a number minus a Tensor calls the Tensor's reflected subtraction, which subtracts the "
                "Tensor FROM the number."),
        variant("reflected division with its operands swapped",
                _with("rdiv-swapped"),
                "a number divided by a Tensor calls the Tensor's reflected division, which divides the "
                "number BY the Tensor."),
        variant("quotient rule with the wrong sign",
                _with("div-sign"),
                "the derivative of a quotient with respect to its denominator is negative for a positive "
                "numerator: the sign is wrong."),
        variant("exp′ from the input",
                _with("exp-input"),
                "the exponential is its own derivative: the local derivative is the node's OUTPUT."),
        variant("relu′ always one",
                _with("relu-always-one"),
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
