"""Demo scene: a flagged message and a member's report reach the on-duty moderator.

Software only notices: the detector and the report each queue a concern, the moderator
on duty is pinged in the moderator room, and the member who reported stays hidden.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import nio

from bot.embedded.simulated_member import body

if TYPE_CHECKING:
    from bot.embedded.demo import DemoStage

FLAGGED = "honestly i want to hurt myself tonight"


async def scene_safety(stage: DemoStage) -> None:
    """A flagged message and a member report reach the on-duty moderator; the reporter
    stays hidden and nothing happens without a person's decision."""
    app = stage.app
    service = app.services["safety"]
    stage.narrate("Mo is the moderator on duty tonight")
    mo = await stage.member("Mo", power=50)
    room = stage.setup.layout.rooms["moderators"]
    bot = nio.AsyncClient(stage.setup.server.base_url, stage.setup.settings.matrix.user_id)
    bot.access_token = stage.setup.bot_token
    try:
        await bot.room_invite(room, mo.user_id)
    finally:
        await bot.close()
    await mo.join(room)
    await stage.command("Mo", "!oncall start")

    stage.narrate("Ann writes something worrying in the lobby; the detector only queues it")
    ann = await stage.member("Ann")
    stage.say(f"{'Ann':>8} │ {FLAGGED}")
    await ann.send(stage.setup.layout.rooms["lobby"], FLAGGED)
    await mo.wait_for(lambda r, e: "needs a reviewer" in body(e), 30)
    stage.narrate("Mo sees the card (the message behind a spoiler) and is pinged")
    await stage.announcements("Mo")
    stage.narrate("Ann privately gets people she can reach right now")
    await ann.wait_for(lambda r, e: "112" in body(e), 30)
    await stage.announcements("Ann")

    stage.narrate("Ben is mean to Cas; Cas reports it by replying with !report")
    ben = await stage.member("Ben")
    cas = await stage.member("Cas")
    lobby = stage.setup.layout.rooms["lobby"]
    stage.say(f"{'Ben':>8} │ nobody here likes you, loser")
    target = await ben.send(lobby, "nobody here likes you, loser")
    stage.say(f"{'Cas':>8} │ (replying to Ben) !report he keeps doing this")
    relates = {"m.in_reply_to": {"event_id": target}}
    await cas.send(lobby, "!report he keeps doing this", **{"m.relates_to": relates})
    await cas.wait_for(lambda r, e: "Your report reached" in body(e), 30)
    stage.narrate("The report vanished from the lobby; only Cas is thanked, privately")
    await stage.announcements("Cas")
    await mo.wait_for(lambda r, e: "reported by a member" in body(e), 30)
    stage.narrate("Mo's card says 'reported by a member': Cas is not named, Ben is told nothing")
    await stage.announcements("Mo")
    await stage.announcements("Ben")

    stage.narrate("Mo takes the first concern; the escalation to the backup stops")
    first = min(c.concern_id for c in await service.repo.listing(["open"]))
    await stage.command("Mo", f"!concern ack {first}", room="moderators")
