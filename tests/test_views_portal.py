"""The page /e/<token>/ (企业服务码, DESIGN §11.5) and the staff's link pages: one enterprise per token, the same
404 for every token that opens nothing, a throttle per token, CSRF, nothing internal on the page."""

import datetime as dt
import re
from unittest import mock

import pytest
import segno
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.choices import MatchStatus, NeedEventKind, NeedStatus, Satisfaction
from crm.models import EnterpriseAccess, Need, NeedAttachment
from crm.services.needs import need_answer, need_create, need_event_add
from crm.services.portal import access_link_create, access_link_revoke, access_qr_svg, portal_need_rate
from tests.factories import ContactFactory, PolicyFactory, PolicyMatchFactory, VisitFactory

pytestmark = pytest.mark.usefixtures("media_root")

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


def home(token: str) -> str:
    return reverse("crm:portal-home", args=[token])


def _answered(need, handler, lead_department, resolution="已协调专项资金"):
    Need.objects.filter(pk=need.pk).update(
        status=NeedStatus.IN_PROGRESS, handler=handler, lead_department=lead_department
    )
    need.refresh_from_db()
    return need_answer(need=need, user=handler, version=need.version, resolution=resolution)


def test_the_page_shows_the_enterprise_in_chinese_without_staff_navigation(client, portal_link, need):
    _, token = portal_link
    response = client.get(home(token))
    assert response.status_code == 200
    page = response.content.decode()
    assert "淮安清源食品科技有限公司" in page and "企业服务页" in page
    assert need.title in page
    assert 'id="main-nav"' not in page and "/accounts/logout/" not in page
    assert response["Referrer-Policy"] == "same-origin"  # no-referrer would make form posts Origin: null


def test_invalid_expired_and_revoked_tokens_answer_the_same_404(client, portal_link, officer, portal_contact):
    access, token = portal_link
    expired, expired_token = access_link_create(user=officer, contact=portal_contact)
    EnterpriseAccess.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    access_link_revoke(user=officer, access=access)
    answers = [client.get(home(t)) for t in (token, expired_token, "random-token-" + "x" * 30, "a")]
    assert {r.status_code for r in answers} == {404}
    assert len({r.content for r in answers}) == 1
    assert "淮安清源" not in answers[0].content.decode()


def test_a_token_reaches_one_enterprise_only(client, portal_link, county_enterprise, county_officer, county_manager):
    access, token = portal_link
    other = need_create(user=county_officer, enterprise=county_enterprise, category="funding", title="别家的秘密诉求")
    Need.objects.filter(pk=other.pk).update(status=NeedStatus.ANSWERED)
    page = client.get(home(token)).content.decode()
    assert "别家的秘密诉求" not in page and county_enterprise.name not in page
    response = client.post(
        reverse("crm:portal-need-rate", args=[token, other.pk]),
        {f"rate{other.pk}-version": other.version, f"rate{other.pk}-satisfaction": Satisfaction.UNSATISFIED},
    )
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.status == NeedStatus.ANSWERED and other.satisfaction == ""
    foreign = PolicyMatchFactory(policy=PolicyFactory(), enterprise=county_enterprise, status=MatchStatus.PUSHED)
    response = client.post(reverse("crm:portal-match-answer", args=[token, foreign.pk]), {"decision": "applying"})
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == MatchStatus.PUSHED


def test_notes_instructions_and_staff_names_never_show(
    client, portal_link, need, handler, lead_department, leader, manager
):
    _, token = portal_link
    need_event_add(need=need, user=manager, kind=NeedEventKind.NOTE, text="内部备注：企业账目有问题")
    need_event_add(need=need, user=leader, kind=NeedEventKind.INSTRUCTION, text="局长批示：优先办理")
    need = _answered(need, handler, lead_department)
    page = client.get(home(token)).content.decode()
    assert "内部备注" not in page and "局长批示" not in page
    for user in (handler, manager, leader):
        assert user.username not in page
        if user.get_full_name():
            assert user.get_full_name() not in page
    assert lead_department.name in page  # the handler's department is shown
    assert "已协调专项资金" in page  # the answer is


def test_raising_a_need_with_a_photo(client, portal_link, manager):
    access, token = portal_link
    photo = SimpleUploadedFile("现场.jpg", JPEG, content_type="image/jpeg")
    response = client.post(
        reverse("crm:portal-need-create", args=[token]),
        {"category": "funding", "title": "申请中试基地补助", "description": "需要资金", "attachments": [photo]},
    )
    assert response.status_code == 302
    need = Need.objects.get(title="申请中试基地补助")
    assert need.source == "platform" and need.events.get().contact == access.contact
    assert NeedAttachment.objects.filter(need=need).count() == 1
    # Staff see it with its photo and the contact on the timeline.
    client.force_login(manager)
    detail = client.get(reverse("crm:need-detail", args=[need.pk])).content.decode()
    assert "王经理" in detail and "现场.jpg" in detail
    attachment = NeedAttachment.objects.get(need=need)
    file = client.get(reverse("crm:need-attachment", args=[need.pk, attachment.pk]))
    assert file.status_code == 200 and file["Content-Type"] == "image/jpeg"


def test_a_fake_photo_is_refused_and_nothing_written(client, portal_link):
    _, token = portal_link
    fake = SimpleUploadedFile("photo.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    response = client.post(
        reverse("crm:portal-need-create", args=[token]), {"category": "funding", "title": "x", "attachments": [fake]}
    )
    assert response.status_code == 400
    assert not Need.objects.exists()


def test_rating_unsatisfied_sends_the_need_back(client, portal_link, need, handler, lead_department):
    _, token = portal_link
    need = _answered(need, handler, lead_department)
    page = client.get(home(token)).content.decode()
    assert f'action="{reverse("crm:portal-need-rate", args=[token, need.pk])}"' in page
    assert f'type="radio" name="rate{need.pk}-satisfaction" value="unsatisfied"' in page
    response = client.post(
        reverse("crm:portal-need-rate", args=[token, need.pk]),
        {
            f"rate{need.pk}-version": need.version,
            f"rate{need.pk}-satisfaction": "unsatisfied",
            f"rate{need.pk}-text": "没解决",
        },
    )
    assert response.status_code == 302
    need.refresh_from_db()
    assert (need.status, need.rated_by_enterprise) == (NeedStatus.IN_PROGRESS, True)


def test_pushed_policies_and_the_self_check(client, portal_link, enterprise):
    _, token = portal_link
    pushed = PolicyMatchFactory(
        policy=PolicyFactory(title="推送给我们的政策"), enterprise=enterprise, status=MatchStatus.PUSHED
    )
    PolicyFactory(title="人人可申报的政策", apply_until=timezone.localdate() + dt.timedelta(days=30))
    page = client.get(home(token)).content.decode()
    assert "推送给我们的政策" in page and "有意申报" in page and "暂不需要" in page
    assert "人人可申报的政策" in page and 'data-passed="true"' in page
    response = client.post(reverse("crm:portal-match-answer", args=[token, pushed.pk]), {"decision": "applying"})
    assert response.status_code == 302
    pushed.refresh_from_db()
    assert pushed.status == MatchStatus.APPLYING


def test_the_page_is_throttled_per_token(client, settings, portal_link):
    settings.CRM_PORTAL_RATE = 2
    _, token = portal_link
    # The count is kept per calendar minute: three requests straddling a minute's end counted 2 + 1 (seen in CI).
    with mock.patch.object(timezone, "now", return_value=timezone.now()):
        assert [client.get(home(token)).status_code for _ in range(3)] == [200, 200, 429]


def test_forms_need_csrf(portal_link):
    _, token = portal_link
    strict = Client(enforce_csrf_checks=True)
    page = strict.get(home(token)).content.decode()
    assert page.count("csrfmiddlewaretoken") >= 1
    response = strict.post(reverse("crm:portal-need-create", args=[token]), {"category": "funding", "title": "x"})
    assert response.status_code == 403
    assert not Need.objects.exists()


# ---------------------------------------------------------------------------------------------- staff pages


def test_a_new_link_is_shown_once_and_the_list_shows_no_token(client, officer, portal_contact):
    client.force_login(officer)
    response = client.post(reverse("crm:contact-access-link-create", args=[portal_contact.pk]))
    page = response.content.decode()
    url = re.search(r'value="([^"]+)" id="access-link-url"', page).group(1)
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert "<svg" in page
    listing = client.get(reverse("crm:contact-access-links", args=[portal_contact.pk])).content.decode()
    access = EnterpriseAccess.objects.get()
    assert token not in listing and access.token_hash not in listing
    assert Client().get(home(token)).status_code == 200


def test_staff_out_of_scope_get_404(client, county_officer, portal_link):
    access, _ = portal_link
    client.force_login(county_officer)
    assert client.get(reverse("crm:contact-access-links", args=[access.contact_id])).status_code == 404
    assert client.post(reverse("crm:contact-access-link-create", args=[access.contact_id])).status_code == 404
    assert client.post(reverse("crm:access-link-revoke", args=[access.pk])).status_code == 404


def test_the_printed_record_carries_the_qr_code_of_its_link(client, officer, enterprise, portal_contact):
    visit = VisitFactory(enterprise=enterprise)
    client.force_login(officer)
    token = "PrintedToken_" + "A" * 30
    with mock.patch("crm.services.portal.secrets.token_urlsafe", return_value=token):
        response = client.post(reverse("crm:visit-print", args=[visit.pk]))
    page = response.content.decode()
    assert "no-store" in response["Cache-Control"]  # the token is on this page only
    access = EnterpriseAccess.objects.get(contact=portal_contact)
    assert access.printed and 'id="portal-qr"' in page and portal_contact.name in page
    url = f"http://testserver{home(token)}"
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    # The SVG is segno's code of exactly that URL (segno cannot decode; the matrix of the URL is compared).
    assert svg == access_qr_svg(url=url)
    assert svg != access_qr_svg(url=url.replace("A", "B"))
    assert segno.make(url, error="m", micro=False).designator  # a regular QR code, scannable by any phone
    assert Client().get(home(token)).status_code == 200


def test_the_dashboard_separates_the_enterprises_own_ratings(
    client, manager, portal_link, need, handler, lead_department
):
    access, _ = portal_link
    need = _answered(need, handler, lead_department)
    portal_need_rate(access=access, need=need.pk, version=need.version, satisfaction=Satisfaction.SATISFIED)
    ContactFactory(enterprise=need.enterprise)
    client.force_login(manager)
    page = client.get(reverse("crm:dashboard")).content.decode()
    split = re.search(r'data-kpi="satisfaction-split">(.*?)</div>', page, re.S).group(1)
    assert "100%" in split and "(1)" in split and "(0)" in split  # one rating, the enterprise's own, none by staff


def test_opening_the_printed_record_makes_no_link_and_print_service_code_makes_one(
    client, officer, enterprise, portal_contact
):
    visit = VisitFactory(enterprise=enterprise)
    client.force_login(officer)
    url = reverse("crm:visit-print", args=[visit.pk])
    for _ in range(2):
        page = client.get(url).content.decode()
        assert 'id="portal-qr"' not in page and 'id="print-code"' in page
    assert not EnterpriseAccess.objects.exists()
    detail = client.get(reverse("crm:visit-detail", args=[visit.pk])).content.decode()
    assert 'id="visit-print-code"' in detail and f'action="{url}"' in detail
    assert not EnterpriseAccess.objects.exists()
    page = client.post(url).content.decode()
    access = EnterpriseAccess.objects.get()
    assert access.printed and access.contact == portal_contact and access.created_by == officer
    assert 'id="portal-qr"' in page and 'id="print-code"' not in page
    client.get(url)
    assert EnterpriseAccess.objects.count() == 1


def test_print_service_code_for_who_may_not_or_without_a_contact(client, leader, officer, county_officer, enterprise):
    visit = VisitFactory(enterprise=enterprise)
    url = reverse("crm:visit-print", args=[visit.pk])
    client.force_login(officer)
    page = client.post(url).content.decode()  # no contact yet: a message on the page, nothing made
    assert 'id="print-code-error"' in page and 'id="portal-qr"' not in page
    ContactFactory(enterprise=enterprise, is_primary=True)
    client.force_login(leader)
    assert 'id="print-code"' not in client.get(url).content.decode()
    assert 'id="visit-print-code"' not in client.get(reverse("crm:visit-detail", args=[visit.pk])).content.decode()
    assert client.post(url).status_code == 403
    client.force_login(county_officer)
    assert client.post(url).status_code == 404
    assert not EnterpriseAccess.objects.exists()
