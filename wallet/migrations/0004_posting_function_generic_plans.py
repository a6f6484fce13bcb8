"""Re-creates wallet_post() with plan_cache_mode = force_generic_plan (see wallet/db.py)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from wallet.db import install_guards

    install_guards(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("wallet", "0003_fewer_indexes")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
