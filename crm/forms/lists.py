"""Web forms of the resource list (offerings) and the action list.

Thin: validation comes from the models (``Policy.clean`` names the contradictory field) and the services;
the views pass ``cleaned_data`` to the services.
"""

from django import forms
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.filtersets import json_list_contains
from crm.forms.base import BootstrapFormMixin, UserChoiceField, staff_choices
from crm.forms.policies import NeedCategoriesField, department_queryset
from crm.models import ActionItem, Department, Offering
from crm.services.lists import action_next_statuses


class OfferingForm(BootstrapFormMixin, forms.ModelForm):
    need_categories = NeedCategoriesField(label=_("need categories"))

    class Meta:
        model = Offering
        fields = [
            "department",
            "name",
            "kind",
            "description",
            "need_categories",
            "contact_name",
            "contact_phone",
            "available_until",
            "is_active",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}), "available_until": forms.DateInput()}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.select_related("bureau").kept_by(user)
        if self.instance.pk:
            self.initial.setdefault("need_categories", self.instance.need_categories)


def offerings_for_category(category: str | None):
    """Available offerings, those listing ``category`` first (then the general ones without categories)."""
    today = timezone.localdate()
    qs = Offering.objects.filter(is_active=True).filter(Q(available_until__isnull=True) | Q(available_until__gte=today))
    qs = qs.select_related("department")
    if not category:
        return qs.order_by("name", "id")
    fits = json_list_contains("need_categories", category)
    general = ~Q(need_categories__icontains='"')  # an empty list: an offering for every category
    fit = Case(When(fits, then=Value(0)), When(general, then=Value(1)), default=Value(2), output_field=IntegerField())
    return qs.annotate(fit=fit).order_by("fit", "name", "id")


class OfferingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        # ★ marks the offerings listing the need's category (they come first).
        mark = "★ " if getattr(obj, "fit", None) == 0 else ""
        return f"{mark}{obj.name}（{obj.department.name}）"


class ActionItemForm(BootstrapFormMixin, forms.ModelForm):
    """A manager's form: what, who, by when; the need or project comes from the page it was opened on."""

    offering = OfferingChoiceField(queryset=Offering.objects.none(), required=False, label=_("offering"))

    class Meta:
        model = ActionItem
        fields = ["offering", "title", "owner", "department", "due_on", "status", "result"]
        field_classes = {"owner": UserChoiceField}
        widgets = {"due_on": forms.DateInput(), "result": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"title": _("Empty: the offering's name.")}

    def __init__(self, *args, user, category: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        self.fields["title"].required = False
        offerings = offerings_for_category(category)
        if instance.offering_id:
            offerings = Offering.objects.filter(Q(pk__in=offerings.values("pk")) | Q(pk=instance.offering_id))
            offerings = offerings.select_related("department").order_by("name", "id")
        self.fields["offering"].queryset = offerings
        self.fields["owner"].queryset = staff_choices(user, include=[instance.owner] if instance.owner_id else [])
        self.fields["department"].queryset = department_queryset(user)
        self.fields["department"].required = False
        if instance.pk:
            allowed = [instance.status, *action_next_statuses(instance)]
            self.fields["status"].choices = [c for c in self.fields["status"].choices if c[0] in allowed]
        else:
            del self.fields["status"]
            del self.fields["result"]


class ActionItemWorkForm(BootstrapFormMixin, forms.ModelForm):
    """The owner's form: the status and the result."""

    class Meta:
        model = ActionItem
        fields = ["status", "result"]
        widgets = {"result": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = [self.instance.status, *action_next_statuses(self.instance)]
        self.fields["status"].choices = [c for c in self.fields["status"].choices if c[0] in allowed]
