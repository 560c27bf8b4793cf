"""LatestRequestWorker with real threads, ordered by threading.Event gates (no sleeps)."""

from __future__ import annotations

import itertools
import threading
from collections import defaultdict

import pytest

from smallbert_viz.widgets._latest import LatestRequestWorker

TIMEOUT = 10.0  # generous: only reached when something is wrong
_names = itertools.count()


class Recorder:
    """compute / deliver / on_error for one worker, recording what happens in which thread.

    ``gate(request)`` makes ``compute(request)`` signal ``started[request]`` and then wait for
    ``release[request]``. Requests whose name starts with "fail" raise ValueError in compute.
    ``settled[request]`` is set once the request was delivered or reported to ``on_error``.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self.started: defaultdict[str, threading.Event] = defaultdict(threading.Event)
        self.release: dict[str, threading.Event] = {}
        self.computed_done: defaultdict[str, threading.Event] = defaultdict(threading.Event)
        self.settled: defaultdict[str, threading.Event] = defaultdict(threading.Event)
        self.computed: list[str] = []
        self.compute_threads: list[threading.Thread] = []
        self.delivered: list[tuple[int, str, str]] = []
        self.deliver_threads: list[threading.Thread] = []
        self.errors: list[tuple[int, str, BaseException]] = []
        self.running = 0
        self.max_running = 0

    def gate(self, *requests: str) -> None:
        for request in requests:
            self.release[request] = threading.Event()

    def compute(self, request: str) -> str:
        with self._mutex:
            self.computed.append(request)
            self.compute_threads.append(threading.current_thread())
            self.running += 1
            self.max_running = max(self.max_running, self.running)
            gate = self.release.get(request)
            started = self.started[request]
        try:
            started.set()
            if gate is not None:
                assert gate.wait(TIMEOUT), f"{request} was never released"
            if request.startswith("fail"):
                raise ValueError(f"cannot compute {request}")
            return request.upper()
        finally:
            with self._mutex:
                self.running -= 1
                done = self.computed_done[request]
            done.set()

    def deliver(self, generation: int, request: str, result: str) -> None:
        with self._mutex:
            self.delivered.append((generation, request, result))
            self.deliver_threads.append(threading.current_thread())
            settled = self.settled[request]
        settled.set()

    def on_error(self, generation: int, request: str, exc: BaseException) -> None:
        with self._mutex:
            self.errors.append((generation, request, exc))
            settled = self.settled[request]
        settled.set()

    def wait(self, events: defaultdict[str, threading.Event], request: str) -> None:
        with self._mutex:
            event = events[request]
        assert event.wait(TIMEOUT), f"timed out waiting for {request}"


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


@pytest.fixture
def name() -> str:
    """A thread name of this test only, so that its worker thread can be found and joined."""
    return f"test-latest-worker-{next(_names)}"


def worker_threads(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == name]


def join_workers(name: str) -> None:
    """Wait until the worker thread has run out of requests and exited."""
    for thread in worker_threads(name):
        thread.join(TIMEOUT)
        assert not thread.is_alive(), "the worker thread did not exit"


def make(rec: Recorder, name: str, **kwargs) -> LatestRequestWorker:
    return LatestRequestWorker(rec.compute, rec.deliver, rec.on_error, name=name, **kwargs)


def test_requests_made_while_computing_collapse_into_the_latest(rec, name):
    worker = make(rec, name)
    rec.gate("r1")
    assert worker.submit("r1") == 1
    rec.wait(rec.started, "r1")
    assert [worker.submit(r) for r in ("r2", "r3", "r4")] == [2, 3, 4]
    assert worker.busy
    rec.release["r1"].set()
    rec.wait(rec.settled, "r4")
    join_workers(name)
    assert rec.computed == ["r1", "r4"]  # r2 and r3 were replaced while waiting
    assert rec.delivered == [(4, "r4", "R4")]  # r1 finished after r4 was asked for
    assert rec.errors == []
    assert rec.max_running == 1
    assert all(t.name == name for t in rec.compute_threads + rec.deliver_threads)
    assert not worker.busy


def test_a_result_superseded_while_computing_is_never_delivered(rec, name):
    worker = make(rec, name)
    rec.gate("r1", "r2")
    worker.submit("r1")
    rec.wait(rec.started, "r1")
    worker.submit("r2")
    rec.release["r1"].set()
    rec.wait(rec.started, "r2")  # r1 has been computed and dropped by now
    assert rec.delivered == [] and rec.errors == []
    rec.release["r2"].set()
    rec.wait(rec.settled, "r2")
    join_workers(name)
    assert rec.delivered == [(2, "r2", "R2")]
    assert rec.computed == ["r1", "r2"]


def test_the_latest_request_is_delivered_when_nothing_newer_came(rec, name):
    worker = make(rec, name)
    gen = worker.submit("only")
    rec.wait(rec.settled, "only")
    join_workers(name)
    assert rec.delivered == [(gen, "only", "ONLY")] and worker.is_latest(gen)


def test_supersede_makes_the_in_flight_result_stale_and_drops_the_waiting_one(rec, name):
    worker = make(rec, name)
    rec.gate("r1")
    worker.submit("r1")
    rec.wait(rec.started, "r1")
    worker.submit("r2")
    assert worker.supersede() == 3
    assert not worker.is_latest(1) and not worker.is_latest(2) and worker.is_latest(3)
    rec.release["r1"].set()
    rec.wait(rec.computed_done, "r1")
    join_workers(name)
    assert rec.computed == ["r1"]  # the waiting r2 was dropped
    assert rec.delivered == [] and rec.errors == []
    assert not worker.busy


def test_the_owner_superseding_under_its_lock_beats_a_finished_compute(rec, name):
    lock = threading.RLock()
    worker = make(rec, name, lock=lock)
    rec.gate("r1")
    worker.submit("r1")
    rec.wait(rec.started, "r1")
    with lock:  # the owner draws something newer while r1's result is about to be delivered
        rec.release["r1"].set()
        rec.wait(rec.computed_done, "r1")
        assert rec.delivered == []  # delivery needs the lock we hold
        worker.supersede()
    join_workers(name)
    assert rec.delivered == [] and rec.errors == []


def test_deliver_runs_under_the_owners_lock_and_compute_outside_it(rec, name):
    lock = threading.RLock()
    in_deliver, leave_deliver = threading.Event(), threading.Event()
    seen: list[bool] = []

    def deliver(generation, request, result):
        in_deliver.set()
        assert leave_deliver.wait(TIMEOUT)
        rec.deliver(generation, request, result)

    worker = LatestRequestWorker(rec.compute, deliver, rec.on_error, name=name, lock=lock)
    assert worker.lock is lock
    rec.gate("r1")
    worker.submit("r1")
    rec.wait(rec.started, "r1")
    seen.append(lock.acquire(timeout=TIMEOUT))  # free while computing
    lock.release()
    rec.release["r1"].set()
    assert in_deliver.wait(TIMEOUT)
    seen.append(lock.acquire(blocking=False))  # held by the worker while delivering
    leave_deliver.set()
    rec.wait(rec.settled, "r1")
    join_workers(name)
    seen.append(lock.acquire(blocking=False))
    lock.release()
    assert seen == [True, False, True]
    assert rec.delivered == [(1, "r1", "R1")]


def test_errors_go_to_on_error_with_the_generation_and_the_worker_keeps_running(rec, name):
    worker = make(rec, name)
    gen = worker.submit("fail-1")
    rec.wait(rec.settled, "fail-1")
    [(err_gen, request, exc)] = rec.errors
    assert (err_gen, request) == (gen, "fail-1") and worker.is_latest(err_gen)
    assert isinstance(exc, ValueError) and str(exc) == "cannot compute fail-1"
    assert rec.delivered == []
    gen2 = worker.submit("r2")
    rec.wait(rec.settled, "r2")
    join_workers(name)
    assert rec.delivered == [(gen2, "r2", "R2")] and len(rec.errors) == 1


def test_a_stale_failure_is_reported_with_its_old_generation(rec, name):
    worker = make(rec, name)
    rec.gate("fail-old")
    worker.submit("fail-old")
    rec.wait(rec.started, "fail-old")
    worker.submit("new")
    rec.release["fail-old"].set()
    rec.wait(rec.settled, "new")
    join_workers(name)
    [(err_gen, request, _)] = rec.errors
    assert (err_gen, request) == (1, "fail-old")
    assert not worker.is_latest(err_gen)  # the owner can tell it need not show this one
    assert rec.delivered == [(2, "new", "NEW")]


def test_an_error_in_deliver_goes_to_on_error(rec, name):
    def deliver(generation, request, result):
        if request == "bad":
            raise RuntimeError(f"cannot show {result}")
        rec.deliver(generation, request, result)

    worker = LatestRequestWorker(rec.compute, deliver, rec.on_error, name=name)
    worker.submit("bad")
    rec.wait(rec.settled, "bad")
    worker.submit("good")
    rec.wait(rec.settled, "good")
    join_workers(name)
    [(gen, request, exc)] = rec.errors
    assert (gen, request, str(exc)) == (1, "bad", "cannot show BAD")
    assert rec.delivered == [(2, "good", "GOOD")]


def test_background_false_runs_inline(rec, name):
    worker = make(rec, name, background=False)
    assert worker.submit("r1") == 1
    assert rec.delivered == [(1, "r1", "R1")]  # already, before submit returned
    assert rec.compute_threads == rec.deliver_threads == [threading.current_thread()]
    assert worker_threads(name) == [] and not worker.busy
    assert worker.submit("fail-2") == 2
    assert [(g, r) for g, r, _ in rec.errors] == [(2, "fail-2")]
    assert worker.submit("r3") == 3  # still working after the error
    assert rec.delivered[-1] == (3, "r3", "R3")
    assert worker_threads(name) == [] and not worker.busy


def test_background_false_drops_a_result_superseded_during_its_compute(rec, name):
    worker_box: list[LatestRequestWorker] = []

    def compute(request):
        worker_box[0].supersede()  # e.g. a callback drew something newer meanwhile
        return rec.compute(request)

    worker = LatestRequestWorker(compute, rec.deliver, rec.on_error, background=False, name=name)
    worker_box.append(worker)
    assert worker.submit("r1") == 1
    assert rec.computed == ["r1"] and rec.delivered == [] and rec.errors == []


def test_busy_and_the_thread_exiting_when_idle_and_restarting(rec, name):
    worker = make(rec, name)
    assert not worker.busy and worker_threads(name) == []
    rec.gate("r1")
    worker.submit("r1")
    rec.wait(rec.started, "r1")
    assert worker.busy
    [first] = worker_threads(name)
    rec.release["r1"].set()
    rec.wait(rec.settled, "r1")
    join_workers(name)
    assert not first.is_alive() and not worker.busy and worker_threads(name) == []

    worker.submit("r2")  # a new thread is started for it
    rec.wait(rec.settled, "r2")
    join_workers(name)
    assert rec.delivered == [(1, "r1", "R1"), (2, "r2", "R2")]
    second = rec.compute_threads[1]
    assert second is not first and second.name == name and not second.is_alive()
    assert not worker.busy


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_raising_on_error_does_not_wedge_the_worker(rec, name):
    def on_error(generation, request, exc):
        rec.on_error(generation, request, exc)
        raise RuntimeError("the error panel itself failed")

    worker = LatestRequestWorker(rec.compute, rec.deliver, on_error, name=name)
    worker.submit("fail-1")
    rec.wait(rec.settled, "fail-1")
    join_workers(name)
    assert not worker.busy
    worker.submit("r2")
    rec.wait(rec.settled, "r2")
    assert rec.delivered == [(2, "r2", "R2")]
