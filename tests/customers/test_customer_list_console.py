"""The console's customer list: filters, sorting, paging with a constant number of queries, and
the CSV export job (UTF-8 with BOM, Shift_JIS with replacements reported, own downloads only)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers import customer_list as listing
from customers.models import Customer, CustomerExport
from customers.services import consent_set
from orders import services as orders
from orders.services import FulfillmentIn, LineIn

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(shop):
    made = []
    for index, (family, kana, prefecture) in enumerate([("山田", "ヤマダ", "13"), ("佐藤", "サトウ", "27"),
                                                        ("𠮷野", "ヨシノ", "13"), ("=HYPERLINK", "イコール", "")]):
        made.append(Customer.objects.create(family_name=family, family_name_kana=kana, prefecture=prefecture,
                                            email=f"c{index}@example.jp", favourite_location=shop.store_a
                                            if index == 0 else None))
    consent_set(customer=made[0], channel="email", granted=True, source="pos")
    consent_set(customer=made[1], channel="email", granted=True, source="pos")
    consent_set(customer=made[1], channel="email", granted=False, source="storefront-account")
    orders.order_place(channel=shop.web, customer=made[1], lines=[LineIn("LS-S", 1)],
                       fulfillment=FulfillmentIn("pickup", "shibuya"))
    return made


def names(qs):
    return [c.family_name for c in qs]


def test_filters_compile_to_sql(people, shop):
    assert names(listing.customer_list(filters={"prefecture": "13"}, sort="name")) == ["=HYPERLINK", "山田", "𠮷野"][1:]
    assert names(listing.customer_list(filters={"store": shop.store_a.code})) == ["山田"]
    assert names(listing.customer_list(filters={"consent": "granted"})) == ["山田"]  # the latest row wins
    assert set(names(listing.customer_list(filters={"consent": "not_granted"}))) == {"佐藤", "𠮷野", "=HYPERLINK"}
    today = timezone.localdate()
    assert names(listing.customer_list(filters={"last_order_from": today.isoformat()})) == ["佐藤"]
    assert names(listing.customer_list(filters={"last_order_to": (today - timedelta(days=1)).isoformat()})) == []
    assert names(listing.customer_list(filters={"ordered": "no", "q": "やまだ"})) == ["山田"]
    spent = listing.customer_list(filters={}, sort="-spent")
    assert spent[0].family_name == "佐藤" and spent[0].total_spent > 0 and spent[1].total_spent == 0


def test_list_page_has_a_constant_number_of_queries(client, staff, people, django_assert_max_num_queries):
    client.force_login(staff["hq_marketer"])
    url = reverse("console:customers")
    with django_assert_max_num_queries(14) as few:
        client.get(url, {"sort": "-spent", "consent": "granted"})
    for index in range(60):
        Customer.objects.create(family_name=f"客{index}", family_name_kana="キャク")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url, {"sort": "-spent"})
    assert response.status_code == 200 and len(response.context["customers"]) == listing.PAGE_SIZE
    page2 = client.get(url, {"sort": "name", "page": 2}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    assert page2.status_code == 200 and b"<html" not in page2.content


def test_store_staff_see_the_list_but_cannot_export(client, staff, people):
    client.force_login(staff["store_staff"])
    response = client.get(reverse("console:customers"))
    assert response.status_code == 200 and not response.context["can_export"]
    assert client.post(reverse("console:customer_export_start"), {"encoding": "utf-8-sig"}).status_code == 403


def test_csv_export_utf8_bom(client, staff, people, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.CUSTOMER_EXPORT_DIR = tmp_path
    client.force_login(staff["hq_marketer"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("console:customer_export_start"),
                               {"encoding": "utf-8-sig", "prefecture": "13"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    export = CustomerExport.objects.get()
    assert (export.status, export.total, export.done, export.percent) == ("done", 2, 2, 100)
    download = client.get(reverse("console:customer_export_download", args=[export.pk]))
    body = b"".join(download.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert "𠮷野" in text and "山田" in text and "佐藤" not in text
    # a staff member who did not ask cannot download it
    client.force_login(staff["administrator"])
    assert client.get(reverse("console:customer_export_download", args=[export.pk])).status_code == 404
    assert client.get(reverse("console:customer_export", args=[export.pk])).status_code == 404


def test_csv_export_shift_jis_replaces_and_reports(staff, people, settings, tmp_path,
                                                   django_capture_on_commit_callbacks):
    settings.CUSTOMER_EXPORT_DIR = tmp_path
    with django_capture_on_commit_callbacks(execute=True):  # the job starts after the commit (inline in tests)
        export = listing.customer_export_request(filters={}, sort="name", encoding="cp932",
                                                 acting_user=staff["hq_marketer"])
    export.refresh_from_db()
    assert export.status == "done"
    text = (tmp_path / export.file_name).read_bytes().decode("cp932")
    assert "吉野" in text and "𠮷" not in text
    assert export.replaced == {"𠮷": {"to": "吉", "count": 1}}
    assert "'=HYPERLINK" in text  # no formula runs when Excel opens it


def test_exports_expire_after_a_day(staff, people, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.CUSTOMER_EXPORT_DIR = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        export = listing.customer_export_request(filters={}, sort="name", encoding="utf-8-sig",
                                                 acting_user=staff["hq_marketer"])
    export.refresh_from_db()
    assert listing.export_file_path(export) is not None
    assert listing.customer_exports_expire(now=timezone.now() + timedelta(hours=25)) == 1
    assert not CustomerExport.objects.exists() and not list(tmp_path.iterdir())


def test_search_finds_by_kana_kanji_phone_email_short_and_long(db):
    hanako = Customer.objects.create(family_name="山田", given_name="花子", family_name_kana="ヤマダ",
                                     given_name_kana="ハナコ", phone="090-1234-5678", email="hanako@example.jp")
    Customer.objects.create(family_name="田中", family_name_kana="タナカ", email="tanaka@example.jp")
    for query in ["山", "山田", "やま", "ﾔﾏﾀﾞﾊﾅｺ", "花子", "ハナコ", "5678", "０９０１２３４", "hanako@example.jp", "ha",
                  "HANAKO@EXAMPLE.JP", "example.jp"]:
        found = list(Customer.objects.search(query))
        assert hanako in found, query
    assert list(Customer.objects.search("田")) == [Customer.objects.get(family_name="田中")]  # a prefix when short
