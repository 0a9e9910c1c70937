"""The deterministic Japanese demo brand behind ``manage.py seed_demo``.

Everything is drawn from one ``random.Random`` with a fixed seed; only dates are
anchored to "now" (history runs back ``days`` days from today). The shape of the data
(locations, channels, catalogue, users, open pickup orders) goes through the same
services the application uses; the bulk (customers, consent, historical orders, their
lines and events, ledger rows) is written with ``bulk_create`` so a SQLite run stays
well under a minute.

Idempotent: a database that already holds the demo warehouse and the demo
administrator is left alone. ``demo_reset`` removes the demo rows (and only those).
"""

import colorsys
import math
import random
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from io import BytesIO

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat, LPad
from django.utils import timezone
from PIL import Image, ImageDraw

from customers.consent import consent_source_from_text
from customers.models import ConsentChannel, ConsentRecord, Customer, CustomerEvent, EventKind
from customers.services import customer_sign_up
from inventory import services as inventory
from inventory.models import (
    MovementReason,
    Product,
    ProductImage,
    Reservation,
    StockLevel,
    StockMovement,
    TaxClass,
    Variant,
)
from inventory.validators import ean13_check_digit
from kernel import roles
from kernel.models import Channel, ChannelKind, Location, LocationKind
from kernel.subjects import order_subject, product_subject
from orders import services as orders
from orders.events import order_event_handed_over, order_event_placed, order_event_ready, order_event_shipped
from orders.models import (
    ORDER_NUMBER_DIGITS,
    ORDER_NUMBER_PREFIXES,
    PICKUP_CODE_ALPHABET,
    PICKUP_CODE_LENGTH,
    Fulfillment,
    FulfillmentMethod,
    FulfillmentStatus,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    order_number,
)

SEED = 20261122
DEMO_PASSWORD = "omnishop-demo"
# Demo barcodes: JAN prefix 49 + a fictional company code; item reference = product no. + variant no.
JAN_PREFIX = "4998765"
CUSTOMER_EMAIL_DOMAIN = "example.jp"


@dataclass(frozen=True)
class DemoUser:
    email: str
    role: str  # a role code from kernel.roles, or "customer"
    label: str
    display_name: str
    location: str = ""  # location code for scoped roles
    superuser: bool = False


# The demo logins (README and the dev script print these).
DEMO_USERS: list[DemoUser] = [
    DemoUser("hq@demo.omnishop.jp", roles.HQ_MARKETER, "HQ marketer", "本部 マーケティング 佐藤"),
    DemoUser("admin@demo.omnishop.jp", roles.ADMINISTRATOR, "Administrator", "システム管理者 高橋", superuser=True),
    DemoUser("shibuya@demo.omnishop.jp", roles.STORE_STAFF, "Store staff (渋谷店)", "渋谷店 鈴木", "shibuya"),
    DemoUser("umeda@demo.omnishop.jp", roles.STORE_STAFF, "Store staff (梅田店)", "梅田店 田中", "umeda"),
    DemoUser("warehouse@demo.omnishop.jp", roles.WAREHOUSE_OPERATOR, "Warehouse operator (関東物流センター)",
             "関東物流センター 伊藤", "kanto-dc"),
]
DEMO_CUSTOMER = DemoUser("hanako@demo.omnishop.jp", "customer", "Customer (storefront)", "山田 花子")
DEMO_CREDENTIALS: list[tuple[str, str, str]] = [
    (user.label, user.email, DEMO_PASSWORD) for user in [*DEMO_USERS, DEMO_CUSTOMER]
]


# --- places and channels -----------------------------------------------------------------

@dataclass(frozen=True)
class DemoLocation:
    code: str
    name: str
    kind: str
    prefecture: str
    postal_code: str
    address: str
    phone: str
    opening_hours: str
    offers_pickup: bool = False
    ships_orders: bool = False


WAREHOUSE_CODE = "kanto-dc"
LOCATIONS: list[DemoLocation] = [
    DemoLocation(WAREHOUSE_CODE, "関東物流センター", LocationKind.WAREHOUSE, "11", "347-0001",
                 "加須市大越1-2-3", "0480-55-0100", "9:00–18:00", ships_orders=True),
    DemoLocation("shibuya", "渋谷店", LocationKind.STORE, "13", "150-0042", "渋谷区宇田川町12-3 オムニビル1F",
                 "03-5555-0101", "10:00–21:00", offers_pickup=True),
    DemoLocation("umeda", "梅田店", LocationKind.STORE, "27", "530-0017", "大阪市北区角田町4-5 梅田テラス2F",
                 "06-5555-0102", "10:00–21:00", offers_pickup=True),
    DemoLocation("tenjin", "天神店", LocationKind.STORE, "40", "810-0001", "福岡市中央区天神2-8-1",
                 "092-555-0103", "10:00–20:00", offers_pickup=True),
    DemoLocation("sapporo", "札幌店", LocationKind.STORE, "01", "060-0061", "札幌市中央区南一条西3-6",
                 "011-555-0104", "10:00–20:00", offers_pickup=True),
    DemoLocation("nagoya", "名古屋店", LocationKind.STORE, "23", "450-0002", "名古屋市中村区名駅3-9-2",
                 "052-555-0105", "10:00–21:00", offers_pickup=True),
    DemoLocation("yokohama", "横浜店", LocationKind.STORE, "14", "220-0011", "横浜市西区高島2-10-7",
                 "045-555-0106", "10:00–21:00", offers_pickup=True),
    DemoLocation("kyoto", "京都店", LocationKind.STORE, "26", "600-8005", "京都市下京区四条通寺町東入2-4",
                 "075-555-0107", "10:30–20:00", offers_pickup=True),
    DemoLocation("sendai", "仙台店", LocationKind.STORE, "04", "980-0811", "仙台市青葉区一番町3-1-8",
                 "022-555-0108", "10:00–20:00", offers_pickup=True),
    DemoLocation("popup-omotesando", "表参道ポップアップ", LocationKind.POPUP, "13", "150-0001",
                 "渋谷区神宮前5-1-9", "03-5555-0109", "11:00–19:00"),
    # A parcel locker: a drop point for deliveries; it holds no stock, so it takes no pickup orders.
    DemoLocation("locker-shinjuku", "新宿駅前ロッカー", LocationKind.LOCKER, "13", "160-0022",
                 "新宿区新宿3-38-1", "", "6:00–24:00"),
]
STORE_CODES = [loc.code for loc in LOCATIONS if loc.kind == LocationKind.STORE]
POPUP_CODE = "popup-omotesando"

# (code, name, kind, location code for a POS)
CHANNELS: list[tuple[str, str, str, str]] = [
    ("web", "オンラインストア", ChannelKind.WEB, ""),
    ("app", "公式アプリ", ChannelKind.APP, ""),
    ("phone", "電話注文", ChannelKind.PHONE, ""),
    ("hare-ichiba", "ハレマチ市場店", ChannelKind.MARKETPLACE, ""),
    ("social", "ソーシャルショップ", ChannelKind.SOCIAL, ""),
    *[(f"pos-{loc.code}", f"{loc.name} POS", ChannelKind.POS, loc.code)
      for loc in LOCATIONS if loc.kind in (LocationKind.STORE, LocationKind.POPUP)],
]


# --- catalogue -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ItemType:
    slug: str
    name: str
    category: str
    price: tuple[int, int]
    sizes: tuple[tuple[str, ...], ...]  # size ladders to choose from (2–4 sizes each)
    makers: tuple[str, ...]
    size_prices: bool = False  # bigger sizes cost more (home goods and food)


APPAREL_SIZES = (("S", "M", "L"), ("S", "M", "L", "XL"), ("M", "L"), ("XS", "S", "M", "L"))
APPAREL = [
    ItemType("tee", "Tシャツ", "トップス", (2990, 4990), APPAREL_SIZES,
             ("オーガニックコットン", "スラブ天竺", "吊り編み", "度詰め", "ガーゼ")),
    ItemType("shirt", "シャツ", "トップス", (5990, 9990), APPAREL_SIZES,
             ("リネン", "ブロード", "オックスフォード", "綿麻", "藍染め")),
    ItemType("knit", "ニット", "トップス", (7990, 15990), APPAREL_SIZES,
             ("メリノウール", "カシミヤ混", "コットン", "和紙糸", "ローゲージ")),
    ItemType("cardigan", "カーディガン", "トップス", (8990, 14990), APPAREL_SIZES,
             ("メリノウール", "コットン", "リネン混", "ハイゲージ")),
    ItemType("pants", "ワイドパンツ", "ボトムス", (6990, 11990), APPAREL_SIZES,
             ("リネン", "チノ", "デニム", "ウール", "綿麻")),
    ItemType("skirt", "ロングスカート", "ボトムス", (6990, 12990), (("S", "M", "L"), ("M", "L")),
             ("リネン", "プリーツ", "コーデュロイ", "デニム")),
    ItemType("dress", "ワンピース", "ワンピース", (8990, 18990), (("S", "M", "L"), ("XS", "S", "M", "L")),
             ("リネン", "ガーゼ", "ウール", "藍染め")),
    ItemType("jacket", "ジャケット", "アウター", (12990, 24990), APPAREL_SIZES,
             ("ウール", "コットンツイル", "リネン", "ナイロン")),
    ItemType("coat", "コート", "アウター", (19990, 39990), (("S", "M", "L"), ("M", "L", "XL")),
             ("ウールメルトン", "ダウン", "ステンカラー", "キルティング")),
    ItemType("socks", "ソックス", "ファッション小物", (990, 1890), (("22–24cm", "25–27cm"),),
             ("シルク混", "ウール", "パイル", "五本指")),
    ItemType("stole", "ストール", "ファッション小物", (3990, 8990), (("50×150cm", "70×180cm"),),
             ("カシミヤ", "リネン", "ガーゼ", "ウール")),
]
COLOURS = ("生成り", "墨黒", "藍", "桜", "抹茶", "芥子", "灰青", "柿渋", "白", "生成り", "墨黒")
HOME = [
    ItemType("mug", "マグカップ", "食器", (1650, 3300), (("240ml", "360ml"),),
             ("有田焼", "美濃焼", "波佐見焼", "益子焼"), size_prices=True),
    ItemType("bowl", "飯碗", "食器", (1540, 4400), (("小", "大"), ("小", "中", "大")),
             ("有田焼", "美濃焼", "波佐見焼", "信楽焼"), size_prices=True),
    ItemType("plate", "平皿", "食器", (1980, 5500), (("16cm", "21cm", "26cm"), ("18cm", "24cm")),
             ("有田焼", "美濃焼", "波佐見焼", "瀬戸焼"), size_prices=True),
    ItemType("chopsticks", "箸", "キッチン", (1100, 3850), (("21cm", "23cm"),),
             ("若狭塗", "竹", "黒檀", "ひのき")),
    ItemType("towel", "タオル", "バス・リネン", (1320, 4950), (("フェイス", "バス"), ("ハンド", "フェイス", "バス")),
             ("今治", "泉州", "ガーゼ", "パイル"), size_prices=True),
    ItemType("cushion", "クッションカバー", "インテリア", (2750, 5500), (("45×45cm", "60×60cm"),),
             ("リネン", "藍染め", "刺し子", "コットン"), size_prices=True),
    ItemType("blanket", "ブランケット", "インテリア", (5500, 16500), (("ハーフ", "シングル"), ("ひざ掛け", "ハーフ", "シングル")),
             ("ウール", "コットン", "リネン", "ガーゼ"), size_prices=True),
    ItemType("donabe", "土鍋", "キッチン", (4400, 13200), (("6号", "8号", "9号"), ("7号", "9号")),
             ("伊賀焼", "萬古焼", "信楽焼"), size_prices=True),
    ItemType("vase", "花器", "インテリア", (2200, 8800), (("S", "M", "L"), ("S", "L")),
             ("信楽焼", "ガラス", "真鍮", "備前焼"), size_prices=True),
    ItemType("tray", "トレイ", "キッチン", (2200, 6600), (("S", "M", "L"), ("M", "L")),
             ("山中漆器", "ひのき", "ウォールナット", "アルミ"), size_prices=True),
]
FOOD = [
    ItemType("sencha", "煎茶", "お茶", (648, 1620), (("50g", "100g", "200g"), ("100g", "200g")),
             ("静岡", "八女", "狭山", "鹿児島", "宇治"), size_prices=True),
    ItemType("hojicha", "ほうじ茶", "お茶", (540, 1404), (("50g", "100g", "200g"),),
             ("加賀", "京都", "静岡", "掛川"), size_prices=True),
    ItemType("matcha", "抹茶", "お茶", (1296, 3240), (("20g", "40g"), ("20g", "40g", "100g")),
             ("宇治", "西尾", "八女"), size_prices=True),
    ItemType("senbei", "煎餅", "和菓子", (594, 1620), (("8枚入", "16枚入", "24枚入"), ("10枚入", "20枚入")),
             ("草加", "醤油", "ざらめ", "海老"), size_prices=True),
    ItemType("yokan", "羊羹", "和菓子", (864, 3240), (("1本", "3本"), ("ミニ5個", "1本", "2本")),
             ("栗", "本練り", "抹茶", "柚子"), size_prices=True),
    ItemType("jam", "ジャム", "食品", (756, 1728), (("140g", "280g"),),
             ("瀬戸内レモン", "あまおう苺", "信州りんご", "ゆず"), size_prices=True),
    ItemType("honey", "はちみつ", "食品", (1296, 4320), (("120g", "300g", "500g"), ("150g", "300g")),
             ("国産アカシア", "れんげ", "みかん", "百花")),
    ItemType("shoyu", "醤油", "調味料", (540, 1944), (("300ml", "500ml", "1L"), ("150ml", "300ml")),
             ("小豆島", "湯浅", "再仕込み", "白"), size_prices=True),
    ItemType("dashi", "出汁パック", "調味料", (648, 2484), (("10袋", "30袋"), ("8袋", "20袋", "40袋")),
             ("焼きあご", "かつお昆布", "椎茸", "いりこ"), size_prices=True),
    ItemType("coffee", "コーヒー豆", "飲料", (1188, 3564), (("200g", "500g"), ("100g", "200g", "500g")),
             ("深煎り", "中煎り", "浅煎り", "デカフェ"), size_prices=True),
    ItemType("miso", "味噌", "調味料", (756, 2160), (("500g", "1kg"),),
             ("信州", "仙台", "麦", "八丁"), size_prices=True),
]
NAME_VARIANTS = {"apparel": ("ワイド", "ゆったり", "ショート丈", "ロング丈"), "home": ("角型", "丸型", "No.2", "藍"),
                 "food": ("季節限定", "ギフト箱", "徳用", "有機")}
CATEGORY_SHARES = [("apparel", APPAREL, 0.45), ("home", HOME, 0.30), ("food", FOOD, 0.25)]
APPAREL_COPY = (
    "{maker}の風合いを生かした{item}。着るほどに体になじみ、季節をまたいで長く使えます。",
    "国内の工場で丁寧に仕立てた{maker}の{item}です。洗濯機で洗えて、毎日の装いに気軽に取り入れられます。",
    "{colour}の落ち着いた色合いが魅力の{item}。{maker}ならではの柔らかな肌ざわりです。",
)
HOME_COPY = (
    "{maker}の職人がひとつずつ仕上げた{item}。毎日の暮らしに静かに寄り添う、飽きのこない形です。",
    "使うほどに味わいが増す{maker}の{item}。贈り物にも喜ばれます。",
    "{maker}の素材を生かした{item}。手にしたときの心地よさを大切に作りました。",
)
FOOD_COPY = (
    "{maker}の素材を使った{item}。素材の味をそのまま楽しめるよう、余計なものは加えていません。",
    "{maker}の生産者と一緒に作った{item}です。毎日の食卓に、ちょっとした贈り物に。",
    "丁寧に仕上げた{maker}{item}。開封後はお早めにお召し上がりください。",
)
COPY = {"apparel": APPAREL_COPY, "home": HOME_COPY, "food": FOOD_COPY}

PALETTES = {  # background / motif colours per category family (HSV-ish hues)
    "apparel": [(0.58, 0.35), (0.08, 0.30), (0.95, 0.25), (0.33, 0.25), (0.12, 0.45), (0.62, 0.15)],
    "home": [(0.07, 0.25), (0.55, 0.20), (0.10, 0.15), (0.45, 0.20), (0.02, 0.35)],
    "food": [(0.25, 0.45), (0.09, 0.55), (0.03, 0.50), (0.13, 0.60), (0.30, 0.35)],
}


# --- people ---------------------------------------------------------------------------------

FAMILY_NAMES = [  # (kanji, katakana, romaji)
    ("佐藤", "サトウ", "sato"), ("鈴木", "スズキ", "suzuki"), ("高橋", "タカハシ", "takahashi"),
    ("田中", "タナカ", "tanaka"), ("伊藤", "イトウ", "ito"), ("渡辺", "ワタナベ", "watanabe"),
    ("山本", "ヤマモト", "yamamoto"), ("中村", "ナカムラ", "nakamura"), ("小林", "コバヤシ", "kobayashi"),
    ("加藤", "カトウ", "kato"), ("吉田", "ヨシダ", "yoshida"), ("山田", "ヤマダ", "yamada"),
    ("佐々木", "ササキ", "sasaki"), ("山口", "ヤマグチ", "yamaguchi"), ("松本", "マツモト", "matsumoto"),
    ("井上", "イノウエ", "inoue"), ("木村", "キムラ", "kimura"), ("林", "ハヤシ", "hayashi"),
    ("斎藤", "サイトウ", "saito"), ("清水", "シミズ", "shimizu"), ("山崎", "ヤマザキ", "yamazaki"),
    ("森", "モリ", "mori"), ("池田", "イケダ", "ikeda"), ("橋本", "ハシモト", "hashimoto"),
    ("阿部", "アベ", "abe"), ("石川", "イシカワ", "ishikawa"), ("山下", "ヤマシタ", "yamashita"),
    ("中島", "ナカジマ", "nakajima"), ("石井", "イシイ", "ishii"), ("小川", "オガワ", "ogawa"),
    ("前田", "マエダ", "maeda"), ("岡田", "オカダ", "okada"), ("長谷川", "ハセガワ", "hasegawa"),
    ("藤田", "フジタ", "fujita"), ("後藤", "ゴトウ", "goto"), ("近藤", "コンドウ", "kondo"),
    ("村上", "ムラカミ", "murakami"), ("遠藤", "エンドウ", "endo"), ("青木", "アオキ", "aoki"),
    ("坂本", "サカモト", "sakamoto"), ("西村", "ニシムラ", "nishimura"), ("福田", "フクダ", "fukuda"),
    ("太田", "オオタ", "ota"), ("三浦", "ミウラ", "miura"), ("藤井", "フジイ", "fujii"),
    ("岡本", "オカモト", "okamoto"), ("松田", "マツダ", "matsuda"), ("中川", "ナカガワ", "nakagawa"),
]
GIVEN_NAMES = [
    ("花子", "ハナコ", "hanako"), ("陽菜", "ヒナ", "hina"), ("結衣", "ユイ", "yui"), ("美咲", "ミサキ", "misaki"),
    ("さくら", "サクラ", "sakura"), ("葵", "アオイ", "aoi"), ("凛", "リン", "rin"), ("芽依", "メイ", "mei"),
    ("結菜", "ユイナ", "yuina"), ("真央", "マオ", "mao"), ("優子", "ユウコ", "yuko"), ("恵", "メグミ", "megumi"),
    ("智子", "トモコ", "tomoko"), ("由美", "ユミ", "yumi"), ("直美", "ナオミ", "naomi"), ("彩", "アヤ", "aya"),
    ("麻衣", "マイ", "mai"), ("千尋", "チヒロ", "chihiro"), ("七海", "ナナミ", "nanami"), ("楓", "カエデ", "kaede"),
    ("翔太", "ショウタ", "shota"), ("蓮", "レン", "ren"), ("大翔", "ヒロト", "hiroto"), ("悠真", "ユウマ", "yuma"),
    ("湊", "ミナト", "minato"), ("健太", "ケンタ", "kenta"), ("拓也", "タクヤ", "takuya"), ("大輔", "ダイスケ", "daisuke"),
    ("誠", "マコト", "makoto"), ("浩二", "コウジ", "koji"), ("隆", "タカシ", "takashi"), ("亮", "リョウ", "ryo"),
    ("陽斗", "ハルト", "haruto"), ("颯", "ハヤテ", "hayate"), ("樹", "イツキ", "itsuki"), ("和也", "カズヤ", "kazuya"),
]
# (prefecture code, weight, city, postal code prefix)
CUSTOMER_AREAS = [
    ("13", 22, "世田谷区", "154"), ("13", 0, "杉並区", "166"), ("13", 0, "目黒区", "153"), ("13", 0, "練馬区", "176"),
    ("14", 10, "横浜市港北区", "222"), ("14", 0, "川崎市中原区", "211"), ("11", 7, "さいたま市浦和区", "330"),
    ("12", 6, "船橋市", "273"), ("27", 10, "大阪市北区", "530"), ("27", 0, "豊中市", "560"),
    ("28", 4, "神戸市中央区", "650"), ("26", 4, "京都市左京区", "606"), ("23", 7, "名古屋市千種区", "464"),
    ("40", 6, "福岡市中央区", "810"), ("01", 5, "札幌市中央区", "064"), ("04", 4, "仙台市青葉区", "980"),
    ("34", 2, "広島市中区", "730"), ("22", 2, "静岡市葵区", "420"), ("20", 1, "松本市", "390"),
    ("47", 1, "那覇市", "900"),
]
TOWNS = ("本町", "中央", "緑町", "桜台", "旭町", "栄町", "若葉", "東", "西町", "南町", "春日", "青葉台")
NEAREST_STORE = {"13": "shibuya", "14": "yokohama", "11": "shibuya", "12": "shibuya", "27": "umeda",
                 "28": "umeda", "26": "kyoto", "23": "nagoya", "40": "tenjin", "01": "sapporo", "04": "sendai",
                 "34": "umeda", "22": "nagoya", "20": "nagoya", "47": "tenjin"}
CONSENT_SOURCES = ["storefront-checkout", "pos-signup", "app", "campaign-form", "phone"]
CAMPAIGNS = [(75, "campaign:spring-linen"), (45, "campaign:summer-gift"), (14, "campaign:new-arrivals"),
             (3, "campaign:weekend-sale")]

# Share of historical orders per channel kind (POS spread over the stores).
CHANNEL_WEIGHTS = {ChannelKind.WEB: 30, ChannelKind.APP: 14, ChannelKind.POS: 38, ChannelKind.MARKETPLACE: 10,
                   ChannelKind.SOCIAL: 4, ChannelKind.PHONE: 4}
STORE_TRAFFIC = {"shibuya": 18, "umeda": 14, "yokohama": 10, "nagoya": 9, "tenjin": 8, "kyoto": 7, "sapporo": 6,
                 "sendai": 5, POPUP_CODE: 3}


@dataclass
class SeedReport:
    created: bool
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)


def demo_is_seeded() -> bool:
    User = get_user_model()
    return Location.objects.filter(code=WAREHOUSE_CODE).exists() and User.objects.filter(
        email=DEMO_USERS[1].email).exists()


def demo_counts() -> dict[str, int]:
    return {
        "locations": Location.objects.count(),
        "channels": Channel.objects.count(),
        "products": Product.objects.count(),
        "variants": Variant.objects.count(),
        "product images": ProductImage.objects.count(),
        "stock levels": StockLevel.objects.count(),
        "ledger rows": StockMovement.objects.count(),
        "reservations": Reservation.objects.count(),
        "users": get_user_model().objects.count(),
        "customers": Customer.objects.count(),
        "consent records": ConsentRecord.objects.count(),
        "customer events": CustomerEvent.objects.count(),
        "orders": Order.objects.count(),
        "order lines": OrderLine.objects.count(),
        "order events": OrderEvent.objects.count(),
    }


def demo_seed(*, customers: int = 2000, products: int = 200, days: int = 90,
              log: Callable[[str], None] | None = None) -> SeedReport:
    """Seed the demo brand once; a second call finds it and changes nothing."""
    started = time.perf_counter()
    log = log or (lambda message: None)
    User = get_user_model()
    if demo_is_seeded():
        return SeedReport(created=False, seconds=time.perf_counter() - started, counts=demo_counts())
    if User.objects.filter(email__in=[u.email for u in [*DEMO_USERS, DEMO_CUSTOMER]]).exists():
        raise ValueError("The database holds part of the demo data; run seed_demo --reset first.")
    with transaction.atomic():
        _Seeder(customers=customers, products=products, days=days, log=log).run()
    return SeedReport(created=True, seconds=time.perf_counter() - started, counts=demo_counts())


@transaction.atomic
def demo_reset() -> dict[str, int]:
    """Delete the demo rows only: demo locations, channels, catalogue (by barcode prefix),
    demo customers and users. Fails (and deletes nothing) if other data points at them."""
    User = get_user_model()
    location_codes = [loc.code for loc in LOCATIONS]
    channel_codes = [code for code, *_rest in CHANNELS]
    locations = Location.objects.filter(code__in=location_codes)
    channels = Channel.objects.filter(code__in=channel_codes)
    product_ids = list(Product.objects.filter(variants__barcode__startswith=JAN_PREFIX).values_list("id", flat=True)
                       .distinct())
    demo_emails = [u.email for u in [*DEMO_USERS, DEMO_CUSTOMER]]
    customer_filter = Q(email__regex=rf"^[a-z]+\.[a-z]+\.[0-9]{{4}}@{CUSTOMER_EMAIL_DOMAIN}$") | Q(
        email__in=demo_emails)
    deleted: dict[str, int] = {}
    deleted["orders"] = Order.objects.filter(channel__in=channels).delete()[0]
    deleted["reservations"] = Reservation.objects.filter(
        Q(location__in=locations) | Q(variant__product_id__in=product_ids)).delete()[0]
    deleted["ledger rows"] = StockMovement.objects.filter(
        Q(location__in=locations) | Q(variant__product_id__in=product_ids)).delete()[0]
    images = list(ProductImage.objects.filter(product_id__in=product_ids))
    for image in images:
        for name in ("original", "thumbnail", "large"):
            file = getattr(image, name)
            if file:
                file.delete(save=False)
    deleted["products"] = Product.objects.filter(id__in=product_ids).delete()[0]
    deleted["customers"] = Customer.objects.filter(customer_filter).delete()[0]
    deleted["users"] = User.objects.filter(email__in=demo_emails).delete()[0]
    deleted["channels"] = channels.delete()[0]
    deleted["locations"] = locations.delete()[0]
    return deleted


@contextmanager
def _explicit_timestamps(*models_and_fields):
    """Let bulk_create keep the historical times we give instead of ``auto_now_add``."""
    fields = [model._meta.get_field(name) for model, name in models_and_fields]
    saved = [f.auto_now_add for f in fields]
    for f in fields:
        f.auto_now_add = False
    try:
        yield
    finally:
        for f, value in zip(fields, saved, strict=True):
            f.auto_now_add = value


def product_image_bytes(*, seed: str, family: str, size: int = 600) -> bytes:
    """A simple, pleasant product picture: a tinted background and a geometric motif."""
    rng = random.Random(seed)
    hue, saturation = rng.choice(PALETTES[family])
    hue = (hue + rng.uniform(-0.03, 0.03)) % 1.0

    def colour(h, s, v):
        r, g, b = colorsys.hsv_to_rgb(h % 1.0, max(0.0, min(1.0, s)), max(0.0, min(1.0, v)))
        return int(r * 255), int(g * 255), int(b * 255)

    background = colour(hue, saturation * 0.35, 0.96)
    main = colour(hue, saturation + 0.25, 0.62)
    accent = colour(hue + 0.5, saturation + 0.15, 0.78)
    pale = colour(hue, saturation * 0.6, 0.88)
    image = Image.new("RGB", (size, size), background)
    draw = ImageDraw.Draw(image)
    c = size / 2
    motif = rng.randrange(5)
    if motif == 0:  # concentric circles (seigaiha-like)
        for k, radius in enumerate(range(int(size * 0.36), 10, -int(size * 0.06))):
            draw.ellipse((c - radius, c - radius, c + radius, c + radius), fill=main if k % 2 == 0 else pale)
    elif motif == 1:  # stripes behind a disc
        step = size // 12
        for x in range(0, size, step * 2):
            draw.rectangle((x, 0, x + step - 1, size), fill=pale)
        r = size * 0.28
        draw.ellipse((c - r, c - r, c + r, c + r), fill=main)
    elif motif == 2:  # triangles (uroko)
        step = size // 6
        for row in range(6):
            for col in range(6):
                if (row + col) % 2 == 0:
                    x, y = col * step, row * step
                    draw.polygon([(x, y + step), (x + step / 2, y), (x + step, y + step)], fill=main)
    elif motif == 3:  # asanoha-like star
        r = size * 0.36
        points = []
        for k in range(12):
            angle = math.pi / 6 * k
            radius = r if k % 2 == 0 else r * 0.45
            points.append((c + radius * math.cos(angle), c + radius * math.sin(angle)))
        draw.polygon(points, fill=main)
    else:  # checker (ichimatsu) with a round window
        step = size // 8
        for row in range(8):
            for col in range(8):
                if (row + col) % 2 == 0:
                    draw.rectangle((col * step, row * step, col * step + step - 1, row * step + step - 1), fill=pale)
        r = size * 0.25
        draw.ellipse((c - r, c - r, c + r, c + r), fill=main)
    r = size * rng.uniform(0.05, 0.09)
    ax, ay = size * rng.uniform(0.68, 0.84), size * rng.uniform(0.16, 0.32)
    draw.ellipse((ax - r, ay - r, ax + r, ay + r), fill=accent)
    buffer = BytesIO()
    image.save(buffer, format="JPEG", quality=88)
    return buffer.getvalue()


# --- the brand's logo and checked copy ---------------------------------------------------

LOGO_NAME = "ミナト商店"
CAMPAIGN_COPY_SOURCE = "campaign"
# (brand kit channel, copy as a marketer wrote it; {footer} is the kit's legal footer). A few
# drafts break the kit's rules, as real drafts do: the dashboard shows a realistic score.
CAMPAIGN_COPY: list[tuple[str, str]] = [
    ("email", "件名：麻のシャツが入荷しました\n今年も国内の工場で仕立てたリネンシャツが届きました。全国の店舗とオンライン"
              "ストアでお求めいただけます。\n配信停止はこちら：{{{{ unsubscribe_url }}}}\n{footer}"),
    ("email", "件名：夏のギフト特集\n今治タオルや八女の煎茶など、贈って喜ばれる定番を集めました。\n"
              "配信停止はこちら：{{{{ unsubscribe_url }}}}\n{footer}"),
    ("email", "件名：週末セールのお知らせ\n土日の2日間、対象商品が20%オフ。\n{footer}"),  # no unsubscribe link
    ("sms", "【ミナト商店】ご注文の商品のご用意ができました。店頭でお受け取りください。"),
    ("sms", "【ミナト商店】週末セール開催中！全店で対象商品20%オフ。"),  # an exclamation mark
    ("social", "港町の朝に似合う、藍染めのストール。店頭とオンラインストアで販売中です。#ミナト商店"),
    ("social", "激安！ 今だけのお値段です。#ミナト商店"),  # a banned term
    ("pop", "リネンシャツ 5,990円（税込）"),
    ("pop", "今治タオル フェイス 1,320円（税込）"),
    ("postcard", "いつもミナト商店をご利用いただきありがとうございます。秋の新作をご案内します。\n{footer}"),
]


def brand_logo_png(*, name: str, latin: str, colour: str) -> bytes:
    """The demo brand's horizontal logo: a round mark with harbour waves and the name set in
    Noto Sans JP Bold (the font the project serves), in ``colour`` on a transparent background.
    Raises FileNotFoundError when the font has not been installed (``manage.py fonts_install``)."""
    from brandkit.assets import font
    from brandkit.colour import rgb

    ink = (*rgb(colour), 255)
    height = 240
    wordmark, subline = font(128, 700), font(34, 400)
    measure = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    word_width = int(measure.textlength(name, font=wordmark))
    latin_width = int(measure.textlength(" ".join(latin), font=subline)) if latin else 0
    mark, gap, pad = 200, 44, 20
    width = pad + mark + gap + max(word_width, latin_width) + pad
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    top = (height - mark) // 2
    draw.ellipse((pad, top, pad + mark, top + mark), fill=ink)
    # Three waves (seigaiha arcs) across the lower half of the mark, in the background (cut out).
    for row, y in enumerate((0.50, 0.64, 0.78)):
        cy = top + mark * y
        for k in range(3 - row % 2):
            cx = pad + mark * (0.18 + 0.32 * k + (0.16 if row % 2 else 0))
            r = mark * 0.16
            draw.arc((cx - r, cy - r, cx + r, cy + r), 200, 340, fill=(0, 0, 0, 0), width=9)
    text_x = pad + mark + gap
    if latin:
        draw.text((text_x, height // 2 + 8), name, font=wordmark, fill=ink, anchor="ls")
        draw.text((text_x + 4, height // 2 + 62), " ".join(latin), font=subline, fill=ink, anchor="ls")
    else:
        draw.text((text_x, height // 2), name, font=wordmark, fill=ink, anchor="lm")
    buffer = BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


@dataclass
class _Planned:
    """One historical or today's completed order, before it is written."""

    channel: Channel
    customer: Customer | None
    placed_at: datetime
    method: str
    location: Location
    lines: list[tuple[Variant, int]]
    closed_at: datetime
    ready_at: datetime | None
    payment_method: str
    order: Order | None = None
    fulfillment: Fulfillment | None = None


class _Seeder:
    def __init__(self, *, customers: int, products: int, days: int, log):
        self.rng = random.Random(SEED)
        self.n_customers = max(customers, 1)
        self.n_products = max(products, 1)
        self.days = max(days, 1)
        self.log = log
        self.now = timezone.now()
        local_now = timezone.localtime(self.now)
        self.today_start = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
        self.window_start = self.today_start - timedelta(days=self.days)
        self.staff: dict[str, object] = {}
        self.pickup_codes: set[str] = set()

    def step(self, label: str, started: float) -> float:
        now = time.perf_counter()
        self.log(f"  {label} ({now - started:.1f}s)")
        return now

    def run(self) -> None:
        t = time.perf_counter()
        self.seed_brandkit()
        self.seed_places()
        self.seed_users()
        t = self.step("locations, channels, users", t)
        self.seed_catalogue()
        t = self.step(f"{len(self.products)} products, {len(self.variants)} variants with images", t)
        self.seed_customers()
        t = self.step(f"{len(self.customers)} customers and consent", t)
        self.plan_orders()
        self.seed_stock()
        t = self.step("stock levels and ledger", t)
        self.write_orders()
        t = self.step(f"{len(self.planned)} completed orders with lines and events", t)
        self.seed_touchpoints()
        t = self.step("browsing, store visits and campaign emails", t)
        self.seed_open_orders()
        self.step("today's open orders (reserved through order_place)", t)

    # --- brand, places, people ---------------------------------------------------------

    def seed_brandkit(self) -> None:
        try:
            from brandkit import services as brandkit_services  # the brandkit helper owns it
        except ImportError:
            brandkit_services = None
        if hasattr(brandkit_services, "brandkit_seed_default"):
            kit = brandkit_services.brandkit_seed_default()
            self.seed_logo(kit)
            self.seed_copy_checks(kit)
        else:
            self.log("  brandkit.services.brandkit_seed_default() not available: brand kit not seeded")

    def seed_logo(self, kit) -> None:
        """Give the published kit a logo (once) through the kit's own services: a new draft,
        ``logo_add`` (which makes the mono, reversed and favicon renditions), publish."""
        from brandkit import services as brandkit_services
        from brandkit.models import ColourRole

        published = kit.published_version
        if published is None or published.logos.exists():
            return
        identity = published.identity or {}
        primary = published.palette.filter(role=ColourRole.PRIMARY).values_list("hex", flat=True).first()
        try:
            png = brand_logo_png(name=identity.get("brand_name") or LOGO_NAME,
                                 latin=identity.get("brand_name_en") or "", colour=primary or "#1F4E79")
        except FileNotFoundError as exc:  # Noto Sans JP not installed (manage.py fonts_install)
            self.log(f"  no demo logo: {exc}")
            return
        draft = brandkit_services.draft_get_or_create(kit=kit)
        brandkit_services.logo_add(version=draft, upload=SimpleUploadedFile("minato-logo.png", png, "image/png"),
                                   name="ミナト商店 ロゴ（横組み）")
        brandkit_services.version_publish(version=draft, note="ロゴを追加")

    def seed_copy_checks(self, kit) -> None:
        """Campaign copy checked before sending (``lint`` with ``record``), so the kit's dashboard
        has consistency scores for the marketing channels; product copy is checked as each product
        is created (``seed_catalogue``). Once: a re-seed after ``--reset`` does not repeat them."""
        from brandkit import services as brandkit_services
        from brandkit.models import LintCheck

        if LintCheck.objects.filter(source=CAMPAIGN_COPY_SOURCE).exists():
            return
        footer = (kit.published_version.identity or {}).get("legal_footer", "")
        for channel, text in CAMPAIGN_COPY:
            brandkit_services.lint(text.format(footer=footer), channel, "ja", record=CAMPAIGN_COPY_SOURCE)

    def seed_places(self) -> None:
        self.locations: dict[str, Location] = {}
        for spec in LOCATIONS:
            fields = {
                "name": spec.name, "kind": spec.kind, "prefecture": spec.prefecture,
                "postal_code": spec.postal_code, "address": spec.address, "phone": spec.phone,
                "opening_hours": spec.opening_hours, "offers_pickup": spec.offers_pickup,
                "ships_orders": spec.ships_orders,
            }
            # A data migration or an administrator may already have made some of them: those are
            # brought in line; the others are created like the admin creates them (stores get a POS).
            if Location.objects.filter(code=spec.code).update(**fields):
                self.locations[spec.code] = Location.objects.get(code=spec.code)
            else:
                self.locations[spec.code] = inventory.location_create(code=spec.code, **fields)
        self.channels: dict[str, Channel] = {}
        for code, name, kind, location in CHANNELS:
            self.channels[code], _created = Channel.objects.update_or_create(code=code, defaults={
                "name": name, "kind": kind, "location": self.locations[location] if location else None,
                "is_active": True,
            })
        self.warehouse = self.locations[WAREHOUSE_CODE]
        self.stores = [self.locations[code] for code in STORE_CODES]
        self.selling = [*self.stores, self.locations[POPUP_CODE]]

    def seed_users(self) -> None:
        User = get_user_model()
        password = make_password(DEMO_PASSWORD)  # hashed once: demo accounts share a public password
        for spec in DEMO_USERS:
            user = User(email=spec.email, display_name=spec.display_name, password=password,
                        is_superuser=spec.superuser, is_staff=spec.superuser, language="ja")
            user.save()
            roles.assign_role(user, spec.role, location=self.locations[spec.location] if spec.location else None)
            self.staff[spec.location or spec.role] = user
        self.hanako_user, self.hanako = customer_sign_up(
            email=DEMO_CUSTOMER.email, password=DEMO_PASSWORD, family_name="山田", given_name="花子",
            family_name_kana="ヤマダ", given_name_kana="ハナコ", phone="090-5555-0123", email_marketing=True,
            channel=self.channels["web"], source="storefront-signup",
        )
        self.hanako.postal_code = "154-0004"
        self.hanako.prefecture = "13"
        self.hanako.address = "世田谷区太子堂2-1-1"
        self.hanako.favourite_location = self.locations["shibuya"]
        self.hanako.preferred_size = "M"
        self.hanako.save()

    # --- catalogue ------------------------------------------------------------------------

    def seed_catalogue(self) -> None:
        rng = self.rng
        counts = [(family, types, round(self.n_products * share)) for family, types, share in CATEGORY_SHARES]
        counts[0] = (counts[0][0], counts[0][1], self.n_products - sum(c for _f, _t, c in counts[1:]))
        seen: set[str] = set()
        number = 0
        self.products: list[Product] = []
        for family, types, count in counts:
            for k in range(count):
                item = types[k % len(types)]
                for _attempt in range(30):
                    maker = rng.choice(item.makers)
                    colour = rng.choice(COLOURS) if family == "apparel" else ""
                    name = (f"{maker}{item.name}（{colour}）" if colour else f"{maker} {item.name}")
                    if name not in seen:
                        break
                    name = f"{name} {rng.choice(NAME_VARIANTS[family])}"
                    if name not in seen:
                        break
                else:
                    name = f"{maker}{item.name} #{number + 1}"
                seen.add(name)
                number += 1
                code = f"{item.slug}-{number:04d}"
                sizes = rng.choice(item.sizes)
                rate = 108 if family == "food" else 110
                low, high = item.price
                base = rng.randrange(low, high + 1) * 100 / rate  # price before tax
                variants = []
                for index, size in enumerate(sizes):
                    net = base * (1 + 0.55 * index) if item.size_prices else base
                    if family == "apparel":
                        price = int(round(net * rate / 100, -2)) - 10  # tax-inclusive 5,990-style endings
                    elif family == "food":
                        price = int(round(net, -1)) * rate // 100  # ¥600 + 8 % = ¥648
                    else:
                        price = int(round(net, -2)) * rate // 100  # ¥3,000 + 10 % = ¥3,300
                    reference = f"{JAN_PREFIX}{number:04d}{index}"
                    variants.append(inventory.VariantIn(
                        sku=f"{item.slug.upper()}-{number:04d}-{index + 1}", barcode=reference + str(
                            ean13_check_digit(reference)), price=price, size=size, color=colour))
                description = rng.choice(COPY[family]).format(maker=maker, item=item.name, colour=colour or "")
                # product_create checks the copy against the brand kit, like for every caller.
                product = inventory.product_create(
                    code=code, name=name, description=description, category=item.category,
                    tax_class=TaxClass.REDUCED if family == "food" else TaxClass.STANDARD, variants=variants,
                )
                product.family = family
                upload = SimpleUploadedFile(f"{code}.jpg", product_image_bytes(seed=code, family=family),
                                            content_type="image/jpeg")
                inventory.product_image_add(product=product, upload=upload, alt=name)
                self.products.append(product)
        by_product = defaultdict(list)
        for variant in Variant.objects.filter(product__in=self.products).order_by("product_id", "position"):
            by_product[variant.product_id].append(variant)
        self.variants: list[Variant] = []
        for product in self.products:
            for variant in by_product[product.id]:
                variant.product = product
                self.variants.append(variant)
            product.demo_variants = by_product[product.id]
        # Popularity: a long tail, shuffled so bestsellers are spread over the categories.
        ranked = list(self.products)
        rng.shuffle(ranked)
        self.product_order = ranked
        weights = [1 / (rank + 1) ** 0.7 for rank in range(len(ranked))]
        total = 0.0
        self.product_cum = []
        for weight in weights:
            total += weight
            self.product_cum.append(total)
        self.popup_products = {p.id for p in ranked if rng.random() < 0.35} or {ranked[0].id}

    def pick_variant(self, popup: bool = False) -> Variant:
        rng = self.rng
        for _attempt in range(20):
            product = rng.choices(self.product_order, cum_weights=self.product_cum)[0]
            if not popup or product.id in self.popup_products:
                return rng.choice(product.demo_variants)
        return rng.choice([v for v in self.variants if v.product_id in self.popup_products])

    # --- customers ----------------------------------------------------------------------

    def seed_customers(self) -> None:
        rng = self.rng
        area_weights = []
        weight = 0
        for _pref, w, _city, _postal in CUSTOMER_AREAS:
            weight = w or weight  # 0 means "same weight as the line above"
            area_weights.append(weight)
        rows = []
        for index in range(self.n_customers):
            family, family_kana, family_romaji = rng.choice(FAMILY_NAMES)
            given, given_kana, given_romaji = rng.choice(GIVEN_NAMES)
            prefecture, _w, city, postal = rng.choices(CUSTOMER_AREAS, weights=area_weights)[0]
            phone = f"0{rng.choice('987')}0-{rng.randrange(1000, 10000)}-{rng.randrange(1000, 10000)}"
            favourite = None
            if rng.random() < 0.35:
                favourite = self.locations[NEAREST_STORE.get(prefecture, "shibuya")]
            if rng.random() < 0.85:
                created = self.window_start - timedelta(days=rng.uniform(1, 900))
            else:
                created = self.window_start + timedelta(days=rng.uniform(0, self.days))
            customer = Customer(
                email=f"{given_romaji}.{family_romaji}.{index + 1:04d}@{CUSTOMER_EMAIL_DOMAIN}",
                family_name=family, given_name=given, family_name_kana=family_kana, given_name_kana=given_kana,
                phone=phone, postal_code=f"{postal}-{rng.randrange(0, 10000):04d}", prefecture=prefecture,
                address=f"{city}{rng.choice(TOWNS)}{rng.randrange(1, 6)}-{rng.randrange(1, 30)}-{rng.randrange(1, 20)}",
                favourite_location=favourite,
                preferred_size=rng.choice(["", "", "S", "M", "M", "L", "XL"]),
                created_at=min(created, self.now - timedelta(hours=1)),
            )
            customer.fill_search_fields()  # bulk_create skips save()
            rows.append(customer)
        with _explicit_timestamps((Customer, "created_at")):
            self.customers = Customer.objects.bulk_create(rows, batch_size=1000)
        consents = []
        events = []
        for customer in self.customers:
            roll = rng.random()
            at = customer.created_at + timedelta(minutes=rng.randrange(1, 60))
            source = rng.choice(CONSENT_SOURCES)
            choices: list[tuple[str, bool, datetime]] = []
            if roll < 0.60:
                choices.append((ConsentChannel.EMAIL, True, at))
            elif roll < 0.80:
                choices.append((ConsentChannel.EMAIL, False, at))
            elif roll < 0.85:  # opted in, later opted out
                later = min(at + timedelta(days=rng.uniform(5, 200)), self.now - timedelta(minutes=5))
                choices += [(ConsentChannel.EMAIL, True, at), (ConsentChannel.EMAIL, False, later)]
            if rng.random() < 0.25:
                choices.append((ConsentChannel.LINE, True, at))
            if rng.random() < 0.10:
                choices.append((ConsentChannel.SMS, True, at))
            for channel, granted, when in choices:
                kind = consent_source_from_text(source)  # "pos-signup" -> pos, the words kept as detail
                consents.append(ConsentRecord(customer=customer, channel=channel, granted=granted, source=kind,
                                              source_detail=source, created_at=when))
                events.append(CustomerEvent(customer=customer, kind=EventKind.CONSENT_CHANGED, occurred_at=when,
                                            data={"channel": channel, "purpose": "marketing", "granted": granted,
                                                  "source": kind}))
        with _explicit_timestamps((ConsentRecord, "created_at")):
            ConsentRecord.objects.bulk_create(consents, batch_size=2000)
        CustomerEvent.objects.bulk_create(events, batch_size=2000)
        self.email_opted_in = {r.customer.id for r in consents if r.channel == ConsentChannel.EMAIL and r.granted}
        self.email_opted_in -= {r.customer.id for r in consents if r.channel == ConsentChannel.EMAIL and not r.granted}
        # A loyal core buys more often: index weights fall off along the list.
        self.customer_cum = []
        total = 0.0
        for rank in range(len(self.customers)):
            total += 1 / (rank + 1) ** 0.5
            self.customer_cum.append(total)

    def pick_customer(self, at: datetime) -> Customer | None:
        for _attempt in range(4):
            customer = self.rng.choices(self.customers, cum_weights=self.customer_cum)[0]
            if customer.created_at < at:
                return customer
        return None

    # --- orders -------------------------------------------------------------------------

    def plan_orders(self) -> None:
        rng = self.rng
        per_day = max(3, self.n_customers // 45)
        kinds = list(CHANNEL_WEIGHTS)
        kind_weights = [CHANNEL_WEIGHTS[k] for k in kinds]
        by_kind: dict[str, list[Channel]] = defaultdict(list)
        for channel in self.channels.values():
            by_kind[channel.kind].append(channel)
        pos_channels = [self.channels[f"pos-{code}"] for code in STORE_TRAFFIC]
        pos_weights = list(STORE_TRAFFIC.values())
        self.planned: list[_Planned] = []
        for days_ago in range(self.days, 0, -1):
            day = self.today_start - timedelta(days=days_ago)
            weekend = day.weekday() >= 5
            count = max(1, round(per_day * (1.35 if weekend else 1.0) * rng.uniform(0.8, 1.2)))
            for _n in range(count):
                placed = day + timedelta(hours=rng.uniform(9, 22))
                kind = rng.choices(kinds, weights=kind_weights)[0]
                channel = rng.choices(pos_channels, weights=pos_weights)[0] if kind == ChannelKind.POS else \
                    by_kind[kind][0]
                self.planned.append(self.plan_one(channel, placed))
        # Today: POS sales already rung up at every store (completed), so the dashboard has figures.
        elapsed = max((self.now - self.today_start).total_seconds() - 120, 60)
        for code in STORE_TRAFFIC:
            for _n in range(1 if code == POPUP_CODE else rng.randint(1, 3)):
                placed = self.today_start + timedelta(seconds=rng.uniform(0, elapsed))
                self.planned.append(self.plan_one(self.channels[f"pos-{code}"], min(placed, self.now)))
        # Hanako is a regular: a few of the historical web orders are hers.
        hanako_orders = [p for p in self.planned if p.channel.kind == ChannelKind.WEB]
        for planned in hanako_orders[:: max(1, len(hanako_orders) // 4)][:4]:
            planned.customer = self.hanako

    def plan_one(self, channel: Channel, placed: datetime) -> _Planned:
        rng = self.rng
        latest = self.now - timedelta(minutes=1)
        if channel.kind == ChannelKind.POS:
            store = channel.location
            customer = self.pick_customer(placed) if rng.random() < 0.55 else None
            method, location = FulfillmentMethod.PICKUP, store
            ready_at, closed_at = placed, placed
            payment = rng.choice([PaymentMethod.CARD, PaymentMethod.CARD, PaymentMethod.CASH])
        else:
            customer = self.pick_customer(placed)
            pickup = channel.kind in (ChannelKind.WEB, ChannelKind.APP, ChannelKind.PHONE) and rng.random() < 0.35
            if pickup:
                method = FulfillmentMethod.PICKUP
                favourite = customer.favourite_location if customer else None
                location = favourite or rng.choice(self.stores)
                ready_at = min(placed + timedelta(hours=rng.uniform(2, 20)), latest)
                closed_at = min(ready_at + timedelta(hours=rng.uniform(4, 72)), latest)
                payment = rng.choice([PaymentMethod.PAY_IN_STORE, PaymentMethod.CARD])
            else:
                method, location, ready_at = FulfillmentMethod.SHIP, self.warehouse, None
                closed_at = min(placed + timedelta(hours=rng.uniform(6, 40)), latest)
                payment = {ChannelKind.MARKETPLACE: PaymentMethod.MARKETPLACE,
                           ChannelKind.PHONE: PaymentMethod.CASH_ON_DELIVERY}.get(
                    channel.kind, rng.choice([PaymentMethod.CARD, PaymentMethod.CARD, PaymentMethod.CASH_ON_DELIVERY]))
            if customer is None:  # online orders always have a customer
                customer = self.customers[0]
        popup = location.code == POPUP_CODE
        lines: dict[int, tuple[Variant, int]] = {}
        for _n in range(rng.choices([1, 2, 3], weights=[65, 25, 10])[0]):
            variant = self.pick_variant(popup=popup)
            quantity = 1 if rng.random() < 0.85 else 2
            previous = lines.get(variant.id, (variant, 0))[1]
            lines[variant.id] = (variant, previous + quantity)
        return _Planned(channel=channel, customer=customer, placed_at=placed, method=method, location=location,
                        lines=list(lines.values()), closed_at=closed_at, ready_at=ready_at, payment_method=payment)

    def seed_stock(self) -> None:
        """Stock levels with final on_hand; one receipt per level covering on_hand plus what
        the planned orders sold there, so the ledger sums to on_hand once sales are booked."""
        rng = self.rng
        sold: dict[tuple[int, int], int] = defaultdict(int)
        for planned in self.planned:
            for variant, quantity in planned.lines:
                sold[variant.id, planned.location.id] += quantity
        levels = []
        receipts = []
        received_at = self.window_start - timedelta(days=1)
        for product in self.products:
            family = product.family
            for variant in product.demo_variants:
                for location in [self.warehouse, *self.selling]:
                    if location.code == POPUP_CODE and product.id not in self.popup_products:
                        continue
                    if location == self.warehouse:
                        on_hand = rng.randint(30, 200 if family == "food" else 120)
                        safety = 2
                    else:
                        roll = rng.random()
                        on_hand = 0 if roll < 0.08 else rng.randint(1, 2) if roll < 0.2 else rng.randint(3, 14)
                        safety = 0
                    levels.append(StockLevel(variant=variant, location=location, on_hand=on_hand,
                                             safety_stock=safety))
                    quantity = on_hand + sold.get((variant.id, location.id), 0)
                    if quantity:
                        receipts.append(StockMovement(variant=variant, location=location, quantity=quantity,
                                                      reason=MovementReason.RECEIPT, reference="PO-DEMO-OPENING",
                                                      note="開店時入荷", created_at=received_at))
        StockLevel.objects.bulk_create(levels, batch_size=2000)
        with _explicit_timestamps((StockMovement, "created_at")):
            StockMovement.objects.bulk_create(receipts, batch_size=2000)
        self.on_hand = {(level.variant_id, level.location_id): level.on_hand for level in levels}

    def write_orders(self) -> None:
        planned = self.planned
        order_rows = []
        for index, item in enumerate(planned):
            customer = item.customer
            total = sum(variant.price * quantity for variant, quantity in item.lines)
            name = customer.full_name if customer else ""
            email = (customer.email or "") if customer else ""
            phone = customer.phone if customer else ""
            closed_status = OrderStatus.COMPLETED if item.method == FulfillmentMethod.PICKUP else OrderStatus.SHIPPED
            order = Order(
                number=f"seed-{index}", channel=item.channel, customer=customer, status=closed_status,
                email=email, name=name, phone=phone, total=total, payment_method=item.payment_method,
                payment_status=PaymentStatus.PAID, created_at=item.placed_at, completed_at=item.closed_at,
                placed_by=self.staff.get(item.channel.location.code) if item.channel.location else None,
            )
            order.fill_search_fields()  # bulk_create skips save()
            order_rows.append(order)
        with _explicit_timestamps((Order, "created_at")):
            created = Order.objects.bulk_create(order_rows, batch_size=1000)
        for item, order in zip(planned, created, strict=True):
            item.order = order
            order.number = order_number(channel_kind=item.channel.kind, pk=order.pk)
        # The same numbering as orders.services.order_place, computed by the database in bulk.
        for kind, letter in ORDER_NUMBER_PREFIXES.items():
            Order.objects.filter(number__startswith="seed-", channel__kind=kind).update(
                number=Concat(Value(letter), LPad(Cast("id", CharField()), ORDER_NUMBER_DIGITS, Value("0"))))

        groups = []
        for item in planned:
            status = FulfillmentStatus.COLLECTED if item.method == FulfillmentMethod.PICKUP else \
                FulfillmentStatus.SHIPPED
            groups.append(Fulfillment(
                order=item.order, method=item.method, location=item.location, status=status,
                pickup_code=self.pickup_code() if item.method == FulfillmentMethod.PICKUP else "",
                address=self.address_of(item.customer) if item.method == FulfillmentMethod.SHIP else {},
                ready_at=item.ready_at, closed_at=item.closed_at,
            ))
        for item, group in zip(planned, Fulfillment.objects.bulk_create(groups, batch_size=1000), strict=True):
            item.fulfillment = group

        lines, order_events, sales, events = [], [], [], []
        for item in planned:
            order, group = item.order, item.fulfillment
            acting = order.placed_by
            for variant, quantity in item.lines:
                lines.append(OrderLine(
                    order=order, fulfillment=group, variant=variant, sku=variant.sku,
                    product_name=variant.product.name, variant_label=variant.label, quantity=quantity,
                    unit_price=variant.price, tax_rate=variant.product.tax_rate, line_total=variant.price * quantity,
                ))
                sales.append(StockMovement(variant=variant, location=item.location, quantity=-quantity,
                                           reason=MovementReason.SALE, reference=group.reservation_reference,
                                           acting_user=acting, created_at=item.closed_at))
            order_events.append(order_event_placed(
                order=order, fulfillment=group, acting_user=acting, at=item.placed_at, commit=False))
            if item.method == FulfillmentMethod.PICKUP:
                staff = self.staff.get(item.location.code)
                order_events.append(order_event_ready(
                    fulfillment=group, acting_user=staff, at=item.ready_at, commit=False))
                order_events.append(order_event_handed_over(
                    fulfillment=group, acting_user=staff, at=item.closed_at, commit=False))
            else:
                order_events.append(order_event_shipped(
                    fulfillment=group, acting_user=self.staff.get(WAREHOUSE_CODE), at=item.closed_at,
                    commit=False))
            if item.customer is not None:
                events += self.order_touchpoints(item)
        OrderLine.objects.bulk_create(lines, batch_size=2000)
        with _explicit_timestamps((OrderEvent, "created_at"), (StockMovement, "created_at")):
            OrderEvent.objects.bulk_create(order_events, batch_size=2000)
            StockMovement.objects.bulk_create(sales, batch_size=2000)
        CustomerEvent.objects.bulk_create(events, batch_size=2000)

    def pickup_code(self) -> str:
        """A pickup code like ``orders.models.new_pickup_code`` makes, drawn from the seeded RNG so
        the demo is the same on every machine (the shop's own codes stay unpredictable)."""
        while True:
            code = "".join(self.rng.choice(PICKUP_CODE_ALPHABET) for _ in range(PICKUP_CODE_LENGTH))
            if code not in self.pickup_codes:
                self.pickup_codes.add(code)
                return code

    def repeatable_pickup_code(self, order: Order) -> None:
        """Replace the random code ``order_place`` gave today's pickup with a seeded one, before
        the customer is told it (``fulfillment_mark_ready`` reads it from the row)."""
        Fulfillment.objects.filter(order=order, method=FulfillmentMethod.PICKUP).update(pickup_code=self.pickup_code())

    def address_of(self, customer: Customer | None) -> dict:
        if customer is None:
            return {}
        return {"name": customer.full_name, "postal_code": customer.postal_code, "prefecture": customer.prefecture,
                "city": "", "line1": customer.address, "line2": "", "phone": customer.phone}

    def order_touchpoints(self, item: _Planned) -> list[CustomerEvent]:
        rng = self.rng
        customer, order, channel = item.customer, item.order, item.channel
        subject = order_subject(order.number)
        events = []
        if channel.kind == ChannelKind.POS:
            events.append(CustomerEvent(customer=customer, kind=EventKind.STORE_VISIT, channel=channel,
                                        location=item.location, occurred_at=item.placed_at - timedelta(minutes=12)))
        elif channel.kind in (ChannelKind.WEB, ChannelKind.APP):
            for variant, _quantity in item.lines:
                for _n in range(rng.randint(1, 3)):
                    events.append(CustomerEvent(
                        customer=customer, kind=EventKind.PRODUCT_VIEWED, channel=channel,
                        occurred_at=item.placed_at - timedelta(minutes=rng.uniform(2, 600)),
                        subject=product_subject(variant.product.code), data={"sku": variant.sku}))
        events.append(CustomerEvent(customer=customer, kind=EventKind.ORDER_PLACED, channel=channel,
                                    location=item.location, occurred_at=item.placed_at, subject=subject,
                                    data={"total": order.total, "method": item.method, "lines": len(item.lines)}))
        if customer.email and channel.kind != ChannelKind.POS:
            events.append(CustomerEvent(customer=customer, kind=EventKind.EMAIL_SENT, channel=channel,
                                        occurred_at=item.placed_at + timedelta(seconds=30),
                                        subject=f"{subject}:confirmation"))
        if item.method == FulfillmentMethod.PICKUP and channel.kind != ChannelKind.POS:
            events.append(CustomerEvent(customer=customer, kind=EventKind.ORDER_READY, channel=channel,
                                        location=item.location, occurred_at=item.ready_at, subject=subject,
                                        data={"pickup_code": item.fulfillment.pickup_code}))
            events.append(CustomerEvent(customer=customer, kind=EventKind.EMAIL_SENT, channel=channel,
                                        occurred_at=item.ready_at + timedelta(seconds=30),
                                        subject=f"{subject}:ready"))
            events.append(CustomerEvent(customer=customer, kind=EventKind.STORE_VISIT, channel=channel,
                                        location=item.location, occurred_at=item.closed_at - timedelta(minutes=3)))
            events.append(CustomerEvent(customer=customer, kind=EventKind.PICKUP_COMPLETED, channel=channel,
                                        location=item.location, occurred_at=item.closed_at, subject=subject,
                                        data={"total": order.total}))
        elif item.method == FulfillmentMethod.SHIP:
            events.append(CustomerEvent(customer=customer, kind=EventKind.ORDER_SHIPPED, channel=channel,
                                        location=item.location, occurred_at=item.closed_at, subject=subject,
                                        data={"tracking_number": f"{rng.randrange(10**11, 10**12)}"}))
        return events

    def seed_touchpoints(self) -> None:
        """Browsing without buying, store visits, and campaign emails to opted-in customers."""
        rng = self.rng
        web, app = self.channels["web"], self.channels["app"]
        events = []
        span = (self.now - self.window_start).total_seconds() - 60
        for customer in self.customers:
            for _n in range(rng.choices([0, 1, 2, 4], weights=[30, 35, 20, 15])[0]):
                at = self.window_start + timedelta(seconds=rng.uniform(0, span))
                if at <= customer.created_at:
                    continue
                variant = self.pick_variant()
                events.append(CustomerEvent(customer=customer, kind=EventKind.PRODUCT_VIEWED,
                                            channel=rng.choice([web, web, app]), occurred_at=at,
                                            subject=product_subject(variant.product.code), data={"sku": variant.sku}))
            if customer.favourite_location_id and rng.random() < 0.4:
                at = self.window_start + timedelta(seconds=rng.uniform(0, span))
                if at > customer.created_at:
                    events.append(CustomerEvent(customer=customer, kind=EventKind.STORE_VISIT,
                                                location=customer.favourite_location, occurred_at=at))
        recipients = [c for c in self.customers if c.id in self.email_opted_in]
        for days_ago, subject in CAMPAIGNS:
            if days_ago > self.days:
                continue
            sent = self.today_start - timedelta(days=days_ago) + timedelta(hours=10)
            for customer in recipients:
                if customer.created_at >= sent:
                    continue
                events.append(CustomerEvent(customer=customer, kind=EventKind.EMAIL_SENT, occurred_at=sent,
                                            subject=subject))
                if rng.random() < 0.35:
                    opened = sent + timedelta(minutes=rng.uniform(5, 2000))
                    events.append(CustomerEvent(customer=customer, kind=EventKind.EMAIL_OPENED, occurred_at=opened,
                                                subject=subject))
                    if rng.random() < 0.3:
                        events.append(CustomerEvent(customer=customer, kind=EventKind.EMAIL_CLICKED,
                                                    occurred_at=opened + timedelta(seconds=rng.uniform(3, 120)),
                                                    subject=subject))
        CustomerEvent.objects.bulk_create(events, batch_size=2000)

    def seed_open_orders(self) -> None:
        """Today's open orders placed through orders.services, so their reservations are real:
        pickups waiting at the stores (some ready) and deliveries waiting at the warehouse."""
        rng = self.rng
        placed = []
        online = [self.channels[code] for code in ("web", "app", "phone")]
        per_store = 2 if self.n_customers >= 200 else 1
        for store in self.stores:
            for _n in range(per_store):
                candidates = [v for v in self.variants if self.on_hand.get((v.id, store.id), 0) >= 3]
                if not candidates:
                    continue
                variant = rng.choice(candidates)
                customer = self.pick_customer(self.now) or self.customers[0]
                order = orders.order_place(
                    channel=rng.choice(online), customer=customer, lines=[orders.LineIn(variant.sku, 1)],
                    fulfillment=orders.FulfillmentIn(FulfillmentMethod.PICKUP, store.code),
                )
                self.repeatable_pickup_code(order)
                placed.append(order)
                if rng.random() < 0.5:
                    orders.fulfillment_mark_ready(fulfillment=order.fulfillments.get(),
                                                  acting_user=self.staff.get(store.code))
        # Hanako's order is ready at 渋谷店.
        shibuya = self.locations["shibuya"]
        candidates = [v for v in self.variants if self.on_hand.get((v.id, shibuya.id), 0) >= 3]
        if candidates:
            order = orders.order_place(channel=self.channels["web"], customer=self.hanako,
                                       lines=[orders.LineIn(rng.choice(candidates).sku, 1)],
                                       fulfillment=orders.FulfillmentIn(FulfillmentMethod.PICKUP, "shibuya"))
            self.repeatable_pickup_code(order)
            orders.fulfillment_mark_ready(fulfillment=order.fulfillments.get(), acting_user=self.staff.get("shibuya"))
        for code in ("web", "app", "hare-ichiba", "social", "phone"):
            customer = self.pick_customer(self.now) or self.customers[0]
            variant = rng.choice(self.variants)
            orders.order_place(
                channel=self.channels[code], customer=customer, lines=[orders.LineIn(variant.sku, 1)],
                fulfillment=orders.FulfillmentIn(FulfillmentMethod.SHIP, WAREHOUSE_CODE,
                                                 address=self.address_of(customer)),
                payment_method=PaymentMethod.MARKETPLACE if code == "hare-ichiba" else None,
            )
