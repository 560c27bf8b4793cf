"""``LatestRequestWorker``: one background thread that computes only the latest request.

An explorer asks for slow work (a UMAP layout, a pair explanation) in response to clicks and
slider moves. Computing every request in turn would leave the widget showing stale results for
as long as the queue is; computing them in parallel would let an older result overwrite a newer
one. This worker keeps one request waiting at most -- a new request replaces the waiting one --
and delivers a result only if no newer request was made while it was computed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class LatestRequestWorker:
    """Compute ``compute(request)`` in one thread and deliver only the latest result.

    Parameters
    ----------
    compute : callable(request) -> result
        The slow work; runs outside ``lock``.
    deliver : callable(generation, request, result)
        Called under ``lock``, only if the request is still the latest.
    on_error : callable(generation, request, exception)
        Called when ``compute`` or ``deliver`` raises (the worker keeps running); ``generation``
        tells whether the failed request was still the latest.
    name : str
        The thread's name.
    background : bool
        False runs each request in the calling thread (scripts, tests, exports).
    lock : threading.RLock, optional
        The owner's lock, held while delivering and while the generation changes.
    """

    def __init__(
        self,
        compute: Callable[[Any], Any],
        deliver: Callable[[int, Any, Any], None],
        on_error: Callable[[int, Any, BaseException], None],
        *,
        name: str = "smallbert-viz-worker",
        background: bool = True,
        lock: threading.RLock | None = None,
    ) -> None:
        self._compute = compute
        self._deliver = deliver
        self._on_error = on_error
        self.name = name
        self.background = bool(background)
        self.lock = lock if lock is not None else threading.RLock()
        self.generation = 0
        self._pending: tuple[int, Any] | None = None
        self._thread: threading.Thread | None = None

    def submit(self, request: Any) -> int:
        """Ask for ``request``; it replaces any request still waiting. Returns its generation."""
        with self.lock:
            self.generation += 1
            gen = self.generation
            if self.background:
                self._pending = (gen, request)
                if self._thread is None:
                    self._start()
                return gen
        self._run(gen, request)
        return gen

    def supersede(self) -> int:
        """Make every request so far stale (the owner drew something newer itself)."""
        with self.lock:
            self.generation += 1
            self._pending = None
            return self.generation

    def is_latest(self, generation: int) -> bool:
        with self.lock:
            return generation == self.generation

    @property
    def busy(self) -> bool:
        """Whether the thread is computing or has a request waiting."""
        with self.lock:
            return self._thread is not None

    def _work(self) -> None:
        while True:
            with self.lock:
                item, self._pending = self._pending, None
                if item is None:
                    self._thread = None  # under the lock: a submit now starts a new thread
                    return
            try:
                self._run(*item)
            except BaseException:
                # on_error itself raised (or a BaseException): this thread ends; a request
                # made meanwhile gets a new one, and the next submit starts one as usual.
                with self.lock:
                    self._thread = None
                    if self._pending is not None:
                        self._start()
                raise

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._work, name=self.name, daemon=True)
        self._thread.start()

    def _run(self, gen: int, request: Any) -> None:
        try:
            result = self._compute(request)
            with self.lock:
                if gen != self.generation:
                    return  # superseded: a newer request owns the output
                self._deliver(gen, request, result)
        except Exception as exc:  # noqa: BLE001 - handed to the owner, who shows it
            self._on_error(gen, request, exc)
