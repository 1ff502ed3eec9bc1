"""The cultivation board's cards written in Python (``{% cultivation_cards column next_url %}``, each card by
``cultivation_card``), a row of the commissioners list (``{% commissioner_row c %}``), and the 360° page's yearly
figures (``trend_chart_body``, ``year_rows``, ``year_form_fields``).

The board shows up to 50 cards in each of its six columns, and each card carries its move form (a select of the
six stages, the CSRF field, two links): some forty template nodes a card, 300 cards, most of the page's time on
the seed_scale data. The tag writes the same bytes as the template it replaced (tests/test_templatetags_programme_
tags.py renders both), with the helpers the list rows use (crm_tags ``shown``, ``ymd``, ``url_pk_parts``).
"""

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext

from crm.choices import CultivationStage
from crm.prepared import Statements
from crm.selectors.programmes import BoardCard
from crm.templatetags.crm_tags import shown, url_pk, url_pk_parts, ymd
from crm.templatetags.number_tags import wan

register = template.Library()

_CSRF = CsrfTokenNode()


def _options(stage: str) -> str:
    """The move select's options (every stage, as CultivationMoveForm takes them), ``stage`` selected."""
    return "".join(
        f'<option value="{shown(value)}"{" selected" if value == stage else ""}>{shown(label)}</option>'
        for value, label in CultivationStage.choices
    )


def _frame(context, next_url: str) -> dict:
    """What every card of one page writes alike (labels, CSRF field, the ``next`` field, each column's options,
    the paths around the pks),
    made once per rendering of the page (``render_context``) rather than once per card."""
    frame = context.render_context.get(_frame)
    if frame is None or frame["next_url"] != next_url:
        frame = context.render_context[_frame] = {
            "next_url": next_url,
            "next": shown(next_url),
            "csrf": _CSRF.render(context),
            "next_step": shown(gettext("Next step")),
            "move_to": shown(gettext("Move to")),
            "move": shown(gettext("Move")),
            "options": {},
            "enterprise_url": url_pk_parts("crm:enterprise-detail"),
            "move_url": url_pk_parts("crm:cultivation-move"),
        }
    return frame


@register.simple_tag(takes_context=True)
def cultivation_cards(context, column: dict, next_url: str) -> str:
    """A column's cards, as ``{% for card in column.cards %}`` with ``{% cultivation_card %}`` (``{% empty %}``: the
    "None" item) wrote them, line breaks included: one tag a column, not a loop step and a tag call per card (300
    on a full board)."""
    if not column["cards"]:
        return mark_safe(  # noqa: S308 (escaped by shown)
            f'\n      <div class="list-group-item small text-body-secondary">{shown(gettext("None"))}</div>\n      '
        )
    stage = column["stage"]
    return mark_safe(  # noqa: S308 (each card escapes its values)
        "".join(f"\n      {cultivation_card(context, card, stage, next_url)}\n      " for card in column["cards"])
    )


def cultivation_card(context, card: BoardCard, stage: str, next_url: str) -> str:
    """One card of templates/crm/programmes/board.html: the enterprise, programme, region, officer, next step and
    the form moving the card to another stage (``stage``, the card's column, preselected)."""
    frame = _frame(context, next_url)
    options = frame["options"].get(stage)
    if options is None:
        options = frame["options"][stage] = _options(stage)
    officer = f" · {shown(card.officer)}" if card.officer else ""
    next_step = f"<div>{frame['next_step']} {ymd(card.next_step_on)}</div>" if card.next_step_on else ""
    pk = shown(card.pk)
    (enterprise_head, enterprise_tail), (move_head, move_tail) = frame["enterprise_url"], frame["move_url"]
    enterprise_url = shown(f"{enterprise_head}{card.enterprise_id}{enterprise_tail}")
    return mark_safe(  # noqa: S308 (every value escaped by shown, the paths too; the CSRF node escapes its own)
        f'<div class="list-group-item board-card" data-id="{pk}">\n'
        f'        <a class="fw-semibold d-block" href="{enterprise_url}">'
        f"{shown(card.enterprise_name)}</a>\n"
        '        <div class="small text-body-secondary">\n'
        f"          {shown(card.programme_name)} · {shown(card.region_name)}{officer}\n"
        f"          {next_step}\n"
        "        </div>\n"
        f'        <form method="post" action="{shown(f"{move_head}{card.pk}{move_tail}")}" '
        'class="d-flex gap-1 mt-1 board-move">\n'
        f"          {frame['csrf']}\n"
        f'          <input type="hidden" name="next" value="{frame["next"]}">\n'
        f'          <label class="visually-hidden" for="move-{pk}">{frame["move_to"]}</label>\n'
        f'          <select name="stage" id="move-{pk}" class="form-select form-select-sm">\n'
        f"            {options}\n"
        "          </select>\n"
        '          <button class="btn btn-sm btn-outline-primary text-nowrap" type="submit">'
        f"{frame['move']}</button>\n"
        "        </form>\n"
        "      </div>"
    )


@register.simple_tag
def commissioner_row(c) -> str:
    """One commissioner of the list (templates/crm/programmes/commissioners.html): the bytes its template loop wrote
    (a link per enterprise served, twenty commissioners a page)."""
    inactive = f' <span class="badge text-bg-secondary">{shown(gettext("inactive"))}</span>' if not c.is_active else ""
    days = gettext("%(days)s service days") % {"days": shown(c.service_days or 0)}
    expertise = f" · {shown(c.expertise)}" if c.expertise else ""
    chain = f" · {shown(c.industry_chain.name)}" if c.industry_chain else ""
    served = ""
    if c.visible_assignments:
        links = "、".join(
            f'<a href="{shown(url_pk("crm:enterprise-detail", a.enterprise_id))}">{shown(a.enterprise.name)}</a>'
            for a in c.visible_assignments
        )
        served = f'\n      <div class="small mt-1">{links}</div>\n      '
    return mark_safe(  # noqa: S308 (every value escaped by shown; the translation is the catalogue's own text)
        f'<div class="list-group-item" data-id="{shown(c.pk)}">\n'
        '      <div class="d-flex justify-content-between flex-wrap gap-2">\n'
        f'        <span class="fw-semibold">{shown(c.name)}{inactive}</span>\n'
        f'        <span class="small text-body-secondary">{days}</span>\n'
        "      </div>\n"
        f'      <div class="small text-body-secondary">{shown(c.institution)}{expertise}{chain}</div>\n'
        f"      {served}\n"
        "    </div>"
    )


@register.simple_tag
def trend_chart_body(chart) -> str:
    """The lines, dots and year labels inside the 360° page's trend chart (templates/crm/programmes/_enterprise_
    figures.html; ``crm.selectors.programmes.trend_chart``): the bytes of the loops they replaced."""
    parts = []
    for series in chart.series:
        css = shown(series["css"])
        dots = "".join(
            f'<circle class="trend-dot trend-{css}" cx="{shown(x)}" cy="{shown(y)}" r="2.5">'
            f"<title>{shown(wan(value))}</title></circle>"
            for x, y, value in series["dots"]
        )
        parts.append(
            f'\n      <polyline class="trend-line trend-{css}" points="{shown(series["points"])}" fill="none">'
            f"</polyline>\n      {dots}\n      "
        )
    label_y = shown(chart.label_y)
    labels = "".join(
        f'<text class="trend-label" x="{shown(label["x"])}" y="{label_y}" text-anchor="middle">'
        f"{shown(label['text'])}</text>"
        for label in chart.labels
    )
    return mark_safe(f"{''.join(parts)}\n      {labels}")  # noqa: S308 (every value escaped by shown)


@register.simple_tag
def year_rows(years) -> str:
    """The rows of the 360° page's yearly figures (``{% for y in section.years %}``), the latest marked current."""
    current = f' <span class="badge text-bg-light">{gettext("current")}</span>'
    return mark_safe(  # noqa: S308 (every value escaped by shown)
        "".join(
            f'\n    <tr data-year="{shown(y.year)}"><td>{shown(y.year)}{"" if index else current}</td>'
            f'<td class="text-end">{shown(wan(y.revenue))}</td><td class="text-end">{shown(wan(y.rd_expense))}</td>'
            f'<td class="text-end">{shown(y.employees or "—")}</td></tr>\n    '
            for index, y in enumerate(years)
        )
    )


# ``year_form_fields``' writings, per form class, prefix, ids, language and values (the one bounded store).
_YEAR_FORM_FIELDS = Statements()


@register.simple_tag
def year_form_fields(form) -> str:
    """The fields of the 360° page's form of a year's figures (crm.forms.programmes.EnterpriseYearForm), as ``{% for
    field in form %}`` wrote each one's label and widget. An unbound form writes the same bytes for the same values
    on every enterprise's page: written once per process for its class, prefix, ids, language and values, rather than
    nine widgets through their templates per page (~2,700 Python calls, 8 % of the page at seed_scale)."""
    fields = list(form)
    key = None
    if not form.is_bound:
        key = (type(form), form.prefix, form.auto_id, get_language(), tuple((f.name, f.value()) for f in fields))
        try:
            written = _YEAR_FORM_FIELDS.get(key)
        except TypeError:  # a value that cannot be a key (a list): written every time
            key = written = None
        if written is not None:
            return written
    written = mark_safe(  # noqa: S308 (the label and the id escaped by shown; the widget renders itself escaped)
        "".join(
            f'\n        <div class="col-6"><label class="form-label small mb-0" for="{shown(field.id_for_label)}">'
            f"{shown(field.label)}</label>{field}</div>\n        "
            for field in fields
        )
    )
    if key is not None:
        _YEAR_FORM_FIELDS.keep(key, written)
    return written
