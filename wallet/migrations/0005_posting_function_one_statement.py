"""Re-creates wallet_post(): the lock, the counter updates and the entries in one statement (wallet/db.py)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from wallet.db import install_guards

    install_guards(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("wallet", "0004_posting_function_generic_plans")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
