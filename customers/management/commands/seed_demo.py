import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from customers.demo import (
    DEFAULT_CUSTOMERS,
    DEFAULT_SEED,
    demo_data_delete,
    demo_data_exists,
    demo_data_seed,
)
from customers.models import ContentItem, Customer, Product

# Below this many customers the seed takes a second or two: progress lines would be noise.
PROGRESS_FROM_CUSTOMERS = 5000


class Command(BaseCommand):
    help = (
        "Fill the database with deterministic synthetic demo data: segments, 120 products, "
        "200 content items, customers with a learnable churn signal and their interactions."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--customers",
            type=int,
            default=DEFAULT_CUSTOMERS,
            help=f"How many customers to create (default {DEFAULT_CUSTOMERS}).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Random seed; the same seed gives the same data (default {DEFAULT_SEED}).",
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when customers already exist (safe to run on every start).",
        )
        mode.add_argument(
            "--reset",
            action="store_true",
            help="Delete existing demo rows first (imported data is kept).",
        )

    def handle(self, *args, customers: int, seed: int, if_empty: bool, reset: bool, **options):
        if customers < 1:
            raise CommandError("--customers must be at least 1.", returncode=2)

        if if_empty:
            existing = Customer.objects.count()
            if existing:
                self.stdout.write(
                    f"Skipped seeding demo data: {existing:,} customers already exist."
                )
                return
            # No customers, but a half-removed earlier demo may have left its catalogue.
            demo_data_delete()
        elif reset:
            if demo_data_exists():
                deleted = demo_data_delete()
                self.stdout.write(
                    "Deleted existing demo data: "
                    + ", ".join(
                        f"{count:,} {name.replace('_', ' ')}" for name, count in deleted.items()
                    )
                    + "."
                )
        else:
            counts = {
                "customers": Customer.objects.count(),
                "products": Product.objects.count(),
                "content items": ContentItem.objects.count(),
            }
            if any(counts.values()):
                found = ", ".join(f"{count:,} {name}" for name, count in counts.items() if count)
                raise CommandError(
                    f"The database already holds data ({found}). Use --reset to replace the "
                    "demo data, or --if-empty to leave existing data alone."
                )

        progress = None
        if customers >= PROGRESS_FROM_CUSTOMERS:
            started = time.monotonic()

            def progress(done: int, total: int) -> None:
                elapsed = time.monotonic() - started
                # Plain style: stderr defaults to the error colour, and this is not an error.
                self.stderr.write(
                    f"  {done:,}/{total:,} customers ({done / total:.0%}) after {elapsed:.0f} s",
                    style_func=str,
                )

        summary = demo_data_seed(customers=customers, seed=seed, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded demo data (seed {summary.seed}, history up to {summary.as_of}) "
                f"in {summary.seconds:.1f} s:"
            )
        )
        rows = [
            ("segments", summary.segments),
            ("customers", summary.customers),
            ("  churned", summary.churned),
            ("  retained", summary.retained),
            ("  outcome not known yet", summary.unknown),
            ("products", summary.products),
            ("content items", summary.content_items),
            ("interactions", summary.interactions),
        ]
        for label, count in rows:
            self.stdout.write(f"  {label:<24}{count:>12,}")
        self.stdout.write(f"  {'churn rate (labelled)':<24}{summary.churn_rate:>12.1%}")
