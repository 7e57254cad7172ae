"""Prometheus metrics of one service process: requests, latencies, verdicts, cache, queue."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _Live(Collector):
    """Values read when scraped: checks in flight and waiting, the cache's hit rate."""

    def __init__(self, in_flight: Callable[[], int], judging: Callable[[], int]) -> None:
        self.in_flight = in_flight
        self.judging = judging

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from policyengine.enrich.http import CACHE_COUNTS

        yield GaugeMetricFamily(
            "policyengine_checks_in_flight",
            "Checks accepted and not yet answered (reading, waiting or judging)",
            value=self.in_flight(),
        )
        running = self.judging()
        yield GaugeMetricFamily(
            "policyengine_checks_judging", "Checks being judged on a thread now", value=running
        )
        yield GaugeMetricFamily(
            "policyengine_checks_waiting",
            "Checks waiting for a judging thread (the queue depth)",
            value=max(0, self.in_flight() - running),
        )
        hits, asked = CACHE_COUNTS["hit"], CACHE_COUNTS["asked"]
        yield GaugeMetricFamily(
            "policyengine_cache_hit_ratio",
            "Registry and advisory GETs answered by the cache, of all GETs (0 before any)",
            value=hits / (hits + asked) if hits + asked else 0.0,
        )
        yield GaugeMetricFamily(
            "policyengine_cache_hits", "Registry and advisory GETs the cache answered", value=hits
        )
        yield GaugeMetricFamily(
            "policyengine_cache_misses",
            "Registry and advisory GETs sent to the network",
            value=asked,
        )


class Metrics:
    """One registry per app, so that two apps in one process (tests) count apart."""

    def __init__(self, in_flight: Callable[[], int], judging: Callable[[], int]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "policyengine_http_requests",
            "HTTP requests answered, by route template and status",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "policyengine_http_request_seconds",
            "Time to answer a request, by route template",
            ("route",),
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120),
            registry=self.registry,
        )
        self.verdicts = Counter(
            "policyengine_verdicts",
            "Verdicts given by POST /v1/check, by outcome",
            ("outcome",),
            registry=self.registry,
        )
        self.registry.register(_Live(in_flight, judging))

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
