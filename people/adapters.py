from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.utils.translation import get_language

from people.services import fill_new_user_defaults


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        fill_new_user_defaults(user=user, language=(get_language() or "fi")[:2])
        if commit:
            user.save()
        return user
