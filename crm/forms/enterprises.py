"""Web forms of enterprises, their qualifications and contacts, and projects. Thin: validation comes from
the models' validators and constraints; saving goes through ``crm.services.enterprises``."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.choices import Role
from crm.forms.base import (
    BootstrapFormMixin,
    UserChoiceField,
    UserMultipleChoiceField,
    enterprise_picker,
    region_choices,
    staff_choices,
)
from crm.models import Contact, Enterprise, EnterpriseQualification, Project
from crm.validators import normalize_credit_code


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
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        instance = self.instance
        current_officers = list(instance.liaison_officers.all()) if instance.pk else []
        field = self.fields["enterprise"]
        enterprise_picker(field, self["enterprise"].value(), user)
        self.fields["region"].queryset = region_choices(user)
        self.fields["liaison_officers"].queryset = staff_choices(user, include=current_officers)
        self.fields["liaison_leader"].queryset = staff_choices(
            user, role=Role.LEADER, include=[instance.liaison_leader] if instance.liaison_leader_id else []
        )
