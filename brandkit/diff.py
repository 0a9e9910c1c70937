"""What changed between two versions of a kit: a plain snapshot of each, compared path by
path, each change labelled in words ("Channel rules › SMS › Maximum length") for the history."""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .models import REQUIRED_ELEMENT_LABELS, TEMPLATE_LABELS, Channel, ColourRole, RuleKind


def snapshot(version) -> dict:
    """A plain, comparable picture of a version (what the history diffs)."""
    return {
        "identity": version.identity or {},
        "tone": version.tone or {},
        "typography": version.typography or {},
        "logo_rules": version.logo_rules or {},
        "channel_templates": version.channel_templates or {},
        "channel_rules": version.channel_rules or {},
        "notation": version.notation or {},
        "ugc_guidelines": version.ugc_guidelines,
        "palette": {c.role: c.hex for c in version.palette.all()},
        "rules": sorted(f"{r.kind}: {r.pattern}" + (f" → {r.replacement}" if r.replacement else "")
                        for r in version.rules.all()),
        "logos": sorted(logo.original.name for logo in version.logos.all()),
    }


# Lists whose entries are compared one by one, matched by the named key (a tone attribute by its name).
ITEM_LISTS = {"tone.attributes": "name"}


@dataclass(frozen=True)
class Change:
    path: str
    kind: str  # added / removed / changed
    before: object = None
    after: object = None
    item: str = ""  # the entry of an ITEM_LISTS list the change is about (e.g. the tone attribute's name)

    @property
    def list_path(self) -> str:
        """For an entry's change, the list's path (``tone.attributes``); else the change's own path."""
        if self.item:
            return next((path for path in ITEM_LISTS if self.path == path or self.path.startswith(path + ".")),
                        self.path)
        return self.path

    @property
    def label(self) -> str:
        """The path in words: ``channel_rules.sms.max_length`` -> "Channel rules › SMS › Maximum length";
        an entry's change names the entry: "Tone of voice › Tone attributes › 誠実 › Do examples"."""
        if not self.item:
            return path_label(self.path)
        words = [path_label(self.list_path), self.item]
        rest = self.path[len(self.list_path) + 1:]
        if rest:
            words.append(path_label(rest))
        return " › ".join(words)

    @property
    def before_display(self) -> str:
        return display_value(self.path, self.before)

    @property
    def after_display(self) -> str:
        return display_value(self.path, self.after)


def _path_labels() -> dict:
    labels = {
        "identity": _("Identity"), "tone": _("Tone of voice"), "typography": _("Typography"),
        "logo_rules": _("Logo rules"), "channel_templates": _("Channel templates"),
        "channel_rules": _("Channel rules"), "notation": _("Notation"),
        "ugc_guidelines": _("Influencer / UGC guidelines"), "palette": _("Colour palette"),
        "rules": _("Editorial rules"), "logos": _("Logos"),
        "brand_name": _("Brand name"), "brand_name_en": _("Brand name (Latin letters)"), "tagline": _("Tagline"),
        "mission": _("Mission"), "vision": _("Vision"), "values": _("Core values"), "story": _("Story"),
        "legal_name": _("Company name"), "legal_footer": _("Legal footer"), "attributes": _("Tone attributes"),
        "channels": _("Channels"),
        "heading": _("Heading font"), "body": _("Body font"), "family": _("Family"), "fallbacks": _("Fallback fonts"),
        "weight": _("Weight"), "scale": _("Type scale"), "h1": _("Heading 1"), "h2": _("Heading 2"),
        "h3": _("Heading 3"), "small": _("Small text"), "min_size_px": _("Minimum size (px)"),
        "clear_space": _("Clear space"), "max_length": _("Maximum length"),
        "exclamation_max": _("Exclamation marks allowed"), "emoji": _("Emoji allowed"),
        "required": _("Required elements"), "*": _("All channels"),
        "fullwidth_alnum": _("Flag full-width digits and letters"),
        "halfwidth_katakana": _("Flag half-width katakana"),
        "long_vowel": _("Flag a hyphen used as a katakana long-vowel mark"),
        "description": pgettext("tone attribute", "Description"), "do": _("Do examples"),
        "dont": _("Don't examples"),
    }
    labels.update({key: str(label) for key, label in TEMPLATE_LABELS.items()})
    labels.update({key: str(label) for key, label in REQUIRED_ELEMENT_LABELS.items()})
    labels.update(dict(Channel.choices))
    labels.update(dict(ColourRole.choices))
    return labels


def path_label(path: str) -> str:
    labels = _path_labels()
    parts = path.split(".")
    words = []
    for index, part in enumerate(parts):
        if part == "body" and index and parts[index - 1] == "scale":
            words.append(_("Body text"))
        else:
            words.append(str(labels.get(part, part)))
    return " › ".join(words)


def display_value(path: str, value) -> str:
    """A diff value as people read it: Yes/No, lists joined, rule kinds and required elements named."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if path == "rules" and isinstance(value, str) and ": " in value:
        kind, rest = value.split(": ", 1)
        return f"{dict(RuleKind.choices).get(kind, kind)}: {rest}"
    if path == "logos" and isinstance(value, str):
        return value.rsplit("/", 1)[-1]
    if path == "tone.attributes" and isinstance(value, dict):  # a whole attribute added or removed
        parts = [str(value.get("description") or "")]
        if value.get("do"):
            parts.append(_("Do: %(examples)s") % {"examples": " / ".join(map(str, value["do"]))})
        if value.get("dont"):
            parts.append(_("Don't: %(examples)s") % {"examples": " / ".join(map(str, value["dont"]))})
        return " · ".join(part for part in parts if part)
    if path in ("tone.attributes.do", "tone.attributes.dont") and isinstance(value, list):
        return " / ".join(map(str, value))  # example sentences: commas would run them together
    if isinstance(value, list):
        items = []
        for item in value:
            if isinstance(item, dict):
                items.append(str(item.get("name") or item.get("family") or ", ".join(map(str, item.values()))))
            elif path.endswith(".required"):
                items.append(str(REQUIRED_ELEMENT_LABELS.get(item, item)))
            else:
                items.append(str(item))
        return "、".join(items) if path.endswith(".values") else ", ".join(items)
    return str(value)


def _flatten(value, prefix: str, out: dict) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), out)
    else:
        out[prefix] = value


def diff(before: dict, after: dict) -> list[Change]:
    """What changed between two snapshots, path by path (rules and logos compare as sets)."""
    changes: list[Change] = []
    for key in ("rules", "logos"):
        old, new = set(before.get(key, [])), set(after.get(key, []))
        changes += [Change(key, "added", None, item) for item in sorted(new - old)]
        changes += [Change(key, "removed", item, None) for item in sorted(old - new)]
    flat_before: dict = {}
    flat_after: dict = {}
    _flatten({k: v for k, v in before.items() if k not in ("rules", "logos")}, "", flat_before)
    _flatten({k: v for k, v in after.items() if k not in ("rules", "logos")}, "", flat_after)
    flat_changes: list[Change] = []
    for list_path, key in ITEM_LISTS.items():
        old, new = flat_before.get(list_path), flat_after.get(list_path)
        if _keyed_items(old, key) is not None and _keyed_items(new, key) is not None:
            flat_before.pop(list_path, None)
            flat_after.pop(list_path, None)
            flat_changes += _item_changes(list_path, key, _keyed_items(old, key), _keyed_items(new, key))
    for path in sorted(set(flat_before) | set(flat_after)):
        if path not in flat_before:
            flat_changes.append(Change(path, "added", None, flat_after[path]))
        elif path not in flat_after:
            flat_changes.append(Change(path, "removed", flat_before[path], None))
        elif flat_before[path] != flat_after[path]:
            flat_changes.append(Change(path, "changed", flat_before[path], flat_after[path]))
    return changes + sorted(flat_changes, key=lambda change: change.list_path)  # stable: entries stay together


def _keyed_items(value, key: str) -> dict | None:
    """A list of objects as {key value: object}, in order; None when it is not such a list."""
    if value is None:
        return {}
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        return None
    items = {str(item.get(key, "")): item for item in value}
    return items if len(items) == len(value) else None


def _item_changes(path: str, key: str, old: dict, new: dict) -> list[Change]:
    """Entry by entry: added and removed entries whole, changed ones field by field."""
    changes = []
    for name, item in new.items():
        if name not in old:
            changes.append(Change(path, "added", None, item, item=name))
            continue
        before = old[name]
        for field_name in [k for k in before if k != key] + [k for k in item if k != key and k not in before]:
            if before.get(field_name) != item.get(field_name):
                kind = "added" if field_name not in before else "removed" if field_name not in item else "changed"
                changes.append(Change(f"{path}.{field_name}", kind, before.get(field_name), item.get(field_name),
                                      item=name))
    changes += [Change(path, "removed", item, None, item=name) for name, item in old.items() if name not in new]
    return changes
