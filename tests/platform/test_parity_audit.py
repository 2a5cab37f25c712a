"""The audit commands on both platforms: the coordinator reads and verifies, a member is
refused, and a row changed directly in SQLite is named by `audit verify`."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from bot.core.capabilities import Role


async def test_audit_show_and_verify(driver):
    coordinator = await driver.member("cora", Role.COORDINATOR)
    member = await driver.member("max")
    now = datetime.now(UTC)
    for n in range(3):
        await driver.app.audit.record(now, "system", "case.note", "c42", n=n)

    shown = await driver.run(coordinator, "audit show", object="c42", limit=2)
    assert shown.private
    lines = shown.text.splitlines()
    assert lines[0] == "Audit trail, newest first (2 entries):"
    assert all("case.note c42" in line for line in lines[1:3])
    assert lines[-1].startswith("Older entries follow: add --before")

    refused = await driver.run(member, "audit show")
    assert refused.text.startswith("You are not allowed to use this command")
    assert "#" not in refused.text  # nothing of the audit leaks into a refusal
    refusals = [e for e in await driver.app.audit.for_object("audit")
                if e.action == "audit.refused"]  # fmt: skip
    assert [e.detail["command"] for e in refusals] == ["audit show"]

    ok = await driver.run(coordinator, "audit verify")
    assert ok.private and ok.text.startswith("The audit trail is intact:")

    [target] = [e.seq for e in await driver.app.audit.for_object("c42") if e.detail["n"] == 1]
    with sqlite3.connect(driver.app.settings.database.path) as direct:
        direct.execute("UPDATE audit_event SET actor = 'p_0000000000000000' WHERE seq = ?",
                       (target,))  # fmt: skip
    direct.close()
    broken = await driver.run(coordinator, "audit verify")
    assert broken.private
    assert broken.text.startswith(f"The audit trail is broken at entry #{target}: it was edited")
