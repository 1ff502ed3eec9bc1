"""Forms of the routine (DESIGN §11.1, §11.2): a visit plan, its cancellation, and the phone-first activity form
(the activity, its participant rows and the needs raised, saved in one call of ``activity_create``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.choices import ActivityKind, NeedCategory, Urgency
from crm.forms.base import (
    BootstrapFormMixin,
    UserChoiceField,
    UserMultipleChoiceField,
    enterprise_picker,
    staff_choices,
    style_form,
)
from crm.forms.engagement import AttachmentChoiceField, MultipleFileField
from crm.models import Activity, ActivityAttachment, Bureau, Enterprise, VisitPlan


def _enterprise_field(user, current=None, *, required=True) -> forms.ModelChoiceField:
    field = forms.ModelChoiceField(
        queryset=Enterprise.objects.none(),  # enterprise_picker: the enterprises the user may see
        required=required,
        label=_("Enterprise"),
    )
    return enterprise_picker(field, current, user)


class VisitPlanForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = VisitPlan
        fields = ["enterprise", "planned_on", "lead", "officers", "purpose"]
        field_classes = {"lead": UserChoiceField, "officers": UserMultipleChoiceField}
        widgets = {"planned_on": forms.DateInput()}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"] = _enterprise_field(
            user, self.data.get("enterprise") or self.initial.get("enterprise")
        )
        people = staff_choices(user)
        self.fields["lead"].queryset = people
        self.fields["officers"].queryset = people
        self.fields["officers"].help_text = _("Empty: you.")
        style_form(self)  # the replaced enterprise field


class PlanCancelForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=200)


class ActivityForm(BootstrapFormMixin, forms.ModelForm):
    counts_as_visit = forms.NullBooleanField(
        label=_("Counts as a visit"),
        required=False,
        widget=forms.Select(
            choices=[("", _("Default (yes for joint research)")), ("true", _("Yes")), ("false", _("No"))]
        ),
    )
    attachments = MultipleFileField(
        label=_("Photos and files"),
        required=False,
        help_text=_("Photos (JPEG, PNG, WebP, GIF, HEIC) or PDFs such as the sign-in sheet, each at most 10 MB."),
    )

    class Meta:
        model = Activity
        fields = ["kind", "title", "held_on", "place", "bureaus", "lead", "officers", "summary"]
        field_classes = {"lead": UserChoiceField, "officers": UserMultipleChoiceField}
        widgets = {
            "held_on": forms.DateInput(),
            "summary": forms.Textarea(attrs={"rows": 3}),
            "bureaus": forms.CheckboxSelectMultiple(),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        people = staff_choices(user)
        self.fields["lead"].queryset = people
        self.fields["officers"].queryset = people
        self.fields["bureaus"].queryset = Bureau.objects.order_by("level", "name")
        self.fields["kind"].choices = ActivityKind.choices


class ActivityUpdateForm(ActivityForm):
    """The activity form for an existing activity: its needs keep their own workflow; files may be added and
    removed."""

    attachments_remove = AttachmentChoiceField(
        label=_("Remove files"),
        queryset=ActivityAttachment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, user, instance: Activity, **kwargs):
        super().__init__(*args, user=user, instance=instance, **kwargs)
        current = [instance.lead, *instance.officers.all()]
        self.fields["lead"].queryset = staff_choices(user, include=current)
        self.fields["officers"].queryset = staff_choices(user, include=current)
        self.fields["counts_as_visit"].widget.choices = [("true", _("Yes")), ("false", _("No"))]
        self.initial.setdefault("counts_as_visit", "true" if instance.counts_as_visit else "false")
        self.fields["attachments"].label = _("Add photos and files")
        self.fields["attachments_remove"].queryset = instance.attachments.all()


class ParticipantForm(BootstrapFormMixin, forms.Form):
    enterprise = forms.ModelChoiceField(queryset=Enterprise.objects.none(), required=False, label=_("Enterprise"))
    attendees = forms.CharField(label=_("Attendees"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        key = self.add_prefix("enterprise")
        current = self.data.get(key) or self.initial.get("enterprise")
        self.fields["enterprise"] = _enterprise_field(user, current, required=False)
        self.fields["attendees"].widget.attrs["placeholder"] = _("e.g. 张总、李工")
        style_form(self)


class ActivityNeedForm(BootstrapFormMixin, forms.Form):
    enterprise = forms.ModelChoiceField(queryset=Enterprise.objects.none(), required=False, label=_("Enterprise"))
    category = forms.ChoiceField(
        label=_("Category"), choices=[("", "---------"), *NeedCategory.choices], required=False
    )
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL, required=False)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        key = self.add_prefix("enterprise")
        self.fields["enterprise"] = _enterprise_field(user, self.data.get(key), required=False)
        style_form(self)

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not (data.get("title") or data.get("category") or data.get("description"))


ParticipantFormSet = forms.formset_factory(ParticipantForm, extra=6, max_num=100)
ActivityNeedFormSet = forms.formset_factory(ActivityNeedForm, extra=3, max_num=50)
