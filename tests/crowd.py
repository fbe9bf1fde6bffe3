"""A crowd at the door: the same work started in many threads at the same instant, for tests of what
happens when requests (or cron jobs) collide."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def all_at_once(work: Callable[[T, Callable[[], None]], None], items: Sequence[T]) -> list[BaseException]:
    """Run `work(item, go)` for every item, each in a thread of its own; `go()` waits until every thread
    has called it, so the part after it starts together. Returns what the threads raised."""
    barrier = threading.Barrier(len(items))
    errors: list[BaseException] = []

    def go() -> None:
        barrier.wait(timeout=30)

    def run(item: T) -> None:
        try:
            work(item, go)
        except BaseException as exc:  # the caller asserts on them
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish in two minutes"
    return errors
