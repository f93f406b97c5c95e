from __future__ import annotations

import threading
import time

import pytest

from elt.errors import ServiceError
from elt.sdk.lake.worker import Worker


def test_jobs_run_in_order_on_the_workers_thread() -> None:
    done: list[tuple[int, str]] = []
    worker = Worker("lake-test")
    for i in range(20):
        worker.submit(lambda i=i: done.append((i, threading.current_thread().name)))
    worker.close()
    assert done == [(i, "lake-test") for i in range(20)]
    assert not worker.alive


def test_a_failed_job_is_raised_in_the_submitter_and_later_jobs_are_skipped() -> None:
    ran: list[int] = []
    worker = Worker("lake-test")

    def fail() -> None:
        raise ServiceError("the store refused part 2", where="memory://b/k")

    worker.submit(lambda: ran.append(1))
    worker.submit(fail)
    worker.submit(lambda: ran.append(3))
    with pytest.raises(ServiceError, match="refused part 2"):
        worker.close()
    assert ran == [1]


def test_the_error_surfaces_at_a_later_submit_without_waiting_for_close() -> None:
    worker = Worker("lake-test")

    def fail() -> None:
        raise ValueError("bad buffer")

    def keep_submitting() -> None:
        for _ in range(1000):
            worker.submit(lambda: time.sleep(0.001))

    worker.submit(fail)
    with pytest.raises(ValueError, match="bad buffer"):
        keep_submitting()
    worker.close()


def test_cancel_drops_queued_jobs_and_waits_for_the_running_one() -> None:
    gate, entered = threading.Event(), threading.Event()
    ran: list[str] = []
    worker = Worker("lake-test", depth=2)

    def slow() -> None:
        entered.set()
        gate.wait(5)
        ran.append("slow")

    worker.submit(slow)
    assert entered.wait(5)
    worker.submit(lambda: ran.append("queued"))
    threading.Timer(0.05, gate.set).start()
    worker.cancel()
    assert ran == ["slow"]
    assert not worker.alive
