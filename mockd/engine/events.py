"""The event bus: every state change is recorded (history for `since`) and pushed to live subscribers."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .ids import now_ns

# Keep a bounded history like dockerd's events log (it keeps the last 256 by default; a bit more is harmless).
HISTORY_LIMIT = 1024


@dataclass
class Event:
    type: str
    action: str
    actor_id: str
    attributes: dict[str, str] = field(default_factory=dict)
    time_ns: int = field(default_factory=now_ns)
    scope: str = "local"

    def to_dict(self) -> dict:
        out: dict = {}
        # The pre-1.22 fields dockerd still sends for container and image events.
        if self.type == "container":
            out = {"status": self.action, "id": self.actor_id, "from": self.attributes.get("image", "")}
        elif self.type == "image":
            out = {"status": self.action, "id": self.actor_id}
        out.update({
            "Type": self.type,
            "Action": self.action,
            "Actor": {"ID": self.actor_id, "Attributes": dict(self.attributes)},
            "scope": self.scope,
            "time": self.time_ns // 1_000_000_000,
            "timeNano": self.time_ns,
        })
        return out


def _base_action(action: str) -> str:
    # "exec_start: sh -c ..." and "health_status: healthy" filter as their prefix too.
    return action.split(":", 1)[0]


def matches(event: Event, filters: Mapping[str, list[str]]) -> bool:
    """dockerd's event filter semantics: values of one key are OR-ed, keys are AND-ed."""
    for key, values in filters.items():
        if not values:
            continue
        attrs = event.attributes
        if key == "type":
            ok = event.type in values
        elif key == "event":
            ok = event.action in values or _base_action(event.action) in values
        elif key == "container":
            ok = event.type == "container" and (
                any(event.actor_id.startswith(v) or attrs.get("name") == v for v in values))
        elif key == "image":
            image = attrs.get("image", event.actor_id if event.type == "image" else "")
            ok = any(v in (image, image.split(":")[0], event.actor_id) or (image and f"{v}:latest" == image)
                     for v in values)
        elif key in ("volume", "network", "plugin", "service", "node", "secret", "config"):
            ok = event.type == key and any(event.actor_id.startswith(v) or attrs.get("name") == v for v in values)
        elif key == "label":
            ok = False
            for v in values:
                name, _, want = v.partition("=")
                if name in attrs and (not want or attrs[name] == want):
                    ok = True
        elif key == "daemon":
            ok = event.type == "daemon" and event.actor_id in values
        elif key == "scope":
            ok = event.scope in values
        else:
            ok = True
        if not ok:
            return False
    return True


# dockerd's events pubsub (moby daemon/events/events.go: pubsub.NewPublisher(100*time.Millisecond, 1024);
# moby/pubsub publisher.go, Publish and sendTopic): each subscriber has a channel buffering 1024 events; an event
# is offered only to subscribers whose filter takes it (the topic), and one that does not fit in a subscriber's
# buffer is waited on for up to 100 ms, then skipped for that subscriber. Here events are emitted on the event
# loop, where waiting would stall every client, so an event that does not fit waits in the subscription
# instead: it is delivered if the subscriber makes room within DROP_TIMEOUT of its emission, else skipped.
SUBSCRIBER_BUFFER = 1024
DROP_TIMEOUT = 0.1  # seconds


class Subscription(asyncio.Queue[Event]):
    """One subscriber's events: at most SUBSCRIBER_BUFFER waiting, and those that did not fit for DROP_TIMEOUT."""

    def __init__(self, topic: Callable[[Event], bool] | None = None) -> None:
        super().__init__(maxsize=SUBSCRIBER_BUFFER)
        self.topic = topic
        self._late: deque[tuple[float, Event]] = deque()  # (deadline, event) in order of emission
        self.skipped = 0

    def offer(self, event: Event) -> None:
        if self.topic is not None and not self.topic(event):
            return
        now = time.monotonic()
        self._expire(now)
        if self._late or self.full():
            self._late.append((now + DROP_TIMEOUT, event))
        else:
            self.put_nowait(event)

    def get_nowait(self) -> Event:
        event = super().get_nowait()  # asyncio.Queue.get ends here too: room was made, the late ones move up
        self._expire(time.monotonic())
        while self._late and not self.full():
            self.put_nowait(self._late.popleft()[1])
        return event

    def _expire(self, now: float) -> None:
        while self._late and self._late[0][0] < now:
            self._late.popleft()
            self.skipped += 1


class EventBus:
    def __init__(self) -> None:
        self.history: list[Event] = []
        self.emitted = 0  # every state change emits: the count marks the state (Engine.change_mark)
        self._subscribers: set[Subscription] = set()
        # Called with every event as it is emitted: the state changed (mockd/persist journals it).
        self.listeners: list[Callable[[Event], None]] = []

    def emit(self, type_: str, action: str, actor_id: str, attributes: Mapping[str, str] | None = None) -> Event:
        event = Event(type_, action, actor_id, {k: str(v) for k, v in (attributes or {}).items()})
        self.emitted += 1
        if self.history and event.time_ns <= self.history[-1].time_ns:
            event.time_ns = self.history[-1].time_ns + 1  # keep history strictly ordered
        self.history.append(event)
        del self.history[:-HISTORY_LIMIT]
        for listener in self.listeners:
            listener(event)
        for subscription in list(self._subscribers):
            subscription.offer(event)
        return event

    def changed_silently(self) -> None:
        """A state change dockerd announces with no event (removing a legacy link): cached answers are stale."""
        self.emitted += 1

    def subscribe(self, topic: Callable[[Event], bool] | None = None) -> Subscription:
        """The events from now on that ``topic`` takes (all without one), as dockerd's SubscribeTopic."""
        subscription = Subscription(topic)
        self._subscribers.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)

    def since(self, since_ns: int | None, until_ns: int | None, filters: Mapping[str, list[str]]) -> list[Event]:
        return [e for e in self.history
                if (since_ns is None or e.time_ns >= since_ns) and (until_ns is None or e.time_ns <= until_ns)
                and matches(e, filters)]

    def clear(self) -> None:
        self.history.clear()
