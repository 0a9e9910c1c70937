"""Who did what: the audit trail every business write leaves.

A service that changes the catalogue, a location or a customer's profile calls ``audit_record``
in its own transaction, with the user it was given as ``acting_user`` (``None``: the system, an
import, a task). Writes that already keep their own ledger with the acting user (stock
movements, order events, the consent ledger) do not need a second row here."""

from collections.abc import Iterable
from functools import cache

from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver
from django.utils.module_loading import import_string

from .models import AuditEntry
from .registry import declarations


@cache
def audit_action_labels() -> dict:
    """What each audited action is called in words, ``{service name: lazy label}``, as the apps
    declare it on their AppConfig (``audit_actions``: a TextChoices, a dict, or the dotted path
    of one), so the admin and the apps' own history pages name an action the same way."""
    labels: dict = {}
    for _label, declared in declarations("audit_actions"):
        declared = import_string(declared) if isinstance(declared, str) else declared
        labels.update(declared.choices if hasattr(declared, "choices") else declared.items())
    return labels


def audit_action_label(action: str):
    """The human, translated label of ``action``, or the raw name where none is declared."""
    return audit_action_labels().get(action, action)


@receiver(setting_changed)
def _installed_apps_changed(*, setting, **kwargs) -> None:
    if setting == "INSTALLED_APPS":
        audit_action_labels.cache_clear()


def audit_values(obj: models.Model, fields) -> dict:
    """The values of ``fields`` on ``obj`` as the trail stores them (a relation by its id)."""
    return {name: getattr(obj, obj._meta.get_field(name).attname) for name in fields}


def audit_changes(before: dict, obj: models.Model) -> dict:
    """``{field: [old, new]}`` for the fields of ``before`` whose value on ``obj`` differs."""
    after = audit_values(obj, before)
    return {name: [before[name], after[name]] for name in before if before[name] != after[name]}


def audit_record(*, actor, action: str, obj: models.Model, changes: dict | None = None,
                 object_repr: str | None = None) -> AuditEntry:
    """Append one entry: ``actor`` (a user, or ``None`` for the system) did ``action`` (the
    service's name, e.g. ``product_update``) to ``obj``; ``changes`` says what changed.
    ``object_repr`` replaces ``str(obj)`` where that would keep personal data (a deleted customer)."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None  # an anonymous request is the system acting, not a person
    if object_repr is None:
        object_repr = str(obj)
    return AuditEntry.objects.create(actor=actor, action=action, object_type=obj._meta.label_lower,
                                     object_id=str(obj.pk), object_repr=object_repr[:200], changes=changes or {})


def audit_record_many(*, actor, action: str, entries: Iterable[tuple[models.Model, dict]]) -> list[AuditEntry]:
    """``audit_record`` for many objects at once (an import): one entry per ``(obj, changes)``,
    written in one insert."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEntry.objects.bulk_create([
        AuditEntry(actor=actor, action=action, object_type=obj._meta.label_lower, object_id=str(obj.pk),
                   object_repr=str(obj)[:200], changes=changes or {}) for obj, changes in entries], batch_size=1000)
