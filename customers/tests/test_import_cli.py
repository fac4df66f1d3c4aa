import csv
import io

import pytest
from django.core.management import CommandError, call_command

from customers.models import Customer, Product
from customers.tests.test_import_support import (
    SAMPLES,
    counts,
    csv_bytes,
    make_existing,
    write_file,
)


@pytest.fixture
def existing(db):
    return make_existing()


def import_data(*args, **kwargs):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_data", *[str(arg) for arg in args], stdout=out, stderr=err, **kwargs)
    return out.getvalue(), err.getvalue()


def test_imports_and_prints_a_summary(existing, tmp_path):
    path = write_file(tmp_path / "p.csv", SAMPLES["products"].data())
    out, _ = import_data("products", path)
    assert f"Import of {path} as products: committed" in out
    assert "rows read" in out
    assert "products created           1" in out
    assert "products updated           1" in out
    assert Product.objects.filter(sku="NEW-1").exists()


def test_customers_mapping_options(existing, tmp_path):
    path = write_file(tmp_path / "c.csv", b"Number,Who,Left\r\nN1,Ann,lost\r\nN2,Bob,stayed\r\n")
    import_data(
        "customers",
        path,
        "--id-column",
        "Number",
        "--name-column",
        "Who",
        "--label-column",
        "Left",
        "--label-positive",
        "lost",
    )
    assert Customer.objects.get(external_id="N1").churned is True
    assert Customer.objects.get(external_id="N2").churned is False
    assert Customer.objects.get(external_id="N2").name == "Bob"


def test_unknown_kind_lists_the_valid_kinds_and_exits_2(db, tmp_path):
    with pytest.raises(
        CommandError, match=r"Unknown kind 'people'\. Valid kinds: telco, customers"
    ) as error:
        import_data("people", tmp_path / "x.csv")
    assert error.value.returncode == 2


def test_file_error_is_a_command_error_and_writes_nothing(existing, tmp_path):
    before = counts()
    with pytest.raises(CommandError, match="The file is empty"):
        import_data("products", write_file(tmp_path / "e.csv", b""))
    with pytest.raises(CommandError, match="There is no file"):
        import_data("products", tmp_path / "missing.csv")
    assert counts() == before


def test_rejected_rows_fail_the_command_and_go_to_the_report(existing, tmp_path):
    rows = [{"sku": f"S{i}", "name": f"P{i}", "price": "bad"} for i in range(60)]
    path = write_file(tmp_path / "p.csv", csv_bytes(["sku", "name", "price"], rows))
    report_path = tmp_path / "rejected.csv"
    before = counts()
    out = io.StringIO()

    with pytest.raises(CommandError, match="60 row\\(s\\) rejected, so nothing was imported"):
        call_command("import_data", "products", str(path), "--report", str(report_path), stdout=out)

    printed = out.getvalue()
    assert "rolled back, nothing written" in printed
    assert "  2: price: 'bad' is not a number" in printed
    assert "  51: price" in printed
    assert "  52: price" not in printed  # the first 50 only on screen...
    assert "... and 10 more" in printed
    with report_path.open(newline="") as handle:
        written = list(csv.reader(handle))
    assert written[0] == ["line", "reason"]
    assert len(written) == 61  # ...all of them in the report
    assert written[-1] == ["61", "price: 'bad' is not a number"]
    assert counts() == before


def test_partial_commits_and_succeeds(existing, tmp_path):
    data = b"sku,name,price\r\nOK,Fine,1\r\nBAD,Broken,x\r\n"
    out, _ = import_data("products", write_file(tmp_path / "p.csv", data), "--partial")
    assert "committed" in out
    assert "3: price: 'x' is not a number" in out
    assert Product.objects.filter(sku="OK").exists()


def test_option_for_the_wrong_kind(db, tmp_path):
    path = write_file(tmp_path / "p.csv", SAMPLES["products"].data())
    with pytest.raises(CommandError, match="do not apply to products files"):
        import_data("products", path, "--id-column", "sku")


def test_batch_size_must_be_positive(db, tmp_path):
    path = write_file(tmp_path / "p.csv", SAMPLES["products"].data())
    with pytest.raises(CommandError, match="--batch-size must be at least 1") as error:
        import_data("products", path, "--batch-size", "0")
    assert error.value.returncode == 2


def test_gzip_file_and_small_batches(existing, tmp_path):
    sample = SAMPLES["online_retail"]
    path = write_file(tmp_path / "retail.csv.gz", sample.data(), gz=True)
    out, _ = import_data("online_retail", path, "--batch-size", "2")
    assert "skipped: exact duplicate row" in out
    assert "cancellations imported as returns" in out


def test_progress_goes_to_stderr_for_long_imports(db, tmp_path, monkeypatch):
    from customers.management.commands import import_data as command

    monkeypatch.setattr(command, "PROGRESS_AFTER_SECONDS", 0)
    monkeypatch.setattr(command, "PROGRESS_EVERY_SECONDS_LOGGED", 0)
    rows = [{"sku": f"S{i}", "name": f"P{i}"} for i in range(3000)]
    path = write_file(tmp_path / "p.csv", csv_bytes(["sku", "name"], rows))

    out, err = import_data("products", path, "--batch-size", "1000")

    assert "1,000 rows read" in err
    assert "100.0% 3,000 rows read" in err
    assert "rows read" not in out.splitlines()[0]
