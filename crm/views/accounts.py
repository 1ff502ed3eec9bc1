"""Account pages beyond Django's own: the log-out that says so and forgets the user's drafts."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.utils.translation import gettext_lazy as _

DRAFTS_CLEAR_COOKIE = "crm_drafts_clear"
"""Set by an explicit log-out to the user's id: crm/static/crm/forms.js then deletes that user's drafts from the
browser's localStorage on the next page (and the cookie with them)."""


class LogoutView(auth_views.LogoutView):
    """Django's log-out (POST only) followed by a message on the log-in page: 您已安全退出.

    An explicit log-out also removes the user's form drafts (forms.js) on the next page, so a shared phone keeps
    no enterprise data; a session that merely expired keeps them, which is what drafts are for. The browser does
    the removal only after the server logged the user out, so a log-out cancelled at the unsaved-changes prompt
    loses nothing."""

    def post(self, request, *args, **kwargs):
        user_pk = request.user.pk if request.user.is_authenticated else None
        response = super().post(request, *args, **kwargs)
        if user_pk is not None:  # added after the session was flushed, so it survives into the next page
            messages.success(request, _("You have been logged out safely."))
            response.set_cookie(
                DRAFTS_CLEAR_COOKIE,
                str(user_pk),
                max_age=600,  # read by the very next page; a browser without JavaScript drops it soon
                secure=settings.SESSION_COOKIE_SECURE,
                samesite="Lax",
            )
        return response
