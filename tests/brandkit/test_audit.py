"""Every write to the brand kit records who did it (an entry of the audit trail, kernel.audit, in
the write's transaction), from the console and from the API alike; opening a page writes nothing
and starts nothing."""

import io
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from brandkit import services
from brandkit.models import Brand, BrandKitVersion, KitAction
from kernel.models import AuditEntry
from tests.brandkit.test_console import form_post_data

API = "/api/v1/brandkit"


@pytest.fixture
def hq_user(staff):
    return staff["hq_marketer"]


@pytest.fixture
def hq(client, hq_user, kit):
    client.force_login(hq_user)
    return client


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (200, 100), (31, 78, 121, 255)).save(buffer, "PNG")
    return buffer.getvalue()


def brand_kit_entries(mark: int):
    return AuditEntry.objects.filter(pk__gt=mark, object_type__startswith="brandkit.").order_by("pk")


def changes_since(mark: int) -> list[tuple[str, object]]:
    return list(brand_kit_entries(mark).values_list("action", "actor"))


def last_change() -> int:
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_the_console_records_who_started_saved_and_published_a_draft(hq, hq_user, kit):
    mark = last_change()
    data = form_post_data(hq.get(reverse("console:brandkit:draft")).context["form"])
    data["tagline"] = "新しい毎日を"
    assert hq.post(reverse("console:brandkit:draft"), data).status_code == 302
    assert hq.post(reverse("console:brandkit:publish"), {"note": "tagline"}).status_code == 302
    assert changes_since(mark) == [
        (KitAction.DRAFT_STARTED, hq_user.pk), (KitAction.DRAFT_EDITED, hq_user.pk),
        (KitAction.PALETTE_SET, hq_user.pk), (KitAction.RULES_SET, hq_user.pk),
        (KitAction.VERSION_PUBLISHED, hq_user.pk),
    ]
    edited = brand_kit_entries(mark).get(action=KitAction.DRAFT_EDITED)
    sections = edited.changes["sections"]  # what the save changed, not every section the form sent
    assert "identity" in sections and not {"tone", "typography", "channel_rules", "notation"} & set(sections)
    assert edited.object_type == "brandkit.brandkitversion"
    assert BrandKitVersion.objects.get(pk=edited.object_id).number == 2


def test_the_console_records_logo_default_brand_and_share_link_changes(hq, hq_user, kit):
    mark = last_change()
    other = services.brand_create(name="MINATO OUTLET", slug="outlet")
    hq.post(reverse("console:brandkit:draft_logo"), {"logo": SimpleUploadedFile("mark.png", png(), "image/png")})
    hq.post(reverse("console:brandkit:brand_default", args=[other.pk]))
    hq.post(reverse("console:brandkit:share_rotate"))
    hq.post(reverse("console:brandkit:brand_create"), {"name": "港の雑貨", "slug": "zakka"})
    assert changes_since(mark) == [
        (KitAction.BRAND_CREATED, None),  # a system write (no user): recorded all the same
        (KitAction.DRAFT_STARTED, hq_user.pk), (KitAction.LOGO_ADDED, hq_user.pk),
        (KitAction.BRAND_MADE_DEFAULT, hq_user.pk), (KitAction.SHARE_LINK_RENEWED, hq_user.pk),
        (KitAction.BRAND_CREATED, hq_user.pk), (KitAction.KIT_CREATED, hq_user.pk),
        (KitAction.DRAFT_EDITED, hq_user.pk), (KitAction.PALETTE_SET, hq_user.pk),
    ]
    assert brand_kit_entries(mark).get(action=KitAction.LOGO_ADDED).changes == {"logo": "mark.png"}
    zakka = Brand.objects.get(slug="zakka")
    assert brand_kit_entries(mark).filter(object_type="brandkit.brand", object_id=str(zakka.pk)).exists()


def test_the_api_records_who_changed_each_part_of_a_draft(client, hq_user, kit):
    client.force_login(hq_user)
    mark = last_change()
    draft = client.post(f"{API}/kits/{kit.pk}/draft/").json()
    version = f"{API}/versions/{draft['id']}"
    assert client.patch(f"{version}/", {"ugc_guidelines": "PR表記を必ず入れる。"},
                        content_type="application/json").status_code == 200
    assert client.put(f"{version}/palette/", {"colours": [{"role": role, "hex": "#1F4E79"} for role in (
        "primary", "secondary", "accent", "background", "surface", "text", "success", "warning", "danger")]},
        content_type="application/json").status_code == 200
    assert client.put(f"{version}/rules/", {"rules": [{"kind": "banned", "pattern": "激安"}]},
                      content_type="application/json").status_code == 200
    assert client.post(f"{version}/logos/", {"logo": SimpleUploadedFile("mark.png", png(), "image/png")}
                       ).status_code == 201
    assert client.post(f"{version}/publish/", {"note": "API"}, content_type="application/json").status_code == 200
    assert client.post(f"{API}/brands/{kit.brand_id}/default/").status_code == 200
    assert changes_since(mark) == [(action, hq_user.pk) for action in (
        KitAction.DRAFT_STARTED, KitAction.DRAFT_EDITED, KitAction.PALETTE_SET, KitAction.RULES_SET,
        KitAction.LOGO_ADDED, KitAction.VERSION_PUBLISHED, KitAction.BRAND_MADE_DEFAULT)]


def test_a_refused_write_records_nothing(draft, hq_user):
    mark = last_change()
    with pytest.raises(Exception):  # noqa: B017 - whichever error: the point is what stays behind
        services.rules_set(version=draft, rules=[services.RuleIn("pattern", "(a|aa)*c")], acting_user=hq_user)
    assert changes_since(mark) == []


@pytest.mark.parametrize("name", ["index", "draft", "history", "check", "assets"])
def test_opening_a_brand_kit_page_starts_no_thread_and_records_nothing(hq, monkeypatch, name):
    started = []
    monkeypatch.setattr(threading.Thread, "start", lambda thread: started.append(thread))
    mark = last_change()
    assert hq.get(reverse(f"console:brandkit:{name}")).status_code == 200
    assert started == []
    assert changes_since(mark) == []


def test_the_history_page_lists_who_changed_the_kit(hq, hq_user, kit):
    hq.cookies["django_language"] = "en"
    hq.post(reverse("console:brandkit:share_rotate"))
    with CaptureQueriesContext(connection) as few:
        response = hq.get(reverse("console:brandkit:history"))
    changes = response.context["changes"]
    assert [(c.action, c.actor) for c in changes[:1]] == [(KitAction.SHARE_LINK_RENEWED, hq_user)]
    assert {c.action for c in changes} >= {KitAction.BRAND_CREATED, KitAction.VERSION_PUBLISHED}  # the seed's
    body = response.content.decode()
    assert "Share link renewed" in body and "System" in body
    for _ in range(5):
        hq.post(reverse("console:brandkit:share_rotate"))
    with CaptureQueriesContext(connection) as more:
        hq.get(reverse("console:brandkit:history"))
    assert len(more) == len(few)  # one query for the list, whatever its length


def test_no_brand_kit_service_accepts_an_acting_user_and_drops_it():
    """A guard for new brand-kit writes: taking ``acting_user`` promises that the write records it
    (or hands it to a service that does)."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(services))
    dropped = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)
               and "acting_user" in [a.arg for a in node.args.kwonlyargs]
               and not any(isinstance(n, ast.Name) and n.id == "acting_user" for n in ast.walk(node))]
    assert dropped == []
