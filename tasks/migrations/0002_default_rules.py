"""Installs the default categories, market-protection rules and task policy (see tasks/defaults.py)."""

from django.db import migrations


def install_defaults(apps, schema_editor):
    from tasks.defaults import install

    install(
        Category=apps.get_model("tasks", "Category"),
        MarketRule=apps.get_model("tasks", "MarketRule"),
        TaskPolicy=apps.get_model("tasks", "TaskPolicy"),
    )


class Migration(migrations.Migration):
    dependencies = [("tasks", "0001_initial")]

    operations = [migrations.RunPython(install_defaults, migrations.RunPython.noop)]
