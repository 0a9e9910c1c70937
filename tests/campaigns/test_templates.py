"""Message templates: merge fields only, broken syntax refused at save with its line, values
escaped in HTML, and the brand kit's email layout read as the order of the blocks."""

import pytest

from campaigns.rendering import body_html, email_blocks, render_text, template_errors


def test_known_merge_fields_conditions_and_loops_pass():
    text = ("{{ name_honorific }}\n{% if favourite_store %}{{ favourite_store }}でお待ちしています。{% endif %}\n"
            "{% for item in recommendations %}{{ item.name }} ¥{{ item.price }}{% endfor %}")
    assert template_errors(text) == []


def test_an_unknown_merge_field_is_named_with_its_line():
    problems = template_errors("こんにちは\n{{ nickname }}さん")
    assert [(p.line, "nickname" in p.message) for p in problems] == [(2, True)]


def test_broken_syntax_is_named_with_its_line():
    problems = template_errors("一行目\n二行目\n{% if favourite_store %}閉じていない")
    assert problems and problems[0].line == 3


@pytest.mark.parametrize("text, japanese", [
    ("{% if favourite_store %}閉じていない", "「{% if %}」が閉じられていません。{% elif %}, {% else %}, {% endif %}"),
    ("{% for item in recommendations %}{% endif %}", "「{% endif %}」はここでは使えません。{% empty %}, {% endfor %}"),
    ("{% endif %}", "「{% endif %}」に対応する開始タグがありません。"),
    ("{{ name name }}", "「name name」を読み取れません。"),
    ("{{ }}", "「{{ }}」が空です。"),
])
def test_syntax_errors_are_said_in_the_authors_language(settings, text, japanese):
    """Django's own messages are English: the ones an author meets are said in Japanese too."""
    from django.utils import translation

    with translation.override("ja"):
        (problem,) = template_errors(text)
    assert problem.message.startswith(japanese) and "Did you forget" not in problem.message


def test_tags_and_filters_outside_the_allowed_set_are_refused():
    assert "include" in str(template_errors('{% include "secret.html" %}')[0])
    assert "load" in str(template_errors("{% load static %}")[0])
    assert "safe" in str(template_errors("{{ name|safe }}")[0])
    assert template_errors("{{ name|default:'お客様' }}") == []


def test_merge_values_are_escaped_in_html_but_not_in_text():
    assert render_text("{{ name }}", {"name": "<b>花子</b>"}, html=True) == "&lt;b&gt;花子&lt;/b&gt;"
    assert render_text("{{ name }}", {"name": "<b>花子</b>"}) == "<b>花子</b>"


def test_body_html_makes_paragraphs_and_tracks_bare_links():
    html = body_html("<script>x</script>\n\nhttps://shop.example/sale?a=1&b=2", track=lambda url: "/t/" + url)
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert 'href="/t/https://shop.example/sale?a=1&amp;b=2"' in html
    assert html.count("<p") == 2


@pytest.mark.parametrize(("layout", "first"), [
    ("ロゴ → 見出し → 本文 → ボタン（プライマリ）→ 配信停止リンク → 会社情報", ("logo", "headline", "body")),
    ("本文 → 見出し", ("logo", "body", "offer")),  # left-out blocks take their default places
    ("", ("logo", "headline", "body")),
])
def test_the_kit_layout_orders_the_blocks_and_the_legal_blocks_close_the_email(layout, first):
    blocks = email_blocks(layout).blocks
    assert blocks[:len(first)] == first
    assert blocks.index("body") < blocks.index("offer") < blocks.index("button")
    assert blocks[-2:] == ("unsubscribe", "company")
    assert set(blocks) == {"logo", "headline", "body", "offer", "button", "recommendations", "unsubscribe",
                           "company"}


def test_words_the_layout_does_not_know_are_reported():
    assert email_blocks("見出し → 謎の箱").unknown == ("謎の箱",)
