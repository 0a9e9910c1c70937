"""Screenshots of the customer 360 timeline (console) with first-party events, messages, orders
and staff interactions, filtered by channel with htmx, on phone and desktop."""

import pytest
from django.urls import reverse

from customers import services
from customers.models import EventKind
from customers.services import customer_sign_up, event_record
from tests.e2e.conftest import DESKTOP, PHONE, assert_no_problems, screenshot

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_timeline_filters_by_channel_in_place(page, e2e_shop, e2e_staff, login_as, viewport):
    _user, customer = customer_sign_up(email="hanako@example.jp", password="pass-Word-123", family_name="佐藤",
                                       given_name="花子", channel=e2e_shop.web)
    event_record(customer=customer, kind=EventKind.PAGE_VIEWED, channel=e2e_shop.web,
                 data={"path": "/products/LINEN-SHIRT/"})
    event_record(customer=customer, kind=EventKind.SEARCHED, channel=e2e_shop.web, data={"query": "リネン"})
    event_record(customer=customer, kind=EventKind.EMAIL_SENT, subject="order:W00000001")
    services.staff_event_record(customer=customer, kind=EventKind.STAFF_NOTE, interaction="phone",
                                note="電話でサイズの相談（Lを希望）", acting_user=e2e_staff["hq_marketer"])
    services.staff_event_record(customer=customer, kind=EventKind.STAFF_NOTE, interaction="social_dm",
                                note="InstagramのDMで入荷時期の問い合わせ", acting_user=e2e_staff["hq_marketer"])
    login_as(e2e_staff["store_staff"])
    page.goto(reverse("console:customer_detail", kwargs={"pk": customer.pk}))
    screenshot(page, f"tracking-timeline-all-{viewport['width']}")
    page.locator(".timeline-filter").get_by_role("link", name="電話").click()
    page.wait_for_url("**channel=phone")
    assert page.locator("#timeline .timeline li").count() == 1
    assert "電話でサイズの相談" in page.locator("#timeline").inner_text()
    screenshot(page, f"tracking-timeline-phone-{viewport['width']}")
    assert_no_problems(page)
