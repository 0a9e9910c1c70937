"""Console pages of segments, personas and RFM scores (marketers and administrators).

The builder keeps the rules being edited in the form itself (``g0-match``, ``g0-c1-field``,
``g0-c1-operator``, ``g0-c1-value``, ``g0-c1-days``...): adding or removing a condition or a
group, or choosing another field, posts the form to ``segment_builder``, which only re-renders
the editor (nothing is stored); the live count and preview post it to ``segment_count``
(debounced). Saving posts it to the create/edit view, which calls the segment services."""

import re

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from kernel.console import console_view, paginate

from .. import scores, segments
from ..api_segments import export_file_response
from ..errors import MembersFileInvalid, SegmentError, SegmentInUse, SegmentRulesInvalid
from ..models import (
    CONTACT_CHANNEL_CHOICES,
    ConsentChannel,
    ExportEncoding,
    JobStatus,
    Persona,
    ScoreRun,
    Segment,
    SegmentExport,
    SegmentKind,
)

PREVIEW_SIZE = segments.PREVIEW_SIZE
DEFAULT_FIELD = "prefecture"


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(label=_("What this segment is for"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    kind = forms.ChoiceField(label=_("Kind"), choices=SegmentKind.choices, initial=SegmentKind.DYNAMIC)
    persona = forms.ModelChoiceField(label=_("Persona"), queryset=Persona.objects.order_by("name"), required=False,
                                     empty_label="—")


class PersonaForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    summary = forms.CharField(label=_("Summary"), max_length=200, required=False,
                              help_text=_("One line: who they are."))
    goals = forms.CharField(label=_("Goals"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                            help_text=_("What they want from the brand."))
    preferred_channels = forms.MultipleChoiceField(label=_("Channels they prefer"), required=False,
                                                   choices=CONTACT_CHANNEL_CHOICES,
                                                   widget=forms.CheckboxSelectMultiple)
    messages = forms.CharField(label=_("Messages that work"), required=False,
                               widget=forms.Textarea(attrs={"rows": 3}))


class UploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), help_text=_(
        "UTF-8 or Shift_JIS. The first row names the column: email, customer_id or phone "
        "(メールアドレス, 顧客ID, 電話番号)."))
    replace = forms.BooleanField(label=_("Replace the current members"), required=False, initial=True)


class ExportForm(forms.Form):
    encoding = forms.ChoiceField(label=_("Encoding"), choices=ExportEncoding.choices)


# --- the rules as the form carries them ---------------------------------------------------

CONDITION_KEY = re.compile(r"^g(\d+)-c(\d+)-field$")
GROUP_KEY = re.compile(r"^g(\d+)-match$")


def rules_from_post(data) -> dict:
    """The raw rules (not yet validated) the builder form carries."""
    groups: dict[int, dict] = {}
    for key in data:
        if match := GROUP_KEY.match(key):
            groups.setdefault(int(match[1]), {"match": data.get(key), "conditions": {}})
    for key in data:
        if match := CONDITION_KEY.match(key):
            g, c = int(match[1]), int(match[2])
            group = groups.setdefault(g, {"match": data.get(f"g{g}-match", "all"), "conditions": {}})
            prefix = f"g{g}-c{c}-"
            spec = segments.FIELDS.get(data.get(key))
            condition = {"field": data.get(key), "operator": data.get(prefix + "operator", "")}
            if spec is not None:
                condition["value"] = _input_value(spec.value, data, prefix + "value")
                for name, extra in spec.extras.items():
                    condition[name] = _input_value(extra, data, prefix + name)
            group["conditions"][c] = condition
    return {"match": data.get("match", "all"),
            "groups": [{"match": group["match"] or "all",
                        "conditions": [group["conditions"][c] for c in sorted(group["conditions"])]}
                       for _g, group in sorted(groups.items())]}


def _input_value(spec_input, data, key):
    if spec_input.kind == "choices":
        return data.getlist(key)
    if spec_input.kind == "tags":
        return [tag.strip() for tag in re.split(r"[,、，]", data.get(key, "")) if tag.strip()]
    return data.get(key, "")


def new_condition(field_key: str = DEFAULT_FIELD) -> dict:
    spec = segments.FIELDS[field_key]
    condition = {"field": spec.key, "operator": spec.operators[0], "value": [] if spec.value.kind in (
        "choices", "tags") else ""}
    for name in spec.extras:
        condition[name] = 90 if name == "days" else ""
    if "purpose" in spec.extras:
        condition["purpose"] = "marketing"
    return condition


def apply_builder_op(rules: dict, op: str) -> dict:
    parts = op.split(":")
    groups = rules["groups"]
    try:
        if parts[0] == "add-group":
            groups.append({"match": "all", "conditions": [new_condition()]})
        elif parts[0] == "add-condition":
            groups[int(parts[1])]["conditions"].append(new_condition())
        elif parts[0] == "remove-condition":
            del groups[int(parts[1])]["conditions"][int(parts[2])]
            if not groups[int(parts[1])]["conditions"]:
                del groups[int(parts[1])]
        elif parts[0] == "remove-group":
            del groups[int(parts[1])]
        elif parts[0] == "field":  # a field was chosen: its operators and inputs start afresh
            g, c = int(parts[1]), int(parts[2])
            chosen = groups[g]["conditions"][c].get("field")
            if chosen in segments.FIELDS:
                groups[g]["conditions"][c] = new_condition(chosen)
    except (IndexError, ValueError):
        pass
    if not groups:
        groups.append({"match": "all", "conditions": [new_condition()]})
    return rules


def editor_context(rules: dict, errors: dict | None = None) -> dict:
    """What the editor template shows: each condition with its field's operators and inputs."""
    errors = errors or {}
    field_groups: dict[str, list] = {}
    for spec in segments.FIELDS.values():
        field_groups.setdefault(str(spec.group), []).append((spec.key, str(spec.label)))
    groups = []
    for g, group in enumerate(rules.get("groups", [])):
        conditions = []
        for c, condition in enumerate(group.get("conditions", [])):
            spec = segments.FIELDS.get(condition.get("field")) or segments.FIELDS[DEFAULT_FIELD]
            path = f"rules.groups.{g}.conditions.{c}"
            inputs = [_widget(spec.value, f"g{g}-c{c}-value", condition.get("value"), str(spec.value.label))]
            inputs += [_widget(extra, f"g{g}-c{c}-{name}", condition.get(name), str(extra.label))
                       for name, extra in spec.extras.items()]
            conditions.append({
                "g": g, "c": c, "field": spec.key, "operator": condition.get("operator"), "help": spec.help,
                "operators": [(op, str(segments.OPERATORS[op])) for op in spec.operators], "inputs": inputs,
                "errors": [m for key, found in errors.items() if key == path or key.startswith(path + ".")
                           for m in found],
            })
        groups.append({"g": g, "match": group.get("match", "all"), "conditions": conditions,
                       "errors": errors.get(f"rules.groups.{g}.conditions", [])})
    general = [m for key, found in errors.items() if key in ("rules", "rules.groups", "rules.match")
               for m in found]
    return {"rule_groups": groups, "rules_match": rules.get("match", "all"), "field_groups": field_groups,
            "rules_errors": general}


def _widget(spec_input, name: str, value, label: str) -> dict:
    widget = {"name": name, "kind": spec_input.kind, "label": label, "min": spec_input.minimum,
              "max": spec_input.maximum}
    if spec_input.choices:
        selected = {str(v) for v in (value if isinstance(value, list) else [value])}
        widget["choices"] = [(str(v), lbl, str(v) in selected) for v, lbl in spec_input.choices()]
    if spec_input.kind == "tags":
        widget["value"] = ", ".join(value) if isinstance(value, list) else (value or "")
    else:
        widget["value"] = "" if value is None or isinstance(value, list) else value
    return widget


def _error_lines(errors: dict) -> list[str]:
    lines = []
    for path, found in errors.items():
        match = re.match(r"rules\.groups\.(\d+)\.conditions\.(\d+)", path)
        where = (gettext("Group %(g)d, condition %(c)d") % {"g": int(match[1]) + 1, "c": int(match[2]) + 1}
                 if match else "")
        lines += [f"{where}: {m}" if where else m for m in found]
    return lines


# --- pages --------------------------------------------------------------------------------

@console_view("customers.view_segment")
def segment_list(request):
    page = paginate(request, Segment.objects.select_related("persona").order_by("name"), per_page=50)
    counts = segments.segment_counts(list(page.object_list))
    rows = [(segment, counts[segment.pk]) for segment in page.object_list]
    return render(request, "customers/console/segment_list.html", {
        "page": page, "rows": rows, "last_run": ScoreRun.objects.select_related("acting_user").first(),
        "can_add": request.user.has_perm("customers.add_segment"),
        "can_recompute": request.user.has_perm("customers.recompute_scores"),
    })


def _builder_page(request, *, segment: Segment | None):
    """The builder: create (``segment`` None) or edit. POST saves through the services."""
    rules = segment.rules if segment and segment.rules else {"match": "all", "groups": [
        {"match": "all", "conditions": [new_condition()]}]}
    errors: dict = {}
    if request.method == "POST":
        form = SegmentForm(request.POST)
        if segment is not None:
            form.fields["kind"].required = False
        rules = rules_from_post(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            kind = segment.kind if segment else data["kind"]
            saved_rules = rules if kind == SegmentKind.DYNAMIC else {}
            try:
                if segment is None:
                    segment = segments.segment_create(name=data["name"], kind=kind, rules=saved_rules,
                                                      description=data["description"], persona=data["persona"],
                                                      acting_user=request.user)
                else:
                    segments.segment_update(segment=segment, name=data["name"], description=data["description"],
                                            persona=data["persona"], rules=saved_rules, acting_user=request.user)
            except SegmentRulesInvalid as exc:
                errors = exc.errors
                for name, messages_ in exc.errors.items():
                    if name in form.fields:
                        for message in messages_:
                            form.add_error(name, message)
            else:
                messages.success(request, gettext("The segment was saved."))
                return redirect("console:segment_detail", pk=segment.pk)
        if not rules["groups"]:
            rules = apply_builder_op(rules, "")
    elif segment is not None:
        form = SegmentForm(initial={"name": segment.name, "description": segment.description, "kind": segment.kind,
                                    "persona": segment.persona_id})
    else:
        form = SegmentForm(initial={"kind": request.GET.get("kind", SegmentKind.DYNAMIC)})
    if segment is not None:
        form.fields["kind"].disabled = True
    context = {"form": form, "segment": segment, **editor_context(rules, errors),
               "personas": list(Persona.objects.order_by("name"))}
    return render(request, "customers/console/segment_form.html", context,
                  status=400 if request.method == "POST" else 200)


@console_view("customers.add_segment")
def segment_create(request):
    return _builder_page(request, segment=None)


@console_view("customers.change_segment")
def segment_edit(request, pk: int):
    return _builder_page(request, segment=get_object_or_404(Segment, pk=pk))


@require_POST
@console_view("customers.view_segment")
def segment_builder(request):
    """Re-render the rule editor after adding/removing a condition or group or choosing a field.
    Stores nothing; the live count follows (HX-Trigger ``rules-changed``)."""
    rules = apply_builder_op(rules_from_post(request.POST), request.POST.get("op", ""))
    response = render(request, "customers/console/segment_form.html#rules-editor", editor_context(rules))
    response["HX-Trigger-After-Settle"] = "rules-changed"  # after the swap: the count reads the new form
    return response


@require_POST
@console_view("customers.view_segment")
def segment_count(request):
    """The live count and the first members of the rules being edited (two queries). Stores nothing."""
    try:
        rules = segments.rules_clean(rules_from_post(request.POST))
    except SegmentRulesInvalid as exc:
        return render(request, "customers/console/segment_form.html#live", {"live_errors": _error_lines(exc.errors)})
    members = segments.rules_customers(rules)
    return render(request, "customers/console/segment_form.html#live", {
        "live_count": members.count(), "preview": list(members.order_by("pk")[:PREVIEW_SIZE]),
    })


@console_view("customers.view_segment")
def segment_detail(request, pk: int):
    segment = get_object_or_404(Segment.objects.select_related("persona", "created_by", "updated_by"), pk=pk)
    members = segments.segment_customers(segment)
    page = paginate(request, members.select_related("score").order_by("pk"), per_page=25)
    can_export = request.user.has_perm("customers.export_segment")
    return render(request, "customers/console/segment_detail.html", {
        "segment": segment, "page": page, "count": page.paginator.count,
        "rules_text": rules_sentences(segment.rules) if segment.kind == SegmentKind.DYNAMIC else [],
        "exports": list(segment.exports.select_related("requested_by")[:5]) if can_export else [],
        "snapshots": list(segment.snapshots.all()[:12]),
        "can_change": request.user.has_perm("customers.change_segment"),
        "can_delete": request.user.has_perm("customers.delete_segment"),
        "can_export": can_export,
        "upload_form": UploadForm(), "export_form": ExportForm(),
    })


def rules_sentences(rules: dict) -> list[dict]:
    """The rules in words, group by group, for the segment's page."""
    out = []
    for group in rules.get("groups", []):
        lines = []
        for condition in group["conditions"]:
            spec = segments.FIELDS.get(condition["field"])
            if spec is None:
                continue
            value = condition["value"]
            if spec.value.choices and spec.value.kind in ("choices", "choice"):
                labels = {str(v): lbl for v, lbl in spec.value.choices()}
                values = value if isinstance(value, list) else [value]
                value = "、".join(str(labels.get(str(v), v)) for v in values)
            elif isinstance(value, list):
                value = "、".join(map(str, value))
            extras = []
            for name, extra in spec.extras.items():
                shown = condition.get(name)
                if extra.choices:
                    shown = {str(v): lbl for v, lbl in extra.choices()}.get(str(shown), shown)
                extras.append(f"{extra.label}: {shown}")
            lines.append({"field": spec.label, "operator": segments.OPERATORS[condition["operator"]],
                          "value": value, "extras": extras})
        out.append({"match": group["match"], "lines": lines})
    return out


@require_POST
@console_view("customers.delete_segment")
def segment_delete(request, pk: int):
    segment = get_object_or_404(Segment, pk=pk)
    try:
        segments.segment_delete(segment=segment, acting_user=request.user)
    except SegmentInUse as exc:
        messages.error(request, str(exc))
        return redirect("console:segment_detail", pk=segment.pk)
    messages.success(request, gettext("The segment was deleted."))
    return redirect("console:segments")


@require_POST
@console_view("customers.change_segment")
def segment_upload(request, pk: int):
    segment = get_object_or_404(Segment, pk=pk)
    form = UploadForm(request.POST, request.FILES)
    bad_rows: list[dict] = []
    if form.is_valid():
        try:
            size = segments.segment_members_upload(segment=segment, data=form.cleaned_data["file"].read(),
                                                   replace=form.cleaned_data["replace"], acting_user=request.user)
        except MembersFileInvalid as exc:
            bad_rows = exc.rows
            form.add_error("file", exc.detail())
        except SegmentError as exc:
            form.add_error("file", str(exc))
        else:
            messages.success(request, gettext("The list now has %(n)d members.") % {"n": size})
            return redirect("console:segment_detail", pk=segment.pk)
    return render(request, "customers/console/segment_upload.html",
                  {"segment": segment, "upload_form": form, "bad_rows": bad_rows[:500],
                   "bad_total": len(bad_rows)}, status=400)


@require_POST
@console_view("customers.change_segment")
def segment_snapshot(request, pk: int):
    segment = get_object_or_404(Segment, pk=pk)
    snapshot = segments.segment_snapshot_take(segment=segment, with_members=True, acting_user=request.user)
    messages.success(request, gettext("Snapshot taken: %(n)d members kept.") % {"n": snapshot.count})
    return redirect("console:segment_detail", pk=segment.pk)


@require_POST
@console_view("customers.export_segment")
def segment_export(request, pk: int):
    segment = get_object_or_404(Segment, pk=pk)
    form = ExportForm(request.POST)
    snapshot = None
    if request.POST.get("snapshot"):
        chosen = request.POST["snapshot"]
        snapshot = get_object_or_404(segment.snapshots, pk=int(chosen) if chosen.isdigit() else -1)
    if form.is_valid():
        try:
            segments.segment_export_start(segment=segment, encoding=form.cleaned_data["encoding"], snapshot=snapshot,
                                          acting_user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, gettext("The export has started; it appears below when it is ready."))
    if request.htmx:
        return HttpResponseClientRedirect(request.build_absolute_uri(
            f"{_detail_url(segment)}#exports"))
    return redirect("console:segment_detail", pk=segment.pk)


def _detail_url(segment) -> str:
    from django.urls import reverse

    return reverse("console:segment_detail", kwargs={"pk": segment.pk})


@console_view("customers.export_segment")
def segment_export_progress(request, pk: int, export_id: int):
    """The progress row of one export (polled by htmx until it is done)."""
    export = get_object_or_404(SegmentExport.objects.select_related("requested_by"), pk=export_id, segment_id=pk)
    return render(request, "customers/console/segment_detail.html#export-row", {"export": export,
                                                                               "segment": export.segment})


@console_view("customers.export_segment")
def segment_export_download(request, pk: int, export_id: int):
    export = get_object_or_404(SegmentExport, pk=export_id, segment_id=pk)
    if export.status != JobStatus.DONE:
        raise Http404
    return export_file_response(export)


@require_POST
@console_view("customers.recompute_scores")
def scores_recompute(request):
    scores.scores_recompute_queue(acting_user=request.user)
    messages.success(request, gettext("RFM scores are being recomputed."))
    return redirect("console:segments")


# --- personas -----------------------------------------------------------------------------

@console_view("customers.view_persona")
def persona_list(request):
    personas = Persona.objects.order_by("name").prefetch_related("segments")
    return render(request, "customers/console/segment_personas.html", {
        "personas": personas, "can_add": request.user.has_perm("customers.add_persona"),
        "can_change": request.user.has_perm("customers.change_persona"),
        "channel_labels": dict(ConsentChannel.choices)})


def _persona_page(request, *, persona: Persona | None):
    if request.method == "POST":
        form = PersonaForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if persona is None:
                    segments.persona_create(acting_user=request.user, **data)
                else:
                    segments.persona_update(persona=persona, acting_user=request.user, **data)
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    for message in errors:
                        form.add_error(name if name in form.fields else None, message)
            else:
                messages.success(request, gettext("The persona was saved."))
                return redirect("console:personas")
    elif persona is not None:
        form = PersonaForm(initial={name: getattr(persona, name) for name in segments.PERSONA_FIELDS})
    else:
        form = PersonaForm()
    return render(request, "customers/console/segment_persona_form.html", {"form": form, "persona": persona},
                  status=400 if request.method == "POST" else 200)


@console_view("customers.add_persona")
def persona_create(request):
    return _persona_page(request, persona=None)


@console_view("customers.change_persona")
def persona_edit(request, pk: int):
    return _persona_page(request, persona=get_object_or_404(Persona, pk=pk))


@require_POST
@console_view("customers.delete_persona")
def persona_delete(request, pk: int):
    persona = get_object_or_404(Persona, pk=pk)
    segments.persona_delete(persona=persona, acting_user=request.user)
    messages.success(request, gettext("The persona was deleted."))
    return redirect("console:personas")
