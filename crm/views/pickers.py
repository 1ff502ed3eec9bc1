"""The options of the type-ahead pickers (crm/forms/widgets.py): ``GET /pickers/<kind>/?q=<text>`` answers JSON
``{"results": [{"value", "text", "group"}], "groups": [{"value", "label"}]}`` for ``kind`` enterprise, project
(``&enterprise=<id>`` narrows), staff or policy. Scoped by ``visible_to`` (crm/selectors/pickers.py): records out
of the user's scope never appear; ``?id=<pk>`` of one outside the scope answers 404, as an unknown kind does."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, JsonResponse
from django.views import View

from crm.selectors.pickers import PICKERS, picker_groups, picker_option
from crm.validators import is_valid_id

MAX_QUERY_LENGTH = 100


class PickerOptionsView(LoginRequiredMixin, View):
    def get(self, request, kind: str):
        selector = PICKERS.get(kind)
        if selector is None:
            raise Http404
        wanted = request.GET.get("id")
        if wanted is not None:
            # One record by id (e.g. the label of a value set by a link): 404 outside the user's scope.
            option = picker_option(kind=kind, user=request.user, pk=int(wanted)) if is_valid_id(wanted) else None
            if option is None:
                raise Http404
            options = [option]
        else:
            query = request.GET.get("q", "").replace("\x00", "").strip()[:MAX_QUERY_LENGTH]
            kwargs = {"user": request.user, "query": query}
            if kind == "project" and request.GET.get("enterprise"):
                kwargs["enterprise"] = request.GET["enterprise"]
            options = selector(**kwargs)
        response = JsonResponse(
            {
                "results": [{"value": o.value, "text": o.text, "group": o.group} for o in options],
                "groups": picker_groups(kind),
            }
        )
        response["Cache-Control"] = "private, no-store"
        return response
