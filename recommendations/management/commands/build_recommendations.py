"""Rebuild the recommendation signals from the shell: the work the Celery task does."""

import time

from django.core.management.base import BaseCommand, CommandError

from recommendations import services
from recommendations.models import RebuildRun


class Command(BaseCommand):
    help = (
        "Embed the catalogue text that changed and rebuild the behavioural model from "
        "interactions, printing progress. Same work as the scheduled Celery rebuild."
    )

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            "--embeddings-only", action="store_true", help="only refresh the embeddings"
        )
        group.add_argument(
            "--behaviour-only", action="store_true", help="only rebuild the behavioural model"
        )

    def handle(self, *args, **options):
        run = services.rebuild_run_create(
            embeddings=not options["behaviour_only"],
            behaviour=not options["embeddings_only"],
            trigger=RebuildRun.Trigger.COMMAND,
            enqueue=False,
        )
        started = time.monotonic()
        last_printed: dict[str, float] = {}

        def progress(stage: str, done: int, total: int) -> None:
            now = time.monotonic()
            # A line per stage at most every second, and always the last one.
            if done < total and now - last_printed.get(stage, 0.0) < 1.0:
                return
            last_printed[stage] = now
            percent = 100.0 * done / total if total else 100.0
            self.stdout.write(
                f"[{now - started:6.1f}s] {stage}: {done:,}/{total:,} ({percent:.0f}%)"
            )

        self.stdout.write(f"Rebuild #{run.pk} started.")
        run = services.rebuild_run_execute(run_id=run.pk, progress=progress)
        if run.status != RebuildRun.Status.SUCCEEDED:
            raise CommandError(f"Rebuild #{run.pk} failed: {run.error}")
        if "embeddings" in run.report:
            e = run.report["embeddings"]
            self.stdout.write(
                f"Embeddings ({e['model']}): {e['embedded']:,} embedded, "
                f"{e['unchanged']:,} unchanged, {e['removed']:,} removed in {e['seconds']}s."
            )
        if "behaviour" in run.report:
            b = run.report["behaviour"]
            self.stdout.write(
                f"Behavioural model #{b['model_id']}: {b['interactions']:,} interactions, "
                f"{b['customers']:,} customers, {b['items']:,} items, "
                f"{b['neighbour_links']:,} neighbour links in {b['seconds']}s."
            )
        self.stdout.write(self.style.SUCCESS(f"Rebuild #{run.pk} done."))
