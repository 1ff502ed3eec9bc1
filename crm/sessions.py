"""The session engine (``SESSION_ENGINE = "crm.sessions"``): Django's database sessions, read with a prepared query.

Every signed-in request reads its session row; Django's ``SessionStore`` builds and compiles
``Session.objects.get(session_key=…, expire_date__gt=now)`` each time (~0.3 ms of Python for a primary-key lookup).
Here the ORM's statement for the row of a key is compiled once (crm.prepared) and the expiry is compared on the
row read: the same rows are accepted and refused as before (an unknown or expired key starts an empty session),
and everything else (saving, rotating the key on login, logout, ``clearsessions``) is Django's unchanged.

The signature of a session's data is checked once per process and data (``decode``): the same data comes back on
every request of a session until it is saved again, and checking it (a key derivation, an HMAC, base64 and zlib)
cost ~0.1 ms of CPU per request. The payload is parsed on every request, so each request gets its own dict.

``MessageStorage`` (``MESSAGE_STORAGE``): Django's messages in a cookie, then in the session, as before; its two
backends are made when a request first reads or adds a message, not on every request (an API request never does),
and the cookie's signer is made once per process and signing keys, not per request (``import_string`` of
``SIGNING_BACKEND`` and a ``Signer``: ~30-50 µs of CPU).
"""

from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core import signing
from django.core.signals import setting_changed
from django.db import router
from django.dispatch import receiver
from django.utils import timezone
from django.utils.functional import cached_property

from crm.prepared import Prepared

_SESSION_ROW = Prepared(
    lambda key: (
        SessionStore.get_model_class().objects.filter(session_key=key).values_list("session_data", "expire_date")
    ),
    "crm.sessions sample key",
    plan_once=True,
)


# Session data whose signature was good -> its payload (the serializer's bytes). Emptied when full, and when the
# signing keys change (tests).
_CHECKED: dict[str, bytes] = {}
CHECKED_LIMIT = 10_000


# The messages cookie's signer (salt -> Signer): it keeps the keys it was made with, so it is forgotten with them.
_COOKIE_SIGNERS: dict[str, signing.Signer] = {}


@receiver(setting_changed)
def _checked_forget(*, setting, **kwargs):
    if setting in ("SECRET_KEY", "SECRET_KEY_FALLBACKS", "SIGNING_BACKEND"):
        _CHECKED.clear()
        _COOKIE_SIGNERS.clear()


class _Payload:
    # A "serializer" for ``signing.loads`` that answers the checked payload as it is.
    def loads(self, data: bytes) -> bytes:
        return data


class SessionStore(DatabaseSessionStore):
    """``django.contrib.sessions.backends.db.SessionStore`` whose ``load`` runs one prepared statement and whose
    ``decode`` checks a data's signature once per process."""

    def decode(self, session_data):
        payload = _CHECKED.get(session_data)
        if payload is None:
            try:
                payload = signing.loads(session_data, salt=self.key_salt, serializer=_Payload)
            except Exception:
                return super().decode(session_data)  # Django's answer to bad data: an empty session (and a warning)
            if len(_CHECKED) >= CHECKED_LIMIT:
                _CHECKED.clear()
            _CHECKED[session_data] = payload
        try:
            return self.serializer().loads(payload)
        except Exception:
            return {}  # as Django's ``decode``

    def load(self):
        rows = _SESSION_ROW(self.session_key, using=router.db_for_read(self.model))
        if not rows or rows[0][1] <= timezone.now():
            # As Django's store: an unknown or expired key is dropped, the session starts empty.
            self._session_key = None
            return {}
        return self.decode(rows[0][0])


class _SignedOnceCookieStorage(CookieStorage):
    """Django's ``CookieStorage`` with the process's signer (a ``Signer`` holds its keys and salt, nothing of a
    request)."""

    def __init__(self, request, *args, **kwargs):
        # BaseStorage's __init__ (CookieStorage's only adds the signer).
        super(CookieStorage, self).__init__(request, *args, **kwargs)
        signer = _COOKIE_SIGNERS.get(self.key_salt)
        if signer is None:
            signer = signing.get_cookie_signer(salt=self.key_salt)
            # Django passes the fallback keys as a map, read up by the signer's first unsign: kept as a tuple.
            signer.fallback_keys = tuple(signer.fallback_keys)
            _COOKIE_SIGNERS[self.key_salt] = signer
        self.signer = signer


class MessageStorage(FallbackStorage):
    """``django.contrib.messages.storage.fallback.FallbackStorage`` whose backends are made at their first use
    (reading, adding or storing messages)."""

    storage_classes = (_SignedOnceCookieStorage, *FallbackStorage.storage_classes[1:])

    def __init__(self, request, *args, **kwargs):
        # BaseStorage's __init__; FallbackStorage's makes the backends, here ``storages``.
        super(FallbackStorage, self).__init__(request, *args, **kwargs)
        self._backend_args = (request, *args), kwargs
        self._used_storages = set()

    @cached_property
    def storages(self):
        args, kwargs = self._backend_args
        return [storage_class(*args, **kwargs) for storage_class in self.storage_classes]
