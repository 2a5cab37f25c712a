"""The lexicon files in `config/lexicons/`: their format, validation and term expansion.

`categories.yaml` holds, per category, the threshold, the default weight of a term and
the severity the category implies. Every other `*.yaml` file in the folder is one
language's lexicon: weighted term groups per category, benign phrases that are not
concerns, and context modifiers (gaming talk lowers a violence score; "tomorrow" or
"at school" near a threat makes it urgent). See `docs/detector.md` for the format.

Problems are reported with the file and line (through `bot.settings.validate_yaml`), and
every problem of every file is listed at once.
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.core.detection import Category, Severity
from bot.features.safety.detection.normalisation import normalise_variants
from bot.settings import ConfigError, ConfigProblem, validate_yaml

CATEGORIES_FILE = "categories.yaml"
_BRACES = re.compile(r"\{([^{}]*)\}")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_EXPANSIONS = 500  # per written term: a typo in braces should not explode the automaton


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def expand(term: str) -> list[str]:
    """`"{i'll|i will} kill {you|u}"` -> the four phrases; `{|very }` allows "nothing"."""
    if term.count("{") != term.count("}") or "{" in _BRACES.sub("", term):
        raise ValueError(f"unbalanced braces in {term!r}")
    parts = _BRACES.split(term)
    # split() alternates literal text and the inside of a brace group.
    choices = [[part] if i % 2 == 0 else part.split("|") for i, part in enumerate(parts)]
    count = 1
    for options in choices:
        count *= len(options)
    if count > MAX_EXPANSIONS:
        raise ValueError(f"{term!r} expands to {count} phrases (at most {MAX_EXPANSIONS})")
    return [" ".join("".join(combo).split()) for combo in itertools.product(*choices)]


@dataclass(frozen=True, slots=True)
class Key:
    """One automaton key made from a written term: padded text and how it is anchored."""

    text: str  # what the automaton looks for, e.g. " kil you " or " zelfmord"
    term: str  # the normalised term without padding


@functools.lru_cache(maxsize=32_768)  # validation and the build both ask for every term
def keys_for(term: str) -> tuple[Key, ...]:
    """The automaton keys of one written term (after brace expansion), every variant.

    A trailing `*` matches any word ending ("zelfmoord*" finds "zelfmoordgedachten"); a
    leading `*` matches any word beginning ("*jood" finds "kankerjood").
    """
    prefix = term.rstrip().endswith("*")
    suffix = term.lstrip().startswith("*")
    bare = term.strip().strip("*")
    forms = [bare]
    if "'" in bare or "’" in bare:
        # People write "i'm", "im", "don't", "dont", "j'vais", "jvais": an apostrophe in a
        # term matches both the split form and the joined one.
        forms.append(bare.replace("'", "").replace("’", ""))
    keys: list[Key] = []
    for form in forms:
        for variant in normalise_variants(form):
            core = variant.strip()
            if not core:
                raise ValueError(f"{term!r} has no letters or digits left after normalisation")
            text = ("" if suffix else " ") + core + ("" if prefix else " ")
            if all(key.text != text for key in keys):
                keys.append(Key(text, core))
    return tuple(keys)


def _check_term(term: str) -> str:
    for phrase in expand(term):
        keys_for(phrase)
    return term


# Checked one by one, so a problem names the line of the term itself.
Term = Annotated[str, AfterValidator(_check_term)]


class CategoryRule(_Strict):
    """How one category is scored and how urgent it is."""

    threshold: float = Field(gt=0, le=1)
    default_weight: float = Field(gt=0, le=1)
    severity: Severity
    description: str = ""


class CategoriesFile(_Strict):
    """`categories.yaml`: every category's threshold, default weight and severity."""

    categories: dict[Category, CategoryRule]

    @model_validator(mode="after")
    def _all_categories(self) -> CategoriesFile:
        missing = sorted(set(Category) - set(self.categories))
        if missing:
            raise ValueError(f"missing categories: {', '.join(missing)}")
        return self


class TermGroup(_Strict):
    """Terms of one category that share a weight (and maybe a severity of their own)."""

    weight: float | None = Field(default=None, gt=0, le=1)  # None: the category default
    severity: Severity | None = None  # raises the category's severity for these terms
    ignore: list[str] = Field(default_factory=list)  # modifiers that do not apply
    note: str = ""
    terms: list[Term] = Field(min_length=1)


class Modifier(_Strict):
    """Context words: near a match of its categories, scale the score or raise severity."""

    categories: list[Category] = Field(min_length=1)
    window: int = Field(default=8, ge=1, le=60)  # in words, either side of the match
    factor: float = Field(default=1.0, gt=0, le=2)
    severity: Severity | None = None
    cancelled_by: list[str] = Field(default_factory=list)  # other modifiers that undo it
    note: str = ""
    terms: list[Term] = Field(min_length=1)

    @model_validator(mode="after")
    def _does_something(self) -> Modifier:
        if self.factor == 1.0 and self.severity is None:
            raise ValueError("a modifier needs a factor other than 1 or a severity")
        return self


class LexiconFile(_Strict):
    """One language's lexicon."""

    language: str = Field(pattern=r"^[a-z]{2}$")
    terms: dict[Category, list[TermGroup]] = Field(default_factory=dict)
    benign: dict[Category, list[Term]] = Field(default_factory=dict)
    modifiers: dict[str, Modifier] = Field(default_factory=dict)

    @field_validator("modifiers")
    @classmethod
    def _names(cls, value: dict[str, Modifier]) -> dict[str, Modifier]:
        for name in value:
            if not _NAME.match(name):
                raise ValueError(f"modifier name {name!r} must be lower_snake_case")
        return value


@dataclass(frozen=True, slots=True)
class Lexicons:
    """Everything read from a lexicon folder, validated."""

    categories: dict[Category, CategoryRule]
    files: dict[str, LexiconFile]  # file name -> lexicon


def _modifier_names(texts: dict[str, str]) -> set[str]:
    names: set[str] = set()
    for text in texts.values():
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            continue  # reported by the full validation
        if isinstance(data, dict) and isinstance(data.get("modifiers"), dict):
            names.update(str(name) for name in data["modifiers"])
    return names


def _references(known: set[str]) -> Any:
    def check(data: dict[str, Any]) -> list[tuple[tuple[Any, ...], str, bool]]:
        found: list[tuple[tuple[Any, ...], str, bool]] = []
        for category, groups in (data.get("terms") or {}).items():
            for index, group in enumerate(groups or []):
                if not isinstance(group, dict):
                    continue
                for name in group.get("ignore") or []:
                    if name not in known:
                        path = ("terms", category, index, "ignore")
                        found.append((path, f"unknown modifier {name!r}", False))
        for mod_name, modifier in (data.get("modifiers") or {}).items():
            if isinstance(modifier, dict):
                for name in modifier.get("cancelled_by") or []:
                    if name not in known:
                        path = ("modifiers", mod_name, "cancelled_by")
                        found.append((path, f"unknown modifier {name!r}", False))
        return found

    return check


def load_lexicons(folder: Path | str) -> Lexicons:
    """Read and validate a lexicon folder; ConfigError lists every problem by file:line."""
    root = Path(folder)
    paths = sorted(root.glob("*.yaml"))
    problems: list[ConfigProblem] = []
    if not (root / CATEGORIES_FILE).is_file():
        problems.append(ConfigProblem(str(root / CATEGORIES_FILE), None, "", "file missing"))
    texts: dict[str, str] = {}
    for path in paths:
        try:
            texts[path.name] = path.read_text(encoding="utf-8")
        except OSError as exc:
            problems.append(ConfigProblem(str(path), None, "", f"cannot read: {exc}"))
    languages = {name: text for name, text in texts.items() if name != CATEGORIES_FILE}
    if not languages:
        problems.append(ConfigProblem(str(root), None, "", "no lexicon files (*.yaml)"))
    known = _modifier_names(languages)
    categories: dict[Category, CategoryRule] = {}
    files: dict[str, LexiconFile] = {}
    for name, text in texts.items():
        shown = str(root / name)
        try:
            if name == CATEGORIES_FILE:
                categories = validate_yaml(text, shown, CategoriesFile).categories
            else:
                files[name] = validate_yaml(text, shown, LexiconFile, _references(known))
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    return Lexicons(categories, files)
