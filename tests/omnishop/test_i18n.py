"""Japanese is the demo's default language and the Japanese catalogue is complete.

The .mo file is a build product (``./dev`` runs compilemessages; ``*.mo`` is not committed), so these
tests compile locale/ja/LC_MESSAGES/django.po themselves into a temporary LOCALE_PATHS and do not
depend on what happens to be compiled in the checkout.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.urls import reverse

from orders import services as orders
from orders.services import FulfillmentIn, LineIn

PO = Path(django_settings.BASE_DIR) / "locale" / "ja" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\([^)]+\)[sdif]|%%|%[sdif]")


def _unquote(text: str) -> str:
    body = text.strip()[1:-1]
    return re.sub(r'\\(.)', lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), body)


def po_entries(path: Path) -> list[dict]:
    """A small .po reader: one dict per entry with flags, msgid, msgid_plural and msgstr forms."""
    entries, entry, key = [], None, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if entry and "msgid" in entry:
                entries.append(entry)
            entry, key = None, None
            continue
        entry = entry or {"flags": set(), "obsolete": False, "msgstr": []}
        if line.startswith("#~"):
            entry["obsolete"] = True
        elif line.startswith("#,"):
            entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif match := re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$', line):
            key = match[1]
            if key.startswith("msgstr"):
                entry["msgstr"].append(_unquote(match[2]))
            else:
                entry[key] = _unquote(match[2])
        elif line.startswith('"'):
            if key.startswith("msgstr"):
                entry["msgstr"][-1] += _unquote(line)
            else:
                entry[key] += _unquote(line)
    return [e for e in entries if not e["obsolete"]]


@pytest.fixture(scope="module")
def compiled_locale(tmp_path_factory) -> Path:
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "GNU gettext (msgfmt) is needed to build the message catalogue"
    root = tmp_path_factory.mktemp("locale")
    target = root / "ja" / "LC_MESSAGES"
    target.mkdir(parents=True)
    result = subprocess.run([msgfmt, "--check", "-o", str(target / "django.mo"), str(PO)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture
def japanese(settings, compiled_locale):
    """Serve translations from the freshly compiled catalogue (setting_changed resets Django's cache)."""
    settings.LOCALE_PATHS = [compiled_locale]
    settings.LANGUAGE_CODE = "ja"
    return settings


def test_japanese_catalogue_has_no_untranslated_or_fuzzy_entries():
    entries = po_entries(PO)
    header = next(e for e in entries if e["msgid"] == "")
    messages = [e for e in entries if e["msgid"] != ""]

    assert "Plural-Forms: nplurals=1; plural=0;" in header["msgstr"][0]
    assert len(messages) > 500  # the whole UI, not a stub
    assert [e["msgid"] for e in messages if "fuzzy" in e["flags"]] == []
    assert [e["msgid"] for e in messages if not e["msgstr"] or "" in e["msgstr"]] == []
    assert [e["msgid"] for e in messages if "msgid_plural" in e and len(e["msgstr"]) != 1] == []


def test_translations_keep_every_placeholder():
    broken = []
    for entry in po_entries(PO):
        if "python-format" not in entry["flags"]:
            continue
        wanted = set(PLACEHOLDER.findall(entry["msgid"]))
        broken += [entry["msgid"] for text in entry["msgstr"] if set(PLACEHOLDER.findall(text)) != wanted]
    assert broken == []


@pytest.mark.parametrize("url_name", ["storefront:home", "storefront:catalogue"])
def test_storefront_speaks_japanese_by_default(japanese, shop, client, url_name):
    response = client.get(reverse(url_name))
    html = response.content.decode()

    assert response.status_code == 200
    assert response.headers["Content-Language"] == "ja"
    assert '<html lang="ja"' in html
    assert "税込" in html
    assert "すべての商品" in html  # the main navigation
    assert "All products" not in html and "All prices include consumption tax." not in html


@pytest.mark.parametrize("url_name", ["storefront:home", "storefront:catalogue"])
def test_storefront_speaks_english_when_the_language_cookie_says_so(japanese, shop, client, url_name):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse(url_name))
    html = response.content.decode()

    assert response.status_code == 200
    assert response.headers["Content-Language"] == "en"
    assert "All products" in html and "All prices include consumption tax." in html
    assert "すべての商品" not in html and "税込" not in html


def _checkout_after_stock_ran_out(shop, client):
    from customers.services import customer_sign_up

    user, _customer = customer_sign_up(email="hanako@example.jp", password="pass-Word-123", family_name="山田",
                                       given_name="花子", family_name_kana="ヤマダ", given_name_kana="ハナコ",
                                       phone="090-1234-5678", channel=shop.web)
    client.force_login(user)
    client.post(reverse("storefront:cart_add"), {"sku": "LS-S", "quantity": "2"})
    orders.order_place(channel=shop.web, lines=[LineIn("LS-S", 2)], fulfillment=FulfillmentIn("pickup", "shibuya"))
    return client.post(reverse("storefront:checkout"), {"method": "pickup", "location": "shibuya"})


def test_out_of_stock_message_at_checkout_is_japanese_by_default(japanese, shop, client):
    response = _checkout_after_stock_ran_out(shop, client)
    html = response.content.decode()

    assert response.status_code == 422
    assert "在庫が足りません" in html and "リネンシャツ S" in html
    assert "Not enough stock" not in html


def test_out_of_stock_message_follows_the_english_cookie(japanese, shop, client):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    response = _checkout_after_stock_ran_out(shop, client)
    html = response.content.decode()

    assert response.status_code == 422
    assert "Not enough stock" in html
    assert "在庫が足りません" not in html


def test_order_confirmation_email_is_japanese_by_default(japanese, shop, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        orders.order_place(channel=shop.web, lines=[LineIn("LS-S", 1)], fulfillment=FulfillmentIn("pickup", "shibuya"),
                           contact=orders.ContactIn(name="山田 花子", email="hanako@example.jp", phone="090-1234-5678"))

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "ご注文ありがとうございます" in message.subject
    assert "様" in message.body and "注文番号" in message.body and "合計（税込）" in message.body
    assert "Thank you" not in message.subject + message.body


def _console_desks(shop, staff, client):
    """A pickup order ready at store A, one still to prepare, and a delivery waiting at the warehouse."""
    ready = orders.order_place(channel=shop.web, lines=[LineIn("LS-S", 1)], fulfillment=FulfillmentIn("pickup", "shibuya"))
    orders.fulfillment_mark_ready(fulfillment=ready.fulfillments.get())
    orders.order_place(channel=shop.web, lines=[LineIn("LS-L", 1)], fulfillment=FulfillmentIn("pickup", "shibuya"))
    orders.order_place(channel=shop.web, lines=[LineIn("LS-S", 1)],
                       fulfillment=FulfillmentIn("ship", "wh-kanto", address={
                           "name": "山田 太郎", "postal_code": "150-0001", "prefecture": "13", "city": "渋谷区",
                           "line1": "神宮前1-2-3", "phone": "090-1111-2222"}))
    pages = {}
    client.force_login(staff["store_staff"])
    pages["prepare"] = client.get(reverse("console:pickup_desk"), {"status": "reserved"}).content.decode()
    pages["ready"] = client.get(reverse("console:pickup_desk"), {"status": "ready"}).content.decode()
    pages["order"] = client.get(reverse("console:order_detail", args=[ready.number])).content.decode()
    client.force_login(staff["warehouse_operator"])
    pages["ship"] = client.get(reverse("console:shipments")).content.decode()
    return pages


def test_console_desks_use_the_shops_japanese_words_by_default(japanese, shop, staff, client):
    pages = _console_desks(shop, staff, client)

    assert "準備完了にする" in pages["prepare"] and "Mark ready" not in pages["prepare"]
    assert "お渡し完了" in pages["ready"] and "Hand over" not in pages["ready"]
    assert "出荷済みにする" in pages["ship"] and "出荷待ち" in pages["ship"]
    assert "Mark as shipped" not in pages["ship"] and "Shipments" not in pages["ship"]
    assert "在庫調整" in pages["ship"]  # the console navigation
    assert "注文受付" in pages["order"] and "Order placed" not in pages["order"]  # the order's history


def test_console_desks_speak_english_when_the_language_cookie_says_so(japanese, shop, staff, client):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    pages = _console_desks(shop, staff, client)

    assert "Mark ready" in pages["prepare"] and "準備完了にする" not in pages["prepare"]
    assert "Hand over" in pages["ready"] and "お渡し完了" not in pages["ready"]
    assert "Mark as shipped" in pages["ship"] and "出荷済みにする" not in pages["ship"]
    assert "Order placed" in pages["order"] and "注文受付" not in pages["order"]


def test_every_translatable_string_in_the_source_is_in_the_japanese_catalogue(settings, tmp_path, monkeypatch):
    """makemessages over a copy of the sources: a new {% translate %} or gettext() without a
    Japanese entry fails here, not in front of a customer."""
    from django.core.management import call_command

    source = tmp_path / "src"
    shutil.copytree(django_settings.BASE_DIR, source, ignore=shutil.ignore_patterns(
        ".*", "node_modules", "var", "test-artifacts", "locale", "static", "__pycache__", "*.egg-info",
        "migrations", "tests", "bench"))
    extracted = tmp_path / "locale"
    extracted.mkdir()
    settings.LOCALE_PATHS = [extracted]
    monkeypatch.chdir(source)
    call_command("makemessages", locale=["ja"], verbosity=0, no_location=True)

    def key(entry):
        return entry.get("msgctxt", ""), entry["msgid"]

    translated = {key(e) for e in po_entries(PO) if e["msgid"] and e["msgstr"] and "" not in e["msgstr"]}
    wanted = {key(e) for e in po_entries(extracted / "ja" / "LC_MESSAGES" / "django.po") if e["msgid"]}
    assert len(wanted) > 500
    assert sorted(wanted - translated) == []


def test_api_field_errors_are_japanese_for_a_japanese_client_even_where_drf_has_no_translation(
        japanese, shop, staff):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user=staff["administrator"])
    response = client.post(reverse("api:order-list"), {"channel": ["web"], "lines": [{"sku": "LS-S", "quantity": 1}],
                                                       "fulfillment": {"method": "pickup", "location": "shibuya"}},
                           format="json", HTTP_ACCEPT_LANGUAGE="ja")

    assert response.status_code == 400
    assert "有効な文字列ではありません。" in response.content.decode()
    assert "Not a valid string." not in response.content.decode()
