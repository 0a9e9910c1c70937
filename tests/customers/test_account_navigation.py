"""Every self-service page is one link away from "My account": the account navigation on each
page links them all, "Marketing preferences" always means the consent grid (storefront:consent),
and the password can be changed (signed in) or reset (by email) from the account."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from customers.services import customer_sign_up

pytestmark = pytest.mark.django_db

PASSWORD = "pass-Word-123"
NAV_PAGES = {  # url name -> the nav entry marked as the current page
    "storefront:account": "storefront:account",
    "storefront:account_profile": "storefront:account_profile",
    "storefront:account_addresses": "storefront:account_addresses",
    "storefront:account_preferences": "storefront:account_preferences",
    "storefront:consent": "storefront:consent",
    "storefront:account_password": "storefront:account_password",
    "storefront:account_privacy": "storefront:account_privacy",
    # campaigns' page, linked through the account_nav slot (kernel.slots)
    "storefront:account_back_in_stock": "storefront:account_back_in_stock",
}


class Links(HTMLParser):
    """Anchors (href, text, inside the account nav, aria-current) and form actions of a page."""

    def __init__(self):
        super().__init__()
        self.anchors, self.actions, self._nav, self._open = [], set(), False, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "nav" and "account-nav" in (attrs.get("class") or ""):
            self._nav = True
        elif tag == "a":
            self._open = {"href": attrs.get("href"), "text": "", "nav": self._nav,
                          "current": attrs.get("aria-current") == "page"}
        elif tag == "form" and attrs.get("action"):
            self.actions.add(attrs["action"])

    def handle_data(self, data):
        if self._open is not None:
            self._open["text"] += data

    def handle_endtag(self, tag):
        if tag == "nav":
            self._nav = False
        elif tag == "a" and self._open is not None:
            self._open["text"] = " ".join(self._open["text"].split())
            self.anchors.append(self._open)
            self._open = None


def links(response) -> Links:
    assert response.status_code == 200
    parser = Links()
    parser.feed(response.content.decode())
    return parser


def marketing_labels() -> set[str]:
    labels = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            labels |= {translation.gettext("Marketing preferences"),
                       translation.gettext("Manage marketing preferences")}
    return labels


@pytest.fixture
def signed_in(client, shop):
    user, _customer = customer_sign_up(email="hanako@example.jp", password=PASSWORD, family_name="山田",
                                       given_name="花子")
    client.force_login(user)
    return client


def test_every_self_service_page_is_in_the_account_nav_of_every_page(signed_in):
    wanted = {reverse(name) for name in NAV_PAGES.values()}
    for page, current in NAV_PAGES.items():
        found = links(signed_in.get(reverse(page)))
        nav = [a for a in found.anchors if a["nav"]]
        assert {a["href"] for a in nav} == wanted, page
        assert [a["href"] for a in nav if a["current"]] == [reverse(current)], page


def test_privacy_download_close_and_password_reset_are_reachable(signed_in):
    privacy = links(signed_in.get(reverse("storefront:account_privacy")))
    assert {reverse("storefront:account_data_download"), reverse("storefront:account_close")} <= privacy.actions
    for page in ("storefront:account_password", "storefront:account_profile"):
        assert reverse("storefront:password_reset") in {a["href"] for a in links(signed_in.get(reverse(page))).anchors}
    assert reverse("storefront:account_password") in {
        a["href"] for a in links(signed_in.get(reverse("storefront:account_profile"))).anchors}
    # and the reset from the sign-in page, for those who cannot sign in
    signed_in.logout()
    assert reverse("storefront:password_reset") in {a["href"] for a in links(signed_in.get(reverse("storefront:login"))).anchors}


def test_every_marketing_preferences_link_opens_the_consent_grid(signed_in):
    labels, seen = marketing_labels(), 0
    for page in NAV_PAGES:
        for anchor in links(signed_in.get(reverse(page))).anchors:
            if anchor["text"] in labels:
                assert anchor["href"] == reverse("storefront:consent") == "/account/consent/", page
                seen += 1
    assert seen >= len(NAV_PAGES) + 1  # the nav on every page, and the preference centre's button


def test_no_template_hard_codes_an_account_address():
    roots = [Path(settings.BASE_DIR) / "templates", *Path(settings.BASE_DIR).glob("*/templates")]
    hard_coded = [str(path) for root in roots for path in root.rglob("*.html")
                  if re.search(r'href="/account/', path.read_text(encoding="utf-8"))]
    assert hard_coded == []


def test_a_customer_changes_their_password_and_stays_signed_in(signed_in):
    url = reverse("storefront:account_password")
    bad = signed_in.post(url, {"old_password": "wrong", "new_password1": "New-pass-Word-456",
                               "new_password2": "New-pass-Word-456"})
    assert bad.status_code == 400 and "old_password" in bad.context["form"].errors
    response = signed_in.post(url, {"old_password": PASSWORD, "new_password1": "New-pass-Word-456",
                                    "new_password2": "New-pass-Word-456"})
    assert response.status_code == 302 and response["Location"] == url
    assert signed_in.get(reverse("storefront:account_profile")).status_code == 200  # still signed in
    signed_in.logout()
    login = signed_in.post(reverse("storefront:login"), {"username": "hanako@example.jp",
                                                         "password": "New-pass-Word-456"})
    assert login.status_code == 302


def test_the_password_page_needs_a_customer_login(client, staff):
    url = reverse("storefront:account_password")
    assert client.get(url).status_code == 302 and "login" in client.get(url)["Location"]
    client.force_login(staff["hq_marketer"])
    assert client.get(url).status_code == 404
