import csv
import textwrap
import time
from argparse import RawDescriptionHelpFormatter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from customers.importing.errors import ImportFileError
from customers.importing.kinds import IMPORTERS, CustomersImporter
from customers.importing.report import ImportReport
from customers.importing.services import DEFAULT_BATCH_SIZE, import_file

REJECTED_ON_SCREEN = 50
# Progress lines start after this many seconds, so short files print only the summary.
PROGRESS_AFTER_SECONDS = 2.0
PROGRESS_EVERY_SECONDS = 1.0
# Without a terminal each update is a new line (a log file): fewer of them.
PROGRESS_EVERY_SECONDS_LOGGED = 10.0


class Command(BaseCommand):
    help = "Import a CSV file (plain or gzip) of one kind, in one transaction.\n\nKinds:\n" + (
        "\n".join(
            textwrap.fill(
                importer.help_text,
                width=88,
                initial_indent=f"  {kind}: ",
                subsequent_indent="      ",
            )
            for kind, importer in IMPORTERS.items()
        )
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        return super().create_parser(
            prog_name, subcommand, formatter_class=RawDescriptionHelpFormatter, **kwargs
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", help=f"one of: {', '.join(IMPORTERS)}")
        parser.add_argument("path", help="the CSV file; .gz or gzip content is decompressed")
        parser.add_argument(
            "--partial",
            action="store_true",
            help="commit the good rows and skip rejected ones (default: all or nothing)",
        )
        for option in CustomersImporter.option_names:
            parser.add_argument(
                "--" + option.replace("_", "-"),
                dest=option,
                metavar="NAME" if option.endswith("_column") else "VALUES",
                help=f"customers kind only: {option.replace('_', ' ')}",
            )
        parser.add_argument(
            "--report", metavar="FILE.csv", help="write every rejected row (line, reason) here"
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"rows per database batch (default {DEFAULT_BATCH_SIZE})",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        kind = opts["kind"]
        if kind not in IMPORTERS:
            raise CommandError(
                f"Unknown kind {kind!r}. Valid kinds: {', '.join(IMPORTERS)}.", returncode=2
            )
        if opts["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.", returncode=2)
        options = {name: opts[name] for name in CustomersImporter.option_names if opts.get(name)}
        try:
            report = import_file(
                kind=kind,
                path_or_file=opts["path"],
                options=options,
                partial=opts["partial"],
                progress=self._progress_printer(),
                batch_size=opts["batch_size"],
            )
        except ImportFileError as exc:
            raise CommandError(exc.message) from exc
        self._print_summary(report, opts["path"])
        if opts["report"]:
            self._write_rejected(report, opts["report"])
        if report.rejected and not report.committed:
            raise CommandError(
                f"{report.rows_rejected:,} row(s) rejected, so nothing was imported. "
                "Fix them, or run again with --partial to import the other rows."
            )

    def _progress_printer(self) -> Any:
        started = time.monotonic()
        last = [0.0]
        tty = self.stderr.isatty()
        every = PROGRESS_EVERY_SECONDS if tty else PROGRESS_EVERY_SECONDS_LOGGED

        def progress(done: int, total: int | None, message: str) -> None:
            now = time.monotonic()
            if now - started < PROGRESS_AFTER_SECONDS or now - last[0] < every:
                return
            last[0] = now
            self._progress_shown = True
            percent = f"{done * 100 / total:5.1f}% " if total else ""
            if tty:
                self.stderr.write(f"\r{percent}{message}   ", ending="")
                self.stderr.flush()
            else:
                self.stderr.write(f"{percent}{message}")

        return progress

    def _print_summary(self, report: ImportReport, path: str) -> None:
        if getattr(self, "_progress_shown", False) and self.stderr.isatty():
            self.stderr.write("")  # end the \r progress line
        state = "committed" if report.committed else "rolled back, nothing written"
        self.stdout.write(
            f"Import of {path} as {report.kind}: {state} ({report.duration_seconds:.1f} s)"
        )
        lines: list[tuple[str, int]] = [("rows read", report.rows_read)]
        lines += [(f"{model} created", n) for model, n in report.created.items()]
        lines += [(f"{model} updated", n) for model, n in report.updated.items()]
        lines += [(f"skipped: {reason}", n) for reason, n in report.skipped.items()]
        lines += list(report.notes.items())
        lines.append(("rows rejected", report.rows_rejected))
        width = max(len(label) for label, _ in lines)
        for label, count in lines:
            self.stdout.write(f"  {label:<{width}}  {count:>10,}")
        if report.rejected:
            self.stdout.write("")
            self.stdout.write("Rejected rows (line: reason):")
            for line, reason in report.rejected[:REJECTED_ON_SCREEN]:
                self.stdout.write(f"  {line}: {reason}")
            hidden = report.rows_rejected - REJECTED_ON_SCREEN
            if hidden > 0:
                self.stdout.write(f"  ... and {hidden:,} more (all of them with --report FILE.csv)")

    def _write_rejected(self, report: ImportReport, path: str) -> None:
        try:
            with open(path, "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["line", "reason"])
                writer.writerows(report.rejected)
        except OSError as exc:
            raise CommandError(f"Could not write the report to {path}: {exc.strerror}.") from exc
        self.stdout.write(f"Wrote {report.rows_rejected:,} rejected row(s) to {path}")
