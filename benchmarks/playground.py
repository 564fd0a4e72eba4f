"""Playground frame rate: one training step + redraw (blitted Agg → PNG bytes), headless.

    python -m benchmarks.playground

A frame is what the ▶ button does per tick: Playground.step() = one minibatch update of the
default network (circle data, x, y → 4 → 2 → 2, tanh), recomputing the 40×40 decision heatmap,
loss curves, gradient norms and update ratios, and encoding the figure as PNG into the Image
widget. Measured in this process with BLAS pinned to 1 thread (the sizes are tiny).
"""
import os
import sys

for _k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_k, "1")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from benchmarks.common import best_of_rounds, fmt_time, markdown_table, row  # noqa: E402


def frame_time(frames=150, draw=True, **config):
    """Mean seconds per frame over `frames` frames after a warm-up of 20 (includes the rare full
    redraws when an axis range grows)."""
    import time

    from bpkit.widgets.playground import Playground
    pg = Playground(**config)
    for _ in range(20):
        pg.step(draw=draw)
    t = time.perf_counter()
    for _ in range(frames):
        pg.step(draw=draw)
    return (time.perf_counter() - t) / frames


def full_redraw_time(n=10):
    """Seconds per frame if every frame redrew the whole figure (no blitting): the reference."""
    import time

    from bpkit.widgets.playground import Playground
    pg = Playground()
    pg.step()
    t = time.perf_counter()
    for _ in range(n):
        pg.step(draw=False)
        pg.update(full=True)
    return (time.perf_counter() - t) / n


def rows(rounds=2):
    m = best_of_rounds({
        "default": lambda: frame_time(),
        "big": lambda: frame_time(dataset="spiral", features=["x", "y", "x2", "y2", "xy", "sinx", "siny"],
                                  hidden=[16] * 6, activation="relu", batchnorm=True, residual=True,
                                  dropout=0.1),
        "train": lambda: frame_time(frames=500, draw=False),
        "full": lambda: full_redraw_time(),
    }, rounds)
    fps = lambda t: f"{1 / t:.1f} fps"  # noqa: E731
    return [
        row("playground frame (1 step + blitted redraw + PNG), default config", fps(m["default"]),
            f"{fps(m['full'])} (full redraw each frame)", f"{m['full'] / m['default']:.1f}× faster",
            "≥ 15 fps"),
        row("same, 6×16 relu + BN + residual + dropout, 7 features, spiral", fps(m["big"]), "", "",
            "≥ 15 fps"),
        row("frame time, default config", fmt_time(m["default"]), "", "", "≤ 67 ms"),
        row("training step alone (no redraw), default config", fmt_time(m["train"]), "", "", "(information)"),
    ]


if __name__ == "__main__":
    print(markdown_table(rows(int(sys.argv[1]) if len(sys.argv) > 1 else 2)))
