"""API tokens (DESIGN §8.3, §9.3): issued at login, valid for ``API_TOKEN_TTL``, revoked on request and
replaced whenever the password changes."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token


def token_is_expired(*, token: Token) -> bool:
    """True when the token was issued longer than ``API_TOKEN_TTL`` ago."""
    return token.created <= timezone.now() - settings.API_TOKEN_TTL


@transaction.atomic
def token_issue(*, user) -> Token:
    """The user's token; an expired one is replaced by a new key (one token per user)."""
    token, created = Token.objects.select_for_update().get_or_create(user=user)
    if not created and token_is_expired(token=token):
        token.delete()
        token = Token.objects.create(user=user)
    return token


def tokens_revoke(*, user) -> int:
    """End the user's API token(s) now; the number ended."""
    deleted, _per_model = Token.objects.filter(user=user).delete()
    return deleted


def tokens_rotate_on_password_change(sender, instance, **kwargs) -> None:
    """``post_save`` receiver of the user model: a new password ends the old token.

    ``AbstractBaseUser.set_password`` keeps the raw password in ``_password`` until the save after it, so a
    save that changed the password is recognised without a query (admin, password change, ``changepassword``).
    """
    if getattr(instance, "_password", None) is not None:
        tokens_revoke(user=instance)
