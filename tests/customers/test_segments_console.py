"""The console's segment builder, list, detail, export and personas: htmx partials, the live
count, saving through the services, role checks and constant query counts."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers import segments
from customers.models import Persona, Segment, SegmentExport, SegmentMember
from customers.scores import scores_recompute
from kernel.models import AuditEntry
from tests.customers.segments_world import NOW, build_world, private_exports, reference_ids  # noqa: F401

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def world(shop):
    world = build_world(shop, n=20)
    scores_recompute(now=NOW)
    return world


@pytest.fixture
def marketer(client, staff):
    client.force_login(staff["hq_marketer"])
    return client


def builder_post(**extra):
    data = {"name": "首都圏", "description": "", "kind": "dynamic", "match": "all", "g0-match": "all",
            "g0-c0-field": "prefecture", "g0-c0-operator": "in", "g0-c0-value": ["13", "14"]}
    data.update(extra)
    return data


def test_the_builder_adds_and_removes_conditions_without_storing(world, marketer):
    response = marketer.post(reverse("console:segment_builder"), {**builder_post(), "op": "add-condition:0"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="rules-editor"' in html and "<html" not in html
    assert 'name="g0-c1-field"' in html and response["HX-Trigger-After-Settle"] == "rules-changed"
    assert 'value="13" selected' in html  # what was chosen stays chosen
    response = marketer.post(reverse("console:segment_builder"), {**builder_post(), "op": "add-group"}, **HTMX)
    assert 'name="g1-c0-field"' in response.content.decode()
    response = marketer.post(reverse("console:segment_builder"),
                             {**builder_post(**{"g0-c1-field": "age", "g0-c1-operator": "gte", "g0-c1-value": "30"}),
                              "op": "remove-condition:0:0"}, **HTMX)
    html = response.content.decode()
    assert 'name="g0-c1-field"' not in html and '<option value="age" selected' in html
    assert not Segment.objects.exists()


def test_choosing_another_field_changes_the_operators_and_inputs(world, marketer):
    data = builder_post(**{"g0-c0-field": "bought_category", "op": "field:0:0"})
    html = marketer.post(reverse("console:segment_builder"), data, **HTMX).content.decode()
    assert 'value="in_last_days"' in html and 'name="g0-c0-days"' in html and 'value="in" ' not in html
    data = builder_post(**{"g0-c0-field": "consent", "op": "field:0:0"})
    html = marketer.post(reverse("console:segment_builder"), data, **HTMX).content.decode()
    assert 'name="g0-c0-purpose"' in html and 'value="granted"' in html
    assert 'class="rule-help"' not in html
    data = builder_post(**{"g0-c0-field": "distance_to_store", "op": "field:0:0"})
    html = marketer.post(reverse("console:segment_builder"), data, **HTMX).content.decode()
    assert 'name="g0-c0-location"' in html and 'class="rule-help"' in html  # says it is by prefecture


def test_the_live_count_and_preview_match_the_rules(world, marketer, django_assert_max_num_queries):
    data = builder_post(**{"g0-c1-field": "rfm_r", "g0-c1-operator": "gte", "g0-c1-value": "2"})
    expected = reference_ids(segments.rules_clean({"groups": [{"conditions": [
        {"field": "prefecture", "operator": "in", "value": ["13", "14"]},
        {"field": "rfm_r", "operator": "gte", "value": 2}]}]}))
    with django_assert_max_num_queries(8):  # session, user, groups + the count and the preview
        response = marketer.post(reverse("console:segment_count"), data, **HTMX)
    html = response.content.decode()
    assert f'<p class="live-count">{len(expected)}</p>' in html


def test_the_live_count_names_bad_conditions(world, marketer):
    data = builder_post(**{"g0-c1-field": "age", "g0-c1-operator": "gte", "g0-c1-value": "old"})
    html = marketer.post(reverse("console:segment_count"), data, **HTMX).content.decode()
    assert "condition 2" in html.lower() or "条件2" in html


def test_saving_creates_the_segment_through_the_service(world, marketer):
    persona = segments.persona_create(name="週末派")
    response = marketer.post(reverse("console:segment_create"), builder_post(persona=persona.pk))
    segment = Segment.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("console:segment_detail",
                                                                           args=[segment.pk])
    assert segment.rules["groups"][0]["conditions"][0]["value"] == ["13", "14"]
    assert segment.persona == persona and segment.created_by.email == "hq_marketer@example.jp"
    assert AuditEntry.objects.filter(action="segment_create").exists()


def test_bad_rules_show_next_to_the_condition_and_nothing_is_stored(world, marketer):
    response = marketer.post(reverse("console:segment_create"),
                             builder_post(**{"g0-c1-field": "age", "g0-c1-operator": "gte", "g0-c1-value": "-3"}))
    assert response.status_code == 400
    html = response.content.decode()
    assert "field-invalid" in html and not Segment.objects.exists()


def test_edit_keeps_the_kind_and_changes_the_rules(world, marketer):
    segment = segments.segment_create(name="x", rules={"groups": [{"conditions": [
        {"field": "prefecture", "operator": "in", "value": ["13"]}]}]})
    page = marketer.get(reverse("console:segment_edit", args=[segment.pk]))
    assert 'value="13" selected' in page.content.decode()
    response = marketer.post(reverse("console:segment_edit", args=[segment.pk]), builder_post(name="y"))
    assert response.status_code == 302
    segment.refresh_from_db()
    assert segment.name == "y" and segment.rules["groups"][0]["conditions"][0]["value"] == ["13", "14"]


def test_list_counts_every_segment_in_constant_queries(world, marketer, django_assert_max_num_queries):
    for i in range(3):
        segments.segment_create(name=f"s{i}", rules={"groups": [{"conditions": [
            {"field": "prefecture", "operator": "in", "value": ["13"]}]}]})
    with django_assert_max_num_queries(12) as few:
        marketer.get(reverse("console:segments"))
    for i in range(3, 9):
        segments.segment_create(name=f"s{i}", kind="static")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = marketer.get(reverse("console:segments"))
    assert response.status_code == 200 and "s8" in response.content.decode()


def test_detail_shows_members_persona_and_rules_in_words(world, marketer, django_assert_max_num_queries):
    persona = segments.persona_create(name="週末の街歩き派", goals="長く着られる服", preferred_channels=["line"])
    segment = segments.segment_create(name="東京", persona=persona, rules={"groups": [{"conditions": [
        {"field": "prefecture", "operator": "in", "value": ["13"]}]}]})
    with django_assert_max_num_queries(16):
        response = marketer.get(reverse("console:segment_detail", args=[segment.pk]))
    html = response.content.decode()
    assert "週末の街歩き派" in html and "長く着られる服" in html and "東京都" in html
    assert f'{reverse("console:customers")}?segment={segment.pk}' in html  # the same customers, in the list


def test_export_from_the_console_shows_progress_and_downloads(world, marketer, django_capture_on_commit_callbacks):
    segment = segments.segment_create(name="東京", rules={"groups": [{"conditions": [
        {"field": "prefecture", "operator": "in", "value": ["13"]}]}]})
    with django_capture_on_commit_callbacks(execute=True):
        response = marketer.post(reverse("console:segment_export", args=[segment.pk]), {"encoding": "cp932"})
    assert response.status_code == 302
    export = SegmentExport.objects.get()
    row = marketer.get(reverse("console:segment_export_progress", args=[segment.pk, export.pk]), **HTMX)
    assert reverse("console:segment_export_download", args=[segment.pk, export.pk]) in row.content.decode()
    download = marketer.get(reverse("console:segment_export_download", args=[segment.pk, export.pk]))
    text = b"".join(download.streaming_content).decode("cp932")
    assert text.count("\r\n") == 1 + len(reference_ids(segment.rules))


def test_a_running_export_polls_its_progress(world, marketer):
    segment = segments.segment_create(name="東京", kind="static")
    export = SegmentExport.objects.create(segment=segment, status="running", total=200, done=50)
    html = marketer.get(reverse("console:segment_export_progress", args=[segment.pk, export.pk]),
                        **HTMX).content.decode()
    assert 'hx-trigger="every 1s"' in html and 'max="200" value="50"' in html


def test_upload_with_bad_rows_lists_them_and_imports_nothing(world, marketer):
    segment = segments.segment_create(name="VIP", kind="static")
    upload = SimpleUploadedFile("l.csv", b"email\nc1@example.jp\nnobody@example.jp\n")
    response = marketer.post(reverse("console:segment_upload", args=[segment.pk]), {"file": upload, "replace": "on"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "nobody@example.jp" in html and not SegmentMember.objects.exists()
    upload = SimpleUploadedFile("l.csv", b"email\nc1@example.jp\nc2@example.jp\n")
    response = marketer.post(reverse("console:segment_upload", args=[segment.pk]), {"file": upload, "replace": "on"})
    assert response.status_code == 302 and SegmentMember.objects.count() == 2


def test_personas_are_created_and_edited_in_the_console(world, marketer):
    response = marketer.post(reverse("console:persona_create"), {
        "name": "週末派", "summary": "30代", "goals": "上質", "preferred_channels": ["line", "email"],
        "messages": "新作"})
    assert response.status_code == 302
    persona = Persona.objects.get()
    assert persona.preferred_channels == ["line", "email"]
    response = marketer.post(reverse("console:persona_edit", args=[persona.pk]), {"name": ""})
    assert response.status_code == 400
    assert "週末派" in marketer.get(reverse("console:personas")).content.decode()


def test_store_staff_have_no_segment_pages(world, client, staff):
    segment = segments.segment_create(name="x", kind="static")
    client.force_login(staff["store_staff"])
    for url in [reverse("console:segments"), reverse("console:segment_create"), reverse("console:personas"),
                reverse("console:segment_detail", args=[segment.pk])]:
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("console:segment_count"), builder_post()).status_code == 403
    assert client.post(reverse("console:scores_recompute")).status_code == 403
    nav = client.get(reverse("console:customers")).content.decode()
    assert reverse("console:segments") not in nav


def test_marketers_find_segments_in_the_navigation(world, marketer):
    assert reverse("console:segments") in marketer.get(reverse("console:customers")).content.decode()
