"""All or nothing for an import written in several short transactions (issue 11).

A background import writes ``settings.IMPORT_WRITE_CHUNK_ROWS`` rows per transaction so that it never holds
SQLite's single write lock for seconds. Each transaction also writes, through an ``UndoJournal``, what it did as
``ImportUndo`` rows of the job: the keys of the records it created, the values of the columns it updated
before and after, the many-to-many links it added or removed and the history rows it wrote. If a later
transaction fails, or the worker dies (``recover_imports``), ``import_undo`` takes it all back from them, newest
first, again in short transactions.

An officer's work done in between is never overwritten: an updated row whose columns no longer hold what the
import wrote, or a created record that was changed since or that other records now refer to, is left as it is
and reported. Limits: code numbers handed out to undone records stay used (a gap in 走访/诉求 codes), and a
link removed by the import that someone added again meanwhile is not doubled.
"""

from __future__ import annotations

import datetime
import json
import time

from django.apps import apps
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models, router, transaction
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from crm.models import ImportUndo
from crm.querysets import key_chunks
from crm.sheets.resources.bulk import RowsUpdate

STAMP_COLUMNS = ("updated_at", "version")  # a record's columns that any later save changes


def _label(model) -> str:
    return model._meta.label


class _ExactEncoder(DjangoJSONEncoder):
    """Times with their microseconds (DjangoJSONEncoder keeps milliseconds): a value is put back exactly."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def _plain(values):
    """Values as the journal keeps them (JSON), so that stored and current values compare alike."""
    return json.loads(json.dumps(values, cls=_ExactEncoder))


def _values(model, pks, attnames: list[str]) -> dict:
    """{pk: [values of attnames]} of the rows ``pks`` as stored now (JSON-plain)."""
    rows = []
    for chunk in key_chunks(pks):
        rows += model._base_manager.filter(pk__in=chunk).values_list("pk", *attnames)
    return {pk: values for pk, *values in _plain(rows)}  # one JSON round trip for all rows


def _stamps(model) -> list[str]:
    names = {f.attname for f in model._meta.concrete_fields}
    return [name for name in STAMP_COLUMNS if name in names]


class UndoJournal:
    """Collects what one transaction writes; ``flush`` stores it in the same transaction."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.seq = 0
        self.pending: list[ImportUndo] = []

    def _add(self, action: str, model, data: dict) -> None:
        self.seq += 1
        self.pending.append(ImportUndo(job_id=self.job_id, seq=self.seq, action=action, model=_label(model), data=data))

    def created(self, model, pks: list) -> None:
        """Records just inserted; their stamps (updated_at, version) tell later whether someone changed them."""
        if pks:
            stamps = _stamps(model)
            self._add(ImportUndo.Action.CREATED, model, {"stamps": stamps, "rows": _values(model, pks, stamps)})

    def updating(self, model, pks, attnames: list[str]):
        """A context manager around an update of ``attnames`` of the rows ``pks``: their values before and after."""
        journal = self

        class _Updating:
            def __enter__(self):
                self.before = _values(model, pks, attnames) if pks else {}

            def __exit__(self, kind, error, traceback):
                if kind is not None or not self.before:
                    return
                after = _values(model, list(self.before), attnames)
                rows = [[pk, old, after[pk]] for pk, old in self.before.items() if pk in after and after[pk] != old]
                if rows:
                    journal._add(ImportUndo.Action.UPDATED, model, {"columns": attnames, "rows": rows})

        return _Updating()

    def history(self, model, pks: list, history_type: str, date) -> None:
        """History rows of ``model``'s records ``pks`` written with ``date`` and ``history_type``."""
        history = getattr(getattr(model, "history", None), "model", None)
        if history is not None and pks:
            data = {"ids": list(pks), "type": history_type, "date": _plain(date)}
            self._add(ImportUndo.Action.HISTORY, history, data)

    def linked(self, through, source: str, target: str, pairs: list) -> None:
        if pairs:
            self._add(ImportUndo.Action.LINKED, through, {"source": source, "target": target, "pairs": pairs})

    def unlinking(self, through, pks: list) -> None:
        """Before through-table rows are deleted: all their columns, to put them back."""
        if pks:
            attnames = [f.attname for f in through._meta.concrete_fields]
            rows = list(through._base_manager.filter(pk__in=pks).values_list(*attnames))
            self._add(ImportUndo.Action.UNLINKED, through, {"columns": attnames, "rows": _plain(rows)})

    def flush(self) -> None:
        ImportUndo.objects.bulk_create(self.pending)
        self.pending = []

    def discard(self) -> None:
        """The import is complete: nothing to undo any more (run in its last transaction)."""
        self.pending = []
        ImportUndo.objects.filter(job_id=self.job_id).delete()


def write_pause(using: str) -> None:
    """Between two transactions of an import on SQLite: long enough for a waiting writer's retry to get the lock.
    PostgreSQL locks rows, not the database: no pause needed."""
    if connections[using].vendor == "sqlite" and settings.IMPORT_WRITE_PAUSE > 0:
        time.sleep(settings.IMPORT_WRITE_PAUSE)


def import_undo(*, job_id: int) -> list[str]:
    """Take back what the job's committed transactions wrote, newest first, one entry per short transaction.
    Returns a line per record left as it is because someone changed it or refers to it since."""
    left: list[str] = []
    entries = list(ImportUndo.objects.filter(job_id=job_id).order_by("-seq", "-pk").values_list("pk", flat=True))
    for pk in entries:
        entry = ImportUndo.objects.get(pk=pk)
        model = apps.get_model(entry.model)
        using = router.db_for_write(model)
        with transaction.atomic(using=using):
            left += UNDO[entry.action](model, entry.data)
            entry.delete()
        write_pause(using)
    return left


def _left(model, pk, reason: str) -> str:
    return gettext("%(model)s #%(pk)s: %(reason)s") % {"model": model._meta.verbose_name, "pk": pk, "reason": reason}


def _undo_created(model, data) -> list[str]:
    stamps, rows = data["stamps"], {int(pk): values for pk, values in data["rows"].items()}
    now = _values(model, rows, stamps)
    left, keep = [], set()
    for pk, values in rows.items():
        if pk in now and now[pk] != values:
            keep.add(pk)
            left.append(_left(model, pk, gettext("changed since the import; not deleted")))
    candidates = [pk for pk in rows if pk in now and pk not in keep]
    # Records others refer to now (a visit to an imported enterprise) stay; history rows (DO_NOTHING) do not count.
    for relation in model._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete and (relation.one_to_many or relation.one_to_one)):
            continue
        if relation.field.remote_field.on_delete is models.DO_NOTHING:
            continue
        for chunk in key_chunks(candidates):
            lookup = {f"{relation.field.name}__in": chunk}
            for pk in set(
                relation.related_model._base_manager.filter(**lookup).values_list(relation.field.attname, flat=True)
            ):
                if pk not in keep:
                    keep.add(pk)
                    left.append(_left(model, pk, gettext("referred to by other records since the import; not deleted")))
    gone = [pk for pk in candidates if pk not in keep]
    history = getattr(getattr(model, "history", None), "model", None)
    for chunk in key_chunks(gone):
        if history is not None:
            history._base_manager.filter(**{f"{model._meta.pk.attname}__in": chunk})._raw_delete(
                router.db_for_write(history)
            )
        model._base_manager.filter(pk__in=chunk)._raw_delete(router.db_for_write(model))
    return left


def _undo_updated(model, data) -> list[str]:
    columns, rows = data["columns"], data["rows"]
    now = _values(model, [pk for pk, _b, _a in rows], columns)
    left, restore = [], []
    for pk, before, after in rows:
        if pk not in now:
            continue  # deleted since: nothing to put back
        if now[pk] != after:
            left.append(_left(model, pk, gettext("changed since the import; not restored")))
            continue
        obj = model(pk=pk)
        for attname, value in zip(columns, before, strict=True):
            setattr(obj, attname, model._meta.get_field(attname).to_python(value))
        restore.append(obj)
    names = [model._meta.get_field(attname).name for attname in columns]
    RowsUpdate(restore, model, names).run()
    return left


def _undo_history(model, data) -> list[str]:
    ids = data["ids"]
    for chunk in key_chunks(ids):
        model._base_manager.filter(
            id__in=chunk, history_type=data["type"], history_date=parse_datetime(data["date"])
        )._raw_delete(router.db_for_write(model))
    return []


def _undo_linked(model, data) -> list[str]:
    source, target = data["source"], data["target"]
    wanted = {tuple(pair) for pair in data["pairs"]}
    owners = sorted({a for a, _b in wanted})
    doomed = []
    for chunk in key_chunks(owners):
        rows = model._base_manager.filter(**{f"{source}__in": chunk})
        doomed += [pk for pk, a, b in rows.values_list("pk", source, target) if (a, b) in wanted]
    for chunk in key_chunks(doomed):
        model._base_manager.filter(pk__in=chunk)._raw_delete(router.db_for_write(model))
    return []


def _undo_unlinked(model, data) -> list[str]:
    columns = data["columns"]
    objs = []
    for values in data["rows"]:
        obj = model()
        for attname, value in zip(columns, values, strict=True):
            setattr(obj, attname, model._meta.get_field(attname).to_python(value))
        objs.append(obj)
    model._base_manager.bulk_create(objs, ignore_conflicts=True)  # a link added again meanwhile stays single
    return []


UNDO = {
    ImportUndo.Action.CREATED: _undo_created,
    ImportUndo.Action.UPDATED: _undo_updated,
    ImportUndo.Action.HISTORY: _undo_history,
    ImportUndo.Action.LINKED: _undo_linked,
    ImportUndo.Action.UNLINKED: _undo_unlinked,
}
