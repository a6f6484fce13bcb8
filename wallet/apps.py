from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WalletConfig(AppConfig):
    name = "wallet"
    verbose_name = _("Wallet and ledger")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from wallet import money
        from wallet.db import register_sqlite_functions

        money.register_currency()
        connection_created.connect(register_sqlite_functions, dispatch_uid="wallet_sqlite_functions")
