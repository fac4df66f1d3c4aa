"""Score one customer from the command line.

With a model trained on the Telco data the flags are those of the original churn CLI; each
maps to the customer field or attribute the Telco import fills, so the customer goes
through exactly the feature code a stored customer does. ``--customer ID`` scores a stored
customer instead. Multi-word values may be quoted or not (``--contract Month-to-month``,
``--payment_method Electronic check``).
"""

import json

from django.core.management.base import BaseCommand, CommandError

from customers.models import Customer
from scoring import services
from scoring.features import ATTRIBUTE_PREFIX
from scoring.runtime import ModelUnavailable, active_model
from scoring.telco import OPTIONAL_FLAGS, TELCO_FLAGS, TELCO_MARKERS, allowed_values


class Command(BaseCommand):
    help = (
        "Score one customer with the active churn model: from the original Telco CLI flags, "
        "or a stored customer with --customer ID. Prints probability, risk class and drivers."
    )

    def add_arguments(self, parser):
        for flag, (_, kind, _) in TELCO_FLAGS.items():
            if kind == "choice":
                parser.add_argument(f"--{flag}", nargs="+", metavar="VALUE")
            else:
                parser.add_argument(f"--{flag}", metavar="NUMBER")
        parser.add_argument("--customer", metavar="ID", help="external id of a stored customer")
        parser.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args, **options):
        if options["customer"]:
            result = self._score_stored(options["customer"])
        else:
            result = self._score_flags(options)
        self._print(result, as_json=options["json"])

    def _score_stored(self, external_id: str) -> services.ScoreResult:
        customer = Customer.objects.filter(external_id=external_id).first()
        if customer is None:
            raise CommandError(f"No customer with external id {external_id!r}.", returncode=2)
        try:
            return services.customer_score(customer=customer)
        except services.ScoringError as exc:
            raise CommandError(str(exc)) from exc

    def _score_flags(self, options) -> services.ScoreResult:
        try:
            model = active_model()
        except ModelUnavailable as exc:
            raise CommandError(str(exc)) from exc
        columns = {c["name"]: c for c in model.spec["columns"]}
        known_names = set(columns) | set(model.spec.get("dropped", {}))
        if not TELCO_MARKERS & known_names:
            raise CommandError(
                f"The active model (v{model.version}) was not trained on Telco data, so the "
                "Telco flags do not apply to it; score a stored customer with --customer ID.",
                returncode=2,
            )
        missing = [
            f"--{flag}"
            for flag in TELCO_FLAGS
            if options.get(flag) is None and flag not in OPTIONAL_FLAGS
        ]
        if missing:
            raise CommandError(
                f"Missing value{'s' if len(missing) > 1 else ''} for {', '.join(missing)} "
                "(or give --customer ID).",
                returncode=2,
            )
        values = {flag: self._value(flag, options[flag], columns) for flag in TELCO_FLAGS}
        if values["total_charges"] is None:
            # As the original CLI did: what the customer has paid over their tenure so far.
            values["total_charges"] = round(values["monthly_charges"] * values["tenure"], 2)
        record = {"external_id": "cli", "attributes": {}}
        for flag, value in values.items():
            target = TELCO_FLAGS[flag][0]
            if target.startswith(ATTRIBUTE_PREFIX):
                record["attributes"][target[len(ATTRIBUTE_PREFIX) :]] = value
            else:
                record[target] = value
        try:
            return services.record_score(record=record)
        except services.ScoringError as exc:
            raise CommandError(str(exc)) from exc

    def _value(self, flag: str, raw, columns: dict):
        if raw is None:
            return None
        target, kind, fallback = TELCO_FLAGS[flag]
        text = " ".join(raw) if isinstance(raw, list) else str(raw).strip()
        if kind == "choice":
            allowed = allowed_values(columns.get(target), fallback)
            by_lower = {value.lower(): value for value in allowed}
            if text.lower() not in by_lower:
                raise CommandError(
                    f"--{flag}: {text!r} is not an allowed value; use one of: "
                    + ", ".join(allowed),
                    returncode=2,
                )
            return by_lower[text.lower()]
        if kind == "flag01":
            if text not in {"0", "1"}:
                raise CommandError(f"--{flag}: {text!r} is not allowed; use 0 or 1", returncode=2)
            return int(text)
        try:
            number = float(text)
        except ValueError:
            number = float("nan")
        if not number >= 0 or number == float("inf"):
            what = (
                "a whole number of months, 0 or more" if kind == "count" else "a number, 0 or more"
            )
            raise CommandError(f"--{flag}: {text!r} is not allowed; use {what}", returncode=2)
        if kind == "count":
            if not number.is_integer():
                raise CommandError(
                    f"--{flag}: {text!r} is not allowed; use a whole number of months", returncode=2
                )
            return int(number)
        return number

    def _print(self, result: services.ScoreResult, *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(
                json.dumps(
                    {
                        "probability": round(result.probability, 6),
                        "risk_class": result.risk_class,
                        "model_version": result.model_version,
                        "drivers": result.drivers,
                        "warnings": result.unknown_values,
                    }
                )
            )
            return
        self.stdout.write(
            f"Churn probability: {result.probability:.1%} ({result.risk_class} risk), "
            f"model v{result.model_version}"
        )
        if result.drivers:
            self.stdout.write("Drivers:")
            for driver in result.drivers:
                arrow = "+" if driver["direction"] == "raises" else "-"
                self.stdout.write(f"  {arrow} {driver['text']}")
        for warning in result.unknown_values:
            self.stderr.write(f"Warning: {warning}")
