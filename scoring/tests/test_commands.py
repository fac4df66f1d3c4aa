import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from customers.models import Customer
from scoring.models import ChurnModel, ChurnScore, ScoringRun, TrainingRun

TELCO_FLAGS = [
    "--gender", "Female",
    "--senior_citizen", "0",
    "--partner", "Yes",
    "--dependents", "No",
    "--tenure", "2",
    "--phone_service", "Yes",
    "--multiple_lines", "Yes",
    "--internet_service", "Fiber", "optic",  # unquoted, as in the original README
    "--online_security", "No",
    "--online_backup", "Yes",
    "--device_protection", "No",
    "--tech_support", "No",
    "--streaming_tv", "Yes",
    "--streaming_movies", "No",
    "--contract", "Month-to-month",
    "--paperless_billing", "Yes",
    "--payment_method", "Electronic check",
    "--monthly_charges", "89.90",
]  # fmt: skip


def run(*args) -> str:
    out = StringIO()
    call_command("predict_churn", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def with_flag(flag: str, *values: str) -> list[str]:
    args = list(TELCO_FLAGS)
    i = args.index(flag)
    j = i + 1
    while j < len(args) and not args[j].startswith("--"):
        j += 1
    return [*args[:i], flag, *values, *args[j:]]


def test_predict_from_the_original_flags(trained_model):
    output = run(*TELCO_FLAGS)
    assert output.startswith("Churn probability: ")
    assert "risk), model v1" in output
    assert "Drivers:" in output
    assert "Contract = Month-to-month raises risk" in output


def test_predict_json(trained_model):
    payload = json.loads(run(*TELCO_FLAGS, "--json"))
    assert 0 < payload["probability"] < 1
    assert payload["risk_class"] in {"low", "medium", "high"}
    assert payload["model_version"] == 1
    assert payload["drivers"] and {"label", "value", "direction", "text"} <= set(
        payload["drivers"][0]
    )
    assert payload["warnings"] == []


def test_total_charges_default_is_monthly_times_tenure(trained_model):
    implicit = json.loads(run(*TELCO_FLAGS, "--json"))
    explicit = json.loads(run(*TELCO_FLAGS, "--total_charges", "179.80", "--json"))
    assert implicit["probability"] == explicit["probability"]


def test_values_are_matched_without_regard_to_case(trained_model):
    payload = json.loads(run(*with_flag("--contract", "month-to-month"), "--json"))
    assert payload["probability"] == json.loads(run(*TELCO_FLAGS, "--json"))["probability"]


def test_invalid_choice_lists_allowed_values_and_exits_2(trained_model):
    with pytest.raises(CommandError) as error:
        run(*with_flag("--contract", "Weekly"))
    assert error.value.returncode == 2
    assert "--contract: 'Weekly' is not an allowed value" in str(error.value)
    assert "Month-to-month, One year, Two year" in str(error.value)


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--tenure", "-3", "whole number of months"),
        ("--tenure", "2.5", "whole number of months"),
        ("--monthly_charges", "lots", "a number, 0 or more"),
        ("--senior_citizen", "2", "use 0 or 1"),
    ],
)
def test_invalid_numbers_exit_2(trained_model, flag, value, message):
    with pytest.raises(CommandError, match=message) as error:
        run(*with_flag(flag, value))
    assert error.value.returncode == 2


def test_missing_flags_exit_2(trained_model):
    with pytest.raises(CommandError, match="Missing values for --gender") as error:
        run("--tenure", "3")
    assert error.value.returncode == 2


def test_score_a_stored_customer(trained_model):
    customer = Customer.objects.first()
    payload = json.loads(run("--customer", customer.external_id, "--json"))
    assert 0 < payload["probability"] < 1
    with pytest.raises(CommandError, match="No customer with external id") as error:
        run("--customer", "NOPE")
    assert error.value.returncode == 2


def test_predict_without_model(db):
    with pytest.raises(CommandError, match="No churn model is active"):
        run(*TELCO_FLAGS)


def test_train_and_score_commands(customers):
    out = StringIO()
    call_command("train_churn", "--max-configs", "1", stdout=out)
    assert "Trained churn model v1 (active)" in out.getvalue()
    assert "CV ROC-AUC" in out.getvalue()
    assert ChurnModel.objects.count() == 1

    out = StringIO()
    call_command("score_churn", stdout=out)
    assert f"Scored {Customer.objects.count()} customers with model v1" in out.getvalue()
    assert ChurnScore.objects.count() == Customer.objects.count()


def test_train_if_no_active_model_trains_once(customers):
    call_command("train_churn", "--max-configs", "1", "--if-no-active-model", stdout=StringIO())
    assert ChurnModel.objects.count() == 1

    out = StringIO()
    call_command("train_churn", "--max-configs", "1", "--if-no-active-model", stdout=out)
    assert "Churn model v1 is active; not training." in out.getvalue()
    assert ChurnModel.objects.count() == 1


@pytest.mark.parametrize(
    ("command", "args", "message"),
    [
        ("train_churn", ["--max-configs", "0"], "--max-configs must be at least 1"),
        ("train_churn", ["--max-configs", "-2"], "--max-configs must be at least 1"),
        ("train_churn", ["--time-budget", "0"], "--time-budget must be more than 0 seconds"),
        ("train_churn", ["--time-budget", "nan"], "--time-budget must be more than 0 seconds"),
        ("train_churn", ["--time-budget", "inf"], "--time-budget must be more than 0 seconds"),
        ("score_churn", ["--chunk-size", "0"], "--chunk-size must be at least 1"),
        ("score_churn", ["--chunk-size", "-5"], "--chunk-size must be at least 1"),
    ],
)
def test_out_of_range_numbers_exit_2_and_change_nothing(trained_model, command, args, message):
    runs_before = TrainingRun.objects.count(), ScoringRun.objects.count()
    scores_before = ChurnScore.objects.count()
    with pytest.raises(CommandError, match=message) as error:
        call_command(command, *args, stdout=StringIO())
    assert error.value.returncode == 2
    assert (TrainingRun.objects.count(), ScoringRun.objects.count()) == runs_before
    assert ChurnScore.objects.count() == scores_before
    assert ChurnModel.objects.get(status=ChurnModel.Status.ACTIVE) == trained_model


def test_train_command_reports_bad_data(db):
    with pytest.raises(CommandError, match="No customer has a known churn label"):
        call_command("train_churn", stdout=StringIO())
