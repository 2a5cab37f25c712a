"""The duty rota on both platforms: on-call, who is on duty, a shift, and a refusal."""

from __future__ import annotations

from bot.core.capabilities import Role
from bot.core.duty import Duty


async def test_oncall_who_and_a_shift(driver):
    mod = await driver.member("mod", Role.MODERATOR)
    lead = await driver.member("lead", Role.COORDINATOR)
    mod_id = driver.person(mod).user_id

    started = await driver.run(mod, "oncall start", length="2h")
    assert started.text.startswith("You are on duty as Moderator until"), started.text
    who = await driver.run(lead, "oncall who")
    lines = who.text.splitlines()
    assert lines[0] == "On duty now:"
    assert lines[1].startswith("Moderator: ") and mod_id in lines[1]
    ref = driver.person(mod)
    person = await driver.app.people.ensure_person(ref.platform, ref.user_id)
    rota = driver.app.services["rota"]
    now = driver.app.clock.now()
    assert (await rota.on_duty(Duty.MODERATOR, now)).primary == (person.person_id,)

    added = await driver.run(lead, "rota set", member=mod, duty="moderator", day="friday",
                             starts="22:00", ends="02:00")  # fmt: skip
    assert added.text.startswith("Shift added: #1 Friday 22:00–02:00 · Moderator · ")
    shown = (await driver.run(mod, "rota show")).text.splitlines()
    assert shown[0] == "Duty rota:"
    assert shown[1].startswith("#1 Friday 22:00–02:00 · Moderator · ") and mod_id in shown[1]
    assert (await driver.run(mod, "oncall stop")).text == "You are off duty."


async def test_a_member_is_refused_in_their_language(driver):
    kid = await driver.member("kid")
    await driver.run(kid, "language", language="nl")
    refused = await driver.run(kid, "oncall who")  # staff only: hidden from members' help
    assert refused.text.startswith("Je mag dit commando niet gebruiken")
    help_text = (await driver.run(kid, "help")).text
    assert "oncall" not in help_text and "rota" not in help_text
    not_allowed = await driver.run(kid, "rota set", member=kid, duty="moderator", day="friday",
                                   starts="22:00", ends="02:00")  # fmt: skip
    assert not_allowed.text.startswith("Je mag dit commando niet gebruiken")
    ref = driver.person(kid)
    person = await driver.app.people.ensure_person(ref.platform, ref.user_id)
    assert await driver.app.services["rota"].repo.shifts_of(person.person_id) == []
