"""Register pages: open with a float, close with the cash count by denomination, the report on
screen and on paper, the history; each store's staff see only their store."""

import pytest
from django.urls import reverse

from inventory import services as inventory
from orders import registers
from orders.models import RegisterSession
from tests.orders.registers_data import CARD, CASH, refund, sale

pytestmark = pytest.mark.django_db


@pytest.fixture
def register(shop):
    inventory.stock_receive(variant=shop.small, location=shop.store_a, quantity=30, reference="PO-9")
    return registers.register_create(location=shop.store_a, code="1", name="レジ1")


@pytest.fixture
def session(register, staff):
    return registers.register_open(register=register, opening_float=30000, acting_user=staff["store_staff"])


def _count(**pieces) -> dict:
    data = {f"d{value}": "" for value in registers.DENOMINATIONS}
    data.update({f"d{key[1:]}": str(value) for key, value in pieces.items()})
    return data


def test_store_staff_open_the_register_from_the_list(client, staff, register):
    client.force_login(staff["store_staff"])
    page = client.get(reverse("console:registers")).content.decode()
    assert "レジ1" in page and reverse("console:register_open", args=[register.pk]) in page
    response = client.post(reverse("console:register_open", args=[register.pk]), {"opening_float": "30000"})
    assert response.status_code == 302
    session = registers.register_session_current(register)
    assert session.opening_float == 30000 and session.opened_by == staff["store_staff"]
    page = client.get(reverse("console:registers")).content.decode()
    assert "¥30,000" in page and reverse("console:register_close", args=[session.pk]) in page


def test_opening_twice_shows_the_open_session_and_changes_nothing(client, staff, register, session):
    client.force_login(staff["store_staff"])
    response = client.post(reverse("console:register_open", args=[register.pk]), {"opening_float": "1000"})
    assert response.status_code == 400
    assert response.context["form"].errors["__all__"]
    assert RegisterSession.objects.get().opening_float == 30000


def test_closing_with_the_count_shows_the_report(client, staff, shop, session):
    sale(shop, session, (CASH, 10000))
    sale(shop, session, (CARD, 5500, "slip"))
    client.force_login(staff["store_staff"])
    form = client.get(reverse("console:register_close", args=[session.pk])).content.decode()
    assert "¥35,500" in form and 'data-denomination="10000"' in form
    response = client.post(reverse("console:register_close", args=[session.pk]),
                           {**_count(d10000=3, d5000=1, d500=1, d10=-0), "note": ""})
    assert response.status_code == 302
    assert response["Location"] == reverse("console:register_session", args=[session.pk])
    session.refresh_from_db()
    assert (session.counted_cash, session.expected_cash, session.over_short) == (35500, 35500, 0)
    report = client.get(response["Location"]).content.decode()
    assert "¥11,000" in report  # net takings
    assert "±¥0" in report


def test_an_empty_or_bad_count_is_refused_and_the_register_stays_open(client, staff, session):
    client.force_login(staff["store_staff"])
    empty = client.post(reverse("console:register_close", args=[session.pk]), _count())
    assert empty.status_code == 400 and empty.context["form"].non_field_errors()
    bad = client.post(reverse("console:register_close", args=[session.pk]), _count(d1000="-2"))
    assert bad.status_code == 400 and "d1000" in bad.context["form"].errors
    session.refresh_from_db()
    assert session.is_open and session.counted_cash is None


def test_a_closed_session_cannot_be_closed_again_from_the_page(client, staff, session):
    registers.register_close(session=session, counted_cash=29000)
    client.force_login(staff["store_staff"])
    response = client.post(reverse("console:register_close", args=[session.pk]), _count(d10000=3))
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.counted_cash == 29000


@pytest.mark.parametrize("paper", ["a4", "80mm"])
def test_the_report_prints_on_a4_and_on_a_receipt_roll(client, staff, shop, session, paper):
    order = sale(shop, session, (CASH, 6000))
    refund(order, session, CASH, 5500)
    registers.register_close(session=session, counted_cash=30000)
    client.force_login(staff["hq_marketer"])
    response = client.get(reverse("console:register_session", args=[session.pk]), {"print": paper})
    html = response.content.decode()
    assert response.status_code == 200 and f"paper-{paper}" in html
    assert "console-sidebar" not in html and "data-print" in html
    day = client.get(reverse("console:register_day"), {"location": shop.store_a.pk, "print": paper})
    assert day.status_code == 200 and f"paper-{paper}" in day.content.decode()


def test_staff_of_another_store_see_none_of_its_registers(client, staff, shop, register, session):
    client.force_login(staff["store_staff_b"])
    assert client.get(reverse("console:register_session", args=[session.pk])).status_code == 404
    assert client.get(reverse("console:register_close", args=[session.pk])).status_code == 404
    assert client.post(reverse("console:register_close", args=[session.pk]), _count(d1=1)).status_code == 404
    assert client.get(reverse("console:register_open", args=[register.pk])).status_code == 404
    assert client.get(reverse("console:registers"), {"location": shop.store_a.pk}).status_code == 403
    assert client.get(reverse("console:register_day"), {"location": shop.store_a.pk}).status_code == 403
    session.refresh_from_db()
    assert session.is_open


def test_hq_reads_every_store_but_does_not_count_the_drawer(client, staff, shop, session):
    client.force_login(staff["hq_marketer"])
    assert client.get(reverse("console:registers"), {"location": shop.store_a.pk}).status_code == 200
    assert client.post(reverse("console:register_close", args=[session.pk]), _count(d1=1)).status_code == 403


def test_administrators_set_up_registers(client, staff, shop):
    client.force_login(staff["administrator"])
    response = client.post(reverse("console:register_create"),
                           {"location": shop.store_b.pk, "code": "A", "name": "カウンター"})
    assert response.status_code == 302
    again = client.post(reverse("console:register_create"),
                        {"location": shop.store_b.pk, "code": "A", "name": "もう一台"})
    assert again.status_code == 400 and "code" in again.context["form"].errors
    assert list(registers.registers_for_user(staff["store_staff_b"]).values_list("code", flat=True)) == ["A"]


def test_register_list_and_history_take_a_constant_number_of_queries(client, staff, shop, register,
                                                                     django_assert_max_num_queries):
    client.force_login(staff["store_staff"])
    for index in range(6):
        second = registers.register_create(location=shop.store_a, code=f"x{index}", name=f"レジ{index + 2}")
        opened = registers.register_open(register=second, opening_float=10000)
        sale(shop, opened, (CASH, 5500))
        if index % 2:
            registers.register_close(session=opened, counted_cash=15500)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("console:registers")).content.decode()
    assert page.count("¥15,500") == 3
    with django_assert_max_num_queries(12):
        history = client.get(reverse("console:register_history")).content.decode()
    assert history.count(reverse("console:register_session", args=[opened.pk])) == 1
    with django_assert_max_num_queries(14):
        assert client.get(reverse("console:register_day")).status_code == 200


def test_the_registers_link_is_in_the_store_navigation(client, staff):
    client.force_login(staff["store_staff"])
    assert f'href="{reverse("console:registers")}"' in client.get(reverse("console:dashboard")).content.decode()
    client.force_login(staff["warehouse_operator"])
    assert f'href="{reverse("console:registers")}"' not in client.get(reverse("console:dashboard")).content.decode()
