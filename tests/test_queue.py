"""The task queue: what waits runs highest priority first, on both stacks."""

import pytest

from portal import extensions
from portal.tasks.delivery import dispatch_due, send_deliveries, start_broadcast, sweep
from portal.tasks.webhooks import process_event


@pytest.fixture
def queue(monkeypatch, tmp_path):
    """A real (not immediate) queue of the kind this stack runs, empty."""
    monkeypatch.setenv("SANDESH_ENV", "development")
    monkeypatch.setattr(extensions, "INSTANCE_PATH", tmp_path)
    huey = extensions.make_huey()
    huey.flush()
    yield huey
    huey.flush()


def test_sending_goes_before_stored_webhook_events_waiting_longer(queue):
    assert queue.storage.priority  # a priority queue on either stack
    for event_id in (1, 2, 3):
        put(queue, process_event.s(event_id))
    put(queue, send_deliveries.s(7))  # a sender handing over after its time slice
    put(queue, start_broadcast.s(8))
    first, second = next_task(queue), next_task(queue)
    assert {first.name, second.name} == {"send_deliveries", "start_broadcast"}
    assert [next_task(queue).args for _ in range(3)] == [(1,), (2,), (3,)]  # then in order
    assert queue.storage.dequeue() is None


def put(queue, task):
    """Enqueue as the app's Huey does (its registry knows the tasks), into this queue."""
    queue.storage.enqueue(extensions.huey.serialize_task(task), task.priority)


def next_task(queue):
    """What a consumer would take next (read with the app's task registry)."""
    return extensions.huey.deserialize_task(queue.storage.dequeue())


def test_the_schedule_goes_between_sending_and_webhook_events():
    unset = process_event.s(1).priority or 0  # Huey queues no priority as 0
    assert send_deliveries.s().priority > sweep.s().priority > unset
    assert dispatch_due.s().priority == sweep.s().priority
