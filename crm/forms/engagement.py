"""Forms of the visit and need pages: the phone-first 登门三问 form with its needs formset, the small
forms of the need transitions and the follow-up form. Validation of the business rules stays in the
services (crm/services/visits.py, crm/services/needs.py); these forms shape input and show errors. The
transition and follow-up forms are the services' inputs themselves, with ``version`` and widgets added."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.choices import NeedCategory, NeedEventKind, Urgency, VisitFlag, VisitKind
from crm.forms.base import (
    BootstrapFormMixin,
    UserChoiceField,
    UserMultipleChoiceField,
    enterprise_picker,
    project_picker,
    staff_choices,
    style_form,
)
from crm.forms.widgets import PLACEHOLDERS, use_picker
from crm.models import Need, Project, Visit, VisitAttachment
from crm.services.needs import (
    TRANSITIONS,
    AcceptInput,
    AssignInput,
    ExtendInput,
    NeedEventInput,
    ReturnVisitInput,
    need_may_instruct,
)
from crm.validators import is_valid_id

# ---------------------------------------------------------------------------------------------- visit


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of files (type and size are checked by the visit service, by content)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*,application/pdf", "multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class ButtonRadioSelect(forms.RadioSelect):
    """Radio buttons rendered as a row of large toggle buttons (easy to hit on a phone)."""

    template_name = "crm/widgets/button_radio.html"
    option_template_name = "crm/widgets/button_radio_option.html"


class VisitForm(BootstrapFormMixin, forms.ModelForm):
    attachments = MultipleFileField(
        label=_("Photos and files"),
        required=False,
        help_text=_("Photos (JPEG, PNG, WebP, GIF, HEIC) or PDFs such as the signed record, each at most 10 MB."),
    )

    class Meta:
        model = Visit
        fields = [
            "enterprise",
            "project",
            "visited_on",
            "kind",
            "lead",
            "officers",
            "interviewee",
            "interviewee_title",
            "q_needs",
            "q_difficulties",
            "q_suggestions",
            "resolved_on_site",
            "policies_briefed",
            "party_notes",
            "flag",
            "next_visit_on",
        ]
        field_classes = {"lead": UserChoiceField, "officers": UserMultipleChoiceField}
        widgets = {
            "visited_on": forms.DateInput(),
            "next_visit_on": forms.DateInput(),
            "kind": ButtonRadioSelect(),
            "flag": ButtonRadioSelect(),
            "q_needs": forms.Textarea(attrs={"rows": 3}),
            "q_difficulties": forms.Textarea(attrs={"rows": 3}),
            "q_suggestions": forms.Textarea(attrs={"rows": 3}),
            "resolved_on_site": forms.Textarea(attrs={"rows": 2}),
            "policies_briefed": forms.Textarea(attrs={"rows": 2}),
            "party_notes": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "flag": _("Red: act now, e.g. the enterprise may relocate or stop production."),
            "officers": _("Leave empty to record yourself."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        enterprise = self.fields["enterprise"]
        enterprise_picker(enterprise, self["enterprise"].value(), user)
        # The project picker offers only the chosen enterprise's projects (DESIGN §3 Visit.project); with no
        # enterprise chosen yet it is empty.
        project = self.fields["project"]
        chosen = self["enterprise"].value()
        projects = Project.objects.visible_to(user).only("id", "name").order_by("name")
        project.queryset = projects.filter(enterprise_id=chosen) if is_valid_id(chosen) else projects.none()
        project_picker(project, enterprise=chosen, current=self["project"].value())
        self.fields["lead"].queryset = staff_choices(user)
        self.fields["officers"].queryset = staff_choices(user)
        self.fields["kind"].choices = VisitKind.choices
        self.fields["flag"].choices = VisitFlag.choices
        self.fields["visited_on"].widget.attrs["max"] = timezone.localdate().isoformat()
        for name in ("q_needs", "q_difficulties", "q_suggestions"):
            self.fields[name].widget.attrs["placeholder"] = {
                "q_needs": _("What does the enterprise need to develop?"),
                "q_difficulties": _("What difficulties and problems does it face?"),
                "q_suggestions": _("What opinions and suggestions does it have?"),
            }[name]
        self.fields["interviewee"].widget.attrs["autocomplete"] = "off"

    def clean_visited_on(self):
        # Also checked by the model; checked here too so that every problem shows at the first attempt.
        visited_on = self.cleaned_data.get("visited_on")
        if visited_on and visited_on > timezone.localdate():
            raise forms.ValidationError(_("The visit date cannot be in the future."), code="future")
        return visited_on

    def clean(self):
        data = super().clean()
        answers = ("q_needs", "q_difficulties", "q_suggestions")
        if not any(name in self.errors for name in answers) and not any(
            (data.get(name) or "").strip() for name in answers
        ):
            # Shown next to the three questions (under the first one), not only at the top of a long form.
            self.add_error(
                "q_needs",
                forms.ValidationError(
                    _("Fill in at least one of the three questions: needs, difficulties, suggestions."),
                    code="no_answer",
                ),
            )
        return data

    def _post_clean(self):
        # The visit service validates the model (and the needs and files) in one go; skip the ModelForm's
        # instance validation so that its messages do not appear twice.
        pass


class AttachmentChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class VisitUpdateForm(VisitForm):
    """The 登门三问 form for an existing visit: no needs (they have their own workflow), further files may be
    added and existing ones removed. A visit with needs keeps its enterprise and project."""

    attachments_remove = AttachmentChoiceField(
        label=_("Remove files"),
        queryset=VisitAttachment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, user, instance: Visit, has_needs: bool, **kwargs):
        super().__init__(*args, user=user, instance=instance, **kwargs)
        current = [instance.lead, *instance.officers.all()]
        self.fields["lead"].queryset = staff_choices(user, include=current)
        self.fields["officers"].queryset = staff_choices(user, include=current)
        self.fields["attachments"].label = _("Add photos and files")
        self.fields["attachments_remove"].queryset = instance.attachments.all()
        self.has_needs = has_needs
        if has_needs:
            for name in ("enterprise", "project"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Fixed: needs were raised in this visit.")


class VisitNeedForm(BootstrapFormMixin, forms.Form):
    """One need raised in the visit."""

    title = forms.CharField(label=_("Title"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=[("", "---------"), *NeedCategory.choices])
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    description = forms.CharField(label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].widget.attrs["placeholder"] = _("e.g. 500 万元 working-capital loan")
        self.fields["urgency"].widget = ButtonRadioSelect(choices=Urgency.choices)
        style_form(self)


class BaseVisitNeedFormSet(forms.BaseFormSet):
    def rows(self) -> list[dict]:
        """The needs kept (not deleted, not left empty), as the visit service expects them."""
        kept = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE") or not form.has_changed():
                continue
            kept.append(
                {
                    "title": data["title"],
                    "category": data["category"],
                    "urgency": data.get("urgency") or Urgency.NORMAL,
                    "description": data.get("description", ""),
                }
            )
        return kept


VisitNeedFormSet = forms.formset_factory(
    VisitNeedForm, formset=BaseVisitNeedFormSet, extra=1, can_delete=True, max_num=30, validate_max=True
)


# ---------------------------------------------------------------------------------------------- need transitions


class TransitionForm(BootstrapFormMixin, forms.Form):
    """The web face of a verb's input (``TRANSITIONS[verb].input`` in crm/services/needs.py, which defines the
    fields, their querysets and their checks): it adds the hidden ``version`` that guards against lost updates
    and the widgets. Combined with an input class, e.g. ``class AssignForm(TransitionForm, AssignInput)``."""

    version = forms.IntegerField(label=_("version"), widget=forms.HiddenInput)

    def __init__(self, *args, need, user, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("version", need.version)
        super().__init__(*args, need=need, user=user, **kwargs)


class AssignForm(TransitionForm, AssignInput):
    def __init__(self, *args, need, user, **kwargs):
        kwargs.setdefault("initial", {}).update(
            {
                "lead_department": need.lead_department_id,
                "handler": need.handler_id,
                "assisting_departments": [d.pk for d in need.assisting_departments.all()],
            }
        )
        super().__init__(*args, need=need, user=user, **kwargs)
        self.fields["lead_department"].label_from_instance = lambda d: d.name
        self.fields["handler"].label_from_instance = lambda u: (
            f"{u}（{u.department.name}）" if u.department_id else str(u)
        )
        self.fields["due_on"].widget.attrs["min"] = timezone.localdate().isoformat()
        use_picker(self.fields["handler"], kind="staff", remote=False)
        use_picker(self.fields["assisting_departments"], remote=False)


def handlers_by_department(form) -> None:
    """The handler <select> grouped by department; once a lead department is chosen (bound form), only its
    members (the input's ``clean`` refuses anyone else)."""
    field = form.fields["handler"]
    lead = form.data.get(form.add_prefix("lead_department")) if form.is_bound else None
    if lead and str(lead).isdigit():
        field.queryset = field.queryset.filter(department_id=int(lead))
    groups: dict[str, list] = {}
    for user in field.queryset:
        groups.setdefault(user.department.name if user.department_id else "—", []).append((user.pk, str(user)))
    field.widget.choices = [("", PLACEHOLDERS["staff"]), *groups.items()]
    use_picker(field, kind="staff", remote=False)
    use_picker(form.fields["assisting_departments"], remote=False)


class AcceptForm(TransitionForm, AcceptInput):
    """受理, or 受理并交办 when a lead department is chosen (one form, one call, two events)."""

    def __init__(self, *args, need, user, **kwargs):
        super().__init__(*args, need=need, user=user, **kwargs)
        self.fields["lead_department"].label_from_instance = lambda d: d.name
        self.fields["due_on"].widget.attrs["min"] = timezone.localdate().isoformat()
        handlers_by_department(self)


class ReturnVisitForm(TransitionForm, ReturnVisitInput):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["satisfaction"]
        field.widget = ButtonRadioSelect(choices=field.choices)
        field.widget.is_required = field.required


class ExtendForm(TransitionForm, ExtendInput):
    def __init__(self, *args, need, user, **kwargs):
        super().__init__(*args, need=need, user=user, **kwargs)
        if need.due_on:
            self.fields["due_on"].widget.attrs["min"] = need.due_on.isoformat()


def _transition_form(verb: str) -> type[TransitionForm]:
    if TRANSITIONS[verb].input is AcceptInput:
        return AcceptForm
    for form_class in (AssignForm, ReturnVisitForm, ExtendForm):
        if issubclass(form_class, TRANSITIONS[verb].input):
            return form_class
    input_class = TRANSITIONS[verb].input
    return type(input_class.__name__.removesuffix("Input") + "Form", (TransitionForm, input_class), {})


TRANSITION_FORMS: dict[str, type[TransitionForm]] = {verb: _transition_form(verb) for verb in TRANSITIONS}


class NeedEventForm(BootstrapFormMixin, NeedEventInput):
    """A follow-up note (anyone in scope) or an instruction (批示, leaders): the kinds the user may add."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(NeedEventKind.NOTE, NeedEventKind.NOTE.label)]
        if need_may_instruct(user=user):
            choices.append((NeedEventKind.INSTRUCTION, NeedEventKind.INSTRUCTION.label))
        self.fields["kind"].choices = choices
        self.fields["kind"].initial = NeedEventKind.INSTRUCTION if len(choices) > 1 else NeedEventKind.NOTE
        if len(choices) == 1:
            self.fields["kind"].widget = forms.HiddenInput()


class NeedForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Need
        fields = ["enterprise", "project", "source", "category", "urgency", "title", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        enterprise = self.fields["enterprise"]
        enterprise_picker(enterprise, self["enterprise"].value(), user)
        # Any project in scope validates (a need may name a project without an enterprise); the picker offers the
        # chosen enterprise's, and need_create refuses another enterprise's with its own message.
        self.fields["project"].queryset = Project.objects.visible_to(user).only("id", "name").order_by("name")
        project_picker(self.fields["project"], enterprise=self["enterprise"].value(), current=self["project"].value())
        self.fields["urgency"].initial = Urgency.NORMAL

    def _post_clean(self):
        pass  # the service validates the model
