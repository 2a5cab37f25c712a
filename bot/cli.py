"""The `haven` command: run, up, demo, migrate, check-config, eval-detector."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.core.errors import HavenError
from bot.settings import ConfigError, Secrets, load_settings

DEFAULT_CONFIG = Path("config/haven.yaml")
DEFAULT_LEXICONS = Path("config/lexicons")
DEFAULT_EVAL_SET = Path("tests/data/detector_eval.yaml")


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        force=True,
    )
    # nio logs whole requests at INFO/DEBUG, which may include message bodies.
    logging.getLogger("nio").setLevel(logging.WARNING)
    logging.getLogger("discord").setLevel(logging.WARNING)


def cmd_check_config(args: argparse.Namespace) -> int:
    """Validate a settings file; print every problem with its line."""
    try:
        settings = load_settings(args.file)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) found.", file=sys.stderr)
        return 1
    try:
        from bot.features.privacy.framework import load_framework

        framework = load_framework(settings.framework)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) found.", file=sys.stderr)
        return 1
    print(
        f"{settings.framework}: OK ({len(framework.data_classes)} data classes, "
        f"{len(framework.purposes)} purposes)"
    )
    problems = _check_feature_configs(settings.framework.parent)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"{len(problems)} problem(s) found.", file=sys.stderr)
        return 1
    platforms = [
        name
        for name, on in (
            ("matrix", settings.matrix.enabled),
            ("discord", settings.discord.enabled),
        )
        if on
    ]
    print(f"{args.file}: OK (platforms: {', '.join(platforms) or 'none'})")
    return 0


def _check_feature_configs(folder: Path) -> list[object]:
    """Validate every feature's config file (features list them in `CONFIG_FILES`)."""
    import importlib

    from bot.app import DEFAULT_FEATURES

    problems: list[object] = []
    for name in DEFAULT_FEATURES:
        module = importlib.import_module(f"bot.features.{name}")
        for filename, loader in getattr(module, "CONFIG_FILES", {}).items():
            try:
                loader(folder / filename)
            except ConfigError as exc:
                problems.extend(exc.problems)
            else:
                print(f"{folder / filename}: OK")
    return problems


async def _serve(app: object) -> None:
    from bot.app import Haven

    assert isinstance(app, Haven)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, app.request_stop)
    try:
        await app.open()  # features set up first, so the freeze below runs after their hooks
    except BaseException:
        await app.close()
        raise

    async def warm_up_and_freeze() -> None:
        # Expensive things features build lazily (the detector's automaton) are built now,
        # then everything loaded at start-up leaves the garbage collector's scans: no GC
        # pauses in tail latencies. Only the long-running process, never inside tests
        # (tests load lazily, and a freeze would hide leaks).
        for warm_up in app.warm_ups:
            await warm_up()
        gc.freeze()

    app.on_started.append(warm_up_and_freeze)
    await app.run()


def cmd_run(args: argparse.Namespace) -> int:
    """Run the bot with a settings file."""
    from bot.app import Haven

    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    try:
        asyncio.run(_serve(Haven(settings, Secrets())))
    except HavenError as exc:
        print(f"haven: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """Apply database migrations and print the version."""
    from bot.storage.database import Database
    from bot.storage.migrations import migrate

    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1

    async def go() -> int:
        db = Database(settings.database.path)
        await db.open()
        try:
            return await migrate(db)
        finally:
            await db.close()

    try:
        version = asyncio.run(go())
    except HavenError as exc:
        print(f"haven: {exc}", file=sys.stderr)
        return 1
    print(f"database at schema version {version}")
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    """Run Haven on the embedded homeserver (no accounts or tokens needed)."""
    from bot.embedded.up import run_up

    return run_up(Path(args.data_dir))


def cmd_demo(args: argparse.Namespace) -> int:
    """A scripted walk-through with simulated members; prints a transcript."""
    from bot.embedded.demo import run_demo

    return run_demo(Path(args.data_dir) if args.data_dir else None)


def cmd_eval_detector(args: argparse.Namespace) -> int:
    """Precision and recall of the lexicon detector on a labelled set, per split."""
    from bot.features.safety.detection import load_detector
    from bot.features.safety.detection.evaluation import (
        evaluate_set,
        format_report,
        load_eval_set,
    )

    try:
        detector = load_detector(args.lexicons)
        eval_set = load_eval_set(args.set)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) found.", file=sys.stderr)
        return 1
    splits = (args.split,) if args.split else ("dev", "heldout")
    print(
        f"detector: {detector.term_count} terms ({', '.join(detector.languages)}), "
        f"{detector.key_count} automaton keys; set: {args.set}"
    )
    for report in evaluate_set(detector, eval_set, splits):
        print(format_report(report, show_wrong=args.show_wrong))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `haven` command."""
    parser = argparse.ArgumentParser(prog="haven", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the bot with a settings file")
    run.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    run.set_defaults(func=cmd_run)

    up = sub.add_parser("up", help="run on the embedded Matrix homeserver, set up on first run")
    up.add_argument("--data-dir", default="var", help="where server, bot and secrets live")
    up.set_defaults(func=cmd_up)

    demo = sub.add_parser("demo", help="a scripted walk-through with simulated members")
    demo.add_argument("--data-dir", default=None, help="keep the demo's data here")
    demo.set_defaults(func=cmd_demo)

    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    migrate.set_defaults(func=cmd_migrate)

    evaluation = sub.add_parser(
        "eval-detector", help="precision and recall of the detector on a labelled set"
    )
    evaluation.add_argument("--set", type=Path, default=DEFAULT_EVAL_SET)
    evaluation.add_argument("--lexicons", type=Path, default=DEFAULT_LEXICONS)
    evaluation.add_argument("--split", choices=("dev", "heldout"), default=None)
    evaluation.add_argument(
        "--show-wrong", action="store_true", help="list each message the detector got wrong"
    )
    evaluation.set_defaults(func=cmd_eval_detector)

    check = sub.add_parser("check-config", help="validate a settings file")
    check.add_argument("file", type=Path)
    check.set_defaults(func=cmd_check_config)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `haven` command."""
    args = build_parser().parse_args(argv)
    _setup_logging(args.verbose)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
