"""The enterprise's own page (企业服务码, DESIGN §11.5): links, and what an enterprise does through one, through the
very services staff use (need_create, need_return_visit, policy_match_update_status) with the contact as actor."""

import datetime as dt
import hashlib
import io
import json
from unittest import mock

import pytest
import segno
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from crm.choices import MatchStatus, NeedCategory, NeedEventKind, NeedSource, NeedStatus, Satisfaction
from crm.models import EnterpriseAccess, Need, NeedAttachment, NeedEvent
from crm.selectors.needs import needs_mine
from crm.services.errors import TransitionForbidden
from crm.services.needs import need_answer, need_create, need_return_visit
from crm.services.policies import policy_push
from crm.services.portal import (
    access_link_create,
    access_link_for_print,
    access_link_revoke,
    access_link_send,
    access_print_may,
    access_qr_svg,
    access_resolve,
    access_throttle_hit,
    portal_match_answer,
    portal_need_create,
    portal_need_rate,
)
from crm.sms import ConsoleBackend, HttpGatewayBackend, SmsError, sms_send
from tests.factories import ContactFactory, PolicyFactory, PolicyMatchFactory

pytestmark = pytest.mark.usefixtures("media_root", "english")

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


def _answered(need, handler, lead_department):
    Need.objects.filter(pk=need.pk).update(
        status=NeedStatus.IN_PROGRESS, handler=handler, lead_department=lead_department
    )
    need.refresh_from_db()
    return need_answer(need=need, user=handler, version=need.version, resolution="已协调资金 50 万元")


# ---------------------------------------------------------------------------------------------- links


def test_a_link_keeps_only_the_hash_of_a_256_bit_token(portal_link):
    access, token = portal_link
    assert len(token) >= 43  # token_urlsafe(32): 256 bits (the brief asks ≥ 128)
    stored = EnterpriseAccess.objects.get(pk=access.pk)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps(list(EnterpriseAccess.objects.values()), default=str)
    assert dt.timedelta(days=179) < stored.expires_at - timezone.now() <= dt.timedelta(days=180)
    assert access_resolve(token=token) == access


def test_only_live_links_resolve(portal_link, officer):
    access, token = portal_link
    EnterpriseAccess.objects.filter(pk=access.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert access_resolve(token=token) is None
    EnterpriseAccess.objects.filter(pk=access.pk).update(expires_at=timezone.now() + dt.timedelta(days=1))
    assert access_resolve(token=token) is not None
    access_link_revoke(user=officer, access=access)
    assert access_resolve(token=token) is None
    assert access_resolve(token="x" * 43) is None
    assert access_resolve(token="") is None


def test_resolving_records_the_last_use(portal_link):
    access, token = portal_link
    assert access.last_used_at is None
    access_resolve(token=token)
    access.refresh_from_db()
    assert access.last_used_at is not None


def test_staff_out_of_scope_or_leaders_make_no_links(portal_contact, county_officer, leader):
    for user in (county_officer, leader):
        with pytest.raises(PermissionDenied):
            access_link_create(user=user, contact=portal_contact)
    assert not EnterpriseAccess.objects.exists()


def test_revoking_twice_keeps_the_first_revocation(portal_link, officer, manager):
    access, _ = portal_link
    first = access_link_revoke(user=officer, access=access).revoked_at
    assert access_link_revoke(user=manager, access=access).revoked_at == first


def test_the_throttle_counts_per_token_in_the_cache(settings, portal_link):
    settings.CRM_PORTAL_RATE = 3
    _, token = portal_link
    assert [access_throttle_hit(token=token) for _ in range(4)] == [True, True, True, False]
    assert access_throttle_hit(token="another-token")


# ---------------------------------------------------------------------------------------------- raising a need


def test_a_raised_need_goes_through_need_create(portal_link, manager, django_capture_on_commit_callbacks):
    access, _ = portal_link
    photo = SimpleUploadedFile("现场.jpg", JPEG, content_type="image/jpeg")
    need = portal_need_create(
        access=access, category=NeedCategory.FUNDING, title="申请研发补助", description="详情", attachments=[photo]
    )
    assert need.source == NeedSource.PLATFORM
    assert need.status == NeedStatus.NEW
    assert need.enterprise == access.contact.enterprise
    assert need.bureau == access.contact.enterprise.bureau
    assert need.created_by is None
    # The clock starts as for any need (DESIGN §11.4).
    assert need.accept_due_on and need.due_on and need.original_due_on == need.due_on
    event = need.events.get()
    assert (event.kind, event.author, event.contact) == (NeedEventKind.STATUS, None, access.contact)
    attachment = NeedAttachment.objects.get(need=need)
    assert (attachment.content_type, attachment.contact) == ("image/jpeg", access.contact)
    # It waits in the managers' inbox (待受理) like any new need.
    assert need in needs_mine(user=manager)


def test_a_bad_attachment_writes_nothing(portal_link):
    access, _ = portal_link
    fake = SimpleUploadedFile("photo.jpg", b"<html>not a photo</html>", content_type="image/jpeg")
    with pytest.raises(ValidationError) as error:
        portal_need_create(access=access, category=NeedCategory.FUNDING, title="x", attachments=[fake])
    assert "attachments" in error.value.message_dict
    assert not Need.objects.exists()


def test_the_contact_path_is_for_the_contacts_own_enterprise_only(portal_contact, officer, enterprise):

    with pytest.raises(PermissionDenied):
        need_create(user=officer, contact=portal_contact, enterprise=enterprise, category="funding", title="x")
    other = ContactFactory(name="别家")
    with pytest.raises(PermissionDenied):
        need_create(user=None, contact=other, enterprise=enterprise, category="funding", title="x")


# ---------------------------------------------------------------------------------------------- rating


@pytest.mark.parametrize(
    ("satisfaction", "status"),
    [(Satisfaction.UNSATISFIED, NeedStatus.IN_PROGRESS), (Satisfaction.SATISFIED, NeedStatus.CLOSED)],
)
def test_the_enterprise_rates_like_a_return_visit(portal_link, need, handler, lead_department, satisfaction, status):
    access, _ = portal_link
    need = _answered(need, handler, lead_department)
    rated = portal_need_rate(access=access, need=need.pk, version=need.version, satisfaction=satisfaction, text="ok")
    assert rated.status == status
    assert rated.satisfaction == satisfaction
    assert rated.rated_by_enterprise is True
    event = NeedEvent.objects.filter(need=need).latest("id")
    assert (event.kind, event.author, event.contact) == (NeedEventKind.RETURN_VISIT, None, access.contact)


def test_a_staff_return_visit_is_not_the_enterprises(need, handler, lead_department, officer):

    need = _answered(need, handler, lead_department)
    rated = need_return_visit(need=need, user=officer, version=need.version, satisfaction=Satisfaction.SATISFIED)
    assert rated.rated_by_enterprise is False


def test_another_enterprises_need_cannot_be_rated(portal_link, county_enterprise, county_officer):

    access, _ = portal_link
    other = need_create(user=county_officer, enterprise=county_enterprise, category="funding", title="别家的诉求")
    with pytest.raises(PermissionDenied):
        portal_need_rate(access=access, need=other.pk, version=other.version, satisfaction="satisfied")
    with pytest.raises(TransitionForbidden):
        need_return_visit(
            need=other, user=None, contact=access.contact, version=other.version, satisfaction="satisfied"
        )


# ---------------------------------------------------------------------------------------------- policies


@pytest.fixture
def pushed_match(enterprise):
    return PolicyMatchFactory(
        policy=PolicyFactory(), enterprise=enterprise, status=MatchStatus.PUSHED, pushed_at=timezone.now()
    )


def test_intend_to_apply_and_decline_with_a_reason(portal_link, pushed_match, enterprise):
    access, _ = portal_link
    with pytest.raises(ValidationError):
        portal_match_answer(access=access, match=pushed_match.pk, decision=MatchStatus.DECLINED, reason="")
    declined = portal_match_answer(
        access=access, match=pushed_match.pk, decision=MatchStatus.DECLINED, reason="今年不申报"
    )
    assert declined.status == MatchStatus.DECLINED
    assert "王经理" in declined.note and "今年不申报" in declined.note
    other = PolicyMatchFactory(policy=PolicyFactory(), enterprise=enterprise, status=MatchStatus.PUSHED)
    assert portal_match_answer(access=access, match=other.pk, decision=MatchStatus.APPLYING).status == (
        MatchStatus.APPLYING
    )


def test_the_enterprise_may_only_apply_or_decline_its_own(portal_link, pushed_match, county_enterprise):
    access, _ = portal_link
    with pytest.raises(ValidationError):
        portal_match_answer(access=access, match=pushed_match.pk, decision=MatchStatus.GRANTED)
    foreign = PolicyMatchFactory(policy=PolicyFactory(), enterprise=county_enterprise, status=MatchStatus.PUSHED)
    with pytest.raises(PermissionDenied):
        portal_match_answer(access=access, match=foreign.pk, decision=MatchStatus.APPLYING)
    pushed_match.refresh_from_db()
    assert pushed_match.status == MatchStatus.PUSHED


# ---------------------------------------------------------------------------------------------- QR and SMS


def test_the_qr_code_encodes_the_link():
    url = "https://crm.example.org/e/abcDEF123_-xyz/"
    svg = access_qr_svg(url=url)
    assert svg.startswith("<svg") and "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    expected = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        expected, kind="svg", scale=4, border=2, xmldecl=False, svgns=True, title="企业服务码", nl=False
    )
    assert svg == expected.getvalue().decode()
    other = io.BytesIO()
    segno.make(url + "x", error="m", micro=False).save(
        other, kind="svg", scale=4, border=2, xmldecl=False, svgns=True, title="企业服务码", nl=False
    )
    assert svg != other.getvalue().decode()


def test_the_print_link_is_the_primary_contacts(officer, leader, enterprise, portal_contact):
    ContactFactory(enterprise=enterprise, name="另一位", is_primary=False)
    access, url = access_link_for_print(user=officer, enterprise=enterprise, base="http://testserver")
    assert access.contact == portal_contact and access.printed
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert access_resolve(token=token) == access
    with pytest.raises(PermissionDenied):
        access_link_for_print(user=leader, enterprise=enterprise)
    assert access_print_may(user=officer, enterprise=enterprise)
    assert not access_print_may(user=leader, enterprise=enterprise)


def test_printing_the_code_of_an_enterprise_without_a_contact_is_refused(officer, enterprise):
    assert not access_print_may(user=officer, enterprise=enterprise)
    with pytest.raises(ValidationError, match="no contact"):
        access_link_for_print(user=officer, enterprise=enterprise)
    assert not EnterpriseAccess.objects.exists()


def test_console_sms_backend_prints(capsys):
    assert ConsoleBackend().send("13800138000", "测试短信")
    assert "[SMS to 13800138000]" in capsys.readouterr().out


def test_http_gateway_posts_json(settings):
    settings.CRM_SMS_URL = "https://sms.example.org/send"
    settings.CRM_SMS_TOKEN = "secret"
    settings.CRM_SMS_BACKEND = "crm.sms.HttpGatewayBackend"
    response = mock.MagicMock(status=200)
    response.__enter__.return_value = response
    with mock.patch("urllib.request.urlopen", return_value=response) as urlopen:
        assert sms_send(mobile="13800138000", text="你好")
    request = urlopen.call_args.args[0]
    assert request.full_url == "https://sms.example.org/send"
    assert request.get_header("Authorization") == "Bearer secret"
    assert json.loads(request.data)["mobile"] == "13800138000"
    with mock.patch("urllib.request.urlopen", side_effect=OSError("down")):
        assert sms_send(mobile="13800138000", text="你好") is False
    settings.CRM_SMS_URL = ""
    with pytest.raises(SmsError):
        HttpGatewayBackend().send("13800138000", "x")


def test_sending_the_link_by_sms_after_commit(portal_contact, officer, capsys, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        access_link_send(user=officer, contact=portal_contact, base="http://testserver")
    out = capsys.readouterr().out
    assert "[SMS to 13800138000]" in out and "http://testserver/e/" in out


def test_answer_and_push_notify_the_enterprise_by_sms(
    portal_link, need, handler, lead_department, manager, enterprise, capsys, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _answered(need, handler, lead_department)
    assert need.code in capsys.readouterr().out
    policy = PolicyFactory(title="研发费用补助")
    with django_capture_on_commit_callbacks(execute=True):
        policy_push(user=manager, policy=policy, enterprises=[enterprise])
    assert "研发费用补助" in capsys.readouterr().out
