"""Append-only triggers on transactions and entries (SQLite and PostgreSQL), and on PostgreSQL the
wallet_post() function that makes one posting one round trip (see wallet/db.py)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from wallet.db import install_guards

    install_guards(schema_editor)


def backwards(apps, schema_editor):
    from wallet.db import remove_guards

    remove_guards(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("wallet", "0001_ledger")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
