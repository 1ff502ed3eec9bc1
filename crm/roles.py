"""The four role groups and their model permissions (DESIGN §1, §5), kept in step after every migrate."""

from django.contrib.auth.models import Group, Permission

from crm.choices import Role

CRM_MODELS = [
    "bureau",
    "department",
    "user",
    "region",
    "industrychain",
    "qualification",
    "enterprise",
    "enterprisequalification",
    "contact",
    "project",
    "visit",
    "visitattachment",
    "need",
    "needevent",
    "holiday",
    "policy",
    "policymatch",
    "offering",
    "actionitem",
    "notification",
    "cadencerule",
    "visitplan",
    "activity",
    "activityparticipant",
]
LEDGER_MODELS = [
    "enterprise",
    "enterprisequalification",
    "contact",
    "project",
    "visit",
    "visitattachment",
    "need",
    "policy",
    "policymatch",
    "offering",
    "actionitem",
    "visitplan",
    "activity",
    "activityparticipant",
]


def _codes() -> dict[str, set[str]]:
    view_all = {f"view_{m}" for m in CRM_MODELS}
    return {
        Role.OFFICER: view_all
        | {
            "add_visit",
            "change_visit",
            "add_visitattachment",
            "add_need",
            "change_need",
            "add_needevent",
            "add_contact",
            "change_contact",
            "change_enterprise",
            "change_actionitem",
            "add_visitplan",
            "change_visitplan",
            "add_activity",
            "change_activity",
            "add_activityparticipant",
        },
        Role.MANAGER: view_all
        | {f"{verb}_{m}" for m in LEDGER_MODELS for verb in ("add", "change", "delete")}
        | {"add_needevent", "add_holiday", "change_holiday", "delete_holiday"},
        Role.LEADER: view_all
        | {"add_needevent", "add_visitplan", "change_visitplan", "add_activity", "change_activity"}
        | {"add_activityparticipant"},
        Role.ADMIN: {f"{verb}_{m}" for m in CRM_MODELS for verb in ("add", "change", "delete", "view")}
        | {"add_group", "change_group", "view_group"},
    }


def role_groups_sync(**kwargs) -> None:
    """Create the role groups and give each exactly its permissions; safe to run any number of times."""
    wanted = _codes()
    perms = {p.codename: p for p in Permission.objects.filter(content_type__app_label__in=["crm", "auth"])}
    for role, codes in wanted.items():
        group, _ = Group.objects.get_or_create(name=role.value)
        group.permissions.set([perms[c] for c in sorted(codes) if c in perms])
