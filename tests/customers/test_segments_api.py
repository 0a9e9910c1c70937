"""Segments through the API: define, count, members, static-list upload, export, snapshots,
personas; bad input answers 400 naming the path and stores nothing; store staff are refused."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from customers import segments
from customers.models import Customer, Persona, Segment, SegmentExport, SegmentMember, SegmentSnapshot
from customers.scores import scores_recompute
from kernel.models import AuditEntry, DomainEvent
from tests.customers.segments_world import NOW, build_world, private_exports, reference_ids  # noqa: F401

pytestmark = pytest.mark.django_db

FOUR_RULES = {"match": "all", "groups": [{"match": "all", "conditions": [
    {"field": "rfm_f", "operator": "gte", "value": 1},
    {"field": "prefecture", "operator": "not_in", "value": ["01"]},
    {"field": "bought_category", "operator": "in_last_days", "value": "シャツ", "days": 365},
    {"field": "consent", "operator": "granted", "value": "email", "purpose": "marketing"}]}]}


@pytest.fixture
def marketer(staff):
    client = APIClient()
    client.force_authenticate(staff["hq_marketer"])
    return client


@pytest.fixture
def world(shop):
    world = build_world(shop, n=24)
    scores_recompute(now=NOW)
    return world


def test_define_count_and_page_through_members(world, marketer):
    response = marketer.post(reverse("api:segment-list"), {"name": "首都圏", "rules": FOUR_RULES}, format="json")
    assert response.status_code == 201, response.content
    segment = Segment.objects.get(pk=response.json()["id"])
    expected = reference_ids(segment.rules)
    assert 0 < len(expected) < 24
    assert marketer.get(reverse("api:segment-count", args=[segment.pk])).json() == {"count": len(expected)}
    page = marketer.get(reverse("api:segment-members", args=[segment.pk]) + "?page_size=2").json()
    assert page["count"] == len(expected) and len(page["results"]) == min(2, len(expected))
    assert {m["id"] for m in page["results"]} <= expected
    assert AuditEntry.objects.filter(action="segment_create", object_id=str(segment.pk)).exists()
    assert DomainEvent.objects.filter(type="customers.segment_changed").exists()


def test_unknown_field_or_operator_is_a_400_naming_the_path_and_nothing_is_stored(world, marketer):
    rules = {"groups": [{"conditions": [{"field": "age", "operator": "gte", "value": 20},
                                        {"field": "age", "operator": "between", "value": 20},
                                        {"field": "shoe_size", "operator": "eq", "value": 3}]}]}
    response = marketer.post(reverse("api:segment-list"), {"name": "x", "rules": rules}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"rules.groups.0.conditions.1.operator", "rules.groups.0.conditions.2.field"}
    assert not Segment.objects.exists() and not AuditEntry.objects.filter(action="segment_create").exists()
    preview = marketer.post(reverse("api:segment-preview"), {"rules": rules}, format="json")
    assert preview.status_code == 400 and "rules.groups.0.conditions.2.field" in preview.json()["errors"]


def test_a_bad_update_leaves_the_segment_as_it_was(world, marketer):
    segment = segments.segment_create(name="a", rules=FOUR_RULES)
    response = marketer.patch(reverse("api:segment-detail", args=[segment.pk]),
                              {"rules": {"groups": [{"conditions": [{"field": "age", "operator": "x"}]}]}},
                              format="json")
    assert response.status_code == 400
    segment.refresh_from_db()
    assert segment.rules == segments.rules_clean(FOUR_RULES)


def test_preview_counts_and_shows_the_first_members_without_saving(world, marketer,
                                                                    django_assert_max_num_queries):
    expected = sorted(reference_ids(segments.rules_clean(FOUR_RULES)))
    with django_assert_max_num_queries(2 + 4):  # the count and the members; the rest is the request's own
        response = marketer.post(reverse("api:segment-preview"), {"rules": FOUR_RULES}, format="json")
    body = response.json()
    assert body["count"] == len(expected)
    assert [m["id"] for m in body["members"]] == expected[:segments.PREVIEW_SIZE]
    assert not Segment.objects.exists()
    wide = {"groups": [{"conditions": [{"field": "age", "operator": "gte", "value": 0}]}]}
    body = marketer.post(reverse("api:segment-preview"), {"rules": wide}, format="json").json()
    assert body["count"] > segments.PREVIEW_SIZE and len(body["members"]) == segments.PREVIEW_SIZE


def _csv(text: str, encoding="utf-8-sig"):
    return SimpleUploadedFile("list.csv", text.encode(encoding), content_type="text/csv")


def test_static_list_upload_is_all_or_nothing_with_every_bad_row(world, marketer):
    segment = segments.segment_create(name="VIP", kind="static")
    a, b, c = world.customers[:3]
    Customer.objects.filter(pk=c.pk).update(phone="090-1111-2222", phone_digits="09011112222")
    bad = "email,customer_id,phone\nnobody@example.jp,,\n,99999,\nC1@example.jp,,\n,,080-0000-0000\n"
    response = marketer.post(reverse("api:segment-upload", args=[segment.pk]), {"file": _csv(bad)},
                             format="multipart")
    assert response.status_code == 400
    body = response.json()
    assert [r["row"] for r in body["rows"]] == [2, 3, 5]
    assert set(body["errors"]) == {"rows.2", "rows.3", "rows.5"}
    assert not SegmentMember.objects.exists()
    good = f"メールアドレス,顧客ID,電話番号\n{a.email.upper()},,\n,{b.pk},\n,,０９０－１１１１－２２２２\n"
    response = marketer.post(reverse("api:segment-upload", args=[segment.pk]), {"file": _csv(good, "cp932")},
                             format="multipart")
    assert response.status_code == 200, response.content
    assert response.json() == {"members": 3}
    assert set(segments.segment_customers(segment).values_list("pk", flat=True)) == {a.pk, b.pk, c.pk}


def test_upload_to_a_dynamic_segment_is_refused(world, marketer):
    segment = segments.segment_create(name="d", rules=FOUR_RULES)
    response = marketer.post(reverse("api:segment-upload", args=[segment.pk]),
                             {"file": _csv("email\nc1@example.jp\n")}, format="multipart")
    assert response.status_code == 400 and response.json()["code"] == "segment_invalid"


@pytest.mark.parametrize(("encoding", "charset"), [("utf-8-sig", "utf-8"), ("cp932", "shift_jis")])
def test_export_runs_as_a_job_and_downloads_in_the_chosen_encoding(world, marketer, encoding, charset,
                                                                   django_capture_on_commit_callbacks, settings):
    segment = segments.segment_create(name="輸出", rules=FOUR_RULES)
    with django_capture_on_commit_callbacks(execute=True):
        response = marketer.post(reverse("api:segment-export", args=[segment.pk]), {"encoding": encoding},
                                 format="json")
    assert response.status_code == 202, response.content
    export = SegmentExport.objects.get(pk=response.json()["id"])
    assert export.status == "done" and export.percent == 100
    status = marketer.get(reverse("api:segment-export-status", args=[segment.pk, export.pk])).json()
    assert status["status"] == "done" and status["total"] == len(reference_ids(segment.rules))
    download = marketer.get(reverse("api:segment-export-download", args=[segment.pk, export.pk]))
    assert charset in download["Content-Type"]
    data = b"".join(download.streaming_content)
    if encoding == "utf-8-sig":
        assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode(encoding)
    lines = text.strip().split("\r\n")
    assert lines[0].startswith("顧客ID") or lines[0].startswith("Customer ID")
    assert len(lines) == 1 + status["total"]
    assert "山田" in text
    assert AuditEntry.objects.filter(action="segment_export_start").exists()
    # personal data never lands where /media/ serves it
    assert (Path(settings.SEGMENT_EXPORTS_ROOT) / export.file).is_file()
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.csv")) if Path(settings.MEDIA_ROOT).exists() else True
    assert marketer.get(f"/media/{export.file}").status_code == 404


def test_snapshot_keeps_members_and_exports_them_as_of_that_date(world, marketer,
                                                                 django_capture_on_commit_callbacks):
    segment = segments.segment_create(name="snap", rules=FOUR_RULES)
    response = marketer.post(reverse("api:segment-snapshots", args=[segment.pk]), {"with_members": True},
                             format="json")
    assert response.status_code == 201
    snapshot = SegmentSnapshot.objects.get()
    assert snapshot.count == snapshot.members.count() == len(reference_ids(segment.rules))
    Customer.objects.filter(pk__in=snapshot.members.values("customer_id")).update(prefecture="01")  # leave now
    assert segments.segment_customers(segment).count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        export = marketer.post(reverse("api:segment-export", args=[segment.pk]), {"snapshot": snapshot.pk},
                               format="json").json()
    assert SegmentExport.objects.get(pk=export["id"]).total == snapshot.count
    history = marketer.get(reverse("api:segment-snapshots", args=[segment.pk])).json()
    assert history[0]["count"] == snapshot.count


def test_daily_snapshot_counts_every_segment(world):
    segments.segment_create(name="one", rules=FOUR_RULES)
    segments.segment_create(name="two", kind="static")
    assert segments.segments_snapshot_all() == 2
    assert SegmentSnapshot.objects.count() == 2


def test_personas_crud_and_attach(world, marketer):
    response = marketer.post(reverse("api:persona-list"), {
        "name": "週末の街歩き派", "goals": "長く着られる服", "preferred_channels": ["line"],
        "messages": "店舗イベント"}, format="json")
    assert response.status_code == 201, response.content
    persona = Persona.objects.get()
    bad = marketer.post(reverse("api:persona-list"), {"name": "x", "preferred_channels": ["fax"]}, format="json")
    assert bad.status_code == 400 and "preferred_channels" in bad.json()["errors"]
    created = marketer.post(reverse("api:segment-list"), {"name": "p", "rules": FOUR_RULES, "persona": persona.pk},
                            format="json").json()
    assert created["persona_name"] == "週末の街歩き派"
    assert marketer.delete(reverse("api:persona-detail", args=[persona.pk])).status_code == 204
    assert Segment.objects.get(pk=created["id"]).persona is None


def test_store_staff_get_no_segments(world, staff):
    client = APIClient()
    client.force_authenticate(staff["store_staff"])
    assert client.get(reverse("api:segment-list")).status_code == 403
    assert client.post(reverse("api:segment-list"), {"name": "x", "rules": FOUR_RULES},
                       format="json").status_code == 403
    assert client.get(reverse("api:persona-list")).status_code == 403


def test_fields_describe_the_registry(world, marketer):
    fields = {f["field"]: f for f in marketer.get(reverse("api:segment-fields")).json()}
    assert set(fields) == set(segments.FIELDS)
    assert fields["consent"]["extras"]["purpose"]["type"] == "choice"
    # the distance rule says what it really measures
    distance = fields["distance_to_store"]
    assert all("prefectur" in distance[key] or "都道府県" in distance[key] for key in ("label", "help"))
    assert {c["value"] for c in fields["language"]["value"]["choices"]} == {"ja", "en"}


def test_an_export_naming_a_bad_or_foreign_snapshot_is_a_400_and_starts_nothing(world, marketer):
    from customers.models import SegmentExport

    segment = segments.segment_create(name="e", rules=FOUR_RULES)
    other = segments.segment_create(name="f", rules=FOUR_RULES)
    foreign = segments.segment_snapshot_take(segment=other)
    url = reverse("api:segment-export", args=[segment.pk])
    for body in ({"snapshot": "abc"}, {"snapshot": foreign.pk}, {"snapshot": [1]}):
        response = marketer.post(url, body, format="json")
        assert response.status_code == 400 and "snapshot" in response.json()["errors"], body
    response = marketer.post(url, [1, 2], format="json")
    assert response.status_code == 400
    assert not SegmentExport.objects.exists()
