import datetime as dt
import math

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from scoring import selectors, services
from scoring.models import TrainingRun


class Command(BaseCommand):
    help = (
        "Train a new churn model version on the labelled customers (holdout excluded), "
        "compare it with the active one and promote it when it is not worse."
    )

    def add_arguments(self, parser):
        defaults = services.search_settings()
        parser.add_argument(
            "--max-configs",
            type=int,
            help=f"hyper-parameter settings to try (default {defaults.max_configs})",
        )
        parser.add_argument(
            "--time-budget",
            type=float,
            help=f"seconds after which the search stops (default {defaults.time_budget_seconds:g})",
        )
        parser.add_argument(
            "--as-of", help="build features from data before this date (YYYY-MM-DD)"
        )
        parser.add_argument(
            "--no-promote", action="store_true", help="keep the new version a candidate"
        )
        parser.add_argument("--queue", action="store_true", help="queue it for a worker instead")
        parser.add_argument(
            "--if-no-active-model",
            action="store_true",
            help="do nothing when a model is already active (for first-run set-up scripts)",
        )

    def handle(self, *args, **options):
        if options["if_no_active_model"] and (active := selectors.churn_model_active()):
            self.stdout.write(f"Churn model v{active.version} is active; not training.")
            return
        run_options = {}
        if options["max_configs"] is not None:
            if options["max_configs"] < 1:
                raise CommandError("--max-configs must be at least 1.", returncode=2)
            run_options["max_configs"] = options["max_configs"]
        if options["time_budget"] is not None:
            if not (math.isfinite(options["time_budget"]) and options["time_budget"] > 0):
                raise CommandError("--time-budget must be more than 0 seconds.", returncode=2)
            run_options["time_budget_seconds"] = options["time_budget"]
        if options["no_promote"]:
            run_options["promote"] = False
        if options["as_of"]:
            try:
                day = dt.date.fromisoformat(options["as_of"])
            except ValueError:
                raise CommandError("--as-of must be a date like 2024-06-30", returncode=2) from None
            as_of = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
            run_options["as_of"] = as_of.isoformat()

        with transaction.atomic():
            run = services.training_run_create(
                trigger=TrainingRun.Trigger.COMMAND, options=run_options, enqueue=options["queue"]
            )
        if options["queue"]:
            self.stdout.write(f"Training run #{run.pk} queued.")
            return
        started = timezone.now()
        run = services.training_run_execute(run_id=run.pk)
        if run.status != TrainingRun.Status.SUCCEEDED:
            raise CommandError(run.error or f"Training run #{run.pk} ended {run.status}.")
        model = run.model
        cv = model.metrics["cv"]
        holdout = model.metrics["holdout"]

        def fmt(value):
            return "—" if value is None else f"{value:.4f}"

        self.stdout.write(
            f"Trained churn model v{model.version} ({model.status}) on {model.training_rows} "
            f"customers in {(timezone.now() - started).total_seconds():.1f}s."
        )
        self.stdout.write(f"{'':22}{'XGBoost':>10}{'LogReg':>10}")
        for key, label in (("roc_auc", "CV ROC-AUC"), ("brier", "CV Brier")):
            self.stdout.write(
                f"{label:22}{fmt(cv['model'].get(key)):>10}{fmt(cv['baseline'].get(key)):>10}"
            )
        self.stdout.write(
            f"{'Holdout ROC-AUC':22}{fmt(holdout['model'].get('roc_auc')):>10}"
            f"{fmt(holdout['baseline'].get('roc_auc')):>10}"
        )
        self.stdout.write(model.promotion_note)
