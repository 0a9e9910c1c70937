"""Every write to the brand kit, and the content linter entry points ``lint`` and ``lint_for_send``.

Each write takes ``acting_user`` and leaves its row in the audit trail (``kernel.audit``: who,
which write, on which brand, kit or version, what changed) in its own transaction;
``acting_user`` is None only for system writes (the demo seed, commands).

Drafts are edited, then published: ``version_publish`` makes a draft the kit's active
version, keeps it in the history and invalidates the cached theme and compiled rules, so
every page restyles without a deploy.

Brands: more than one brand may exist, each with one active kit. The theme (console,
storefront, emails) renders with the **default brand**'s active kit: the brand with
``is_default`` (at most one, a database constraint). ``brand_create(..., is_default=True)``
or ``brand_set_default`` makes a brand the default (HQ: Brand kit → Brands → "Make default").

Linting before sending (the hook for campaigns)
-----------------------------------------------
Campaigns (and anything else that sends copy to customers: journeys, SMS, social posts)
call, just before they send::

    ok, violations = brandkit.services.lint_for_send(text, channel, locale, source="campaign")
    if not ok:
        ...  # refuse to send; show ``violations`` (each has start/end, rule, severity, message, suggestion)

``ok`` is False when any violation has severity ``error`` (banned terms with error severity,
a missing unsubscribe link or legal footer, a length overrun, ...); warnings and info never
block. Every call is recorded (``source``) and feeds the channel's consistency score on the
kit's dashboard. ``channel`` is one of ``models.Channel`` (email, sms, social, pop, postcard,
web); an unknown channel raises ``ValidationError``.

What the consistency score counts: only copy that is really saved or sent (``lint_for_send``,
``lint(..., record=source)`` from a product save, the API's lint with ``record`` save/send by
staff). Ad-hoc checks (check-my-copy, live checks while typing, the API's plain lint) are not
recorded, so nobody can move a kit's score by linting made-up copy; scores are per kit
(``selectors.consistency_scores(kit=...)``).

Structural validation (``sections``): every JSON section is checked for its shape (known keys,
types, bounded lengths) before anything is written, with errors keyed by field path
(``tone.attributes.0.do``), and a version whose channels require the legal footer cannot be
saved or published without ``identity.legal_footer``. A pattern rule is checked by
``regex_safety`` before it is saved.
"""

import hashlib
import io
import json
import logging
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from kernel.audit import audit_record

from . import assets, linting, theme
from .colour import normalise_hex
from .demo_kit import (
    DEFAULT_BRAND,
    DEFAULT_CHANNEL_RULES,
    DEFAULT_IDENTITY,
    DEFAULT_PALETTE,
    DEFAULT_RULES,
    DEFAULT_TEMPLATES,
    DEFAULT_TONE,
    DEFAULT_UGC,
    PALETTE_NAMES,
)
from .models import (
    Brand,
    BrandKit,
    BrandKitVersion,
    Channel,
    ColourRole,
    EditorialRule,
    KitAction,
    LintCheck,
    Logo,
    PaletteColour,
    RuleKind,
    Severity,
    VersionStatus,
    new_share_token,
)
from .regex_safety import check_user_pattern
from .sections import DEFAULT_TYPOGRAPHY, JSON_SECTIONS, RuleIn, legal_footer_errors, validate_sections


def _change_record(action: str, *, acting_user, brand: Brand | None = None, kit: BrandKit | None = None,
                   version: BrandKitVersion | None = None, **changes) -> None:
    """The audit row of one write: who did ``action`` to the version, else the kit, else the brand."""
    audit_record(actor=acting_user, action=action, obj=version or kit or brand, changes=changes)


# --- brands and kits ------------------------------------------------------------------------

@transaction.atomic
def brand_create(*, name: str, slug: str = "", is_default: bool = False, acting_user=None) -> Brand:
    brand = Brand(name=name, slug=slug or slugify(name, allow_unicode=False) or "brand", is_default=is_default)
    brand.full_clean(validate_constraints=False)  # the one-default constraint is kept just below
    if is_default:
        Brand.objects.filter(is_default=True).update(is_default=False)
        transaction.on_commit(theme.invalidate)
    brand.save()
    _change_record(KitAction.BRAND_CREATED, acting_user=acting_user, brand=brand, is_default=is_default)
    return brand


@transaction.atomic
def brand_set_default(*, brand: Brand, acting_user=None) -> Brand:
    """Make ``brand`` the default: the console, storefront and emails render with its active kit."""
    Brand.objects.filter(is_default=True).exclude(pk=brand.pk).update(is_default=False)
    if not brand.is_default:
        brand.is_default = True
        brand.save(update_fields=["is_default"])
    _change_record(KitAction.BRAND_MADE_DEFAULT, acting_user=acting_user, brand=brand)
    transaction.on_commit(theme.invalidate)
    theme.invalidate()
    return brand


@transaction.atomic
def brand_start(*, name: str, slug: str = "", is_default: bool = False, acting_user=None) -> BrandKit:
    """A new brand with an active kit whose draft v1 starts from the brand name and a neutral
    palette (every role filled, so the draft can be edited and published at once)."""
    brand = brand_create(name=name, slug=slug, is_default=is_default, acting_user=acting_user)
    kit = kit_create(brand=brand, name=_("Brand guidelines"), acting_user=acting_user)
    draft = kit.versions.get(status=VersionStatus.DRAFT)
    draft_update(version=draft, acting_user=acting_user, identity={"brand_name": name},
                 typography={key: dict(value) if isinstance(value, dict) else value
                             for key, value in DEFAULT_TYPOGRAPHY.items()})
    palette_set(version=draft, colours=dict(theme.DEFAULT_COLOURS), acting_user=acting_user)
    return kit


@transaction.atomic
def kit_create(*, brand: Brand, name: str, acting_user=None) -> BrandKit:
    """A new active kit for ``brand`` (any previous active kit is retired) with an empty draft."""
    BrandKit.objects.filter(brand=brand, is_active=True).update(is_active=False)
    kit = BrandKit.objects.create(brand=brand, name=name, is_active=True)
    BrandKitVersion.objects.create(kit=kit, number=1, created_by=acting_user)
    _change_record(KitAction.KIT_CREATED, acting_user=acting_user, kit=kit, name=name)
    theme.invalidate()
    return kit


@transaction.atomic
def kit_share_token_rotate(*, kit: BrandKit, acting_user=None) -> BrandKit:
    """A new share link for the kit's guide; the old one stops opening it."""
    kit.share_token = new_share_token()
    kit.save(update_fields=["share_token"])
    _change_record(KitAction.SHARE_LINK_RENEWED, acting_user=acting_user, kit=kit)
    return kit


# --- drafts -------------------------------------------------------------------------------

@transaction.atomic
def draft_get_or_create(*, kit: BrandKit, acting_user=None) -> BrandKitVersion:
    """The kit's draft; a new one copies the published version (content, palette, rules, logos)."""
    kit = BrandKit.objects.select_for_update().get(pk=kit.pk)
    draft = kit.versions.filter(status=VersionStatus.DRAFT).first()
    if draft:
        return draft
    source = kit.published_version or kit.versions.order_by("-number").first()
    number = (kit.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    draft = BrandKitVersion.objects.create(kit=kit, number=number, created_by=acting_user)
    _change_record(KitAction.DRAFT_STARTED, acting_user=acting_user, version=draft,
                   source=source.number if source else None)
    if source:
        for section in JSON_SECTIONS:
            setattr(draft, section, getattr(source, section))
        draft.ugc_guidelines = source.ugc_guidelines
        draft.save()
        PaletteColour.objects.bulk_create(
            PaletteColour(version=draft, role=c.role, name=c.name, hex=c.hex) for c in source.palette.all()
        )
        EditorialRule.objects.bulk_create(
            EditorialRule(version=draft, kind=r.kind, pattern=r.pattern, replacement=r.replacement,
                          message=r.message, severity=r.severity, channels=r.channels)
            for r in source.rules.all()
        )
        Logo.objects.bulk_create(
            Logo(version=draft, name=logo.name, original=logo.original.name, variants=logo.variants,
                 width=logo.width, height=logo.height, is_primary=logo.is_primary)
            for logo in source.logos.all()
        )
    return draft


def _require_draft(version: BrandKitVersion) -> None:
    """Lock ``version``'s row for the rest of the caller's transaction and reload it, then refuse
    anything but a draft. The caller's object may have been read before a publish committed: it
    then fails here instead of saving its stale ``status`` back over the publish."""
    version.refresh_from_db(from_queryset=BrandKitVersion.objects.select_for_update())
    _refuse_unless_draft(version)


def _refuse_unless_draft(version: BrandKitVersion) -> None:
    if not version.is_draft:
        raise ValidationError(_("Only a draft can be edited; published versions are kept as they are."),
                              code="not_draft")



@transaction.atomic
def draft_update(*, version: BrandKitVersion, acting_user=None, **values) -> BrandKitVersion:
    """Replace whole sections of a draft (identity, tone, ...); all validated before any write."""
    _require_draft(version)
    unknown = set(values) - set(JSON_SECTIONS) - {"ugc_guidelines", "note"}
    if unknown:
        raise ValidationError({key: _("Unknown section.") for key in sorted(unknown)})
    errors = validate_sections(values)
    if not errors:
        errors = legal_footer_errors(
            identity=values["identity"] if values.get("identity") is not None else version.identity,
            channel_rules=values["channel_rules"] if values.get("channel_rules") is not None else version.channel_rules)
    if errors:
        raise ValidationError(errors)
    changed = []
    for key, value in values.items():
        if value is not None:
            if getattr(version, key) != value:
                changed.append(key)
            setattr(version, key, value)
    version.save()
    _change_record(KitAction.DRAFT_EDITED, acting_user=acting_user, version=version, sections=changed)
    return version


@transaction.atomic
def palette_set(*, version: BrandKitVersion, colours: list[tuple[str, str]] | dict[str, str],
                names: dict[str, str] | None = None, acting_user=None) -> list[PaletteColour]:
    """Replace the draft's palette. Hex values are normalised; bad hex or a repeated role -> errors."""
    _require_draft(version)
    items = list(colours.items()) if isinstance(colours, dict) else list(colours)
    errors: dict[str, list[str]] = {}
    seen: set[str] = set()
    rows = []
    for role, value in items:
        if role not in ColourRole.values:
            errors.setdefault(role, []).append(_("Unknown colour role."))
            continue
        if role in seen:
            errors.setdefault(role, []).append(_("Each role may appear only once."))
            continue
        seen.add(role)
        try:
            rows.append(PaletteColour(version=version, role=role, hex=normalise_hex(value),
                                      name=(names or {}).get(role, "")))
        except ValidationError as error:
            errors.setdefault(role, []).extend(error.messages)
    if errors:
        raise ValidationError(errors)
    version.palette.all().delete()
    created = PaletteColour.objects.bulk_create(rows)
    version.save(update_fields=["updated_at"])
    _change_record(KitAction.PALETTE_SET, acting_user=acting_user, version=version,
                   palette={row.role: row.hex for row in rows})
    return created


def rule_validate(rule: RuleIn) -> dict[str, str]:
    errors = {}
    if rule.kind not in RuleKind.values:
        errors["kind"] = _("Unknown rule kind.")
    if rule.severity not in Severity.values:
        errors["severity"] = _("Unknown severity.")
    if not rule.pattern.strip():
        errors["pattern"] = _("Enter a term or pattern.")
    elif rule.kind == RuleKind.PATTERN:
        try:
            check_user_pattern(rule.pattern)
        except ValidationError as error:
            errors["pattern"] = " ".join(error.messages)
    elif len(rule.pattern) > 200:
        errors["pattern"] = _("Terms are limited to 200 characters.")
    if rule.kind in (RuleKind.PREFERRED, RuleKind.SPELLING) and not rule.replacement.strip():
        errors["replacement"] = _("Say what to write instead.")
    bad = [c for c in rule.channels if c not in Channel.values]
    if bad:
        errors["channels"] = _("Unknown channel: %(names)s") % {"names": ", ".join(bad)}
    return errors


@transaction.atomic
def rules_set(*, version: BrandKitVersion, rules: list[RuleIn], acting_user=None) -> list[EditorialRule]:
    """Replace the draft's editorial rules; any bad rule -> errors keyed ``rules.<i>.<field>``."""
    _require_draft(version)
    errors = {}
    for index, rule in enumerate(rules):
        for key, message in rule_validate(rule).items():
            errors[f"rules.{index}.{key}"] = message
    if errors:
        raise ValidationError(errors)
    version.rules.all().delete()
    created = EditorialRule.objects.bulk_create(
        EditorialRule(version=version, kind=r.kind, pattern=r.pattern.strip(), replacement=r.replacement.strip(),
                      message=r.message, severity=r.severity, channels=list(r.channels))
        for r in rules
    )
    version.save(update_fields=["updated_at"])
    _change_record(KitAction.RULES_SET, acting_user=acting_user, version=version, rules=len(created))
    return created


@transaction.atomic
def draft_save(*, version: BrandKitVersion, acting_user=None, palette: dict[str, str] | None = None,
               rules: list[RuleIn] | None = None, **sections) -> BrandKitVersion:
    """Sections, palette and rules of a draft in one transaction: all saved, or nothing."""
    draft_update(version=version, acting_user=acting_user, **sections)
    if palette is not None:
        palette_set(version=version, colours=palette, acting_user=acting_user)
    if rules is not None:
        rules_set(version=version, rules=rules, acting_user=acting_user)
    return version


class DraftChanged(ValidationError):
    """The kit's content changed after the editor's form was filled (another version was
    published, or someone else saved the draft); ``fingerprint`` is the content's now."""

    def __init__(self, message, *, number: int, fingerprint: str):
        super().__init__(message, code="draft_changed", params={"n": number})
        self.fingerprint = fingerprint


def version_fingerprint(version: BrandKitVersion) -> str:
    """A digest of the kit content an editor edits in ``version`` (sections, UGC guidelines,
    palette, editorial rules; not the version's own number, status, change note, dates or logos):
    equal exactly when that content is."""
    content = {section: getattr(version, section) for section in JSON_SECTIONS}
    content.update(ugc_guidelines=version.ugc_guidelines,
                   palette=sorted((c.role, c.name, c.hex) for c in version.palette.all()),
                   rules=sorted((r.kind, r.pattern, r.replacement, r.message, r.severity, list(r.channels or []))
                                for r in version.rules.all()))
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


@transaction.atomic
def draft_edit(*, kit: BrandKit, values: Callable[[BrandKitVersion], dict], base_version: str = "",
               acting_user=None) -> BrandKitVersion:
    """Save an edit of ``kit``'s draft in one transaction, starting the draft (a copy of the
    published version) when there is none: both, or nothing.

    ``values(draft)`` returns ``draft_save``'s arguments built on the draft as it is now, read
    under the kit's and the draft's row locks (the console form merges what it edits over the
    sections it leaves alone), so a publish or save that committed meanwhile is built on, not
    overwritten. ``base_version`` is the ``version_fingerprint`` of the version the editor's form
    was filled from: when given and the content has changed since, nothing is written and
    ``DraftChanged`` says so (saving the form anyway would silently undo that change)."""
    kit = BrandKit.objects.select_for_update().get(pk=kit.pk)
    source = kit.edit_source()
    if base_version and source is not None and (current := version_fingerprint(source)) != base_version:
        raise DraftChanged(
            _("Someone changed this brand kit while you were editing it (now version %(n)d), so nothing was "
              "saved. Save again to replace their changes with this form, or reload the page to start from "
              "version %(n)d."), number=source.number, fingerprint=current)
    draft = draft_get_or_create(kit=kit, acting_user=acting_user)
    _require_draft(draft)  # locked and reloaded before the merge reads it
    return draft_save(version=draft, acting_user=acting_user, **values(draft))


@transaction.atomic
def rule_add(*, version: BrandKitVersion, rule: RuleIn, acting_user=None) -> EditorialRule:
    _require_draft(version)
    errors = rule_validate(rule)
    if errors:
        raise ValidationError(errors)
    created = EditorialRule.objects.create(
        version=version, kind=rule.kind, pattern=rule.pattern.strip(), replacement=rule.replacement.strip(),
        message=rule.message, severity=rule.severity, channels=list(rule.channels),
    )
    version.save(update_fields=["updated_at"])
    _change_record(KitAction.RULE_ADDED, acting_user=acting_user, version=version,
                   rule=f"{created.kind}: {created.pattern}")
    return created


@transaction.atomic
def rule_delete(*, version: BrandKitVersion, rule_id: int, acting_user=None) -> None:
    _require_draft(version)
    rule = version.rules.filter(pk=rule_id).first()
    if rule is None:
        return
    rule.delete()
    version.save(update_fields=["updated_at"])
    _change_record(KitAction.RULE_DELETED, acting_user=acting_user, version=version,
                   rule=f"{rule.kind}: {rule.pattern}")


@transaction.atomic
def version_publish(*, version: BrandKitVersion, acting_user=None, note: str = "") -> BrandKitVersion:
    """Publish a draft: it becomes the kit's active version; the previous one stays in the history."""
    # The kit's row first, as draft_edit takes it (kit, then draft): the two never wait on each other in a ring.
    BrandKit.objects.select_for_update().filter(pk=version.kit_id).first()
    version = BrandKitVersion.objects.select_for_update().select_related("kit").get(pk=version.pk)
    _refuse_unless_draft(version)
    missing = sorted(set(ColourRole.values) - set(version.palette.values_list("role", flat=True)))
    errors = {}
    if missing:
        errors["palette"] = _("Every colour role needs a colour; missing: %(roles)s") % {"roles": ", ".join(missing)}
    if not str((version.identity or {}).get("brand_name", "")).strip():
        errors["identity.brand_name"] = _("The brand name is required.")
    errors.update(legal_footer_errors(identity=version.identity, channel_rules=version.channel_rules))
    if errors:
        raise ValidationError(errors)
    version.status = VersionStatus.PUBLISHED
    version.published_at = timezone.now()
    version.published_by = acting_user
    if note:
        version.note = note
    version.save()
    kit = version.kit
    kit.published_version = version
    kit.save(update_fields=["published_version"])
    _change_record(KitAction.VERSION_PUBLISHED, acting_user=acting_user, version=version, note=version.note)
    transaction.on_commit(theme.invalidate)
    theme.invalidate()
    return version


# --- the linter ---------------------------------------------------------------------------

_CHANNELS = frozenset(Channel.values)  # ``Channel.values`` builds a list on every access


def lint(text: str, channel: str, locale: str = "ja", *, version: BrandKitVersion | None = None,
         record: str = "") -> list[linting.Violation]:
    """Check copy against the active kit (or ``version``).

    ``record`` names the source when the copy is real content being saved or sent (``campaign``,
    ``send``, ``product-edit``, ``api-save``...): the result is then logged for the channel's
    consistency score. Ad-hoc checks (the check-my-copy page, live checks while typing, the
    API's lint without ``record``) pass nothing and leave the score alone."""
    if channel not in _CHANNELS:
        raise ValidationError({"channel": _("Unknown channel.")})
    compiled = linting.compiled_kit(version)
    violations = compiled.lint(text, channel, locale or "ja")
    if record:
        _lint_check_record(version_id=version.pk if version else theme.active_version_id(), channel=channel,
                           source=record, violations=violations)
    return violations


def _lint_check_record(*, version_id: int | None, channel: str, source: str,
                       violations: list[linting.Violation]) -> None:
    """Insert one ``LintCheck`` row with a prepared statement. Every product save and every send
    records one; through the ORM (``objects.create``) the row cost three times the lint itself,
    which kept the product-save path under 3,000 descriptions/s (bench/lint.py)."""
    connection = connections[router.db_for_write(LintCheck)]
    sql = _LINT_CHECK_INSERT.get(connection.alias)
    if sql is None:
        quote = connection.ops.quote_name
        columns = ("version_id", "channel", "source", "violations", "errors", "created_at")
        sql = _LINT_CHECK_INSERT[connection.alias] = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
            quote(LintCheck._meta.db_table), ", ".join(quote(c) for c in columns), ", ".join(["%s"] * len(columns)))
        # (identifiers from the model, quoted by the backend; every value is a parameter)
    errors = sum(v.severity == Severity.ERROR for v in violations)
    with connection.cursor() as cursor:
        cursor.execute(sql, [version_id, channel, source[:40], len(violations), errors,
                             connection.ops.adapt_datetimefield_value(timezone.now())])


_LINT_CHECK_INSERT: dict[str, str] = {}


def lint_for_send(text: str, channel: str, locale: str = "ja", *, source: str = "campaign",
                  version: BrandKitVersion | None = None) -> tuple[bool, list[linting.Violation]]:
    """The check to run just before copy goes out (campaigns, journeys, SMS): ``(ok, violations)``.

    ``ok`` is False when any violation is an error (error-severity rules, missing required
    elements, length overruns): the caller must not send. Warnings and info never block.
    The check is recorded under ``source`` for the channel's consistency score.
    """
    violations = lint(text, channel, locale, version=version, record=source or "send")
    return not blocking(violations), violations


def blocking(violations: list[linting.Violation]) -> list[linting.Violation]:
    """The violations that stop a send (severity ``error``)."""
    return [v for v in violations if v.severity == Severity.ERROR]



# --- logos --------------------------------------------------------------------------------

FAVICON_SIZES = (16, 32, 180, 512)


def logo_add(*, version: BrandKitVersion | None = None, kit: BrandKit | None = None, upload, name: str = "",
             acting_user=None) -> Logo:
    """Validate an uploaded raster logo and store it with its variants (full, mono, reversed, favicons)
    in the draft ``version``, or in ``kit``'s draft, started (``draft_get_or_create``) in the same
    transaction when there is none: a refused upload starts no draft.

    The original is stored as PNG, scaled down to fit ``assets.LOGO_MAX_SIDE`` (the renditions to
    ``assets.LOGO_RENDITION_SIDE``); a bad file raises ValidationError on ``logo``.

    The files are written before the rows, inside the transaction: if anything fails up to and
    including the commit, the files written so far are deleted, so no orphan stays in storage.
    (Called inside a caller's transaction that later rolls back, the files stay: Django has no
    rollback hook. The console and the API call it on its own.)"""
    if (version is None) == (kit is None):
        raise TypeError("logo_add takes a version or a kit")
    written: list[str] = []
    try:
        with transaction.atomic():
            if version is None:
                version = draft_get_or_create(kit=kit, acting_user=acting_user)
            logo = _logo_write(version=version, upload=upload, name=name, written=written)
            _change_record(KitAction.LOGO_ADDED, acting_user=acting_user, version=version, logo=logo.name)
            return logo
    except BaseException:
        _storage_delete(written)
        raise


def _logo_write(*, version: BrandKitVersion, upload, name: str, written: list[str]) -> Logo:
    _require_draft(version)
    try:
        # Decoded once and scaled down to assets.LOGO_MAX_SIDE first: the work follows the outputs.
        image = assets.open_logo(upload)
    except ValidationError as error:
        raise ValidationError({"logo": error.error_list}) from error
    logo = Logo(version=version, name=name or getattr(upload, "name", "logo"), width=image.width, height=image.height)
    base = (getattr(upload, "name", "logo").rsplit(".", 1)[0] or "logo")[:40]
    original = io.BytesIO()
    image.save(original, format="PNG")  # optimize=True took 3-5x longer for a few % of bytes
    logo.original.save(f"{slugify(base) or 'logo'}.png", ContentFile(original.getvalue()), save=False)
    written.append(logo.original.name)
    variants = {}
    folder = logo.original.name.rsplit("/", 1)[0]
    for key, variant in assets.logo_variants(image, FAVICON_SIZES).items():
        buffer = io.BytesIO()
        variant.save(buffer, format="PNG")
        variants[key] = default_storage.save(f"{folder}/{key}.png", ContentFile(buffer.getvalue()))
        written.append(variants[key])
    logo.variants = variants
    version.logos.filter(is_primary=True).update(is_primary=False)
    logo.is_primary = True
    logo.save()
    version.save(update_fields=["updated_at"])
    return logo


def _storage_delete(names: list[str]) -> None:
    """Delete files this call wrote (best effort: a failure to delete must not hide the first error)."""
    for file_name in names:
        try:
            default_storage.delete(file_name)
        except Exception:  # noqa: BLE001
            logging.getLogger(__name__).warning("Could not delete orphan logo file %s", file_name, exc_info=True)


# --- the demo kit ---------------------------------------------------------------------------

@transaction.atomic
def brandkit_seed_default(*, acting_user=None) -> BrandKit:
    """Create (once) the demo brand ミナト商店 / MINATO with a complete, published kit (``demo_kit``). Idempotent."""
    brand = Brand.objects.filter(slug=DEFAULT_BRAND["slug"]).first()
    if brand is None:
        brand = brand_create(name=DEFAULT_BRAND["name"], slug=DEFAULT_BRAND["slug"],
                             is_default=not Brand.objects.filter(is_default=True).exists(), acting_user=acting_user)
    kit = brand.kits.filter(is_active=True).first()
    if kit is not None and kit.published_version_id:
        return kit
    if kit is None:
        kit = kit_create(brand=brand, name="ブランドガイドライン", acting_user=acting_user)
    draft = draft_get_or_create(kit=kit, acting_user=acting_user)
    draft_update(version=draft, acting_user=acting_user, identity=DEFAULT_IDENTITY, tone=DEFAULT_TONE, typography=DEFAULT_TYPOGRAPHY,
                 logo_rules={"min_size_px": 64, "clear_space": "ロゴの高さの1/2以上の余白"},
                 channel_templates=DEFAULT_TEMPLATES, channel_rules=DEFAULT_CHANNEL_RULES,
                 notation={"fullwidth_alnum": True, "halfwidth_katakana": True, "long_vowel": True},
                 ugc_guidelines=DEFAULT_UGC)
    palette_set(version=draft, colours=DEFAULT_PALETTE, names=PALETTE_NAMES, acting_user=acting_user)
    rules_set(version=draft, rules=DEFAULT_RULES, acting_user=acting_user)
    version_publish(version=draft, acting_user=acting_user, note="初版")
    kit.refresh_from_db()
    return kit
