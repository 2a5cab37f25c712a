"""The tournament data model shared by the bracket engine, storage and rendering.

Pure data: no I/O. A `Bracket` serialises to and from plain JSON (`to_dict` /
`from_dict`) so the repository can store it in one column and restore it exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Format(StrEnum):
    """Tournament formats."""

    SINGLE_ELIMINATION = "single_elimination"
    DOUBLE_ELIMINATION = "double_elimination"
    ROUND_ROBIN = "round_robin"
    SWISS = "swiss"


class Side(StrEnum):
    """Which part of the bracket a match belongs to."""

    WINNERS = "winners"
    LOSERS = "losers"
    GRAND_FINAL = "grand_final"
    POOL = "pool"  # round robin and Swiss rounds


class MatchStatus(StrEnum):
    """Where a match stands."""

    WAITING = "waiting"  # a player is not known yet
    READY = "ready"  # both players known, not played
    DONE = "done"  # a winner (or a draw in round robin / Swiss) is recorded
    BYE = "bye"  # one player advances without playing


@dataclass(frozen=True, slots=True)
class Slot:
    """Where a match's winner or loser goes: match id and side (0 = a, 1 = b)."""

    match_id: str
    position: int


@dataclass(slots=True)
class Match:
    """One match. Players are opaque ids (Haven uses pseudonymous person ids)."""

    id: str
    side: Side
    round: int  # 1-based within its side
    index: int  # 0-based position within its round
    a: str | None = None
    b: str | None = None
    status: MatchStatus = MatchStatus.WAITING
    winner: str | None = None  # None with status DONE means a draw
    score_a: int | None = None
    score_b: int | None = None
    winner_to: Slot | None = None
    loser_to: Slot | None = None

    @property
    def players(self) -> tuple[str, ...]:
        """The known players of the match."""
        return tuple(p for p in (self.a, self.b) if p is not None)

    @property
    def loser(self) -> str | None:
        """The loser of a decided match with two players."""
        if self.status is not MatchStatus.DONE or self.winner is None:
            return None
        return self.b if self.winner == self.a else self.a


@dataclass(slots=True)
class Bracket:
    """A whole tournament bracket: seeded players and every match by id."""

    format: Format
    players: list[str]  # in seed order (seed 1 first)
    matches: dict[str, Match] = field(default_factory=dict)
    swiss_rounds: int = 0  # Swiss only: rounds to play
    forbidden: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (built by hand: `asdict` is slow on big brackets)."""
        return {
            "format": self.format.value,
            "players": list(self.players),
            "matches": [_match_dict(m) for m in self.matches.values()],
            "swiss_rounds": self.swiss_rounds,
            "forbidden": [list(pair) for pair in self.forbidden],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Bracket:
        """Inverse of `to_dict`."""
        matches: dict[str, Match] = {}
        for raw in data["matches"]:
            raw = dict(raw)
            raw["side"] = Side(raw["side"])
            raw["status"] = MatchStatus(raw["status"])
            for key in ("winner_to", "loser_to"):
                if raw.get(key) is not None:
                    raw[key] = Slot(**raw[key])
            match = Match(**raw)
            matches[match.id] = match
        return cls(
            format=Format(data["format"]),
            players=list(data["players"]),
            matches=matches,
            swiss_rounds=int(data.get("swiss_rounds", 0)),
            forbidden=[tuple(pair) for pair in data.get("forbidden", [])],  # type: ignore[misc]
        )

    def rounds(self, side: Side) -> list[list[Match]]:
        """Matches of one side grouped by round, each round ordered by index."""
        by_round: dict[int, list[Match]] = {}
        for match in self.matches.values():
            if match.side is side:
                by_round.setdefault(match.round, []).append(match)
        return [sorted(by_round[r], key=lambda m: m.index) for r in sorted(by_round)]


def _slot_dict(slot: Slot | None) -> dict[str, Any] | None:
    return None if slot is None else {"match_id": slot.match_id, "position": slot.position}


def _match_dict(m: Match) -> dict[str, Any]:
    return {
        "id": m.id,
        "side": m.side.value,
        "round": m.round,
        "index": m.index,
        "a": m.a,
        "b": m.b,
        "status": m.status.value,
        "winner": m.winner,
        "score_a": m.score_a,
        "score_b": m.score_b,
        "winner_to": _slot_dict(m.winner_to),
        "loser_to": _slot_dict(m.loser_to),
    }


@dataclass(frozen=True, slots=True)
class Standing:
    """One line of the standings."""

    player: str
    rank: int
    wins: int
    draws: int
    losses: int
    points: float
    tiebreak: float = 0.0
