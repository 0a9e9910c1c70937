"""Which language a page is in: the visitor's explicit choice (the language cookie), else the
signed-in user's own setting, else the shop's default (Japanese)."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def english_speaker(db):
    return get_user_model().objects.create_user("mary@example.jp", "pass-Word-123", language="en")


def page_language(client) -> str:
    response = client.get(reverse("storefront:home"))
    assert response.status_code == 200
    return response.headers["Content-Language"]


def test_a_signed_in_user_gets_the_language_of_their_account(shop, client, english_speaker):
    client.force_login(english_speaker)
    assert page_language(client) == "en"


def test_the_account_language_renders_the_page_in_that_language(shop, client, english_speaker):
    client.force_login(english_speaker)
    html = client.get(reverse("storefront:catalogue")).content.decode()
    assert "All products" in html


def test_the_language_chosen_with_the_switcher_wins_over_the_account_setting(shop, client, english_speaker):
    client.force_login(english_speaker)
    assert page_language(client) == "en"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"  # what set_language (the switcher) stores
    assert page_language(client) == "ja"


def test_a_regional_account_language_falls_back_to_the_supported_one(shop, client, english_speaker):
    english_speaker.language = "en-GB"
    english_speaker.save()
    client.force_login(english_speaker)
    assert page_language(client) == "en"
