"""Forms of the enterprise's own page (企业服务码, DESIGN §11.5): raise a need, rate an answer, answer a policy.

They shape input only; the rules are the services' (crm/services/portal.py calls the need and policy services).
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.choices import NeedCategory, Satisfaction
from crm.forms.base import BootstrapFormMixin
from crm.forms.engagement import MultipleFileField
from crm.services.needs import TextField
from crm.validators import TEXT_MAX_LENGTH


class PortalNeedForm(BootstrapFormMixin, forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=NeedCategory.choices)
    title = forms.CharField(label=_("What do you need?"), max_length=200)
    description = TextField(label=_("Details"), rows=4, max_length=TEXT_MAX_LENGTH)
    attachments = MultipleFileField(
        label=_("Photos and files"),
        required=False,
        help_text=_("Photos (JPEG, PNG, WebP, GIF, HEIC) or PDFs, each at most 10 MB."),
    )


class PortalRatingForm(BootstrapFormMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    satisfaction = forms.ChoiceField(
        label=_("Are you satisfied with the answer?"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    text = TextField(label=_("Comment"))


class PortalMatchAnswerForm(BootstrapFormMixin, forms.Form):
    decision = forms.ChoiceField(
        choices=[("applying", _("Intend to apply")), ("declined", _("Not needed for now"))],
        widget=forms.HiddenInput,
    )
    reason = TextField(label=_("Why not (for now)?"))
