"""``/brand-guide/`` (the address the README gives) answers: staff go to the brand kit, anyone
else learns that the guide opens from its share link (it answered a bare 404)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_brand_guide_root_tells_a_visitor_the_guide_opens_from_its_share_link(client):
    response = client.get("/brand-guide/")
    html = response.content.decode()

    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex"
    assert "共有リンク" in html and "/brand-guide/" in html
    assert f'href="{reverse("console:brandkit:index")}"' in html


def test_brand_guide_root_speaks_english_when_asked(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/brand-guide/").content.decode()

    assert "The brand guide opens from its share link" in html


def test_brand_guide_root_takes_staff_who_may_see_the_kit_to_the_console(client, staff):
    client.force_login(staff["hq_marketer"])
    response = client.get("/brand-guide/")

    assert response.status_code == 302 and response["Location"] == reverse("console:brandkit:index")


def test_a_signed_in_customer_gets_the_explanation_not_the_console(client, staff):
    client.force_login(staff["customer"])

    assert client.get("/brand-guide/").status_code == 200
