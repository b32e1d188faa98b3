"""Thin tasks: one service call each, explicit names, nothing but ids (here: nothing) in."""

from __future__ import annotations

from celery import shared_task

from dashboards import services


@shared_task(name="dashboards.refresh_rollups")
def refresh_rollups() -> None:
    services.rollup_refresh_mentions()
    services.figures_refresh()
