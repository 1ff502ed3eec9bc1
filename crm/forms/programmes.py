"""Forms of the growth programmes (DESIGN §11.7): a year's figures, the cultivation board's filter, new card and
move form, a project's milestones (planned and actual of the four steps in one form) and monthly progress."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.choices import CultivationStage, MilestoneKind
from crm.filtersets import CodeChoiceField
from crm.forms.base import (
    BootstrapFormMixin,
    UserChoiceField,
    enterprise_picker,
    region_choices,
    staff_choices,
    style_form,
)
from crm.models import Cultivation, Enterprise, EnterpriseYear, ProjectProgress, Qualification
from crm.services.programmes import YEAR_FIELDS


class EnterpriseYearForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = EnterpriseYear
        fields = ["year", *YEAR_FIELDS]

    def validate_unique(self):
        # A year already stored is updated by the service, not refused.
        return


class CultivationFilterForm(BootstrapFormMixin, forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=1990, max_value=2100, required=False)
    # Choices and the chosen code from the process's copy of the reference data (CodeChoiceField), not a query each
    # (the whole table in its own order, ``Qualification.Meta.ordering``; a county user's one region is queried).
    programme = CodeChoiceField(
        queryset=Qualification.objects.all(),
        label=_("Programme"),
        required=False,
        empty_label=_("All programmes"),
    )
    region = CodeChoiceField(queryset=None, label=_("Region"), required=False, empty_label=_("All regions"))

    def __init__(self, data=None, *args, user, **kwargs):
        year = (kwargs.get("initial") or {}).get("year")
        if data is not None and not data.get("year") and year:
            # An address naming only a programme or a region binds the form: show the year the board counts.
            data = data.copy()
            data["year"] = str(year)
        super().__init__(data, *args, **kwargs)
        self.fields["region"].queryset = region_choices(user)
        style_form(self)

    def values(self) -> dict:
        """The cleaned filter (this year when not given or invalid)."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "year": data.get("year") or timezone.localdate().year,
            "programme": data.get("programme"),
            "region": data.get("region"),
        }


class CultivationForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Cultivation
        fields = ["enterprise", "year", "programme", "stage", "officer", "next_step_on", "notes"]
        field_classes = {"officer": UserChoiceField, "programme": CodeChoiceField}
        widgets = {"next_step_on": forms.DateInput(), "notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = forms.ModelChoiceField(queryset=Enterprise.objects.none(), label=_("Enterprise"))
        enterprise_picker(field, self.data.get("enterprise") or self.initial.get("enterprise"), user)
        self.fields["enterprise"] = field
        self.fields["officer"].queryset = staff_choices(user)
        style_form(self)


class CultivationMoveForm(BootstrapFormMixin, forms.Form):
    stage = forms.ChoiceField(label=_("Move to"), choices=CultivationStage.choices)
    certified_on = forms.DateField(
        label=_("Certified on"), required=False, help_text=_("For 已认定: the certificate date (default today).")
    )
    certificate_no = forms.CharField(label=_("Certificate number"), max_length=60, required=False)
    next_step_on = forms.DateField(label=_("Next step on"), required=False)


class MilestonesForm(BootstrapFormMixin, forms.Form):
    """Planned and actual date of each milestone: ``planned_<kind>`` and ``actual_<kind>``."""

    def __init__(self, *args, schedule=(), **kwargs):
        super().__init__(*args, **kwargs)
        by_kind = {row["kind"]: row for row in schedule}
        for kind, label in MilestoneKind.choices:
            row = by_kind.get(kind, {})
            self.fields[f"planned_{kind}"] = forms.DateField(
                label=_("%(milestone)s planned") % {"milestone": label},
                required=False,
                initial=row.get("planned_on"),
                widget=forms.DateInput(attrs={"type": "date"}),
            )
            self.fields[f"actual_{kind}"] = forms.DateField(
                label=_("%(milestone)s actual") % {"milestone": label},
                required=False,
                initial=row.get("actual_on"),
                widget=forms.DateInput(attrs={"type": "date"}),
            )
        style_form(self)

    def rows(self) -> dict:
        return {
            kind: {
                "planned_on": self.cleaned_data.get(f"planned_{kind}"),
                "actual_on": self.cleaned_data.get(f"actual_{kind}"),
            }
            for kind in MilestoneKind.values
        }


class ProjectProgressForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = ProjectProgress
        fields = ["month", "investment_month", "investment_total", "blockers"]
        widgets = {"month": forms.DateInput(attrs={"type": "date"}), "blockers": forms.Textarea(attrs={"rows": 2})}

    def validate_unique(self):
        return  # a month already reported is corrected by the service
