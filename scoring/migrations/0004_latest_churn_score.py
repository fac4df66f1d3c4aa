"""Each customer's latest churn score as a table of its own (``LatestChurnScore``).

Filled here from the scores already stored (the latest per customer, by ``scored_at`` then
id), after which the scoring services keep it current. The covering index of 0003 stays:
the dashboard's daily trend reads it instead of the whole score table.
"""

import django.db.models.deletion
from django.db import migrations, models


def backfill(apps, schema_editor):
    """Insert the latest score of every customer that has one and no row yet."""
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    scores = quote(apps.get_model("scoring", "ChurnScore")._meta.db_table)
    latest = quote(apps.get_model("scoring", "LatestChurnScore")._meta.db_table)
    columns = "customer_id, id, model_id, probability, risk_class, scored_at"
    if connection.vendor == "postgresql":
        newest = f"""
            SELECT DISTINCT ON (customer_id) {columns} FROM {scores}
            ORDER BY customer_id, scored_at DESC, id DESC
        """
    else:
        newest = f"""
            SELECT {columns} FROM (
                SELECT {columns}, ROW_NUMBER() OVER (
                    PARTITION BY customer_id ORDER BY scored_at DESC, id DESC) AS rn
                FROM {scores}
            ) ranked WHERE rn = 1
        """
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {latest}
                (customer_id, score_id, model_id, probability, risk_class, scored_at)
            SELECT {columns} FROM ({newest}) newest
            WHERE customer_id NOT IN (SELECT customer_id FROM {latest})
            """
        )


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_interaction_lean_indexes"),
        ("scoring", "0003_churnscore_latest_covering_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="LatestChurnScore",
            fields=[
                (
                    "customer",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="latest_churn_score",
                        serialize=False,
                        to="customers.customer",
                    ),
                ),
                ("probability", models.FloatField()),
                (
                    "risk_class",
                    models.CharField(
                        choices=[("low", "Low"), ("medium", "Medium"), ("high", "High")],
                        max_length=8,
                    ),
                ),
                ("scored_at", models.DateTimeField()),
                (
                    "model",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="scoring.churnmodel",
                    ),
                ),
                (
                    "score",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="scoring.churnscore",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["probability", "customer"], name="latestscore_probability"
                    ),
                    models.Index(
                        fields=["risk_class", "probability", "customer"],
                        name="latestscore_risk",
                    ),
                ],
            },
        ),
        # Reversing drops the table, and the rows with it: nothing to undo.
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
