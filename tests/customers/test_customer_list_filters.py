"""The console customer list's segment, RFM and consent-by-channel filters and its RFM sort: each
compiles into the list's one query, the CSV export job honours them, users without the segment or
score permissions neither see nor use them, and the API list takes ``segment`` too."""

import csv
import io

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from customers import customer_list as listing
from customers import segments
from customers.consent import consent_grant, consent_withdraw, customers_consenting
from customers.models import Customer, CustomerExport, CustomerScore
from customers.scores import scores_recompute
from tests.customers.segments_world import NOW, build_world, private_exports  # noqa: F401

pytestmark = pytest.mark.django_db

TOKYO = {"groups": [{"conditions": [{"field": "prefecture", "operator": "in", "value": ["13", "14"]}]}]}


@pytest.fixture
def world(shop):
    world = build_world(shop, n=24)
    scores_recompute(now=NOW)
    return world


def pks(qs) -> set[int]:
    return set(qs.values_list("pk", flat=True))


def test_segment_filter_is_the_segment_in_one_query(world, django_assert_num_queries):
    dynamic = segments.segment_create(name="首都圏", rules=TOKYO)
    static = segments.segment_create(name="VIP", kind="static")
    segments.segment_members_upload(segment=static, data=b"email\nc1@example.jp\nc5@example.jp\nc9@example.jp\n")
    for segment in (dynamic, static):
        expected = pks(segments.segment_customers(segment))
        assert 0 < len(expected) < len(world.customers)
        with django_assert_num_queries(2):  # the segment's definition, then the list itself
            got = {c.pk for c in listing.customer_list(filters={"segment": segment.pk})}
        assert got == expected
    # combined with another filter: still the intersection, in one list query
    both = listing.customer_list(filters={"segment": dynamic.pk, "consent": "email:granted"})
    assert pks(both) == pks(segments.segment_customers(dynamic)) & pks(customers_consenting(channel="email"))


def test_rfm_filters_read_the_scores(world):
    scores = {s.customer_id: s for s in CustomerScore.objects.all()}
    assert scores and len(scores) < len(world.customers)
    label = max({s.label for s in scores.values()}, key=lambda lbl: sum(s.label == lbl for s in scores.values()))
    assert pks(listing.customer_list(filters={"rfm": label})) == {pk for pk, s in scores.items() if s.label == label}
    assert pks(listing.customer_list(filters={"rfm": "none"})) == {c.pk for c in world.customers} - set(scores)
    assert pks(listing.customer_list(filters={"rfm_r": "4-5"})) == {pk for pk, s in scores.items() if s.r >= 4}
    assert pks(listing.customer_list(filters={"rfm_m": "1-2", "rfm_f": "1-1"})) == {
        pk for pk, s in scores.items() if s.m <= 2 and s.f == 1}
    assert listing.CustomerListForm(data={"rfm_r": "9-9"}).errors  # only the listed bands


def _rfm_keys(rows) -> list:
    return [(c.score.r, c.score.f, c.score.m) if hasattr(c, "score") else None for c in rows]


def test_sorting_by_rfm_puts_the_best_first_and_the_unscored_last(world, django_assert_num_queries):
    with django_assert_num_queries(1):  # the score comes with the row
        keys = _rfm_keys(list(listing.customer_list(filters={}, sort="-rfm")))
    scored = [k for k in keys if k is not None]
    assert len(set(scored)) > 3 and len(scored) < len(keys)
    assert keys == sorted(scored, reverse=True) + [None] * (len(keys) - len(scored))
    ascending = _rfm_keys(listing.customer_list(filters={}, sort="rfm"))
    assert ascending == [None] * (len(keys) - len(scored)) + sorted(scored)


def test_consent_filter_by_channel_is_the_audience_check(world):
    everybody = {c.pk for c in world.customers}
    for channel in ("email", "line", "sms"):
        audience = pks(customers_consenting(channel=channel))
        assert pks(listing.customer_list(filters={"consent": f"{channel}:granted"})) == audience
        assert pks(listing.customer_list(filters={"consent": f"{channel}:not_granted"})) == everybody - audience
    # links saved before channels existed mean email
    assert pks(listing.customer_list(filters={"consent": "granted"})) == pks(customers_consenting(channel="email"))


def test_an_opt_out_leaves_the_consent_filter_at_once(world):
    person = world.customers[0]
    consent_grant(customer=person, channel="line", source="storefront")
    assert person.pk in pks(listing.customer_list(filters={"consent": "line:granted"}))
    consent_withdraw(customer=person, channel="line", source="unsubscribe")
    assert person.pk not in pks(listing.customer_list(filters={"consent": "line:granted"}))
    assert person.pk in pks(listing.customer_list(filters={"consent": "line:not_granted"}))


def test_the_page_with_segment_rfm_and_sort_keeps_its_query_count(client, staff, world,
                                                                  django_assert_max_num_queries):
    client.force_login(staff["hq_marketer"])
    segment = segments.segment_create(name="首都圏", rules=TOKYO)
    url = reverse("console:customers")
    params = {"segment": segment.pk, "rfm_r": "1-2", "consent": "email:granted", "sort": "-rfm"}
    with django_assert_max_num_queries(14) as few:  # session, user, permissions, segments, list, count…
        response = client.get(url, params)
    assert response.status_code == 200 and response.context["show_rfm"]
    assert {c.pk for c in response.context["customers"]} == pks(listing.customer_list(filters=params))
    for index in range(60):  # more customers, more segments: the same number of queries
        Customer.objects.create(family_name=f"客{index}", family_name_kana="キャク", prefecture="13")
    for index in range(5):
        segments.segment_create(name=f"追加{index}", rules=TOKYO)
    scores_recompute(now=NOW)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url, {**params, "rfm_r": "", "consent": ""})
    assert len(response.context["customers"]) == listing.PAGE_SIZE
    html = response.content.decode()
    assert 'name="segment"' in html and f'<option value="{segment.pk}" selected>' in html
    assert 'class="mono rfm-code"' in html


def test_store_staff_get_neither_segment_nor_rfm(client, staff, world):
    segment = segments.segment_create(name="首都圏", rules=TOKYO)
    client.force_login(staff["store_staff"])
    response = client.get(reverse("console:customers"), {"segment": segment.pk, "rfm": "champions", "sort": "-rfm"})
    assert response.status_code == 200
    form = response.context["form"]
    assert not {"segment", "rfm", "rfm_r"} & set(form.fields) and response.context["filters"] == {}
    assert response.context["sort"] == listing.DEFAULT_SORT and not response.context["show_rfm"]
    assert len(response.context["customers"]) == len(world.customers)  # the parameters were not applied
    html = response.content.decode()
    assert "首都圏" not in html and "rfm-code" not in html


def test_the_csv_export_honours_segment_and_rfm(staff, world, settings, tmp_path,
                                                django_capture_on_commit_callbacks, monkeypatch):
    settings.CUSTOMER_EXPORT_DIR = tmp_path
    monkeypatch.setattr(listing, "EXPORT_BATCH", 3)
    segment = segments.segment_create(name="首都圏", rules=TOKYO)
    filters = {"segment": segment.pk, "rfm": "none"}
    expected = pks(listing.customer_list(filters=filters))
    assert expected
    with django_capture_on_commit_callbacks(execute=True):
        export = listing.customer_export_request(filters=filters, sort="-rfm", encoding="utf-8-sig",
                                                 acting_user=staff["hq_marketer"])
    export.refresh_from_db()
    assert export.status == "done" and export.total == len(expected)
    rows = list(csv.reader(io.StringIO((tmp_path / export.file_name).read_text("utf-8-sig"))))
    assert {int(row[0]) for row in rows[1:]} == expected


def test_exporting_through_the_console_keeps_the_segment(client, staff, world, settings, tmp_path,
                                                         django_capture_on_commit_callbacks):
    settings.CUSTOMER_EXPORT_DIR = tmp_path
    segment = segments.segment_create(name="首都圏", rules=TOKYO)
    client.force_login(staff["hq_marketer"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("console:customer_export_start"),
                               {"encoding": "utf-8-sig", "segment": segment.pk, "rfm_f": "1-2"},
                               HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    export = CustomerExport.objects.get()
    assert export.filters == {"segment": segment.pk, "rfm_f": "1-2", "sort": listing.DEFAULT_SORT}
    assert export.total == len(pks(listing.customer_list(filters={"segment": segment.pk, "rfm_f": "1-2"})))


def test_an_export_whose_segment_is_gone_is_refused_not_widened(client, staff, world):
    segment = segments.segment_create(name="首都圏", rules=TOKYO)
    gone = segment.pk
    segments.segment_delete(segment=segment)
    client.force_login(staff["hq_marketer"])
    response = client.post(reverse("console:customer_export_start"), {"encoding": "utf-8-sig", "segment": gone},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    assert not CustomerExport.objects.exists()


def test_an_export_job_whose_segment_went_before_it_ran_fails_instead_of_widening(
        staff, world, settings, tmp_path, django_capture_on_commit_callbacks):
    """Queued with a segment that is deleted before the job runs: the job fails, no file holds
    every customer."""
    settings.CUSTOMER_EXPORT_DIR = tmp_path
    segment = segments.segment_create(name="首都圏", rules=TOKYO)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        export = listing.customer_export_request(filters={"segment": segment.pk}, sort=listing.DEFAULT_SORT,
                                                 encoding="utf-8-sig", acting_user=staff["hq_marketer"])
    segments.segment_delete(segment=segment)
    for callback in queued:
        callback()
    export.refresh_from_db()
    assert export.status == "failed" and export.error and export.total == 0
    assert not list(tmp_path.iterdir())


def test_the_api_list_takes_a_segment(staff, world):
    segment = segments.segment_create(name="首都圏", rules=TOKYO)
    api = APIClient()
    api.force_authenticate(user=staff["hq_marketer"])
    response = api.get("/api/v1/customers/", {"segment": segment.pk, "page_size": 100})
    assert response.status_code == 200, response.content
    body = response.json()
    results = body["results"] if isinstance(body, dict) else body
    assert {row["id"] for row in results} == pks(segments.segment_customers(segment))
    assert api.get("/api/v1/customers/", {"segment": 999999}).status_code == 400
    api.force_authenticate(user=staff["store_staff"])
    assert api.get("/api/v1/customers/", {"segment": segment.pk}).status_code == 403
    assert api.get("/api/v1/customers/").status_code == 200
