"""Error pages look like the shop, not like a bare server."""

from django.test import RequestFactory
from django.views.defaults import server_error


def test_unknown_page_answers_404_in_the_shops_own_layout(db, client):
    response = client.get("/no-such-page/")
    html = response.content.decode()

    assert response.status_code == 404
    assert 'class="sf-header' in html and "お探しのページは見つかりませんでした" in html
    assert 'href="/products/"' in html


def test_unknown_page_speaks_english_when_asked(db, client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/no-such-page/").content.decode()

    assert "We could not find that page" in html


def test_server_error_page_needs_no_database_or_context_and_speaks_both_languages():
    response = server_error(RequestFactory().get("/"))
    html = response.content.decode()

    assert response.status_code == 500
    assert "エラーが発生しました" in html and "Sorry, something went wrong" in html
    assert "/static/css/storefront.css" in html
