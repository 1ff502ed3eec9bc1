"""Web forms of the policy library and policy matches.

Thin: validation comes from the models (``Policy.clean`` names the contradictory field) and the services;
the views pass ``cleaned_data`` to the services.
"""

from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.choices import MatchStatus, NeedCategory
from crm.forms.base import BootstrapFormMixin
from crm.models import Department, Policy, PolicyMatch
from crm.services.policies import match_next_statuses
from crm.validators import is_valid_id


class NeedCategoriesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", NeedCategory.choices)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


def department_queryset(request_user):
    """Departments a user may pick (its bureau's and the city's for county users)."""
    return Department.objects.select_related("bureau").assignable_by(request_user)


class PolicyForm(BootstrapFormMixin, forms.ModelForm):
    need_categories = NeedCategoriesField(label=_("need categories"))
    # Explicit scheme: Django 6 changes the default and warns until it is set.
    url = Policy._meta.get_field("url").formfield(assume_scheme="https")

    class Meta:
        model = Policy
        fields = [
            "title",
            "issuer",
            "doc_number",
            "level",
            "kind",
            "delivery",
            "published_on",
            "apply_from",
            "apply_until",
            "max_amount",
            "department",
            "url",
            "is_active",
            "summary",
            "conditions_text",
            "support_text",
            "need_categories",
            "keywords",
            "regions",
            "industry_chains",
            "required_qualifications",
            "min_employees",
            "max_employees",
            "min_revenue",
            "max_revenue",
            "min_rd_expense",
            "min_rd_ratio",
            "min_years_established",
            "linked_only",
        ]
        widgets = {
            "published_on": forms.DateInput(),
            "apply_from": forms.DateInput(),
            "apply_until": forms.DateInput(),
            "summary": forms.Textarea(attrs={"rows": 3}),
            "conditions_text": forms.Textarea(attrs={"rows": 5}),
            "support_text": forms.Textarea(attrs={"rows": 3}),
            "regions": forms.CheckboxSelectMultiple,
            "industry_chains": forms.CheckboxSelectMultiple,
            "required_qualifications": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "keywords": _("Words separated by spaces or commas; they raise the relevance of matching needs."),
            "regions": _("None ticked: every region."),
            "industry_chains": _("None ticked: every industry chain."),
            "required_qualifications": _("All ticked ones are required, and unexpired."),
            "min_rd_ratio": _("R&D expense as a percentage of revenue."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # A bureau's own policies name its own departments (``departments_kept_q``), not the city's.
        self.fields["department"].queryset = Department.objects.select_related("bureau").kept_by(user)
        if self.instance.pk:
            self.initial.setdefault("need_categories", self.instance.need_categories)


class PushForm(forms.Form):
    """The enterprises ticked on the policy page (or the one of a need)."""

    enterprises = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=True)
    need = forms.IntegerField(required=False, min_value=1)
    note = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any id is accepted here; scope and eligibility are the service's to check.
        # (Within the 64-bit id range: a larger number would break the ``pk__in`` query.)
        self.fields["enterprises"].valid_value = is_valid_id
        self.fields["enterprises"].error_messages["required"] = _("Tick at least one enterprise.")


class MatchStatusForm(BootstrapFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("status"), choices=MatchStatus.choices)
    granted_amount = forms.DecimalField(
        label=_("granted amount (10k CNY)"), required=False, max_digits=14, decimal_places=2, min_value=0
    )
    note = forms.CharField(label=_("note"), required=False, max_length=2000)

    def __init__(self, *args, match: PolicyMatch, **kwargs):
        super().__init__(*args, **kwargs)
        follow_up = MatchFollowUp.of(match, prefix=self.prefix or "")
        self.fields["status"].choices = follow_up.choices
        self.fields["status"].initial = match.status
        self.allows_amount = follow_up.allows_amount
        self.can_change = follow_up.can_change
        self.fields["granted_amount"].initial = match.granted_amount
        self.fields["note"].initial = match.note


# Read once: ``MatchStatus.choices`` builds its list anew on each read (the labels are lazy: translated when shown).
MATCH_STATUS_CHOICES = tuple(MatchStatus.choices)


@dataclass(frozen=True, slots=True)
class MatchFollowUp:
    """What ``MatchStatusForm`` offers for one match (its choices, whether it takes an amount, whether it shows at all)
    and the names its fields post under: the pages show a follow-up per match from this, without building a form
    per match (some 600 calls each, mostly copying the fields); the POST is still read by the form."""

    choices: tuple[tuple[str, str], ...]
    allows_amount: bool
    can_change: bool
    prefix: str

    @classmethod
    def of(cls, match: PolicyMatch, *, prefix: str = "") -> "MatchFollowUp":
        allowed = [match.status, *match_next_statuses(match)]
        return cls(
            choices=tuple((v, label) for v, label in MATCH_STATUS_CHOICES if v in allowed),
            allows_amount=MatchStatus.GRANTED in allowed,
            can_change=len(allowed) > 1 or match.status == MatchStatus.GRANTED,
            prefix=prefix,
        )

    def html_name(self, field: str) -> str:
        """The field's name as the form with this prefix writes and reads it (``BaseForm.add_prefix``)."""
        return f"{self.prefix}-{field}" if self.prefix else field

    def id_for(self, field: str) -> str:
        """The field's ``id`` as the form writes it (the default ``auto_id``, ``id_%s``)."""
        return f"id_{self.html_name(field)}"
