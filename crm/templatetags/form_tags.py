"""Template helpers of the shared form includes (crm/partials/_form_errors.html, _field.html) and a list's filter
panel."""

from django import forms, template
from django.template.defaultfilters import capfirst, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext
from django_filters.widgets import DateRangeWidget

from crm.choices import ChoicePairs
from crm.filtersets import ReferenceChoiceIterator, YesNoAllSelect
from crm.forms.widgets import PairChoices, Picker, PickerMultiple, Select, SelectMultiple
from crm.prepared import Statements
from crm.templatetags.crm_tags import chips_in_panel, shown

register = template.Library()

# A date range takes a wider column of the filter panel than the other filters.
RANGE_WIDGETS = frozenset({"daterange", "datefromtorange"})


@register.filter
def fields_in_error(form) -> list:
    """The visible bound fields of ``form`` that carry errors, in form order (for the error summary)."""
    if form is None or not hasattr(form, "visible_fields"):
        return []
    return [field for field in form.visible_fields() if field.errors]


def field_html(field, col: str = "") -> str:
    """What ``{% include "crm/partials/_field.html" with field=field col=col %}`` writes: the include cost some
    twenty node renders and a context push per field of a list's filter panel (~12 % of a list's rendering).
    tests/test_templatetags_form_tags.py renders both."""
    if field.is_hidden:
        return f"\n{field}\n"
    label = shown(capfirst(field.label))
    widget_type = field.widget_type
    if widget_type == "checkbox":
        body = (
            '\n  <div class="form-check mt-md-4">\n'
            f"    {field}\n"
            f'    <label class="form-check-label" for="{shown(field.id_for_label)}">{label}</label>\n'
            "  </div>\n  "
        )
    else:
        required = ' <span class="text-danger" aria-hidden="true">*</span>' if field.field.required else ""
        label_for = shown(field.id_for_label)
        body = f'\n  <label class="form-label" for="{label_for}">{label}{required}</label>\n  {field}\n  '
    errors = field.errors
    if errors:
        items = "".join(f"<div>{shown(error)}</div>" for error in errors)
        note = (
            f'\n  <div class="invalid-feedback d-block" id="{shown(field.auto_id)}_error"'
            f' data-field="{shown(field.name)}" role="alert">\n    {items}\n  </div>\n  '
        )
    else:
        help_text = field.help_text
        note = f'\n  <div class="form-text">{shown(help_text)}</div>\n  ' if help_text else ""
    div = f'<div class="{shown(col or "col-12")} mb-2 field-{shown(field.html_name)}">'
    return f"\n\n{div}\n  {body}\n  {note}\n</div>\n\n"


@register.simple_tag
def panel_fields(fields) -> str:
    """The fields of a list's filter panel (``filter_panel``), each as _field.html writes
    it: what the panel's ``{% for %}`` loop of includes wrote. A select over choices the process keeps, and a date
    range, is written once per process and ``_field_key`` (most of a panel's rendering, on every list page)."""
    language = get_language()
    parts = [_kept_field(field, language) for field in fields or ()]
    return mark_safe("".join(parts))  # noqa: S308 (field_html escapes every value; bound fields render safe HTML)


def _kept_field(field, language: str) -> str:
    keyed = _field_key(field, language)
    if keyed is None:
        return _panel_field(field)
    key, choices = keyed
    # The choices stay in the entry: while it is kept, no other object can take their ``id`` in the key.
    return _PANEL_FIELDS.once(key, lambda: (_panel_field(field), choices))[0]


def _panel_field(field) -> str:
    col = "col-12 col-md-8 col-xl-4" if field.widget_type in RANGE_WIDGETS else "col-6 col-md-4 col-xl-2"
    return f"\n          \n            {field_html(field, col)}\n          \n        "


# A filter panel's fields as ``panel_fields`` wrote them, per ``_field_key``.
_PANEL_FIELDS = Statements()
# The widgets whose HTML is fixed by what ``_field_key`` names (exact types: a subclass may draw more).
_SELECTS = frozenset({forms.Select, forms.SelectMultiple, Select, SelectMultiple, YesNoAllSelect})
_PICKERS = frozenset({Picker, PickerMultiple})
_SCALARS = frozenset({str, int, bool, type(None)})


def _field_key(field, language: str) -> tuple[tuple, object] | None:
    """What fixes the HTML of a panel's field, and the choices whose identity it names (to keep with the HTML): the
    form, field and widget, the language, the choices (the process's copy of them: another scope or a changed
    reference list is another copy), the widget's attributes, the bound value, the errors. None for a field
    written each time: another widget, choices made per request, a value of another type."""
    widget = field.field.widget
    widget_class = type(widget)
    if widget_class in _SELECTS or widget_class in _PICKERS:
        choices = _choices_key(widget)
        if choices is None:
            return None
        shape, kept_choices = choices
        if widget_class in _PICKERS:
            if widget.remote:  # its URL follows the request's script prefix
                return None
            shape = (*shape, widget.kind, _text(widget.placeholder), widget.narrow_by)
    elif widget_class is DateRangeWidget:
        shape, kept_choices = _range_key(widget), None
        if shape is None:
            return None
    else:
        return None
    form = field.form
    label, help_text = field.label, field.help_text
    key = (
        type(form),
        type(form.renderer),
        form.use_required_attribute,
        field.html_name,
        field.auto_id,
        widget_class,
        language,
        shape,
        _attrs_key(widget.attrs),
        (type(label), str(label)),
        (type(help_text), str(help_text)),
        field.field.required,
        field.field.disabled,
        field.field.show_hidden_initial,
        _value_key(field.value()),
        tuple((type(error), str(error)) for error in field.errors),
    )
    return None if None in key else (key, kept_choices)


def _choices_key(widget) -> tuple[tuple, object] | None:
    """The options of a select as the process keeps them (``id``), and the object kept, or None."""
    choices = widget.choices
    if isinstance(choices, ReferenceChoiceIterator):
        rows = choices.kept_rows()
        if rows is None:
            return None
        field = choices.field
        return (id(rows), _text(field.empty_label), _text(field.null_label), field.null_value), rows
    if type(choices) is ChoicePairs:  # an enumeration's (crm.filtersets ``_all_first``, ``YesNoAllSelect``)
        # By its list of pairs: a field's copy of its widget copies the ChoicePairs, not the list (YesNoAllSelect's).
        return (id(choices.pairs),), choices.pairs
    if type(choices) is PairChoices and choices.written is not None:  # a staff filter: the scope's people
        head = _pairs_key(choices.head)
        return None if head is None else ((head, id(choices.written)), choices.written)
    return None


def _range_key(widget) -> tuple | None:
    """A date range's two inputs (the dates themselves are the bound value)."""
    parts = tuple((type(sub), sub.input_type, _attrs_key(sub.attrs)) for sub in widget.widgets)
    if any(part[2] is None for part in parts):
        return None
    return widget.template_name, tuple(widget.widgets_names), parts


def _text(value) -> tuple[type, str] | tuple:
    return () if value is None else (type(value), str(value))


def _pairs_key(pairs) -> tuple | None:
    if any(type(value) not in _SCALARS or isinstance(label, list | tuple) for value, label in pairs):
        return None
    return tuple((value, _text(label)) for value, label in pairs)


def _attrs_key(attrs) -> tuple | None:
    if any(type(value) not in _SCALARS for value in attrs.values()):
        return None
    return tuple(attrs.items())


def _value_key(value) -> tuple | None:
    if type(value) in _SCALARS:
        return type(value), value
    if type(value) in (list, tuple) and all(type(item) in _SCALARS for item in value):
        return tuple((type(item), item) for item in value)
    return None


def _chips_html(request, chips) -> str:
    """What crm/partials/_filter_chips.html wrote for ``chips`` (each a removable link; 清除筛选 for two or more)."""
    if not chips:
        return "\n\n\n"
    remove = gettext("Remove this filter")
    items = "".join(
        "\n    <li>\n"
        f'      <a class="btn btn-sm btn-outline-primary rounded-pill filter-chip" href="{shown(chip.remove_url)}"'
        f' data-filter="{shown(chip.name)}"\n'
        f'         title="{remove}">\n'
        f"        <span>{shown(capfirst(chip.label))}：{shown(chip.value)}</span>\n"
        f'        <i class="bi bi-x-lg" aria-hidden="true"></i><span class="visually-hidden">{remove}</span>\n'
        "      </a>\n"
        "    </li>\n    "
        for chip in chips
    )
    clear = ""
    if len(chips) > 1:
        ordering = request.GET.get("ordering") if request is not None else None
        query = f"?ordering={shown(urlencode(ordering))}" if ordering else ""
        path = shown(request.path) if request is not None else ""
        clear = f'<a class="btn btn-sm btn-link px-1" href="{path}{query}">{gettext("Clear filters")}</a>'
    return (
        "\n\n\n"
        '<div class="filter-chips d-flex flex-wrap align-items-center gap-2 mt-2" id="filter-chips">\n'
        f'  <span class="small text-body-secondary" id="filter-chips-label">{gettext("Filtered by")}</span>\n'
        '  <ul class="list-unstyled d-flex flex-wrap gap-2 mb-0" aria-labelledby="filter-chips-label">\n'
        f"    {items}\n"
        "  </ul>\n"
        f"  {clear}\n"
        "</div>\n\n"
    )


@register.simple_tag(takes_context=True)
def filter_panel(context, search_placeholder=None) -> str:
    """A list's filter panel: the search box, the active filters as chips, the panel's fields (``panel_fields``),
    the other filters, ``ordering`` and ``page_size`` kept as hidden inputs; the panel opens by itself only when
    one of its own fields is set (or invalid), not for filters that came from a drill-down link.

    ``{% filter_panel search_placeholder %}`` writes what ``{% include "crm/partials/_filter_panel.html" with
    search_placeholder=… %}`` (and its include of _filter_chips.html) wrote: some 60 node renders and two context
    pushes on every list page. tests/test_templatetags_form_tags.py renders both."""
    request = context.get("request")
    form = context.get("filter_form")
    filterset = context.get("filterset")
    fields = context.get("panel_fields")
    q = form["q"] if form is not None and "q" in getattr(form, "fields", ()) else None
    q_id = shown(q.id_for_label) if q is not None else ""
    q_value = shown((q.value() if q is not None else None) or "")
    q_errors = q.errors if q is not None else None
    placeholder = shown(search_placeholder) if search_placeholder else gettext("Search")
    chips = getattr(filterset, "chips", None) if filterset is not None else None
    form_errors = bool(form.errors) if form is not None and hasattr(form, "errors") else False
    panel_open = chips_in_panel(chips, fields)
    count = context.get("active_filter_count")
    badge = f'<span class="badge text-bg-primary">{shown(count)}</span>' if count else ""
    errors = (
        '<div class="invalid-feedback d-block">' + " ".join(shown(error) for error in q_errors) + "</div>"
        if q_errors
        else ""
    )
    query = request.GET if request is not None else {}
    hidden = "".join(
        f'<input type="hidden" name="{shown(key)}" value="{shown(value)}">'
        for key, value in context.get("hidden_filter_params") or ()
    )
    ordering, page_size = query.get("ordering"), query.get("page_size")
    kept_ordering = f'<input type="hidden" name="ordering" value="{shown(ordering)}">' if ordering else ""
    kept_size = f'<input type="hidden" name="page_size" value="{shown(page_size)}">' if page_size else ""
    expanded = "true" if panel_open or form_errors else "false"
    return mark_safe(  # noqa: S308 (every value escaped by shown; translations written unescaped, as {% translate %})
        '\n\n<form method="get" class="card mb-3 filter-panel" id="filter-form" role="search">\n'
        '  <div class="card-body py-2">\n'
        '    <div class="d-flex gap-2 align-items-center">\n'
        '      <div class="flex-grow-1">\n'
        f'        <label class="visually-hidden" for="{q_id}">{gettext("Search")}</label>\n'
        f'        <input type="search" name="q" id="{q_id}" value="{q_value}"\n'
        f'               class="form-control{" is-invalid" if q_errors else ""}" maxlength="100"\n'
        f'               placeholder="{placeholder}">\n'
        "      </div>\n"
        '      <button class="btn btn-primary text-nowrap" type="submit" id="filter-submit"><i class="bi bi-search"'
        f' aria-hidden="true"></i> {gettext("Filter")}</button>\n'
        "      \n"
        '      <button class="btn btn-outline-secondary text-nowrap" type="button" data-bs-toggle="collapse"'
        ' data-bs-target="#filter-fields"\n'
        f'              aria-expanded="{expanded}" aria-controls="filter-fields"'
        ' id="filter-toggle">\n'
        '        <i class="bi bi-funnel" aria-hidden="true"></i><span class="d-none d-sm-inline">'
        f" {gettext('More filters')}</span>\n"
        f"        {badge}\n"
        "      </button>\n"
        "      \n"
        "    </div>\n"
        f"    {errors}\n"
        f"    {_chips_html(request, chips)}\n"
        f'    <div class="collapse{" show" if form_errors or panel_open else ""}" id="filter-fields">\n'
        '      <div class="row g-2 mt-1">\n'
        f"        {panel_fields(fields)}\n"
        "      </div>\n"
        '      <div class="d-flex gap-2 mt-1">\n'
        f'        <a class="btn btn-sm btn-link px-0" href="{shown(request.path) if request is not None else ""}">'
        f"{gettext('Clear filters')}</a>\n"
        "      </div>\n"
        "    </div>\n"
        f"    {hidden}\n"
        f"    {kept_ordering}\n"
        f"    {kept_size}\n"
        "  </div>\n"
        "</form>\n"
    )
