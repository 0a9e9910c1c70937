"""Japanese on a machine without CJK system fonts: the Django admin uses the app's own web font (it
showed empty boxes), and console pages break Japanese between phrases, never inside a word
(渋谷／店, 出汁パ／ック, 墨／黒, 関東物流セン／ター even at 1280 px, the brand kit's 港町か／ら).
In both languages no page is wider than the screen.

Every page checked is saved as a screenshot, at phone (390 px) and desktop (1280 px) width, in
Japanese and English: test-artifacts/e2e/jp-*.png (tests/e2e/conftest.py ``screenshot``). Look at
them after changing the console's CSS.
"""

import pytest
from django.conf import settings
from django.urls import reverse

from brandkit.services import brandkit_seed_default
from inventory import services as inventory
from inventory.services import VariantIn
from kernel.models import LocationKind
from orders import services as orders
from orders.services import ContactIn, FulfillmentIn, LineIn
from tests.e2e.conftest import DESKTOP, PHONE, assert_no_problems, screenshot

pytestmark = pytest.mark.e2e

# The words the issue saw split, and where they show
WORDS = ["渋谷店", "出汁パック", "墨黒", "関東物流センター", "港町から"]
LONG_NAME = "有機栽培かつお節と真昆布の合わせ出汁パック（業務用・大容量タイプ）"

# Each whitespace-separated run of Japanese up to 10 characters (a label: a store, a colour, a
# badge, a table cell) and each of ``words`` must sit on one line. A word split across lines
# shows as characters of one run with different tops.
SPLIT_WORDS = """(words) => {
  const cjk = /[\\u3040-\\u30ff\\u3400-\\u9fff]/;
  const found = {}, split = [];
  const tops = (node, start, length) => {
    const seen = new Set();
    for (let i = start; i < start + length; i++) {
      const range = document.createRange();
      range.setStart(node, i); range.setEnd(node, i + 1);
      const rect = range.getClientRects()[0];
      if (rect && rect.width > 0) seen.add(Math.round(rect.top));
    }
    return seen;
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const text = node.nodeValue;
    if (!cjk.test(text) || !node.parentElement.getClientRects().length) continue;
    for (const word of words) {
      for (let at = text.indexOf(word); at !== -1; at = text.indexOf(word, at + 1)) {
        const lines = tops(node, at, word.length);
        if (lines.size) found[word] = (found[word] || 0) + 1;
        if (lines.size > 1) split.push(word + ' in "' + text.trim().slice(0, 40) + '"');
      }
    }
    for (const match of text.matchAll(/\\S+/g)) {
      const run = match[0];
      if (run.length < 2 || run.length > 10 || !cjk.test(run)) continue;
      if (tops(node, match.index, run.length).size > 1) split.push(run + ' in "' + text.trim().slice(0, 40) + '"');
    }
  }
  return {found, split, overflow: document.documentElement.scrollWidth - window.innerWidth};
}"""

FONT_IN_USE = """async (sample) => {
  await document.fonts.ready;
  const faces = await document.fonts.load('16px "Noto Sans JP"', sample);
  const loaded = [...document.fonts].filter(f => f.family.replace(/"/g, '') === 'Noto Sans JP' && f.status === 'loaded');
  return {
    faces: faces.length,
    loaded: loaded.length,
    check: document.fonts.check('16px "Noto Sans JP"', sample),
    family: getComputedStyle(document.body).fontFamily,
    lang: document.documentElement.lang,
    text: document.body.innerText,
  };
}"""


@pytest.fixture
def jp_shop(e2e_shop, e2e_staff):
    """The issue's words in real data: 関東物流センター, 出汁パック in 墨黒 (and one product with a
    very long name), stock there and at 渋谷店, a pickup order waiting at 渋谷店, the demo brand kit."""
    centre = inventory.location_create(code="kanto-dc", name="関東物流センター", kind=LocationKind.WAREHOUSE,
                                       prefecture="11", ships_orders=True)
    dashi = inventory.product_create(
        code="dashi-pack", name="出汁パック", category="調味料", tax_class="reduced",
        variants=[VariantIn(sku="DASHI-10", barcode="4901234567917", price=648, size="10袋", color="墨黒"),
                  VariantIn(sku="DASHI-30", barcode="4901234567924", price=1728, size="30袋", color="墨黒")])
    long_one = inventory.product_create(
        code="dashi-long", name=LONG_NAME, category="調味料", tax_class="reduced",
        variants=[VariantIn(sku="DASHI-LONG", barcode="4901234567931", price=3240, size="50袋", color="墨黒")])
    for variant in [*dashi.variants.all(), *long_one.variants.all()]:
        inventory.stock_receive(variant=variant, location=centre, quantity=30, reference="PO-7")
        inventory.stock_receive(variant=variant, location=e2e_shop.store_a, quantity=5, reference="PO-7")
    orders.order_place(channel=e2e_shop.web, lines=[LineIn("DASHI-10", 1), LineIn("DASHI-LONG", 1)],
                       fulfillment=FulfillmentIn("pickup", "shibuya"),
                       contact=ContactIn(email="hanako@example.jp", name="山田 花子", phone="090-1234-5678"))
    brandkit_seed_default()
    return e2e_staff


def set_language(page, live_server, language: str) -> None:
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_admin_shows_japanese_in_the_apps_own_font(jp_shop, page, login_as, live_server, viewport):
    login_as(jp_shop["administrator"])
    fonts = []
    page.on("response", lambda r: fonts.append(r) if "/static/fonts/" in r.url else None)
    width = viewport["width"]
    for name in ("admin:index", "admin:omnishop_location_changelist"):
        page.goto(reverse(name))
        page.wait_for_load_state("networkidle")
        probe = page.evaluate(FONT_IN_USE, "渋谷店の管理")
        screenshot(page, f"jp-admin-{name.split(':')[1]}-{width}-ja")
        assert probe["lang"] == "ja" and "管理" in probe["text"]
        assert probe["family"].startswith('"Noto Sans JP"'), probe["family"]
        # check() alone is also true when no face of the family exists: a loaded face proves it
        assert probe["faces"] > 0 and probe["loaded"] > 0 and probe["check"], probe
    assert "渋谷店" in page.locator("#result_list").inner_text()
    assert any(r.url.endswith("font.css") and r.status == 200 for r in fonts)
    assert any(r.url.endswith(".woff2") and r.status == 200 for r in fonts)
    assert_no_problems(page)  # CSP: the font CSS is a static file, no inline style


CONSOLE_PAGES = [
    # (page, who, the words it must show)
    ("console:stock", "administrator", ["出汁パック", "墨黒", "関東物流センター", "渋谷店"]),
    ("console:ledger", "administrator", ["関東物流センター", "渋谷店"]),
    ("console:pickup_desk", "store_staff", ["渋谷店"]),
    ("console:brandkit:index", "hq_marketer", ["港町から"]),
]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_console_pages_break_japanese_between_phrases_not_inside_words(jp_shop, new_page, live_server, viewport):
    width = viewport["width"]
    problems = []
    for name, who, expected in CONSOLE_PAGES:
        for language in ("ja", "en"):
            page = new_page(viewport=viewport, user=jp_shop[who])
            set_language(page, live_server, language)
            page.goto(reverse(name))
            page.wait_for_load_state("networkidle")
            screenshot(page, f"jp-{name.replace(':', '-')}-{width}-{language}")
            result = page.evaluate(SPLIT_WORDS, WORDS)
            if result["overflow"] > 0:
                problems.append(f"{name} {language} at {width}px: the page is {result['overflow']}px wider "
                                "than the screen")
            if language == "ja":  # auto-phrase needs lang="ja": English pages break Japanese data as before
                missing = [word for word in expected if not result["found"].get(word)]
                assert not missing, f"{name}: {missing} not shown, the check would prove nothing"
                problems += [f"{name} at {width}px: split {where}" for where in result["split"]]
            assert_no_problems(page)
    assert problems == [], "\n".join(problems)
