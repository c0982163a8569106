"""The five evaluation methods of DESIGN.md §2."""

from django.db import migrations

from indicators.choices import DEFAULT_EVALUATION_METHODS


def seed(apps, schema_editor):
    EvaluationMethod = apps.get_model("indicators", "EvaluationMethod")
    for order, (code, name) in enumerate(DEFAULT_EVALUATION_METHODS, start=1):
        EvaluationMethod.objects.get_or_create(code=code, defaults={"name": name, "order": order})


class Migration(migrations.Migration):
    dependencies = [("indicators", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
