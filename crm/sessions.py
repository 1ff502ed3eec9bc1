"""The session engine (``SESSION_ENGINE = "crm.sessions"``): Django's database sessions, read with a prepared query.

Every signed-in request reads its session row; Django's ``SessionStore`` builds and compiles
``Session.objects.get(session_key=…, expire_date__gt=now)`` each time (~0.3 ms of Python for a primary-key lookup).
Here the ORM's statement for the row of a key is compiled once (crm.prepared) and the expiry is compared on the
row read: the same rows are accepted and refused as before (an unknown or expired key starts an empty session),
and everything else (saving, rotating the key on login, logout, ``clearsessions``) is Django's unchanged.
"""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import router
from django.utils import timezone

from crm.prepared import Prepared

_SESSION_ROW = Prepared(
    lambda key: (
        SessionStore.get_model_class().objects.filter(session_key=key).values_list("session_data", "expire_date")
    ),
    "crm.sessions sample key",
)


class SessionStore(DatabaseSessionStore):
    """``django.contrib.sessions.backends.db.SessionStore`` whose ``load`` runs one prepared statement."""

    def load(self):
        rows = _SESSION_ROW(self.session_key, using=router.db_for_read(self.model))
        if not rows or rows[0][1] <= timezone.now():
            # As Django's store: an unknown or expired key is dropped, the session starts empty.
            self._session_key = None
            return {}
        return self.decode(rows[0][0])
