"""Regression: PySide6-Essentials 6.12.0 aborted CPython 3.11 after ~2,000 Python-side emits.

The emits run in a child interpreter (this venv's python) so that an abort is a failed test with an
exit code, not a dead pytest that already printed "passed".
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

N = 100_000

SCRIPT = textwrap.dedent(f"""
    import sys
    from PySide6.QtCore import QCoreApplication, QObject, Signal, Slot

    class Emitter(QObject):
        as_int = Signal(int)
        as_object = Signal(object)
        as_bool = Signal(bool)

    class Receiver(QObject):
        def __init__(self):
            super().__init__()
            self.ints = self.objects = self.bools = 0
            self.last = None

        @Slot(int)
        def on_int(self, value):
            self.ints += 1
            self.last = value

        def on_object(self, value):  # undecorated bound method: the other common connection path
            self.objects += 1

        @Slot(bool)
        def on_bool(self, value):
            self.bools += 1

    app = QCoreApplication(sys.argv[:1])
    emitter, receiver = Emitter(), Receiver()
    emitter.as_int.connect(receiver.on_int)
    emitter.as_object.connect(receiver.on_object)
    emitter.as_bool.connect(receiver.on_bool)
    payload = {{"step": 0, "values": [1.0, 2.0]}}
    for i in range({N}):
        emitter.as_int.emit(i)
        emitter.as_object.emit(payload)
        emitter.as_bool.emit(i % 2 == 0)
    assert (receiver.ints, receiver.objects, receiver.bools) == ({N}, {N}, {N}), (
        receiver.ints, receiver.objects, receiver.bools)
    assert receiver.last == {N} - 1
    del emitter, receiver, app
    print("EMITS_OK", {N})
""")


def test_100k_signal_emits_do_not_crash_the_interpreter(tmp_path):
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=240,
                          cwd=tmp_path, env=None)
    assert proc.returncode == 0, (
        f"child exited with {proc.returncode} (134 = abort: the PySide6 emit crash is back)\n"
        f"stdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-4000:]}")
    assert f"EMITS_OK {N}" in proc.stdout
