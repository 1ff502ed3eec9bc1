"""The enterprise's own page (企业服务码, DESIGN §11.5) and the staff's pages for its access links.

Public pages (``/e/<token>/…``): no account, always Chinese, their own base template without staff navigation.
Every request is first counted against the token in the shared cache (429 beyond the rate), then the token is
resolved; an unknown, expired or revoked token answers the same 404 page, byte for byte. Forms carry CSRF.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from crm.choices import NeedStatus
from crm.forms.portal import PortalMatchAnswerForm, PortalNeedForm, PortalRatingForm
from crm.models import Contact, EnterpriseAccess, Need, NeedAttachment
from crm.selectors.portal import access_links, portal_matches, portal_needs, portal_self_check
from crm.services.portal import (
    access_link_create,
    access_link_revoke,
    access_link_send,
    access_link_url,
    access_may_manage,
    access_qr_svg,
    access_resolve,
    access_throttle_hit,
    portal_match_answer,
    portal_need_create,
    portal_need_rate,
)
from crm.views.mixins import attachment_response, service_errors

PORTAL_LANGUAGE = "zh-hans"


def _private(response: HttpResponse) -> HttpResponse:
    """The token is in the address: never send it to another site as a referrer, never index or cache the page."""
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store, private"
    return response


def portal_not_found() -> HttpResponse:
    """The one answer for every token that opens nothing (same status, same body)."""
    with translation.override(PORTAL_LANGUAGE):
        return _private(HttpResponse(render_to_string("crm/portal/404.html"), status=404))


def portal_throttled() -> HttpResponse:
    with translation.override(PORTAL_LANGUAGE):
        response = HttpResponse(render_to_string("crm/portal/429.html"), status=429)
    response["Retry-After"] = "60"
    return _private(response)


class PortalMixin:
    """Throttle, resolve the token (``self.access``), answer in Chinese."""

    access: EnterpriseAccess

    def dispatch(self, request, token: str, *args, **kwargs):
        if not access_throttle_hit(token=token):
            return portal_throttled()
        access = access_resolve(token=token)
        if access is None:
            return portal_not_found()
        self.access, self.token = access, token
        with translation.override(PORTAL_LANGUAGE):
            request.LANGUAGE_CODE = PORTAL_LANGUAGE
            try:
                response = super().dispatch(request, *args, **kwargs)
            except (Http404, PermissionDenied):
                return portal_not_found()
            if hasattr(response, "render"):
                response.render()
        return _private(response)

    def home_url(self, anchor: str = "") -> str:
        return reverse("crm:portal-home", args=[self.token]) + anchor


class PortalHomeView(PortalMixin, TemplateView):
    template_name = "crm/portal/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        enterprise = self.access.contact.enterprise
        needs = portal_needs(enterprise=enterprise)
        for need in needs:
            if need.status == NeedStatus.ANSWERED:
                need.rating_form = PortalRatingForm(initial={"version": need.version}, prefix=f"rate{need.pk}")
        context.update(
            token=self.token,
            access=self.access,
            contact=self.access.contact,
            enterprise=enterprise,
            needs=needs,
            matches=list(portal_matches(enterprise=enterprise)),
            suggestions=portal_self_check(enterprise=enterprise),
            need_form=kwargs.get("need_form") or PortalNeedForm(),
            answer_form=PortalMatchAnswerForm(),
        )
        return context


class PortalNeedCreateView(PortalHomeView):
    http_method_names = ["post"]

    def post(self, request):
        form = PortalNeedForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            with service_errors(request, form) as outcome:
                need = portal_need_create(
                    access=self.access,
                    category=data["category"],
                    title=data["title"],
                    description=data["description"],
                    attachments=data["attachments"],
                )
            if not outcome.failed:
                messages.success(request, _("Your need %(code)s has been received.") % {"code": need.code})
                return redirect(self.home_url("#needs"))
        return self.render_to_response(self.get_context_data(need_form=form), status=400)


class PortalNeedRateView(PortalMixin, View):
    def post(self, request, pk: int):
        form = PortalRatingForm(request.POST, prefix=f"rate{pk}")
        if not form.is_valid():
            messages.error(request, _("Choose how satisfied you are."))
            return redirect(self.home_url(f"#need-{pk}"))
        with service_errors(request) as outcome:
            portal_need_rate(
                access=self.access,
                need=pk,
                version=form.cleaned_data["version"],
                satisfaction=form.cleaned_data["satisfaction"],
                text=form.cleaned_data["text"],
            )
        if not outcome.failed:
            messages.success(request, _("Thank you for your rating."))
        return redirect(self.home_url(f"#need-{pk}"))


class PortalMatchAnswerView(PortalMixin, View):
    def post(self, request, pk: int):
        form = PortalMatchAnswerForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose an answer."))
            return redirect(self.home_url("#policies"))
        with service_errors(request) as outcome:
            portal_match_answer(
                access=self.access, match=pk, decision=form.cleaned_data["decision"], reason=form.cleaned_data["reason"]
            )
        if not outcome.failed:
            messages.success(request, _("Your answer has been recorded."))
        return redirect(self.home_url(f"#match-{pk}"))


# ---------------------------------------------------------------------------------------------- staff pages


def _scoped_contact(request, pk: int) -> Contact:
    return get_object_or_404(Contact.objects.visible_to(request.user).select_related("enterprise"), pk=pk)


def _origin(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


class AccessLinkListView(LoginRequiredMixin, TemplateView):
    """A contact's service links (no tokens), with buttons to make, send by SMS and revoke."""

    template_name = "crm/portal/links.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contact = _scoped_contact(self.request, self.kwargs["pk"])
        context.update(
            contact=contact,
            links=list(access_links(user=self.request.user, contact=contact)),
            may_manage=access_may_manage(user=self.request.user, contact=contact),
            page_title=_("Service links of %(name)s") % {"name": contact.name},
            **kwargs,
        )
        return context


class AccessLinkCreateView(AccessLinkListView):
    """Make a link and show it once, with its QR code (the answer of this POST is the only place it appears)."""

    template_name = "crm/portal/link_created.html"

    def post(self, request, pk: int):
        contact = _scoped_contact(request, pk)
        access, token = access_link_create(user=request.user, contact=contact)
        url = access_link_url(token=token, base=_origin(request))
        return self.render_to_response(self.get_context_data(access=access, url=url, qr_svg=access_qr_svg(url=url)))


class AccessLinkSendView(LoginRequiredMixin, View):
    """Make a link and send it to the contact's mobile by SMS."""

    def post(self, request, pk: int):
        contact = _scoped_contact(request, pk)
        with service_errors(request) as outcome:
            access_link_send(user=request.user, contact=contact, base=_origin(request))
        if not outcome.failed:
            messages.success(request, _("The link was sent by SMS to %(mobile)s.") % {"mobile": contact.mobile})
        return redirect("crm:contact-access-links", pk=contact.pk)


class AccessLinkRevokeView(LoginRequiredMixin, View):
    def post(self, request, pk: int):
        access = get_object_or_404(access_links(user=request.user), pk=pk)
        access_link_revoke(user=request.user, access=access)
        messages.success(request, _("The link was revoked."))
        return redirect("crm:contact-access-links", pk=access.contact_id)


class NeedAttachmentView(LoginRequiredMixin, View):
    """A file an enterprise sent with its need, for users who see the need (404 otherwise); never as HTML."""

    def get(self, request, pk: int, attachment_pk: int):
        need = get_object_or_404(Need.objects.visible_to(request.user), pk=pk)
        attachment = get_object_or_404(NeedAttachment, pk=attachment_pk, need=need)
        return attachment_response(request, attachment)
