"""Import TensorFlow once, quietly."""

from __future__ import annotations

import contextlib
import os
import sys

__all__ = ["import_tensorflow"]


def import_tensorflow():
    """Import TensorFlow quietly (its C++ start-up log is noise to our users).

    The first import runs with the process's stderr pointed at /dev/null, since
    some of TensorFlow's messages are written before any log level applies; an
    import error is still raised as usual.
    """
    if "tensorflow" not in sys.modules:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        with _stderr_silenced():
            import tensorflow  # noqa: F401
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    return tf


@contextlib.contextmanager
def _stderr_silenced():
    try:
        saved = os.dup(2)
    except OSError:  # no usable stderr: nothing to silence
        yield
        return
    sys.stderr.flush()
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
