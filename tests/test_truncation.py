"""The truncation-warning switch holds for its own thread only and leaves warning filters alone."""

from __future__ import annotations

import threading
import warnings

from smallbert_viz import _truncation


def test_counted_by_caller_is_per_thread_and_nests():
    inside, release = threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def worker():
        with _truncation.counted_by_caller():
            seen["worker"] = _truncation.warns()
            inside.set()
            release.wait(10)
        seen["worker after"] = _truncation.warns()

    filters = list(warnings.filters)
    thread = threading.Thread(target=worker)
    thread.start()
    assert inside.wait(10)
    seen["main while the worker is inside"] = _truncation.warns()
    release.set()
    thread.join(10)
    assert seen == {"worker": False, "main while the worker is inside": True, "worker after": True}
    with _truncation.counted_by_caller():
        with _truncation.counted_by_caller():
            assert not _truncation.warns()
        assert not _truncation.warns()  # the outer block still holds
    assert _truncation.warns()
    assert list(warnings.filters) == filters
