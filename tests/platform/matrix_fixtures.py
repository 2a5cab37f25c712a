"""Fixtures for Matrix platform tests: a provisioned space, Haven on it, members."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.app import Haven
from bot.embedded.simulated_member import SimulatedMember
from tests.support.matrix_harness import (
    MatrixSpace,
    member_for,
    provision_test_space,
    start_haven,
)


@pytest.fixture(scope="session")
async def matrix_space(synapse_url: str, amake_matrix_user) -> MatrixSpace:
    bot = await amake_matrix_user("haven-bot", displayname="Haven")
    coordinator = await amake_matrix_user("coordinator", displayname="Coordinator")
    return await provision_test_space(synapse_url, bot, coordinator)


@pytest.fixture
async def matrix_members(
    matrix_space: MatrixSpace, amake_matrix_user
) -> AsyncIterator[Callable[..., Awaitable[SimulatedMember]]]:
    made: list[SimulatedMember] = []

    async def make(name: str = "member", power: int | None = None) -> SimulatedMember:
        user = await amake_matrix_user(name, displayname=name.title())
        member = member_for(user, matrix_space.homeserver)
        await member.start()
        await matrix_space.invite(user.user_id)
        await member.join(matrix_space.layout.space_id)
        for key in ("lobby", "tournaments", "discussion", "helpdesk"):
            await member.join(matrix_space.layout.rooms[key])
        if power is not None:
            await matrix_space.set_power(user.user_id, power)
        made.append(member)
        return member

    yield make
    for member in made:
        await member.stop()


@pytest.fixture
async def haven_matrix(matrix_space: MatrixSpace, tmp_path: Path) -> AsyncIterator[Haven]:
    app = await start_haven(matrix_space, tmp_path / "haven.db")
    yield app
    await app.close()
