"""The unit kinds every county has; more can be added as data."""

from django.db import migrations

from units.choices import DEFAULT_UNIT_KINDS


def seed(apps, schema_editor):
    UnitKind = apps.get_model("units", "UnitKind")
    for order, (code, name, is_township) in enumerate(DEFAULT_UNIT_KINDS, start=1):
        UnitKind.objects.get_or_create(code=code, defaults={"name": name, "order": order, "is_township": is_township})


class Migration(migrations.Migration):
    dependencies = [("units", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
