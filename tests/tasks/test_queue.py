"""The task queue: what waits runs highest priority first, on both stacks."""

import pytest

from portal import extensions
from portal.tasks.delivery import dispatch_due, send_deliveries, start_broadcast
from portal.tasks.events import process_event
from portal.tasks.sweeper import sweep


@pytest.fixture
def queue(monkeypatch, tmp_path):
    """A real (not immediate) queue of the kind this stack runs, empty."""
    monkeypatch.setenv("SANDESH_ENV", "development")
    monkeypatch.setattr(extensions, "INSTANCE_PATH", tmp_path)
    huey = extensions.make_huey()
    huey.flush()
    yield huey
    huey.flush()
    huey.storage.close()  # its connection closed, not left to the garbage collector


def test_webhook_events_and_starts_go_before_senders_that_waited_longer(queue):
    """A teacher's YES or a new broadcast does not wait behind senders handing over."""
    assert queue.storage.priority  # a priority queue on either stack
    put(queue, send_deliveries.s(7))  # senders handing over after their time slices
    put(queue, send_deliveries.s(8))
    for event_id in (1, 2):
        put(queue, process_event.s(event_id))
    put(queue, start_broadcast.s(9))
    put(queue, process_event.s(3))
    urgent = [next_task(queue) for _ in range(4)]
    assert [(task.name, task.args) for task in urgent] == [
        ("process_event", (1,)),
        ("process_event", (2,)),
        ("start_broadcast", (9,)),
        ("process_event", (3,)),
    ]  # in the order they came
    assert [next_task(queue).args for _ in range(2)] == [(7,), (8,)]
    assert queue.storage.dequeue() is None


def put(queue, task):
    """Enqueue as the app's Huey does (its registry knows the tasks), into this queue."""
    queue.storage.enqueue(extensions.huey.serialize_task(task), task.priority)


def next_task(queue):
    """What a consumer would take next (read with the app's task registry)."""
    return extensions.huey.deserialize_task(queue.storage.dequeue())


def test_the_schedule_goes_between_webhook_events_and_senders():
    unset = send_deliveries.s().priority or 0  # Huey queues no priority as 0
    assert process_event.s(1).priority > sweep.s().priority > unset
    assert dispatch_due.s().priority == sweep.s().priority
    assert start_broadcast.s(1).priority == process_event.s(1).priority
