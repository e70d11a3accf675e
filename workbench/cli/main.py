"""The ``workbench`` command line.

Subcommands: ``init``, ``sample``, ``prepare``, ``attribute``, ``report``, ``demo``,
``export-conversions``. Each is a thin wrapper over the Python API; user
mistakes (a bad config key, a missing file, a bad parameter) print one line
``error: ...`` and exit with status 2, never a bare traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from workbench import __version__
from workbench.attribution.registry import DEFAULT_MODELS
from workbench.config_sections import ENGINES, THEMES
from workbench.errors import WorkbenchError
from workbench.platforms import PLATFORMS

__all__ = ["build_parser", "main"]

_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def _command(name: str) -> Callable[[Callable[[argparse.Namespace], int]], Callable]:
    def deco(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        _COMMANDS[name] = func
        return func

    return deco


def _positive_int(text: str) -> int:
    """An integer of at least 1 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="workbench",
        description=(
            "Journey Workbench: stitch marketing exports into customer journeys, "
            "map them, and compare attribution models side by side."
        ),
    )
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("init", help="write a new project: workbench.toml, notebooks/, data/raw/")
    p.add_argument("dir", nargs="?", type=Path, default=Path("."), help="folder (default .)")
    p.add_argument(
        "--no-notebooks", action="store_true", help="do not copy the notebooks (reports still run)"
    )

    p = sub.add_parser("sample", help="write the synthetic sample exports with ground truth")
    p.add_argument("--out", type=Path, default=None, help="output folder (default data/sample)")
    p.add_argument("--people", type=int, default=3000, help="number of people (default 3000)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")

    p = sub.add_parser("prepare", help="read every source, stitch identities, write Parquet")
    _config_arg(p)
    p.add_argument("--out", type=Path, default=None, help="output folder (default from config)")
    p.add_argument("--quiet", action="store_true", help="print only the summary")
    p.add_argument(
        "--strict",
        action="store_true",
        help="fail when a source loses more than options.max_quarantine_share to one reason",
    )
    p.add_argument(
        "--engine",
        choices=ENGINES,
        default=None,
        help="where to run: local (one process) or spark (default: [engine] kind, else local)",
    )
    p.add_argument(
        "--master",
        default=None,
        help="Spark master URL for --engine spark, e.g. local[4] (default: [engine] master)",
    )

    p = sub.add_parser("attribute", help="run attribution models and compare them")
    _config_arg(p)
    p.add_argument("--paths", type=Path, default=None, help="path-aggregated table (CSV/Parquet)")
    p.add_argument("--sep", default=" > ", help='path separator in --paths (default " > ")')
    p.add_argument("--path-col", default="path", help="path column in --paths")
    p.add_argument("--conversions-col", default="total_conversions", help="conversions column")
    p.add_argument("--value-col", default="total_conversion_value", help="value column")
    p.add_argument("--nulls-col", default="total_null", help="non-converting count column")
    p.add_argument(
        "--models",
        default=None,
        help="comma-separated models (default: [attribution] models of the config, else "
        + ",".join(DEFAULT_MODELS)
        + ")",
    )
    p.add_argument("--conversion-types", default=None, help="comma-separated conversion types")
    p.add_argument(
        "--segment", default=None, help="a [segments] name (as in the notebooks; default all)"
    )
    p.add_argument("--out", type=Path, default=None, help="credits table (.csv or .parquet)")

    p = sub.add_parser("report", help="render the parameterized notebooks to HTML")
    _config_arg(p)
    p.add_argument("--schedule", type=Path, default=None, help="schedule file (TOML)")
    p.add_argument("--notebook", action="append", default=None, help="only these notebooks")
    p.add_argument(
        "-p", "--param", action="append", default=[], metavar="NAME=VALUE", help="a parameter"
    )
    p.add_argument("--out", type=Path, default=None, help="reports folder (default reports/)")
    p.add_argument("--run-id", default=None, help="name of the run folder")
    _kernel_arg(p)
    p.add_argument("--show-code", action="store_true", help="keep code cells in the HTML")
    p.add_argument(
        "--theme",
        choices=THEMES,
        default=None,
        help="colours of the HTML reports (default: [reports] theme, else light; "
        "auto follows the reader's system)",
    )
    p.add_argument("--quiet", action="store_true", help="print only errors and the summary")
    p.add_argument("--log-file", type=Path, default=None, help="append progress to this file")
    p.add_argument(
        "--jobs",
        type=_positive_int,
        default=None,
        metavar="N",
        help="notebooks run at once, each in a warm kernel (default: the available cores; "
        "1 = one by one)",
    )
    p.add_argument(
        "--allow-other-config",
        action="store_true",
        help="use prepared tables even if another config produced them",
    )

    p = sub.add_parser(
        "demo", help="sample data -> prepare -> every report, in data/demo/ and reports/demo/"
    )
    p.add_argument("--people", type=int, default=3000, help="number of people (default 3000)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument("--quiet", action="store_true", help="print only errors and the summary")
    _kernel_arg(p)

    p = sub.add_parser("export-conversions", help="write modeled conversions for ad platforms")
    _config_arg(p)
    p.add_argument("--platform", required=True, choices=list(PLATFORMS))
    p.add_argument("--model", default="full", help="value model: full, or an attribution model")
    p.add_argument("--since", default=None, help="only conversions on or after this date")
    p.add_argument(
        "--as-of",
        default=None,
        help="check event ages as of this date instead of now (backfills, the sample)",
    )
    p.add_argument(
        "--conversion-name",
        default=None,
        help="the platform's conversion action name (default: the conversion type)",
    )
    p.add_argument("--out", type=Path, default=None, help="output file")
    return parser


def _config_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config",
        type=Path,
        default=None,
        help="config file (default: $WORKBENCH_CONFIG, else workbench.toml in the current "
        "folder or the nearest folder above it)",
    )


def _kernel_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--kernel",
        default=None,
        metavar="NAME",
        help="Jupyter kernel that runs the notebooks (default python3: this interpreter)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``workbench`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return _COMMANDS[args.command](args)
    except WorkbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


@_command("init")
def _init(args: argparse.Namespace) -> int:
    from workbench.scaffold import init_project

    written = init_project(args.dir, notebooks=not args.no_notebooks)
    print(f"wrote a new project in {written[0].parent}:")
    for path in written:
        print(f"  {path.relative_to(written[0].parent).as_posix()}")
    print("next: cd into it, then `workbench sample && workbench prepare && workbench report`")
    return 0


@_command("sample")
def _sample(args: argparse.Namespace) -> int:
    from workbench.cli.commands import run_sample

    return run_sample(out=args.out, people=args.people, seed=args.seed)


@_command("prepare")
def _prepare(args: argparse.Namespace) -> int:
    from workbench.cli.commands import run_prepare

    return run_prepare(
        config=args.config,
        out=args.out,
        quiet=args.quiet,
        strict=args.strict,
        engine=args.engine,
        master=args.master,
    )


@_command("attribute")
def _attribute(args: argparse.Namespace) -> int:
    from workbench.cli.commands import run_attribute

    return run_attribute(args)


@_command("report")
def _report(args: argparse.Namespace) -> int:
    from workbench.cli.commands import run_report

    return run_report(
        config=args.config,
        schedule=args.schedule,
        notebooks=args.notebook,
        params=args.param,
        out=args.out,
        run_id=args.run_id,
        quiet=args.quiet,
        log_file=args.log_file,
        show_code=args.show_code,
        allow_other_config=args.allow_other_config,
        kernel=args.kernel,
        workers=args.jobs,
        theme=args.theme,
    )


@_command("demo")
def _demo(args: argparse.Namespace) -> int:
    from workbench.cli.commands import run_demo

    return run_demo(people=args.people, seed=args.seed, quiet=args.quiet, kernel=args.kernel)


@_command("export-conversions")
def _export(args: argparse.Namespace) -> int:
    from workbench.cli.commands import run_export

    return run_export(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
