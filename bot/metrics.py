"""Prometheus metrics of one bot process (served at ``/metrics`` in webhook mode)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    """The process's metrics, in a registry of its own (several bots can share a process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "fabrique_updates_handled", "Updates handled, by kind.", ["kind"], registry=self.registry
        )
        self.latency = Histogram(
            "fabrique_update_handling_seconds",
            "Time from the start of an update's handling to its end.",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.errors = Counter(
            "fabrique_update_errors", "Updates whose handling raised an error.", registry=self.registry
        )
        self.flooded = Counter(
            "fabrique_updates_flooded",
            "Updates ignored because their sender was paused by flood control.",
            registry=self.registry,
        )
        self.dropped = Counter(
            "fabrique_replies_dropped",
            "Replies Telegram refused for good (or too late to answer a press), given up.",
            registry=self.registry,
        )
        self.deliveries = Counter(
            "fabrique_broadcast_deliveries",
            "Broadcast deliveries finished by this process, by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        self.broadcast_progress = Gauge(
            "fabrique_broadcast_progress_ratio",
            "Share of the deliveries of each active broadcast that are finished.",
            ["broadcast"],
            registry=self.registry,
        )
