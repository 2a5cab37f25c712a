"""A whole tournament on each platform: sign-up, waiting list, check-in with a no-show,
double elimination with a dispute, standings and the debrief room."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.capabilities import Role
from bot.features.tournaments import brackets
from bot.features.tournaments.model import MatchStatus
from bot.features.tournaments.repository import PlayerState, Status

BRUSSELS = ZoneInfo("Europe/Brussels")


def local(moment: datetime) -> str:
    return moment.astimezone(BRUSSELS).strftime("%Y-%m-%d %H:%M")


def tournament_id(answer) -> int:
    """The number in "Tournament #3 ..." (announced here, or in the tournaments room)."""
    return int(re.search(r"#(\d+)", answer.text)[1])


async def person_id(driver, who) -> str:
    ref = driver.person(who)
    return (await driver.app.people.ensure_person(ref.platform, ref.user_id)).person_id


async def test_sign_up_waiting_list_and_bad_input(driver):
    worker = await driver.member("worker", Role.YOUTH_WORKER)
    ann, ben, cas = [await driver.member(n) for n in ("ann", "ben", "cas")]
    start = datetime.now(UTC) + timedelta(hours=3)
    created = await driver.run(
        worker, "tournament create", name="Duo Cup", game="Chess", format="single_elimination",
        max_players=2, start=local(start),
    )  # fmt: skip
    tid = tournament_id(created)
    announcement = await driver.announcement(ann, tid)
    assert announcement.text.startswith(f"🏆 Tournament #{tid}: Duo Cup")
    assert (await driver.run(ann, "tournament join", tournament=tid)).text.startswith("You're in")
    twice = await driver.run(ann, "tournament join", tournament=tid)
    assert twice.text == "You have already joined Duo Cup."
    by_button = await driver.press(ben, announcement, "tournament join")  # the Join control
    assert by_button.text == "You're in Duo Cup! (2 players so far)"
    waiting = await driver.run(cas, "tournament join", tournament=tid)
    assert waiting.text.startswith("Duo Cup is full: you are on the waiting list")
    await driver.run(ben, "tournament leave", tournament=tid)
    players = await driver.app.services["tournaments"].repo.players(tid)
    states = {p.display_name.lower()[:3]: p.state for p in players}
    assert states["cas"] is PlayerState.JOINED  # moved up from the waiting list
    info = (await driver.run(ann, "tournament info", tournament=tid)).text
    assert "Players (2/2)" in info
    refused = await driver.run(ann, "tournament start", tournament=tid)
    assert refused.text.startswith("You are not allowed")
    past = await driver.run(
        worker, "tournament create", name="Late", game="Chess", format="swiss", max_players=8,
        start=local(datetime.now(UTC) - timedelta(hours=1)),
    )  # fmt: skip
    assert past.text == "The start time must be in the future."
    unknown = await driver.run(ann, "tournament info", tournament=999)
    assert unknown.text.startswith("There is no tournament #999 here.")


async def test_eight_player_double_elimination_with_dispute_and_no_show(driver):
    service = driver.app.services["tournaments"]
    worker = await driver.member("worker", Role.YOUTH_WORKER)
    names = ["ann", "ben", "cas", "dee", "eli", "fay", "gus", "hal", "ivy"]
    people = {n: await driver.member(n) for n in names}
    start = datetime.now(UTC) + timedelta(hours=2)
    created = await driver.run(
        worker, "tournament create", name="Friday Cup", game="Mario Kart",
        format="double_elimination", max_players=9, start=local(start), checkin="30m",
    )  # fmt: skip
    tid = tournament_id(created)
    for name in names:
        await driver.run(people[name], "tournament join", tournament=tid)

    early = await driver.run(people["ann"], "tournament checkin", tournament=tid)
    assert early.text == "Check-in for Friday Cup is not open."
    await driver.app.scheduler.run_due(start - timedelta(minutes=29))
    assert (await service.repo.get(tid)).status is Status.CHECKIN
    for name in names[:7]:
        await driver.run(people[name], "tournament checkin", tournament=tid)
    await driver.app.scheduler.run_due(start - timedelta(minutes=4))  # the reminder
    reminder = await driver.wait_posted(people["hal"], "closes in 5 minutes")
    hal_ref, ivy_ref = driver.person(people["hal"]), driver.person(people["ivy"])
    assert hal_ref.user_id in reminder and ivy_ref.user_id in reminder
    assert driver.person(people["ann"]).user_id not in reminder
    by_hand = await driver.run(worker, "tournament checkin", tournament=tid, member=people["hal"])
    assert by_hand.text.startswith("Hal") or "checked in for Friday Cup" in by_hand.text
    # ivy never checks in: a no-show, dropped when check-in closes.
    await driver.app.scheduler.run_due(start + timedelta(seconds=1))
    states = {p.person_id: p.state for p in await service.repo.players(tid)}
    assert states[await person_id(driver, people["ivy"])] is PlayerState.DROPPED

    started = await driver.run(worker, "tournament start", tournament=tid)
    assert started.text == "Friday Cup has started with 8 players. Good luck, have fun!"
    ids = {await person_id(driver, people[n]): n for n in names[:8]}

    bad = await driver.run(people["ann"], "tournament report", tournament=tid, match="W9-9",
                           score="2-1")  # fmt: skip
    assert bad.text == "There is no match W9-9 in this tournament."
    disputed_once = False
    while True:
        t = await service.repo.get(tid)
        if t.status is Status.FINISHED:
            break
        ready = brackets.ready_matches(t.bracket)
        assert ready, "the bracket stalled"
        match = ready[0]
        a, b = people[ids[match.a]], people[ids[match.b]]
        if not disputed_once:  # bad input, once: each is refused and changes nothing
            fmt = await driver.run(a, "tournament report", tournament=tid, match=match.id,
                                   score="two-one")  # fmt: skip
            assert fmt.text.startswith("“two-one” is not a score.")
            outsider = next(people[n] for n in names[:8] if people[n] not in (a, b))
            wrong = await driver.run(outsider, "tournament report", tournament=tid,
                                     match=match.id, score="2-0")  # fmt: skip
            assert wrong.text.startswith(f"Only the players of {match.id}")
        await driver.run(a, "tournament report", tournament=tid, match=match.id, score="2-0")
        if not disputed_once:
            again = await driver.run(a, "tournament report", tournament=tid, match=match.id,
                                     score="2-0")  # fmt: skip
            assert again.text.startswith(f"Match {match.id} already has a result")
        if not disputed_once:
            disputed_once = True
            await driver.run(b, "tournament dispute", tournament=tid, match=match.id)
            settled = await driver.run(worker, "tournament settle", tournament=tid,
                                       match=match.id, score="1-2")  # fmt: skip
            assert settled.text == f"The result of {match.id} is in."
            decided = (await service.repo.get(tid)).bracket.matches[match.id]
            assert decided.winner == match.b
        else:
            confirmed = await driver.run(b, "tournament confirm", tournament=tid,
                                         match=match.id)  # fmt: skip
            assert confirmed.text == f"The result of {match.id} is in."

    t = await service.repo.get(tid)
    assert brackets.champion(t.bracket) in ids
    done = [m for m in t.bracket.matches.values() if m.status is MatchStatus.DONE]
    assert len(done) >= 14
    after = await driver.run(people["ann"], "tournament report", tournament=tid, match="W1-1",
                             score="2-0")  # fmt: skip
    assert after.text == "Friday Cup is not being played right now."
    assert t.debrief_room_id is not None
    for name in names[:8]:
        await driver.wait_invited(people[name], driver.room(t.debrief_room_id))
    picture = await driver.run(people["ann"], "tournament bracket", tournament=tid)
    assert picture.text.startswith("Friday Cup")
    files = await driver.attachments_of(people["ann"], picture)
    assert files and files[0][0] == f"bracket-{tid}.png" and files[0][1][:4] == b"\x89PNG"


async def test_restart_mid_checkin_and_mid_round_loses_nothing(driver):
    worker = await driver.member("worker", Role.YOUTH_WORKER)
    ann, ben = [await driver.member(n) for n in ("ann", "ben")]
    start = datetime.now(UTC) + timedelta(hours=1)
    created = await driver.run(
        worker, "tournament create", name="Restart Cup", game="Tetris",
        format="round_robin", max_players=4, start=local(start), checkin="15m",
    )  # fmt: skip
    tid = tournament_id(created)
    for who in (ann, ben):
        await driver.run(who, "tournament join", tournament=tid)
    await driver.restart()
    assert await driver.app.scheduler.run_due(start - timedelta(minutes=10)) == 1
    service = driver.app.services["tournaments"]
    assert (await service.repo.get(tid)).status is Status.CHECKIN
    for who in (ann, ben):
        await driver.run(who, "tournament checkin", tournament=tid)
    await driver.run(worker, "tournament start", tournament=tid)
    match = brackets.ready_matches((await service.repo.get(tid)).bracket)[0]
    first = ann if match.a == await person_id(driver, ann) else ben
    second = ben if first is ann else ann
    await driver.run(first, "tournament report", tournament=tid, match=match.id, score="3-3")
    await driver.restart()
    confirmed = await driver.run(second, "tournament confirm", tournament=tid, match=match.id)
    assert confirmed.text == f"The result of {match.id} is in."
    t = await driver.app.services["tournaments"].repo.get(tid)
    assert t.status is Status.FINISHED  # two players, one round-robin match (a draw)
    audit = await driver.app.audit.for_object(f"t{tid}")
    actions = [e.action for e in audit]
    for expected in ("tournament.create", "tournament.join", "tournament.checkin_open",
                     "tournament.start", "tournament.report", "tournament.result"):  # fmt: skip
        assert expected in actions


async def test_cancel_needs_confirmation(driver):
    worker = await driver.member("worker", Role.YOUTH_WORKER)
    created = await driver.run(
        worker, "tournament create", name="Oops Cup", game="Go", format="swiss",
        max_players=8, start=local(datetime.now(UTC) + timedelta(days=1)), rounds=3,
    )  # fmt: skip
    tid = tournament_id(created)
    prompt = await driver.run(worker, "tournament cancel", tournament=tid)
    assert prompt.text.startswith(f"Cancel tournament #{tid}? Players will be told.")
    service = driver.app.services["tournaments"]
    assert (await service.repo.get(tid)).status is Status.OPEN
    done = await driver.press(worker, prompt, "confirm")
    assert done.text == "Oops Cup is cancelled and the players were told."
    assert (await service.repo.get(tid)).status is Status.CANCELLED
    again = await driver.run(worker, "tournament cancel", tournament=tid)
    assert again.text == "Sign-up for Oops Cup is closed."


async def test_teams_play_as_one_entrant(driver):
    worker = await driver.member("worker", Role.YOUTH_WORKER)
    people = [await driver.member(n) for n in ("ann", "ben", "cas", "dee")]
    created = await driver.run(
        worker, "tournament create", name="Duo Night", game="Overcooked",
        format="single_elimination", max_players=8,
        start=local(datetime.now(UTC) + timedelta(hours=2)), team_size=2,
    )  # fmt: skip
    tid = tournament_id(created)
    for who in people:
        await driver.run(who, "tournament join", tournament=tid)
    started = await driver.run(worker, "tournament start", tournament=tid)
    assert started.text.startswith("Duo Night has started")
    service = driver.app.services["tournaments"]
    t = await service.repo.get(tid)
    assert sorted(len(m) for m in t.teams.values()) == [2, 2]
    match = brackets.ready_matches(t.bracket)[0]
    by_person = {await person_id(driver, who): who for who in people}
    reporter = by_person[t.teams[match.a][1]]  # any member may report for the team
    confirmer = by_person[t.teams[match.b][0]]
    teammate = by_person[t.teams[match.a][0]]
    await driver.run(reporter, "tournament report", tournament=tid, match=match.id, score="3-1")
    refused = await driver.run(teammate, "tournament confirm", tournament=tid, match=match.id)
    assert refused.text.startswith(f"Only the opponent of whoever reported {match.id}")
    done = await driver.run(confirmer, "tournament confirm", tournament=tid, match=match.id)
    assert done.text == f"The result of {match.id} is in."
    t = await service.repo.get(tid)
    assert t.status is Status.FINISHED and brackets.champion(t.bracket) == match.a
    for who in people:
        await driver.wait_invited(who, driver.room(t.debrief_room_id))
