"""The ledger of activities with many enterprises (活动台账, kind ``activities``; DESIGN §11.2, §8.4).

A row is one activity: its participating enterprises and the bureaus taking part are many-to-many cells (names
or credit codes separated by 、 , ， or ;), like a visit's officers. The same rules as ``activity_create`` and
``activity_update``: at least one participant, each in the importing user's scope (an enterprise outside it is
"unknown"), ``counts_as_visit`` by default for a joint research trip, the recorder as officer when nobody is
named, and a participant that raised a need at the activity cannot be dropped. Attendee names stay on the
activity's page (an import keeps them for the enterprises it keeps).
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm import choices
from crm.models import Activity, Bureau, Need
from crm.querysets import key_chunks
from crm.services.activities import activity_counts_default
from crm.sheets.resources.base import (
    EXAMPLE_CREDIT_CODE,
    LedgerResource,
    choice,
    col,
    example_person,
    flag,
    text,
)
from crm.sheets.resources.widgets import (
    SEPARATORS,
    BureauWidget,
    DateWidget,
    EnterpriseWidget,
    ManyWidget,
    UserWidget,
    is_blank,
)


class ActivityResource(LedgerResource):
    """Activities in the user's scope, matched on 活动编号 (empty: a new activity)."""

    kind = "activities"
    title = "活动台账"
    key = "code"
    key_lookup = "code"
    aliases = {
        "编号": "活动编号",
        "活动名称": "活动主题",
        "主题": "活动主题",
        "标题": "活动主题",
        "类型": "活动类型",
        "活动形式": "活动类型",
        "日期": "活动日期",
        "举办日期": "活动日期",
        "地点": "活动地点",
        "参与企业": "参加企业",
        "企业名称": "参加企业",
        "参与科技局": "参加科技局",
        "联合单位": "参加科技局",
        "参加人员": "走访人员",
        "纪要": "活动纪要",
        "活动内容": "活动纪要",
    }
    export_select_related = ("lead",)
    export_prefetch_related = ("enterprises", "bureaus", "officers")
    example_columns = ("参加企业", "活动主题")
    notes = {
        "活动编号": _("Leave empty for a new record; keep it to update an exported record."),
        "参加企业": _("The participating enterprises by name or 统一社会信用代码; at least one."),
        "计入走访": _("Empty: 是 for a joint research trip, 否 otherwise."),
    }

    code = text("活动编号", "code", upper=True, readonly=True)
    kind_ = choice("活动类型", "kind", choices.ActivityKind)
    title_ = text("活动主题", "title")
    held_on = col("活动日期", "held_on", DateWidget())
    place = text("活动地点", "place")
    enterprises = col("参加企业", "enterprises", ManyWidget(EnterpriseWidget()))
    bureaus = col("参加科技局", "bureaus", ManyWidget(BureauWidget()))
    lead = col("带队领导", "lead", UserWidget())
    officers = col("走访人员", "officers", ManyWidget(UserWidget()))
    counts_as_visit = flag("计入走访", "counts_as_visit")
    summary = text("活动纪要", "summary")

    class Meta(LedgerResource.Meta):
        model = Activity
        fields = (
            "code",
            "kind_",
            "title_",
            "held_on",
            "place",
            "enterprises",
            "bureaus",
            "lead",
            "officers",
            "counts_as_visit",
            "summary",
        )

    def __init__(self, user=None, **kwargs):
        super().__init__(user=user, **kwargs)
        self._raised: dict[int, set[int]] = {}

    def _prefetch(self, dataset) -> None:
        # The enterprises of a many-to-many cell: each name or code of the file, in a few IN queries in scope.
        super()._prefetch(dataset)
        field = self.fields["enterprises"]
        if field.column_name in (dataset.headers or []):
            parts = [
                part
                for cell in self._column(dataset, field.column_name)
                if not is_blank(cell)
                for part in SEPARATORS.split(str(cell))
                if part.strip()
            ]
            field.widget.single.prefetch(parts)
        # Which participants of the activities updated raised a need there (they cannot be dropped).
        ids = sorted(obj.pk for obj in self._existing.values())
        self._raised = {}
        for chunk in key_chunks(ids):
            rows = Need.objects.filter(activity_id__in=chunk, enterprise_id__isnull=False)
            for activity_id, enterprise_id in rows.values_list("activity_id", "enterprise_id").distinct():
                self._raised.setdefault(activity_id, set()).add(enterprise_id)

    def init_instance(self, row=None):
        instance = super().init_instance(row)
        if not instance.bureau_id:  # as activity_create: the recorder's bureau, else the city's
            instance.bureau = Bureau.objects.order_by("level", "pk").first()
        return instance

    def row_checks(self, instance, row, errors):
        wanted = instance._import_m2m.get("enterprises")
        if instance.pk is None:
            if "enterprises" not in errors and not wanted:
                errors["enterprises"] = [_("Add at least one participating enterprise.")]
            if is_blank(row.get("计入走访")) and instance.kind:
                instance.counts_as_visit = activity_counts_default(instance.kind)
            if not instance._import_m2m.get("officers") and self.user is not None and instance.lead_id != self.user.pk:
                instance._import_m2m["officers"] = [self.user]
            return
        if wanted is not None and "enterprises" not in errors:
            if not wanted:
                errors["enterprises"] = [_("Add at least one participating enterprise.")]
                return
            dropped = self._raised.get(instance.pk, set()) - {e.pk for e in wanted}
            if dropped:
                errors["enterprises"] = [_("An enterprise that raised a need at the activity cannot be removed.")]

    def example_row(self):
        return {
            "活动类型": "联合调研",
            "活动主题": "示例：新能源汽车零部件企业联合调研",
            "活动日期": timezone.localdate(),
            "活动地点": "金湖县经济开发区",
            "参加企业": EXAMPLE_CREDIT_CODE,
            "参加科技局": "金湖县科技局",
            "走访人员": example_person(self.user),
            "计入走访": "是",
            "活动纪要": "了解企业研发投入与人才需求",
        }
