"""The log-out (crm/views/accounts.py): an explicit log-out tells the browser to remove the user's drafts."""

import pytest
from django.urls import reverse

from crm.views.accounts import DRAFTS_CLEAR_COOKIE

pytestmark = pytest.mark.django_db


def test_log_out_names_the_user_whose_drafts_the_browser_removes(client, officer):
    client.force_login(officer)
    response = client.post(reverse("logout"))
    cookie = response.cookies[DRAFTS_CLEAR_COOKIE]
    assert cookie.value == str(officer.pk)
    assert cookie["path"] == "/" and cookie["samesite"] == "Lax" and not cookie["httponly"]  # forms.js reads it
    assert 0 < int(cookie["max-age"]) <= 600


def test_log_out_without_a_session_removes_no_drafts(client):
    # An expired session is not a log-out: its drafts wait for the next log-in.
    response = client.post(reverse("logout"))
    assert DRAFTS_CLEAR_COOKIE not in response.cookies
