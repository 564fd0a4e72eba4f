"""bpkit: the reference math, data, plots, widgets and graders of the backpropagation course.

Conventions (Applied Mathematics lecture 5): layer 1 is the input, a^[1] = x; z^[l] = W^[l] a^[l-1] + b^[l];
a^[l] = σ(z^[l]); δ^[l] = ∂C/∂z^[l]; examples are columns, a batch A is (n_l, B).
"""
__version__ = "0.1.0"
