"""Template helpers of policy matching and the action list: category labels, ✓/✗ reason marks, the eligible rows."""

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.choices import NeedCategory, OfferingKind
from crm.querysets import policy_closes_soon, policy_is_expired, policy_window_is_open
from crm.templatetags.crm_tags import badge, shown, url_pk, url_pk_parts, ymd
from crm.templatetags.number_tags import percent, wan

register = template.Library()


@register.filter
def need_category_label(value) -> str:
    """The label of a need-category value (``funding`` → 资金支持)."""
    try:
        return str(NeedCategory(value).label)
    except ValueError:
        return str(value)


@register.filter
def offering_kind_label(value) -> str:
    try:
        return str(OfferingKind(value).label)
    except ValueError:
        return str(value)


@register.simple_tag
def reason_mark(reason: dict):
    """✓ or ✗ for one reason of a suggestion or match (with a text alternative for screen readers)."""
    if reason.get("passed"):
        return format_html(
            '<span class="reason-mark text-success" title="{0}"><i class="bi bi-check-lg" aria-hidden="true"></i>'
            '<span class="visually-hidden">{0}</span></span>',
            _("passed"),
        )
    return format_html(
        '<span class="reason-mark text-danger" title="{0}"><i class="bi bi-x-lg" aria-hidden="true"></i>'
        '<span class="visually-hidden">{0}</span></span>',
        _("failed"),
    )


# The marks of a policy's application window: (test of (policy, today), CSS classes, data-mark, label, newline
# after the badge). The tests are the model's properties (crm.querysets) given today once per row, not read anew
# by each (the current date in the time zone, up to five times a row).
_WINDOW_MARKS = (
    (lambda p, today: not p.is_active, "badge text-bg-secondary", "inactive", gettext_lazy("Inactive"), "\n"),
    (policy_is_expired, "badge text-bg-light text-dark border", "expired", gettext_lazy("Expired"), "\n"),
    (policy_closes_soon, "badge text-bg-warning text-dark", "closing-soon", gettext_lazy("Closing soon"), "\n"),
    (
        lambda p, today: not policy_window_is_open(p, today),
        "badge text-bg-info text-dark",
        "not-open",
        gettext_lazy("Not open yet"),
        "",
    ),
)


def _window_day(value) -> str:
    return ymd(value) or "…"


@register.simple_tag
def policy_window(policy) -> str:
    """``{% policy_window policy %}``: the application window of ``policy`` with its inactive / expired / closing-soon /
    not-yet-open mark (the policy list prints one per row: a tag, not an ``{% include %}`` per row)."""
    if policy.apply_from or policy.apply_until:
        window = f"{_window_day(policy.apply_from)} ~ {_window_day(policy.apply_until)}"
    else:
        window = _("Open all year")
    html = f'\n<span class="text-nowrap policy-window">{shown(window)}</span>\n'
    today = timezone.localdate()
    for test, css, mark, label, tail in _WINDOW_MARKS:
        if test(policy, today):
            html += f'<span class="{css}" data-mark="{mark}">{shown(str(label))}</span>{tail}'
            break
    return mark_safe(html + "\n")  # noqa: S308 (the window and the label escaped by shown; the rest is constant)


@register.simple_tag
def eligible_rows(rows, can_push) -> str:
    """The ``<tr>`` of each eligible enterprise on the policy page (templates/crm/policies/detail.html), written
    here: 50 rows of some twenty template nodes each were most of the page's rendering. The same bytes as the
    template loop wrote; the marks and badges from their one home (reason_mark, crm_tags.badge, percent)."""
    told_already, why = conditional_escape(_("Told already")), conditional_escape(_("Why it is eligible"))
    not_yet = conditional_escape(_("Not yet"))
    linked = f'<span class="badge text-bg-primary">{conditional_escape(_("Linked"))}</span>'
    assisted = f'<span class="badge text-bg-success">{conditional_escape(_("Assisted"))}</span>'
    parts = []
    for e in rows:
        pk = e.pk
        check = ""
        if can_push:
            if e.told:
                check = f'<td><i class="bi bi-check2 text-success" title="{told_already}" aria-hidden="true"></i></td>'
            else:
                check = (
                    f'<td><input class="form-check-input" type="checkbox" name="enterprises" value="{pk}" '
                    f'id="push-{pk}" aria-label="{shown(e.name)}"></td>'
                )
        reasons = ""
        if e.eligibility_reasons:
            items = "".join(
                f'<li class="list-inline-item reason" data-criterion="{shown(r["criterion"])}">{reason_mark(r)} '
                f'<span class="reason-name">{shown(r["name"])}</span> {shown(r["detail"])}</li>'
                for r in e.eligibility_reasons
            )
            reasons = (
                f'<ul class="list-inline small text-body-secondary mb-0 eligible-reasons" aria-label="{why}">\n'
                f"                    {items}\n                  </ul>"
            )
        match = e.policy_match
        told = (
            badge(match.status, match.get_status_display())
            if match
            else f'<span class="text-body-secondary small">{not_yet}</span>'
        )
        employees = "—" if e.employees is None else shown(e.employees)
        parts.append(
            f'\n              <tr data-id="{pk}">\n'
            f"                {check}\n"
            "                <td>\n"
            f'                  <a href="{url_pk("crm:enterprise-detail", pk)}">{shown(e.name)}</a>\n'
            f"                  {linked if e.is_linked else ''}\n"
            f"                  {assisted if e.is_assisted else ''}\n"
            f"                  {reasons}\n"
            "                </td>\n"
            f'                <td class="d-none d-md-table-cell text-nowrap">{shown(e.region)}</td>\n'
            f'                <td class="d-none d-lg-table-cell">{shown(e.industry_chain or "—")}</td>\n'
            f'                <td class="d-none d-sm-table-cell text-end">{employees}</td>\n'
            f'                <td class="d-none d-lg-table-cell text-end">{shown(percent(e.rd_ratio))}</td>\n'
            f'                <td class="text-nowrap">{told}</td>\n'
            "              </tr>\n            "
        )
    return mark_safe("".join(parts))  # noqa: S308 (every value is escaped above, marks and badges by format_html)


def _matches_frame(context) -> dict:
    """What every match of one page writes alike (the follow-up form's CSRF field, the page's path, its words, the
    link paths, each status's badge and options), made once per rendering of the page (``render_context``), not once
    per match."""
    frame = context.render_context.get(_matches_frame)
    if frame is None:
        request = context.get("request")
        frame = context.render_context[_matches_frame] = {
            "csrf": CsrfTokenNode().render(context),
            "next": shown(request.get_full_path()) if request else "",
            "status": conditional_escape(_("status")),
            "save": conditional_escape(_("Save")),
            "amount_label": conditional_escape(_("granted amount (10k CNY)")),
            "amount": conditional_escape(_("Amount")),
            "update_url": url_pk_parts("crm:policymatch-update"),
            "policy_url": url_pk_parts("crm:policy-detail"),
            "need_url": url_pk_parts("crm:need-detail"),
            "made": {},  # badges and options, per value
        }
    return frame


@register.simple_tag(takes_context=True)
def match_status_form(context, match) -> str:
    """The inline follow-up form of one match (the policy page's matches, the 360° page's) from its ``follow_up``
    (crm.forms.policies.MatchFollowUp: what MatchStatusForm offers it; only managers get one): the status, the granted
    amount where the status allows one, posted back to this page. Written here rather than included: a manager's 360°
    page showed it for each of up to twenty matches, some thirty template nodes each. Nothing unless the match can
    still change."""
    follow_up = getattr(match, "follow_up", None)
    if not (follow_up and follow_up.can_change):
        return mark_safe("\n\n")  # noqa: S308 (constant)
    frame = _matches_frame(context)
    choices = follow_up.choices
    key = ("options", match.status, tuple(value for value, _label in choices))
    options = frame["made"].get(key)
    if options is None:
        options = frame["made"][key] = "".join(
            f'<option value="{shown(value)}" {"selected" if value == match.status else ""}>{shown(label)}</option>'
            for value, label in choices
        )
    amount = ""
    if follow_up.allows_amount:
        amount_id, amount_label = shown(follow_up.id_for("granted_amount")), frame["amount_label"]
        value = "" if match.granted_amount is None else str(match.granted_amount)
        amount = (
            f'\n  <label class="visually-hidden" for="{amount_id}">{amount_label}</label>\n'
            f'  <input type="number" step="0.01" min="0" name="{shown(follow_up.html_name("granted_amount"))}" '
            f'id="{amount_id}" class="form-control form-control-sm amount-input" '
            f'placeholder="{frame["amount"]}" title="{amount_label}" value="{shown(value)}">\n  '
        )
    head, tail = frame["update_url"]
    status_id, status_name = shown(follow_up.id_for("status")), shown(follow_up.html_name("status"))
    return mark_safe(  # noqa: S308 (every value escaped by shown or conditional_escape; the token by Django's tag)
        "\n\n"
        f'<form method="post" action="{shown(f"{head}{match.pk}{tail}")}" '
        f'class="d-flex flex-nowrap gap-1 align-items-center match-status-form" data-match="{shown(match.pk)}">\n'
        f"  {frame['csrf']}\n"
        f'  <input type="hidden" name="next" value="{frame["next"]}">\n'
        "  \n"
        f'  <label class="visually-hidden" for="{status_id}">{frame["status"]}</label>\n'
        f'  <select name="{status_name}" id="{status_id}" class="form-select form-select-sm w-auto">\n'
        f"    {options}\n"
        "  </select>\n"
        f"  {amount}\n"
        f'  <input type="hidden" name="{shown(follow_up.html_name("note"))}" value="{shown(match.note)}">\n'
        "  \n"
        f'  <button type="submit" class="btn btn-sm btn-outline-primary text-nowrap">{frame["save"]}</button>\n'
        "</form>\n\n"
    )


@register.simple_tag(takes_context=True)
def enterprise_match_items(context, matches) -> str:
    """The ``<li>`` of each policy match on the 360° page (templates/crm/policies/_enterprise_matches.html), written
    here: the same bytes as the template loop wrote (some twenty nodes and three ``{% translate %}`` per match). A
    match with a ``follow_up`` (managers) gets its follow-up form (``match_status_form``)."""
    pushed_label, for_need = conditional_escape(_("pushed")), conditional_escape(_("for need"))
    granted_label, unit = conditional_escape(_("granted")), conditional_escape(_("10k CNY"))
    frame = _matches_frame(context)
    (policy_head, policy_tail), (need_head, need_tail), made = frame["policy_url"], frame["need_url"], frame["made"]
    parts = []
    for m in matches:
        pushed = ""
        if m.pushed_at:
            pushed = f"{pushed_label} {ymd(m.pushed_at)}" + (f" · {shown(m.pushed_by)}" if m.pushed_by_id else "")
        need = ""
        if m.need_id:
            need = f' · {for_need} <a href="{shown(f"{need_head}{m.need_id}{need_tail}")}">{shown(m.need.code)}</a>'
        granted = ""
        if m.granted_amount is not None:
            granted = f" · {granted_label} {shown(wan(m.granted_amount))} {unit}"
        form = f'<div class="mt-1">{match_status_form(context, m)}</div>' if getattr(m, "follow_up", None) else ""
        status = made.get(("badge", m.status))
        if status is None:
            status = made[("badge", m.status)] = badge(m.status, m.get_status_display())
        parts.append(
            f'\n    <li class="list-group-item" data-match="{shown(m.pk)}">\n'
            '      <div class="d-flex justify-content-between gap-2">\n'
            "        <div>\n"
            f'          <a href="{shown(f"{policy_head}{m.policy_id}{policy_tail}")}">{shown(m.policy.title)}</a>\n'
            '          <div class="text-body-secondary">\n'
            f"            {pushed}\n"
            f"            {need}\n"
            f"            {granted}\n"
            "          </div>\n"
            "        </div>\n"
            f'        <div class="text-nowrap">{status}</div>\n'
            "      </div>\n"
            f"      {form}\n"
            "    </li>\n    "
        )
    return mark_safe("".join(parts))  # noqa: S308 (every value escaped by shown; badge, url_pk, the form's template)
