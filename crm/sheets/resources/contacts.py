"""The ledger of enterprise contacts (企业联系人)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from crm.models import Contact
from crm.querysets import key_chunks
from crm.services.enterprises import contacts_primary_apply
from crm.sheets.resources.base import (
    EXAMPLE_CREDIT_CODE,
    EXAMPLE_ENTERPRISE,
    LedgerResource,
    col,
    flag,
    text,
)
from crm.sheets.resources.widgets import EnterpriseWidget, IntWidget, is_blank, norm


class ContactResource(LedgerResource):
    """Contacts of the enterprises in the user's scope. A row updates the contact of its 系统编号, or else the
    contact of the same name at the same enterprise (a ledger kept by hand has no ids); otherwise it creates
    one. Marking a contact primary unmarks the enterprise's other primary contact, as contact_create does."""

    kind = "contacts"
    title = "企业联系人"
    key = "id"
    key_lookup = "pk"
    required_headers = ("姓名",)
    aliases = {
        "联系人": "姓名",
        "联系人姓名": "姓名",
        "职位": "职务",
        "手机号": "手机",
        "手机号码": "手机",
        "移动电话": "手机",
        "电子邮箱": "邮箱",
        "电子邮件": "邮箱",
        "email": "邮箱",
        "主要联系人": "是否主要联系人",
        "企业全称": "企业名称",
        "单位名称": "企业名称",
        "公司名称": "企业名称",
    }
    export_select_related = ("enterprise",)
    example_columns = ("统一社会信用代码", "企业名称")
    notes = {
        "系统编号": _("Leave empty: a row updates the contact of the same name at the same enterprise, or adds one."),
        "企业名称": _("The enterprise by its name, or give its 统一社会信用代码 instead."),
    }

    id = col("系统编号", "id", IntWidget(), readonly=True)
    enterprise = col("企业名称", "enterprise", EnterpriseWidget(code_column="统一社会信用代码"))
    enterprise_code = text("统一社会信用代码", "enterprise__credit_code", readonly=True)
    name = text("姓名", "name")
    title_ = text("职务", "title")
    mobile = text("手机", "mobile")
    email = text("邮箱", "email")
    is_primary = flag("是否主要联系人", "is_primary")

    class Meta(LedgerResource.Meta):
        model = Contact
        fields = ("id", "enterprise", "enterprise_code", "name", "title_", "mobile", "email", "is_primary")

    def __init__(self, user=None, **kwargs):
        super().__init__(user=user, **kwargs)
        self._by_name: dict[tuple[int, str], list[Contact]] = {}

    def _prefetch(self, dataset) -> None:
        super()._prefetch(dataset)
        # The contacts of the enterprises the file names, to find a row's contact by its name.
        enterprise_ids = sorted({o.pk for bucket in self.fields["enterprise"].widget.index().values() for o in bucket})
        self._by_name = {}
        for chunk in key_chunks(enterprise_ids):
            for contact in self.scoped_queryset().filter(enterprise_id__in=chunk):
                self._by_name.setdefault((contact.enterprise_id, norm(contact.name)), []).append(contact)

    def get_instance(self, instance_loader, row):
        found = super().get_instance(instance_loader, row)
        if found is not None or not is_blank(row.get("系统编号")) or is_blank(row.get("姓名")):
            return found
        try:
            enterprise = self.fields["enterprise"].widget.clean(row.get("企业名称"), row=row)
        except ValueError:
            return None  # reported by the column itself
        if enterprise is None:
            return None
        same = self._by_name.get((enterprise.pk, norm(row["姓名"])), [])
        if len(same) > 1:
            raise ValidationError(
                {
                    "name": _(
                        "This enterprise has several contacts of this name; give the 系统编号 of the one to change."
                    )
                }
            )
        if same:
            here = self.sheet_row(self._current)
            first = self._seen.setdefault(("name", same[0].pk), here)
            if first != here:
                raise ValidationError(
                    {"name": _("Row %(row)s names the same contact; each contact may appear once.") % {"row": first}}
                )
        return same[0] if same else None

    def after_create(self, objs: list) -> None:
        self._primary_apply(objs)

    def after_update(self, objs: list) -> None:
        self._primary_apply(objs)

    def _primary_apply(self, objs: list) -> None:
        pks = []
        if self.journal is not None:  # the primary flags this may unset, for the undo journal
            enterprises = {o.enterprise_id for o in objs if o.is_primary}
            pks = list(
                Contact.objects.filter(enterprise_id__in=enterprises, is_primary=True).values_list("pk", flat=True)
            )
        with self.journal_updating(Contact, pks, ["is_primary"]):
            contacts_primary_apply(contacts=objs)

    def example_row(self):
        return {
            "企业名称": EXAMPLE_ENTERPRISE,
            "统一社会信用代码": EXAMPLE_CREDIT_CODE,
            "姓名": "李四",
            "职务": "总经理",
            "手机": "13900000000",
            "邮箱": "lisi@example.com",
            "是否主要联系人": "是",
        }
