"""Building blocks shared by the web pages: login, scoping (404 outside scope), permissions (403),
filtered + sorted + paginated lists, page sections that other modules can extend, the web's one mapping
of service errors (``service_errors``) and the ``next`` parameter (``safe_next``)."""

import mimetypes
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import MultiWidget
from django.http import FileResponse, Http404
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import DetailView, ListView

from crm.filtersets import filter_value_is_set, filters_named, filterset_with
from crm.forms.base import style_form
from crm.paginator import PreparedRowsPaginator, count_cap_for
from crm.permissions import can_create, can_edit
from crm.selectors.rows import people_prefetch
from crm.services.errors import TransitionConflict, TransitionForbidden

PAGE_SIZE_CHOICES = (20, 50, 100)
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Section:
    """One block of a composite page (工作台, 360° page, project page).

    ``template`` is included with the page context plus whatever ``context(obj_or_user, request)``
    returns; ``column`` is ``"main"`` or ``"side"``; ``visible(request)`` can hide it by role.
    """

    name: str
    template: str
    context: Callable[..., dict] | None = None
    column: str = "main"
    visible: Callable[..., bool] | None = field(default=None)


def build_sections(sections: list[Section], target, request) -> dict[str, list[dict]]:
    """Evaluate the sections for ``target`` and group them by column: ``{"main": [...], "side": [...]}``."""
    columns: dict[str, list[dict]] = {"main": [], "side": []}
    for section in sections:
        if section.visible and not section.visible(request):
            continue
        extra = section.context(target, request) if section.context else {}
        columns.setdefault(section.column, []).append({"name": section.name, "template": section.template, **extra})
    return columns


def attachment_response(request, attachment) -> FileResponse:
    """An uploaded file served safely (visits, activities, needs): never rendered as HTML by the browser, 404 if
    the file is gone; ``?download=1`` saves it instead of showing it. The caller has checked the scope."""
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    content_type = attachment.content_type or mimetypes.guess_type(attachment.name)[0] or "application/octet-stream"
    download = request.GET.get("download") == "1"
    response = FileResponse(handle, content_type=content_type, as_attachment=download, filename=attachment.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return response


def safe_next(request, default: str) -> str:
    """The ``next`` parameter when it points into this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return target
    return default


def add_service_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError next to the form's fields (or above the form)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, texts in error.message_dict.items():
        field = name if name in form.fields else None
        # The form may have found the same problem already: show each message once.
        shown = form.errors.get(field or "__all__", []) if form.is_bound else []
        new = [text for text in texts if text not in shown]
        if new:
            form.add_error(field, new)


@dataclass
class ServiceOutcome:
    """What ``service_errors`` saw: ``failed`` (the service refused: nothing was written) and ``conflict``
    (a stale version or a status that does not allow the change: reload rather than show the form again)."""

    failed: bool = False
    conflict: bool = False


@contextmanager
def service_errors(request, form=None, *, conflict_field: str | None = None):
    """The web's one mapping of the services' errors (the API's is crm/api/errors.py)::

        with service_errors(request, form) as outcome:
            need_transition(...)
        if outcome.failed:
            ...  # show the form again, or go back

    - ``TransitionForbidden`` (the role may not) → 403, as ``PermissionDenied`` (which passes through);
    - ``TransitionConflict`` → next to ``conflict_field`` of ``form`` when given, else an error message;
    - ``ValidationError`` → next to the fields of ``form`` (``add_service_errors``), else an error message.
    """
    outcome = ServiceOutcome()
    try:
        yield outcome
    except TransitionForbidden as error:
        raise PermissionDenied(error.message) from error
    except TransitionConflict as error:
        outcome.failed = outcome.conflict = True
        if form is not None and conflict_field:
            form.add_error(conflict_field, error.message)
        else:
            messages.error(request, error.message)
    except ValidationError as error:
        outcome.failed = True
        if form is not None:
            add_service_errors(form, error)
        else:
            messages.error(request, " ".join(error.messages))


class ScopedQuerysetMixin(LoginRequiredMixin):
    """Reads go through ``Model.objects.visible_to(user)``: out-of-scope objects answer 404."""

    # ``model`` comes from the view (not set here, so a form mixin earlier in the MRO can provide it).
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple = ()

    def get_scoped_queryset(self):
        qs = self.model.objects.visible_to(self.request.user)
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        if self.prefetch_related:
            qs = qs.prefetch_related(*self.prefetch_related)
        return qs

    def get_queryset(self):
        return self.get_scoped_queryset()


class CreatePermissionMixin(LoginRequiredMixin):
    """403 unless ``can_create(user, model)``."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_create(request.user, self.model):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class EditPermissionMixin(ScopedQuerysetMixin):
    """404 outside the scope (via the scoped queryset), then 403 unless ``can_edit(user, obj)``."""

    def get_scoped_queryset(self):
        # Shared libraries (policies, offerings) are read by every bureau but edited by the one that keeps the
        # entry: another bureau's entry answers 404 here, as an out-of-scope record does.
        queryset = super().get_scoped_queryset()
        return queryset.kept_by(self.request.user) if hasattr(queryset, "kept_by") else queryset

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        if not can_edit(self.request.user, obj):
            raise PermissionDenied
        return obj


class FilteredListView(ScopedQuerysetMixin, ListView):
    """A scoped list filtered by ``filterset_class`` (``q`` search and ``ordering`` included),
    paginated with a page size chosen by ``?page_size=`` (1 … 200; the select offers 20/50/100).

    Context: ``filterset``, ``filter_form``, ``page_obj``, ``paginator``, ``total_count``,
    ``page_size``, ``page_size_choices``, ``active_filter_count``.
    """

    filterset_class = None
    # What a row of the page shows, when less than the list's queryset loads (``page_rows``): its columns (empty:
    # all), the relations joined for them (None: the list's), the many-to-many relations to users it names.
    row_fields: tuple[str, ...] = ()
    row_related: tuple[str, ...] | None = None
    row_people: tuple[str, ...] = ()
    # Values a row shows that the database computes per row (``crm.paginator.RowAnnotations``): the page's rows only.
    row_annotations: tuple = ()
    # FilterSet fields shown in the filter panel (empty: all); other filters still apply from the URL.
    filter_fields: tuple[str, ...] = ()
    paginate_by = PAGE_SIZE_CHOICES[0]
    page_title = ""

    def get_filterset_class(self):
        """The FilterSet with the filters the page uses: the panel's, ``q``, ``ordering`` and those the query string
        names (a filter whose parameter is absent filters nothing and shows nowhere; building it was a good part of
        a list's time). A view without ``filter_fields`` shows every filter in its panel, so keeps them all."""
        filterset_class = self.filterset_class
        if filterset_class is None or not self.filter_fields:
            return filterset_class
        names = {"q", "ordering", *self.filter_fields, *filters_named(filterset_class, self.request.GET.keys())}
        return filterset_with(filterset_class, names)

    def get_filterset(self, queryset):
        filterset_class = self.get_filterset_class()
        if filterset_class is None:
            return None
        filterset = filterset_class(self.request.GET or None, queryset=queryset, request=self.request)
        style_form(filterset.form)
        return filterset

    def get_queryset(self):
        queryset = self.get_scoped_queryset()
        self.filterset = self.get_filterset(queryset)
        if self.filterset is None:
            return queryset
        # Invalid filter values are shown next to their field and ignored; the rest still apply.
        if not self.filterset.is_valid() and self.filterset.form.errors:
            style_form(self.filterset.form)  # marks the invalid fields (the widgets were styled by get_filterset)
        return self.filterset.qs

    def page_rows(self, rows):
        """The query that loads the page's rows by key (``PreparedRowsPaginator``), narrowed to what a row shows:
        ``row_related`` joined instead of the list's ``select_related``, ``row_fields`` only, no prefetch of the
        ``row_people`` (``people_prefetch`` reads their names). ``get_queryset`` stays whole: the export reads it."""
        if self.row_related is not None:
            rows = rows.select_related(None).select_related(*self.row_related)
        if self.row_people:
            rows = rows.prefetch_related(None)
        return rows.only(*self.row_fields) if self.row_fields else rows

    def get_paginate_by(self, queryset):
        raw = self.request.GET.get("page_size", "")
        if raw.isdigit() and 1 <= int(raw) <= MAX_PAGE_SIZE:
            return int(raw)
        return self.paginate_by

    def paginate_queryset(self, queryset, page_size):
        # get_page clamps a wrong or too-large page number instead of answering 404.
        # A capped count (crm/paginator.py): a big list prints "10000+" ("1000+" found by text) instead of counting
        # every row.
        paginator = PreparedRowsPaginator(
            queryset,
            page_size,
            count_cap=count_cap_for(self.request.GET),
            page_rows=self.page_rows,
            row_annotations=self.row_annotations,
        )
        page = paginator.get_page(self.request.GET.get("page"))
        for relation in self.row_people:
            people_prefetch(page.object_list, relation)
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset = self.filterset
        active = 0
        if filterset is not None and hasattr(filterset.form, "cleaned_data"):
            active = sum(
                1
                for name, value in filterset.form.cleaned_data.items()
                if name not in {"ordering", "q"} and filter_value_is_set(value)
            )
        page_size = context["paginator"].per_page
        panel_fields, hidden_params = self.split_filter_fields(filterset)
        context.update(
            panel_fields=panel_fields,
            hidden_filter_params=hidden_params,
            filterset=filterset,
            filter_form=filterset.form if filterset is not None else None,
            total_count=context["paginator"].count,
            page_size=page_size,
            page_size_choices=sorted(set(PAGE_SIZE_CHOICES) | {page_size}),
            active_filter_count=active,
            page_title=self.page_title,
        )
        return context

    def split_filter_fields(self, filterset) -> tuple[list, list[tuple[str, str]]]:
        """The bound fields for the panel, and the URL parameters of the other filters (kept as hidden inputs)."""
        if filterset is None:
            return [], []
        form = filterset.form
        shown = [
            form[name]
            for name in (self.filter_fields or form.fields)
            if name in form.fields and name not in {"q", "ordering"}
        ]
        shown_names = {name for bf in shown for name in _param_names(bf)} | {"q", "ordering", "page", "page_size"}
        hidden = [
            (key, value) for key, values in self.request.GET.lists() if key not in shown_names for value in values
        ]
        return shown, hidden


def _param_names(bound_field) -> list[str]:
    widget = bound_field.field.widget
    if isinstance(widget, MultiWidget):
        return [bound_field.html_name + suffix for suffix in widget.widgets_names]
    return [bound_field.html_name]


class ScopedDetailView(ScopedQuerysetMixin, DetailView):
    """A detail page of an object in the user's scope (404 otherwise) with extensible sections."""

    sections: list[Section] = []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_edit"] = can_edit(self.request.user, self.object)
        context["columns"] = build_sections(self.sections, self.object, self.request)
        return context
