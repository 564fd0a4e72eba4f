"""INSTRUCTOR ONLY — the answer key of the bpkit course.

This package holds what must never reach a student: the reference implementation of every
graded function, the generators of the hidden cases, and the code of the catalogued wrong
variants (``exercises/aNN.py``). It is not part of the student wheel (``bpkit bundle``), it is
not in nbgrader's release, and the sandbox that runs students' kernels at grading time does not
mount it. The student part of the course is the ``bpkit`` package next to it.
"""
