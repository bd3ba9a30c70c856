"""Run jobs: each run records its start and end (success or error) in job_runs, in its own app context."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask

from jobs.tasks import TASKS
from service.clock import now_utc
from service.delivery import DeliveryConfig, build_channels
from service.delivery.base import Channel
from service.delivery.webpush import PhonesChannel
from service.domain import job_runs, outbox
from service.extensions import db

logger = logging.getLogger("jobs")


@dataclass
class JobContext:
    """What every job needs besides a session and the time: channels, batch size, retry policy."""

    app: Flask
    channels: dict[str, Channel]
    availability: outbox.Availability
    policy: outbox.RetryPolicy
    batch_size: int = 500
    rng: random.Random = field(default_factory=random.Random)
    lease: timedelta = outbox.DEFAULT_LEASE  # how long a claimed message is this process's to send
    monotonic: Callable[[], float] = time.monotonic  # the clock of a run's elapsed time (tests inject one)


def _availability(channels: dict[str, Channel]) -> outbox.Availability:
    """What the channels reach: FCM when ``push`` is (or wraps) it, web push when a ``webpush`` channel is there."""
    phones = channels.get("push")
    fcm = getattr(phones, "fcm", phones) if isinstance(phones, PhonesChannel) else phones
    return outbox.Availability(email="email" in channels, push=fcm is not None, web_push="webpush" in channels)


def context_for(app: Flask, *, channels: dict[str, Channel] | None = None) -> JobContext:
    """The job context from the app's config (channels built from SMTP and FCM settings unless given)."""
    config = app.config
    channels = channels if channels is not None else build_channels(DeliveryConfig.from_app_config(config))
    return JobContext(
        app=app,
        channels=channels,
        availability=_availability(channels),
        policy=outbox.RetryPolicy(
            max_attempts=config["DELIVERY_MAX_ATTEMPTS"],
            base_seconds=config["DELIVERY_BACKOFF_SECONDS"],
            max_seconds=config["DELIVERY_BACKOFF_MAX_SECONDS"],
        ),
        batch_size=config["JOBS_BATCH_SIZE"],
    )


def run_job(ctx: JobContext, name: str, *, now: datetime | None = None) -> int:
    """Run one job once; its outcome lands in job_runs. Errors are logged and recorded, never raised."""
    task = TASKS[name]
    with ctx.app.app_context():
        session = db.session
        now = now or now_utc()
        job_runs.record_start(session, name=name, now=now)
        session.commit()
        started = time.monotonic()
        items, error = 0, None
        try:
            items = task(ctx, session, now)
        except Exception as exc:
            session.rollback()
            logger.exception("job %s failed", name)
            error = f"{type(exc).__name__}: {exc}"
        elapsed = time.monotonic() - started
        job_runs.record_end(
            session,
            name=name,
            now=now + timedelta(seconds=elapsed),
            items=items,
            duration_ms=int(elapsed * 1000),
            error=error,
        )
        session.commit()
        db.session.remove()
    if items or error:
        logger.info("job %s: %d done in %d ms%s", name, items, int(elapsed * 1000), " (failed)" if error else "")
    return items


def tick(ctx: JobContext, *, now: datetime | None = None, only: tuple[str, ...] | None = None) -> dict[str, int]:
    """Run every job once, in catalogue order (or just those named); returns items per job."""
    done = {}
    for spec in job_runs.JOBS:
        if only and spec.name not in only:
            continue
        done[spec.name] = run_job(ctx, spec.name, now=now)
    return done
