"""The foundation's commands through real matrix-nio users on a real Synapse."""

from __future__ import annotations

import asyncio

import nio

from bot.core.commands import Command, Param, ParamType
from bot.core.replies import Reply
from tests.support.matrix_harness import body, in_reply_to, start_haven
from tests.support.test_commands import wipe_command


async def test_ping_reply_is_a_notice_replying_to_the_command(
    haven_matrix, matrix_space, matrix_members
):
    alice = await matrix_members("alice")
    lobby = matrix_space.layout.rooms["lobby"]
    event_id = await alice.send(lobby, "!ping")
    reply = await alice.reply_to(lobby, event_id)
    content = reply["content"]
    assert content["msgtype"] == "m.notice"
    assert content["body"] == "Pong! I'm listening."
    assert content["m.relates_to"]["m.in_reply_to"]["event_id"] == event_id
    assert "m.mentions" in content
    assert reply["sender"] == matrix_space.bot.user_id


async def test_help_lists_commands_and_explains_one(haven_matrix, matrix_space, matrix_members):
    alice = await matrix_members("alice")
    lobby = matrix_space.layout.rooms["lobby"]
    overview = body(await alice.command(lobby, "!help"))
    for line in ("!about", "!help [command]", "!language [language]", "!ping"):
        assert line in overview
    assert "!confirm" not in overview  # hidden answers are not advertised
    detail = body(await alice.command(lobby, "!help language"))
    assert "Usage: !language [language]" in detail
    assert "one of: en, nl, fr, default" in detail
    unknown = body(await alice.command(lobby, "!help teleport"))
    assert unknown == "There is no command “teleport”."


async def test_about(haven_matrix, matrix_space, matrix_members):
    alice = await matrix_members("alice")
    text = body(await alice.command(matrix_space.layout.rooms["lobby"], "!about"))
    assert "a person always decides" in text and "on matrix" in text


async def test_language_is_remembered_per_person(haven_matrix, matrix_space, matrix_members):
    alice = await matrix_members("alice")
    bob = await matrix_members("bob")
    lobby = matrix_space.layout.rooms["lobby"]
    assert body(await alice.command(lobby, "!language fr")) == (
        "Je te parlerai désormais en français."
    )
    assert body(await alice.command(lobby, "!ping")) == "Pong ! Je t'écoute."
    assert body(await bob.command(lobby, "!ping")) == "Pong! I'm listening."
    bad = body(await alice.command(lobby, "!language klingon"))
    assert "« klingon » n'est pas un(e) language valide" in bad
    assert "Utilisation : !language [language]" in bad
    assert body(await alice.command(lobby, "!ping")) == "Pong ! Je t'écoute."


async def test_bad_input_is_refused_with_usage(haven_matrix, matrix_space, matrix_members):
    alice = await matrix_members("alice")
    lobby = matrix_space.layout.rooms["lobby"]
    unknown = body(await alice.command(lobby, "!teleport home"))
    assert unknown == "I don't know the command “teleport”. Type !help to see what I can do."
    quotes = body(await alice.command(lobby, '!help "language'))
    assert quotes.startswith("A quote was opened but never closed.")
    extra = body(await alice.command(lobby, "!language nl fr"))
    assert extra.startswith("Too many words: “fr”.") and "Usage: !language [language]" in extra
    option = body(await alice.command(lobby, "!ping --loud"))
    assert option.startswith("Unknown option --loud.") and "Usage: !ping" in option
    # Nothing changed: still English.
    assert body(await alice.command(lobby, "!ping")) == "Pong! I'm listening."


def add_wipe(app, wiped: list[int]) -> None:
    app.registry.add(wipe_command(wiped))


async def test_permissions_and_confirmations(matrix_space, matrix_members, tmp_path):
    wiped: list[int] = []
    app = await start_haven(matrix_space, tmp_path / "h.db", setup=lambda a: add_wipe(a, wiped))
    try:
        member = await matrix_members("member")
        worker = await matrix_members("worker", power=20)
        lobby = matrix_space.layout.rooms["lobby"]
        refused = body(await member.command(lobby, "!test wipe 3"))
        assert refused.startswith("You are not allowed to use this command")
        assert "!test wipe" not in body(await member.command(lobby, "!help"))
        assert "!test wipe <count>" in body(await worker.command(lobby, "!help"))
        bad = body(await worker.command(lobby, "!test wipe 0"))
        assert bad.startswith("count must be at least 1.")
        prompt = await worker.command(lobby, "!test wipe 3")
        assert "✅ Confirm" in body(prompt) and wiped == []
        code = body(prompt).split("(code ")[1].split(")")[0]
        # Someone else cannot confirm it.
        other = body(await member.command(lobby, f"!confirm {code}"))
        assert other.startswith("You are not allowed") or "Nothing is waiting" in other
        done = await worker.command(lobby, f"!confirm {code}")
        assert body(done) == "wiped 3" and wiped == [3]
        # A reaction confirms too.
        prompt = await worker.command(lobby, "!test wipe 5")
        await worker.react(lobby, prompt["event_id"], "✅")
        await worker.wait_for(
            lambda r, e: in_reply_to(e) == prompt["event_id"] and body(e) == "wiped 5"
        )
        assert wiped == [3, 5]
        # Cancelling by reaction runs nothing.
        prompt = await worker.command(lobby, "!test wipe 7")
        await worker.react(lobby, prompt["event_id"], "❌")
        await worker.wait_for(
            lambda r, e: in_reply_to(e) == prompt["event_id"] and "Cancelled" in body(e)
        )
        assert wiped == [3, 5]
    finally:
        await app.close()


async def test_private_reply_goes_to_a_direct_room(haven_matrix, matrix_space, matrix_members):
    alice = await matrix_members("alice")
    lobby = matrix_space.layout.rooms["lobby"]
    pointer = await alice.command(lobby, "!language")
    assert body(pointer) == "I've sent you a private message."
    room, private = await alice.wait_for(
        lambda r, e: r != lobby and body(e) == "Your language is en."
    )
    assert room not in matrix_space.layout.rooms.values()
    assert private["sender"] == matrix_space.bot.user_id


async def test_ignores_itself_other_bots_and_notices(matrix_space, matrix_members, tmp_path):
    other_bot = await matrix_members("otherbot")
    alice = await matrix_members("alice")
    app = await start_haven(matrix_space, tmp_path / "h.db", ignore_users=[other_bot.user_id])
    try:
        lobby = matrix_space.layout.rooms["lobby"]
        ignored = await other_bot.send(lobby, "!ping")
        notice = await alice.send(lobby, "!ping", msgtype="m.notice")
        answered = await alice.send(lobby, "!ping")
        await alice.reply_to(lobby, answered)
        await asyncio.sleep(0.3)
        assert alice.replies_to(ignored) == [] and alice.replies_to(notice) == []
    finally:
        await app.close()


async def test_joins_only_rooms_of_its_space(haven_matrix, matrix_space, matrix_members):
    outsider = await matrix_members("outsider")
    created = await outsider.client.room_create(name="elsewhere")
    assert isinstance(created, nio.RoomCreateResponse)
    await outsider.client.room_invite(created.room_id, matrix_space.bot.user_id)
    # A direct chat from a member of the space is accepted.
    dm = await outsider.client.room_create(is_direct=True, invite=[matrix_space.bot.user_id])
    assert isinstance(dm, nio.RoomCreateResponse)
    _, joined = await outsider.wait_for(
        lambda r, e: (
            r == dm.room_id
            and e.get("type") == "m.room.member"
            and e.get("state_key") == matrix_space.bot.user_id
            and e["content"].get("membership") == "join"
        )
    )
    assert joined
    reply = await outsider.command(dm.room_id, "!ping")
    assert body(reply) == "Pong! I'm listening."
    _, left = await outsider.wait_for(
        lambda r, e: (
            r == created.room_id
            and e.get("type") == "m.room.member"
            and e.get("state_key") == matrix_space.bot.user_id
            and e["content"].get("membership") == "leave"
        )
    )
    assert left


async def test_mentions_become_pills_with_m_mentions(haven_matrix, matrix_space, matrix_members):
    alice = await matrix_members("alice")
    bob = await matrix_members("bob")
    seen: list[Reply] = []

    async def greet(ctx, member) -> Reply:
        reply = Reply(f"Hello {ctx.mention(member)}!", mentions=(member,))
        seen.append(reply)
        return reply

    haven_matrix.registry.add(Command("greet", greet, params=(Param("member", ParamType.MEMBER),)))
    lobby = matrix_space.layout.rooms["lobby"]
    pill = f'<a href="https://matrix.to/#/{bob.user_id}">Bob</a>'
    event_id = await alice.send(
        lobby,
        "!greet Bob",
        format="org.matrix.custom.html",
        formatted_body=f"!greet {pill}",
    )
    content = (await alice.reply_to(lobby, event_id))["content"]
    assert content["m.mentions"] == {"user_ids": [bob.user_id]}
    # The pill links the member (its label may be disambiguated: other Bobs share the room).
    assert f'<a href="https://matrix.to/#/{bob.user_id}">Bob' in content["formatted_body"]
    bad = body(await alice.command(lobby, "!greet nobody"))
    assert bad.startswith("“nobody” is not a member.")


async def test_password_login_and_default_language_from_config(
    matrix_space, matrix_members, tmp_path
):
    from pydantic import SecretStr

    from bot.settings import Secrets

    alice = await matrix_members("alice")
    secrets = Secrets(matrix_password=SecretStr(matrix_space.bot.password))
    settings_dir = tmp_path / "pw.db"
    app = await start_haven(matrix_space, settings_dir, secrets=secrets)
    app.settings = app.settings.model_copy(update={"default_locale": "nl"})
    app.dispatcher.default_locale = "nl"
    try:
        lobby = matrix_space.layout.rooms["lobby"]
        assert body(await alice.command(lobby, "!ping")) == "Pong! Ik luister."
    finally:
        await app.close()


async def test_missing_credentials_are_a_clear_startup_error(matrix_space, tmp_path):
    import pytest

    from bot.core.errors import HavenError
    from bot.settings import Secrets

    with pytest.raises(HavenError, match="HAVEN_MATRIX_ACCESS_TOKEN nor HAVEN_MATRIX_PASSWORD"):
        app = await start_haven(matrix_space, tmp_path / "x.db", secrets=Secrets())
        await app.close()


async def test_commands_in_one_room_are_handled_in_order(
    haven_matrix, matrix_space, matrix_members
):
    alice = await matrix_members("alice")
    lobby = matrix_space.layout.rooms["lobby"]
    # Sent back to back, they usually arrive in one sync batch.
    first = await alice.send(lobby, "!language nl")
    second = await alice.send(lobby, "!ping")
    assert body(await alice.reply_to(lobby, first)) == "Ik praat vanaf nu Nederlands met je."
    assert body(await alice.reply_to(lobby, second)) == "Pong! Ik luister."
