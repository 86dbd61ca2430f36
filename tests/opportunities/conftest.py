"""Fixtures of the opportunities tests (the world is in ``world.py``, shared with the API
and page tests)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from maillon.members.models import Member
from tests.opportunities.world import Cast, OppWorld, make_cast


@pytest.fixture
def world(app: Flask, create_member: Callable[..., Member]) -> OppWorld:
    return OppWorld(app, create_member, "reseau")


@pytest.fixture
def cast(world: OppWorld, run_jobs: Callable[[], int]) -> Cast:
    return make_cast(world, run_jobs)
