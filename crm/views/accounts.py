"""Account pages beyond Django's own: the log-out that says so."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.utils.translation import gettext_lazy as _


class LogoutView(auth_views.LogoutView):
    """Django's log-out (POST only) followed by a message on the log-in page: 您已安全退出."""

    def post(self, request, *args, **kwargs):
        was_signed_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_signed_in:  # added after the session was flushed, so it survives into the next page
            messages.success(request, _("You have been logged out safely."))
        return response
