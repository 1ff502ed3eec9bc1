"""crm.context_processors.navigation: the navbar's unread count is read only when a template shows it, once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db


def _notification_queries(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "crm_notification" in q["sql"]]


def test_a_page_with_the_navbar_counts_the_unread_notifications_once(client, officer):
    NotificationFactory.create_batch(2, recipient=officer)
    client.force_login(officer)
    with CaptureQueriesContext(connection) as captured:
        html = client.get(reverse("crm:account")).content.decode()
    # The base template reads the count three times (badge, its number, the bell's name): one query.
    assert 'data-testid="unread-count">2<' in html
    assert len(_notification_queries(captured)) == 1


def test_a_fragment_without_the_navbar_does_not_count_them(client, officer):
    NotificationFactory(recipient=officer)
    client.force_login(officer)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("crm:search-suggest"), {"q": "华新"})
    assert response.status_code == 200 and "unread-count" not in response.content.decode()
    assert _notification_queries(captured) == []
