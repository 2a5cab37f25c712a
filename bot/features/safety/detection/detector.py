"""The lexicon detector: one Aho–Corasick automaton over every language's terms.

A message is normalised (`normalisation.py`), scanned once by the automaton (which finds
terms, benign phrases and context words together, in time linear in the message), and
scored per category:

* a term match is dropped when a benign phrase of its category covers it ("killing it",
  "je meurs de rire"), or when a longer term of the same category covers it;
* each remaining match weighs its group's weight, times the factor of every context
  modifier within its window ("round", "finale" near "kill you" → ×0.2), unless the
  modifier is cancelled by another one nearby ("at school", "knife" cancel gaming);
* a category's score is the noisy-OR of its distinct terms, 1 − Π(1 − wᵢ): two weak
  signs together count more than one, a repeated term counts once, and the score stays
  in 0..1;
* a category is flagged when its score reaches its threshold; its severity is the
  category's own, raised by a term group or a modifier ("imminent" → urgent).

The detector never acts and does no I/O in `scan`: it only returns a `Detection`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ahocorasick

from bot.core.detection import Category, Detection, Severity
from bot.features.safety.detection.lexicon import (
    CategoryRule,
    Lexicons,
    expand,
    keys_for,
    load_lexicons,
)
from bot.features.safety.detection.normalisation import normalise_variants

DEFAULT_LEXICONS = Path("config/lexicons")
_SEVERITIES = tuple(Severity)
_MANY_MATCHES = 48  # beyond this many matches in one message, repeats are capped
_PER_KEY = 4


# Automaton values are plain tuples (attribute access on dataclasses costs more in the hot
# loop). Each key maps to a tuple of entries; an entry's first field is its kind.
_TERM, _BENIGN, _CONTEXT = 0, 1, 2
# (_TERM, category, weight, severity rank or -1, ignored modifiers, shown, key length);
# "shown" is the phrase as written in the lexicon (after brace expansion), for reviewers.
# (_BENIGN, category, key length)
# (_CONTEXT, name, categories, window, factor, severity rank or -1, cancelled_by, key length)
_Entry = tuple[Any, ...]
_Found = tuple[float, int, list[str]]  # score, severity rank, shown terms


def _capped(found: list[tuple[int, tuple[_Entry, ...]]]) -> list[tuple[int, tuple[_Entry, ...]]]:
    """At most `_PER_KEY` occurrences of each key: a long, repetitive message cannot make
    the pairwise steps (coverage, context windows) quadratic in its length."""
    seen: dict[int, int] = {}
    kept = []
    for item in found:
        key = id(item[1])  # one tuple of entries per automaton key
        count = seen.get(key, 0)
        if count < _PER_KEY:
            seen[key] = count + 1
            kept.append(item)
    return kept


def _covered(
    item: tuple[_Entry, int, int],
    hits: list[tuple[_Entry, int, int]],
    benign: list[tuple[_Entry, int, int]],
) -> bool:
    """True when a benign phrase or a longer term of the same category covers this match."""
    entry, start, end = item
    category = entry[1]
    for other, s, e in benign:
        if other[1] == category and s <= start and end <= e:
            return True
    length = end - start
    for other, s, e in hits:
        if other[1] == category and s <= start and end <= e and e - s > length:
            return True
    return False


def _rank(severity: Severity | None) -> int:
    return -1 if severity is None else severity.rank


class LexiconDetector:
    """The `Detector` built from lexicon files (see `load_detector`)."""

    def __init__(self, lexicons: Lexicons) -> None:
        """Build the automaton from validated lexicons."""
        self.rules: dict[Category, CategoryRule] = dict(lexicons.categories)
        self.languages: tuple[str, ...] = tuple(
            sorted({lexicon.language for lexicon in lexicons.files.values()})
        )
        self._thresholds = {c: rule.threshold for c, rule in self.rules.items()}
        self._base_rank = {c: rule.severity.rank for c, rule in self.rules.items()}
        # Categories some modifier applies to; others skip the context step.
        self._contextual = frozenset(
            category
            for lexicon in lexicons.files.values()
            for modifier in lexicon.modifiers.values()
            for category in modifier.categories
        )
        entries: dict[str, dict[object, _Entry]] = {}

        def add(key_text: str, identity: object, entry: _Entry) -> None:
            slot = entries.setdefault(key_text, {})
            old = slot.get(identity)
            if old is not None and entry[0] == _TERM and old[2] >= entry[2]:
                return  # the same term twice in a category: the stronger weight wins
            slot[identity] = entry

        for lexicon in lexicons.files.values():
            for category, groups in lexicon.terms.items():
                default = self.rules[category].default_weight
                for group in groups:
                    weight = group.weight if group.weight is not None else default
                    ignore = frozenset(group.ignore)
                    for phrase in (p for written in group.terms for p in expand(written)):
                        for key in keys_for(phrase):
                            term = (
                                _TERM, category, weight, _rank(group.severity), ignore,
                                phrase.strip("* "), len(key.text),
                            )  # fmt: skip
                            add(key.text, (_TERM, category), term)
            for category, phrases in lexicon.benign.items():
                for phrase in (p for written in phrases for p in expand(written)):
                    for key in keys_for(phrase):
                        add(key.text, (_BENIGN, category), (_BENIGN, category, len(key.text)))
            for name, mod in lexicon.modifiers.items():
                for phrase in (p for written in mod.terms for p in expand(written)):
                    for key in keys_for(phrase):
                        context = (
                            _CONTEXT, name, frozenset(mod.categories), mod.window, mod.factor,
                            _rank(mod.severity), frozenset(mod.cancelled_by), len(key.text),
                        )  # fmt: skip
                        add(key.text, (_CONTEXT, name, mod.window, mod.factor), context)
        automaton = ahocorasick.Automaton()
        self.term_count = 0
        for key_text, slot in entries.items():
            values = tuple(slot.values())
            automaton.add_word(key_text, values)
            self.term_count += sum(entry[0] == _TERM for entry in values)
        automaton.make_automaton()
        self._automaton = automaton
        self.key_count = len(entries)

    def scan(self, text: str) -> Detection:
        """Score one message (pure: no I/O, no side effects, same answer every time)."""
        variants = normalise_variants(text)
        best = self._score(variants[0])
        for variant in variants[1:] if len(variants) > 1 else ():
            found = self._score(variant)
            if found is None:
                continue
            if best is None:
                best = found
                continue
            for category, result in found.items():
                if category not in best or result[0] > best[category][0]:
                    best[category] = result
        if best is None:
            return Detection(0.0, {}, None, ())  # explicit: default factories cost time
        flagged: dict[Category, float] = {}
        rank = -1
        matched: list[str] = []
        top = 0.0
        thresholds = self._thresholds
        for category, (score, severity, shown) in best.items():
            if score > top:
                top = score
            if score >= thresholds[category]:
                flagged[category] = round(score, 3)
                if severity > rank:
                    rank = severity
                matched.extend(shown)
        return Detection(
            round(top, 3),
            flagged,
            _SEVERITIES[rank] if rank >= 0 else None,
            tuple(sorted(set(matched))),
        )

    def _score(self, text: str) -> dict[Category, _Found] | None:
        hits: list[tuple[_Entry, int, int]] = []
        benign: list[tuple[_Entry, int, int]] = []
        contexts: list[tuple[_Entry, int, int]] = []
        found = list(self._automaton.iter(text))
        if len(found) > _MANY_MATCHES:
            found = _capped(found)
        for end, entries in found:
            for entry in entries:
                # Every entry ends with its key's length.
                kind = entry[0]
                if kind == _TERM:
                    hits.append((entry, end - entry[-1] + 1, end))
                elif kind == _CONTEXT:
                    contexts.append((entry, end - entry[-1] + 1, end))
                else:
                    benign.append((entry, end - entry[-1] + 1, end))
        if not hits:
            return None  # nothing, or only context words and benign phrases
        if benign or len(hits) > 1:
            hits = [item for item in hits if not _covered(item, hits, benign)]
            if not hits:
                return None
        placed = None  # word positions of context matches, computed only when needed
        contextual = self._contextual
        base_rank = self._base_rank
        # Per category: its severity rank and, per distinct term, the strongest weight. A term
        # repeated counts once: "kill u kill u kill u" is not three signs.
        results: dict[Category, list[Any]] = {}
        for entry, start, end in hits:
            category = entry[1]
            weight, raised = entry[2], entry[3]
            if contexts and category in contextual:
                if placed is None:
                    placed = [
                        (ctx, text.count(" ", 0, s + 1) - 1, text.count(" ", 0, e) - 1)
                        for ctx, s, e in contexts
                    ]
                weight, context_rank = _context(text, entry, start, end, placed)
                if context_rank > raised:
                    raised = context_rank
            slot = results.get(category)
            if slot is None:
                rank = base_rank[category]
                results[category] = [raised if raised > rank else rank, {entry[5]: weight}]
                continue
            if raised > slot[0]:
                slot[0] = raised
            terms = slot[1]
            if weight > terms.get(entry[5], -1.0):
                terms[entry[5]] = weight
        scored: dict[Category, _Found] = {}
        for category, (rank, terms) in results.items():
            miss = 1.0
            for weight in terms.values():
                miss *= 1.0 - weight if weight < 1.0 else 0.0
            scored[category] = (1.0 - miss, rank, list(terms))
        return scored


def _context(
    text: str, entry: _Entry, start: int, end: int, placed: list[tuple[_Entry, int, int]]
) -> tuple[float, int]:
    """The weight of one term match after the context modifiers near it, and their severity."""
    first, last = text.count(" ", 0, start + 1) - 1, text.count(" ", 0, end) - 1
    category, ignore = entry[1], entry[4]
    near = [
        ctx
        for ctx, a, b in placed
        if category in ctx[2] and ctx[1] not in ignore and max(0, a - last, first - b) <= ctx[3]
    ]
    if not near:
        return entry[2], -1
    present = {ctx[1] for ctx in near}
    factors: dict[str, float] = {}
    raised = -1
    for ctx in near:
        if ctx[6] and not ctx[6].isdisjoint(present):
            continue
        # One modifier counts once, however many of its words are near.
        factors[ctx[1]] = min(factors.get(ctx[1], ctx[4]), ctx[4])
        if ctx[5] > raised:
            raised = ctx[5]
    weight = entry[2]
    for factor in factors.values():
        weight *= factor
    return weight, raised


def load_detector(folder: Path | str = DEFAULT_LEXICONS) -> LexiconDetector:
    """Read and validate the lexicon folder and build the detector (ConfigError on problems)."""
    return LexiconDetector(load_lexicons(folder))
