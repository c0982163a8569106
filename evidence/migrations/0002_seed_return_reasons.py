"""Common return reasons the office picks from; editable afterwards as data."""

from django.db import migrations

from evidence.choices import DEFAULT_RETURN_REASONS


def seed(apps, schema_editor):
    ReturnReason = apps.get_model("evidence", "ReturnReason")
    for order, text in enumerate(DEFAULT_RETURN_REASONS, start=1):
        ReturnReason.objects.get_or_create(text=text, defaults={"order": order})


class Migration(migrations.Migration):
    dependencies = [("evidence", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
