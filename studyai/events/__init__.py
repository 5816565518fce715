"""The event system. Import the public API from here:

    from studyai.events import Event, EventType, EventPublisher, EventConsumer, EventDrivenTask

(the classes load lazily, so importing this package never needs the app registry.)
"""
from __future__ import annotations

from typing import Any

from .types import Event, EventType, InvalidEvent, TaskStatus

__all__ = ["Event", "EventType", "InvalidEvent", "TaskStatus", "EventPublisher", "EventConsumer", "EventDrivenTask"]


def __getattr__(name: str) -> Any:
    if name == "EventPublisher":
        from .publisher import EventPublisher

        return EventPublisher
    if name == "EventConsumer":
        from .consumer import EventConsumer

        return EventConsumer
    if name == "EventDrivenTask":
        from .tasks import EventDrivenTask

        return EventDrivenTask
    raise AttributeError(name)
