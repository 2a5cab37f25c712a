"""Privacy on each platform: the notice once, `privacy`, `mydata export` as a private file,
`mydata erase` with confirmation, and an export afterwards that holds only what is kept."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.capabilities import Role
from tests.support.privacy_driver import export_file, private_texts, wait_private

BRUSSELS = ZoneInfo("Europe/Brussels")


def local(moment: datetime) -> str:
    return moment.astimezone(BRUSSELS).strftime("%Y-%m-%d %H:%M")


async def person_id(driver, who) -> str:
    ref = driver.person(who)
    return (await driver.app.people.ensure_person(ref.platform, ref.user_id)).person_id


async def test_notice_export_and_erase(driver):
    notice = driver.app.services["framework"].notices["en"]

    def is_notice(text: str) -> bool:
        return text.startswith(f"🔒 {notice}")

    ann, bob = await driver.member("ann"), await driver.member("bob")
    worker = await driver.member("worker", Role.YOUTH_WORKER)
    # Joining the lobby (Matrix) or the guild (Discord) brings the notice, privately.
    first = await wait_private(driver, ann, is_notice)
    assert "mydata export" in first and "mydata erase" in first
    await driver.run(ann, "ping")
    shown = await driver.run(ann, "privacy")
    assert shown.private and notice in shown.text and not is_notice(shown.text)

    start = datetime.now(UTC) + timedelta(hours=3)
    created = await driver.run(
        worker, "tournament create", name="Privacy Cup", game="Chess",
        format="single_elimination", max_players=4, start=local(start),
    )  # fmt: skip
    tid = int(re.search(r"#(\d+)", created.text)[1])
    await driver.run(ann, "tournament join", tournament=tid)
    await driver.run(bob, "tournament join", tournament=tid)

    answer = await driver.run(ann, "mydata export")
    assert answer.private
    data = await export_file(driver, ann)
    ann_ref, bob_ref = driver.person(ann), driver.person(bob)
    ann_id, bob_id = await person_id(driver, ann), await person_id(driver, bob)
    assert data["person_id"] == ann_id
    accounts = [(i["platform"], i["user_id"]) for i in data["data"]["foundation"]["identities"]]
    assert accounts == [(driver.platform, ann_ref.user_id)]
    assert [t["tournament_id"] for t in data["data"]["tournaments"]["played"]] == [tid]
    text = json.dumps(data)
    assert bob_id not in text and bob_ref.user_id not in text
    assert driver.person(worker).user_id not in text
    assert sum(1 for t in private_texts(driver, ann) if is_notice(t)) == 1  # only once

    prompt = await driver.run(ann, "mydata erase")
    assert "cannot be undone" in prompt.text and any(
        a.startswith("confirm:") for a in prompt.actions
    )
    done = await driver.press(ann, prompt, "confirm")
    assert done.text.startswith("Your data has been erased.")
    details = await wait_private(driver, ann, lambda t: t.startswith("Your data has been erased"))
    assert "audit trail" in details and "Kept until" in details
    players = await driver.app.services["tournaments"].repo.players(tid)
    # Matrix disambiguates a display name another member of the space also uses.
    names = sorted(p.display_name.lower().split(" (@")[0] for p in players)
    assert names == ["bob", "—"]

    after = await driver.run(ann, "mydata export")
    assert after.private
    kept = await export_file(driver, ann)
    assert kept["person_id"] != ann_id and ann_id not in json.dumps(kept)
    assert kept["data"]["tournaments"] == {"played": [], "your_reports": [], "organised": []}
    assert kept["data"]["foundation"]["your_actions"] == []  # the erasure was before her


async def test_matrix_first_start_greets_newcomers_not_history(
    matrix_space, matrix_members, tmp_path
):
    from bot.embedded.simulated_member import body
    from tests.support.matrix_harness import start_haven

    early = await matrix_members("early")  # joined before Haven ever ran on this database
    app = await start_haven(matrix_space, tmp_path / "fresh.db")
    try:
        notice = app.services["framework"].notices["en"]
        late = await matrix_members("late")
        await late.wait_for(lambda r, e: body(e).startswith(f"🔒 {notice}"), timeout=20)
        assert not any(body(e).startswith("🔒") for _, e in early.events)
        known = await app.db.fetchval(
            "SELECT COUNT(*) FROM identity WHERE platform_user_id = $1", early.user_id
        )
        assert known == 0  # the catch-up sync did not replay the old join
    finally:
        await app.close()
