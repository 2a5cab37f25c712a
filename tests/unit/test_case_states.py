"""The case state machine, exhaustively and as random walks."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.features.cases.states import (
    SETTABLE,
    TRANSITIONS,
    CaseState,
    TransitionError,
    can_move,
    is_open,
    move,
    reachable,
    reopen,
)

S = CaseState
ALLOWED = {
    (S.NEW, S.TRIAGED), (S.NEW, S.CLOSED),
    (S.TRIAGED, S.IN_PROGRESS), (S.TRIAGED, S.REFERRED), (S.TRIAGED, S.CLOSED),
    (S.IN_PROGRESS, S.REFERRED), (S.IN_PROGRESS, S.CLOSED),
    (S.REFERRED, S.IN_PROGRESS), (S.REFERRED, S.CLOSED),
}  # fmt: skip


@pytest.mark.parametrize(("current", "target"), list(itertools.product(S, S)))
def test_every_pair_is_allowed_exactly_when_listed(current: S, target: S) -> None:
    assert can_move(current, target) == ((current, target) in ALLOWED)
    if (current, target) in ALLOWED:
        assert move(current, target) is target
    else:
        with pytest.raises(TransitionError) as caught:
            move(current, target)
        expected = (
            "case.error.closed" if current is S.CLOSED
            else "case.error.same_state" if current is target
            else "case.error.transition"
        )  # fmt: skip
        assert caught.value.key == expected and caught.value.current is current


def test_closed_is_final_and_only_reopen_leaves_it() -> None:
    assert TRANSITIONS[S.CLOSED] == frozenset()
    assert reopen(S.CLOSED) is S.TRIAGED
    for state in S:
        if state is not S.CLOSED:
            with pytest.raises(TransitionError) as caught:
                reopen(state)
            assert caught.value.key == "case.error.not_closed"


def test_every_state_is_reachable_and_every_case_can_close() -> None:
    assert reachable() == set(S)
    for state in S:
        assert S.CLOSED in reachable(state)
    assert not any(is_open(s) for s in S if s is S.CLOSED)
    assert all(is_open(s) for s in S if s is not S.CLOSED)


def test_states_a_command_may_set_exclude_new_and_closed() -> None:
    assert set(SETTABLE) == {S.TRIAGED, S.IN_PROGRESS, S.REFERRED}
    # New is only ever a starting point: nothing moves back to it.
    assert all(S.NEW not in targets for targets in TRANSITIONS.values())


@given(st.lists(st.sampled_from(list(S)), max_size=30))
def test_random_walks_only_take_listed_steps(attempts: list[S]) -> None:
    state = S.NEW
    path = [state]
    for target in attempts:
        try:
            state = move(state, target)
        except TransitionError:
            continue
        path.append(state)
    for before, after in itertools.pairwise(path):
        assert (before, after) in ALLOWED
    # Once closed, nothing but a reopen moves the case again.
    if S.CLOSED in path:
        assert path.index(S.CLOSED) == len(path) - 1
