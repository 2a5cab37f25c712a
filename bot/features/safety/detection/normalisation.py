"""Normalisation of chat text before matching: one canonical form for messages and terms.

Young people (and people who want to slip past a filter) write "K1LLL", "kiiiill",
"k i l l", "k.i.l.l", "tuéééé" or "ｋｉｌｌ". `normalise` maps all of these to "kil",
and the lexicon's terms pass through the very same function, so a term and its tricked
spellings always meet in one form. Each whitespace-separated token goes through, in order:

1. casefold; for non-ASCII text also NFKD (full-width letters, ligatures), removal of
   accents and invisible characters, and a few Cyrillic/Greek look-alike letters;
2. leetspeak inside tokens that also contain letters (`0→o 1→i 3→e 4→a 5→s 7→t @→a
   $→s !→i |→l €→e`); a "1" is ambiguous (i or l), so a second variant with "1→l"
   is made only when one occurs;
3. spaced-out letters inside a token ("k.i.l.l", "k-i-l-l") are joined;
4. every other non-word character becomes a space (so apostrophes split "j'vais");
5. runs of the same letter collapse to one ("kiiiill" and "kill" → "kil"; digits stay,
   so "1488" and "88" survive).

Then, across tokens, three or more one-letter tokens in a row are joined ("k i l l").
The result is padded with one space on each side, so a term " kil you " matches only on
word boundaries.

Speed: chat vocabulary is small and repetitive, so each distinct token is normalised once
and remembered in a bounded table; a message then costs a `split`, one dictionary look-up
per token and a `join`. That table changes no result (the same token always gives the same
form), so `normalise` stays a pure function in every way that can be observed.
"""

from __future__ import annotations

import re
import unicodedata

# Look-alike letters from other scripts that NFKD leaves alone.
_CONFUSABLES = str.maketrans(
    {
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
        "ј": "j", "ѕ": "s", "к": "k", "м": "m", "т": "t", "н": "h", "в": "b",
        "α": "a", "ε": "e", "ο": "o", "ρ": "p", "ι": "i", "κ": "k", "τ": "t", "ν": "v",
        "ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe",
    }
)  # fmt: skip
# Invisible characters used to split a word without showing a gap.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"))
_MARKS = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")

_LEET_CHARS = "013457@$!|€"
_LEET_I = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s",
     "!": "i", "|": "l", "€": "e"}
)  # fmt: skip
_LEET_L = str.maketrans({"1": "l"})
_LEET_CLASS = re.escape(_LEET_CHARS)
# A token that holds at least one letter and at least one leet character.
_LEET_TOKEN = re.compile(
    rf"[a-z{_LEET_CLASS}]*(?:[a-z][a-z{_LEET_CLASS}]*[{_LEET_CLASS}]"
    rf"|[{_LEET_CLASS}][a-z{_LEET_CLASS}]*[a-z])[a-z{_LEET_CLASS}]*"
)
# A letter followed by an apostrophe is an elision ("c'est"), not part of a spaced word.
_SPACED = re.compile(r"(?<![^\W\d_])[a-z](?:[\s.\-_*,/+~:]+[a-z](?![^\W\d_]|['’])){2,}")
_NOT_LETTER = re.compile(r"[^a-z]+")
_SEPARATORS = re.compile(r"[\W_]+")
_REPEATS = re.compile(r"([^\W\d_])\1+")


def _fold(text: str) -> str:
    text = text.casefold()
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text.translate(_INVISIBLE))
    return _MARKS.sub("", text).translate(_CONFUSABLES).casefold()


def _deleet(token: str, ambiguous_one: str) -> str:
    # Punctuation at the edges stays punctuation: "kill!" is not "killi", "@sam" is a mention.
    core = token.rstrip("!|")
    tail = token[len(core) :]
    stripped = core.lstrip("@!|")
    head = token[: len(core) - len(stripped)]
    if not any(ch.isalpha() for ch in stripped):
        return token
    if ambiguous_one == "l":
        stripped = stripped.translate(_LEET_L)
    return head + stripped.translate(_LEET_I) + tail


def _spaced(match: re.Match[str]) -> str:
    return _NOT_LETTER.sub("", match[0])


def _finish(text: str) -> str:
    text = _SPACED.sub(_spaced, text)
    text = _SEPARATORS.sub(" ", text)
    return _REPEATS.sub(r"\1", text).strip()


def _slow(text: str) -> tuple[str, str | None]:
    """Every step on one piece of text: its i-form, and its l-form when a "1" made one."""
    folded = _fold(text)
    if not any(ch in folded for ch in _LEET_CHARS):
        return _finish(folded), None
    tokens = _LEET_TOKEN.findall(folded)
    if not tokens:
        return _finish(folded), None
    as_i = _finish(_LEET_TOKEN.sub(lambda m: _deleet(m[0], "i"), folded))
    if not any("1" in token for token in tokens):
        return as_i, None
    as_l = _finish(_LEET_TOKEN.sub(lambda m: _deleet(m[0], "l"), folded))
    return as_i, (as_l if as_l != as_i else None)


# Chat vocabulary is small and repetitive, so each whitespace-separated token is normalised
# once and remembered. Bounded; it holds single words, never whole messages, and is never
# written anywhere. It does not change any result, only how fast it comes.
_TOKENS: dict[str, str] = {}  # token -> its form (i-form)
_L_FORMS: dict[str, str] = {}  # token -> its l-form, only for tokens with an ambiguous "1"
_TOKEN_CACHE_SIZE = 50_000
_TOKEN_MAX_LENGTH = 40
_THREE_SINGLES = re.compile(r" [^\W\d_] [^\W\d_] [^\W\d_] ")


def _miss(token: str) -> str:
    form, l_form = _slow(token)
    if len(token) <= _TOKEN_MAX_LENGTH:
        if len(_TOKENS) >= _TOKEN_CACHE_SIZE:
            _TOKENS.clear()
            _L_FORMS.clear()
        _TOKENS[token] = form
        if l_form is not None:
            _L_FORMS[token] = l_form
    return form


def _join_spaced(forms: list[str]) -> list[str]:
    """Join runs of three or more one-letter tokens: "k i l l" -> "kil".

    Works on whole tokens, so the elided "c" of "c'est" (token form "c est") never joins.
    """
    out: list[str] = []
    run: list[str] = []
    for form in [*forms, ""]:
        if len(form) == 1 and form.isalpha():
            run.append(form)
            continue
        if len(run) >= 3:
            out.append(_REPEATS.sub(r"\1", "".join(run)))
        else:
            out.extend(run)
        run = []
        if form:
            out.append(form)
    return out


def normalise_variants(text: str) -> tuple[str, ...]:
    """The canonical forms of `text`: one, or two when a leet "1" could be i or l."""
    tokens = text.casefold().split()
    get = _TOKENS.get
    # `is None`, not `or`: a token of only punctuation or emoji has the empty form "".
    forms = [form if (form := get(token)) is not None else _miss(token) for token in tokens]
    first = " " + " ".join(forms) + " "
    other: list[str] | None = None
    if "1" in text:
        l_forms = [_L_FORMS.get(token, form) for token, form in zip(tokens, forms, strict=True)]
        if l_forms != forms:
            other = l_forms
    if "  " in first:  # tokens that were only punctuation or emoji
        forms = [form for form in forms if form]
        first = " " + " ".join(forms) + " "
        if other is not None:
            other = [form for form in other if form]
    if len(forms) >= 3 and _THREE_SINGLES.search(first):
        forms = _join_spaced(forms)
        first = " " + " ".join(forms) + " "
        if other is not None:
            other = _join_spaced(other)
    if other is None:
        return (first,)
    second = " " + " ".join(other) + " "
    return (first,) if second == first else (first, second)


def normalise(text: str) -> str:
    """The main canonical form of `text` (see the module docstring), padded with spaces."""
    return normalise_variants(text)[0]
