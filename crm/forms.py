"""Web forms (thin: validation comes from the models' validators and constraints; saving goes through
services). ``style_form`` and ``BootstrapFormMixin`` give any form — including FilterSet forms — the
Bootstrap classes the templates expect."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.choices import Role
from crm.models import Contact, Enterprise, EnterpriseQualification, Project, Region, User
from crm.validators import is_valid_id


def style_form(form: forms.BaseForm) -> forms.BaseForm:
    """Add Bootstrap classes to every widget of ``form`` (idempotent); mark invalid fields."""
    # Only look at errors already computed: reading ``form.errors`` here would validate too early.
    errors = form._errors or {}
    for name, field in form.fields.items():
        if isinstance(field.widget, forms.MultiWidget):
            widgets = field.widget.widgets
            if field.widget.template_name == "django_filters/widgets/multiwidget.html":
                field.widget.template_name = "crm/widgets/range.html"  # "from – to" as one input group
            if isinstance(field, forms.DateField) or "Date" in type(field.widget).__name__:
                for sub in widgets:
                    sub.input_type = "date"
        else:
            widgets = [field.widget]
        for widget in widgets:
            _style_widget(widget, invalid=name in errors)
    return form


def _style_widget(widget: forms.Widget, *, invalid: bool) -> None:
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
        css = ""
    elif isinstance(widget, forms.Select | forms.SelectMultiple):
        css = "form-select"
    else:
        css = "form-control"
    classes = widget.attrs.get("class", "").split()
    if css and css not in classes:
        classes.append(css)
    if invalid and "is-invalid" not in classes:
        classes.append("is-invalid")
    if classes:
        widget.attrs["class"] = " ".join(classes)
    if isinstance(widget, forms.SelectMultiple) and not isinstance(widget, forms.CheckboxSelectMultiple):
        widget.attrs.setdefault("size", 4)
    if isinstance(widget, forms.DateInput) and not isinstance(widget, forms.DateTimeInput):
        widget.input_type = "date"
        widget.format = "%Y-%m-%d"


class BootstrapFormMixin:
    """Mix into a Form/ModelForm to get Bootstrap-styled widgets."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)

    def full_clean(self):
        super().full_clean()
        style_form(self)  # add is-invalid to the fields that failed


def staff_choices(user, *, role: str | None = None, include=()):
    """Active users an editor may pick: the editor's bureau (the whole city for city users), plus ``include``."""
    qs = User.objects.filter(is_active=True, bureau__isnull=False)
    if not user.sees_everything:
        qs = qs.filter(bureau_id=user.bureau_id)
    if role:
        qs = qs.filter(groups__name=role)
    extra = [u.pk for u in include if u is not None]
    if extra:
        qs = User.objects.filter(Q(pk__in=qs.values("pk")) | Q(pk__in=extra))
    return qs.select_related("bureau").order_by("bureau__level", "name", "username").distinct()


def region_choices(user):
    """The regions a user may file records under: a county user only its own county."""
    if user.sees_everything:
        return Region.objects.all()
    return Region.objects.filter(code=user.bureau.region_id) if user.bureau_id else Region.objects.none()


class UserChoiceLabelMixin:
    def label_from_instance(self, obj):
        return f"{obj}（{obj.bureau}）" if obj.bureau_id else str(obj)


class UserChoiceField(UserChoiceLabelMixin, forms.ModelChoiceField):
    pass


class UserMultipleChoiceField(UserChoiceLabelMixin, forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        # A posted id beyond the 64-bit range would make the ``pk__in`` query fail (a 500): refuse it here.
        for pk in value if isinstance(value, list | tuple) else ():
            if str(pk).strip().lstrip("-").isdigit() and not is_valid_id(str(pk).strip().lstrip("-")):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)


class EnterpriseForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Enterprise
        fields = [
            "name",
            "credit_code",
            "region",
            "industry_chain",
            "address",
            "legal_representative",
            "established_on",
            "main_products",
            "employees",
            "rd_staff",
            "revenue",
            "rd_expense",
            "is_linked",
            "is_assisted",
            "liaison_officers",
            "liaison_leader",
            "party_organization",
            "party_members",
            "status",
        ]
        field_classes = {"liaison_officers": UserMultipleChoiceField, "liaison_leader": UserChoiceField}
        widgets = {
            "established_on": forms.DateInput(),
            "credit_code": forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
            "liaison_officers": forms.SelectMultiple(attrs={"size": 5}),
        }
        help_texts = {"credit_code": _("18 characters, e.g. 914403001922038216.")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        instance = self.instance
        current_officers = list(instance.liaison_officers.all()) if instance.pk else []
        self.fields["region"].queryset = region_choices(user)
        self.fields["liaison_officers"].queryset = staff_choices(user, include=current_officers)
        self.fields["liaison_leader"].queryset = staff_choices(
            user, role=Role.LEADER, include=[instance.liaison_leader] if instance.liaison_leader_id else []
        )

    def clean_credit_code(self):
        from crm.validators import normalize_credit_code

        return normalize_credit_code(self.cleaned_data.get("credit_code", ""))


class EnterpriseQualificationForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = EnterpriseQualification
        fields = ["qualification", "certified_on", "expires_on", "certificate_no"]
        widgets = {"certified_on": forms.DateInput(), "expires_on": forms.DateInput()}


EnterpriseQualificationFormSet = forms.inlineformset_factory(
    Enterprise,
    EnterpriseQualification,
    form=EnterpriseQualificationForm,
    extra=1,
    can_delete=True,
)


class ContactForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "title", "mobile", "email", "is_primary"]
        widgets = {"mobile": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"})}


ENTERPRISE_CHOICE_LIMIT = 300


def limited_choices(field: forms.ModelChoiceField, current, user) -> list[tuple]:
    """Choices for an enterprise <select> that stay small at 100 000 enterprises: the current value,
    the enterprises the user liaises with, then the first ones by name (validation still uses the whole
    scoped queryset, so a value posted by id is accepted)."""
    qs = field.queryset
    picked = list(qs.filter(pk=current)) if current not in (None, "") and str(current).isdigit() else []
    mine = list(qs.filter(liaison_officers=user)[:50])
    rest = list(qs[:ENTERPRISE_CHOICE_LIMIT])
    seen, choices = set(), [("", field.empty_label or "---------")]
    for obj in picked + mine + rest:
        if obj.pk not in seen:
            seen.add(obj.pk)
            choices.append((obj.pk, obj.name))
    return choices


class ProjectForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Project
        fields = [
            "name",
            "enterprise",
            "region",
            "industry_chain",
            "kind",
            "stage",
            "planned_investment",
            "description",
            "is_assisted",
            "liaison_officers",
            "liaison_leader",
            "status",
        ]
        field_classes = {"liaison_officers": UserMultipleChoiceField, "liaison_leader": UserChoiceField}
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "liaison_officers": forms.SelectMultiple(attrs={"size": 5}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        instance = self.instance
        current_officers = list(instance.liaison_officers.all()) if instance.pk else []
        field = self.fields["enterprise"]
        field.queryset = Enterprise.objects.visible_to(user).only("id", "name")
        field.widget.choices = limited_choices(field, self["enterprise"].value(), user)
        self.fields["region"].queryset = region_choices(user)
        self.fields["liaison_officers"].queryset = staff_choices(user, include=current_officers)
        self.fields["liaison_leader"].queryset = staff_choices(
            user, role=Role.LEADER, include=[instance.liaison_leader] if instance.liaison_leader_id else []
        )
