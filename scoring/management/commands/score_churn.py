import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from scoring import services
from scoring.models import ScoringRun


class Command(BaseCommand):
    help = "Score every customer with the active churn model (chunked, bulk writes)."

    def add_arguments(self, parser):
        parser.add_argument("--chunk-size", type=int, help="customers per chunk")
        parser.add_argument("--queue", action="store_true", help="queue it for a worker instead")

    def handle(self, *args, **options):
        if options["chunk_size"] is not None and options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be at least 1.", returncode=2)
        with transaction.atomic():
            run = services.scoring_run_create(enqueue=options["queue"])
        if options["queue"]:
            self.stdout.write(f"Scoring run #{run.pk} queued.")
            return
        started = time.perf_counter()
        run = services.scoring_run_execute(run_id=run.pk, chunk_size=options["chunk_size"])
        if run.status != ScoringRun.Status.SUCCEEDED:
            raise CommandError(run.error or f"Scoring run #{run.pk} ended {run.status}.")
        self.stdout.write(
            f"Scored {run.customers_scored} customers with model v{run.model.version} in "
            f"{time.perf_counter() - started:.1f}s."
        )
        for label, values in sorted(run.unknown_categories.items()):
            shown = ", ".join(f"'{v}' ({n})" for v, n in sorted(values.items()))
            self.stdout.write(f"Unknown values of {label}, scored as missing: {shown}")
