"""Prometheus metrics: counters kept by each process, gauges read from the database at scrape time.

Under gunicorn set PROMETHEUS_MULTIPROC_DIR to an empty directory so every worker's counters add up
(prometheus_client's multiprocess mode); without it each process reports its own.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily

REPORTS_RECEIVED = Counter("aftercare_reports_received", "Symptom reports received", ["outcome"])
FLAGS_OPENED = Counter("aftercare_flags_opened", "Flags opened by the rules", ["priority"])
REQUEST_SECONDS = Histogram(
    "aftercare_request_seconds",
    "Time to answer an API request",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)


_CHILDREN: dict = {}


def labelled(metric, *values):
    """``metric.labels(*values)``, remembered: the hot paths count every request, and each labels() call
    takes the metric's lock and checks its label values again. (Label values here come from a fixed set:
    endpoints, outcomes, priorities.)"""
    key = (metric, values)
    child = _CHILDREN.get(key)
    if child is None:
        child = _CHILDREN[key] = metric.labels(*values)
    return child


class _Gauges:
    def __init__(self, families: list[GaugeMetricFamily]):
        self.families = families

    def collect(self):
        yield from self.families


def gauge(
    name: str, documentation: str, values: dict[tuple[str, ...], float] | float, labels: tuple[str, ...] = ()
) -> GaugeMetricFamily:
    """A gauge read at scrape time (a plain number, or values by label tuple)."""
    family = GaugeMetricFamily(name, documentation, labels=list(labels) if labels else None)
    if isinstance(values, dict):
        for key, value in values.items():
            family.add_metric(list(key), value)
    else:
        family.add_metric([], values)
    return family


def render(database_gauges: list[GaugeMetricFamily]) -> bytes:
    """The metrics page: this process's (or all workers') counters plus gauges read from the database."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    database = CollectorRegistry()
    database.register(_Gauges(database_gauges))
    return generate_latest(registry) + generate_latest(database)
