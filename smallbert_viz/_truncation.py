"""Whether this thread warns about texts cut at ``max_length``.

The report counts cut sentences in its summary and so does not want ``embed``'s warning, and
``explain_pair`` warns once itself. ``warnings.catch_warnings`` would do it by changing the
process-wide filter list, which is unsafe beside a second thread: the report's model work runs
in a worker thread beside the projection (and a widget's beside the user's cell), and two
threads that enter and leave ``catch_warnings`` interleaved leave one thread's filters installed
for good. A thread-local flag silences only what the caller itself counts.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

_local = threading.local()


def warns() -> bool:
    """False inside :func:`counted_by_caller` in this thread, else True."""
    return not getattr(_local, "counted", False)


@contextlib.contextmanager
def counted_by_caller() -> Iterator[None]:
    """In this thread, for the block: no truncation warning from ``embed``,
    ``layer_embeddings``, ``explain_pair`` or ``compute_attention``; the caller reports cut
    texts itself."""
    before = getattr(_local, "counted", False)
    _local.counted = True
    try:
        yield
    finally:
        _local.counted = before
