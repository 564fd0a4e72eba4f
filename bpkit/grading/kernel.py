"""The grading sandbox's kernel: ipykernel with stdout/stderr capped.

Runs inside the sandbox (the instructor's autograde starts it as
``python -m bpkit.grading.kernel -f CONNECTION_FILE``), where only the student part is mounted,
so it lives here. The cap, in bytes, comes from the environment (``BPKIT_OUTPUT_LIMIT``); past it
the rest is discarded with one line that the instructor's tools turn into an ``output-limit``
flag.
"""
from __future__ import annotations

import os
import sys

OUTPUT_LIMIT_ENV = "BPKIT_OUTPUT_LIMIT"
MARK = "[bpkit sandbox] output limit"


def main(argv=None):
    # the kernel's own machinery, imported only when a kernel starts
    from ipykernel import iostream
    from ipykernel.kernelapp import launch_new_instance

    limit = int(os.environ.get(OUTPUT_LIMIT_ENV, 2 << 20))
    state = {"sent": 0, "warned": False}
    write = iostream.OutStream.write

    def capped(self, text):
        n = len(text) if isinstance(text, str) else 0
        room = limit - state["sent"]
        if n <= room:
            state["sent"] += n
            return write(self, text)
        if room > 0:
            state["sent"] = limit
            write(self, text[:room])
        if not state["warned"]:
            state["warned"] = True
            write(self, f"\n{MARK}: more than {limit >> 20} MiB printed; the rest is discarded\n")
        return n

    iostream.OutStream.write = capped
    sys.argv = ["ipykernel_launcher"] + list(sys.argv[1:] if argv is None else argv)
    launch_new_instance()


if __name__ == "__main__":
    main()
