"""The demo brand's data tables: its logins, places and channels, catalogue, people and the
shape of its trade. ``omnishop.demo`` turns them into the shop through the services; nothing
here writes."""

from dataclasses import dataclass

from kernel import roles
from kernel.models import ChannelKind, LocationKind

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

# Share of historical orders per channel kind (POS spread over the stores).
CHANNEL_WEIGHTS = {ChannelKind.WEB: 30, ChannelKind.APP: 14, ChannelKind.POS: 38, ChannelKind.MARKETPLACE: 10,
                   ChannelKind.SOCIAL: 4, ChannelKind.PHONE: 4}
STORE_TRAFFIC = {"shibuya": 18, "umeda": 14, "yokohama": 10, "nagoya": 9, "tenjin": 8, "kyoto": 7, "sapporo": 6,
                 "sendai": 5, POPUP_CODE: 3}



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


# Why a customer called off a pickup (the reason staff type when they cancel an order).
CANCEL_REASONS = ("お客様から電話でキャンセル", "ご来店が難しくなったため", "別の店舗で購入済みのため")
# What staff note when they record a store visit on the customer's timeline (often nothing).
STORE_VISIT_NOTES = ("", "", "", "リネンシャツをご試着（M）", "ギフト包装のご相談", "土鍋の入荷をお問い合わせ",
                     "新作ニットをご覧になった")


# --- issue 8: profiles, identities, first-party events, duplicates, personas and segments ----

# The given names above that are usually men's (for the gender some customers tell us).
MASCULINE_GIVEN_NAMES = frozenset(kanji for kanji, _kana, _romaji in GIVEN_NAMES[20:])
# Interests a customer ticks in the preference centre: the catalogue's categories and a few materials.
INTEREST_MATERIALS = ("リネン", "藍染め", "有田焼")
# Shoe sizes (cm) customers tell us, by the usual ranges.
SHOE_SIZES_WOMEN = ("22.5", "23.0", "23.5", "24.0", "24.5", "25.0")
SHOE_SIZES_MEN = ("25.0", "25.5", "26.0", "26.5", "27.0", "27.5", "28.0")
BOTTOM_SIZES = ("61", "64", "67", "70", "73", "76", "79", "82")  # waist (cm)
# Loyalty cards: 16 digits starting with the brand's prefix; marketplace buyer ids on ハレマチ市場.
LOYALTY_CARD_PREFIX = "2926"
MARKETPLACE_CODE = "hare-ichiba"
IDENTITY_SOURCES = {"loyalty_card": "pos-card-issue", "line": "line-account-link", "marketplace": "hare-ichiba-order"}

# What app users search for (the official app sends page views, searches and product views).
SEARCH_TERMS = ("リネン", "シャツ", "土鍋", "煎茶", "マグカップ", "タオル", "藍染め", "ストール", "ほうじ茶", "有田焼",
                "ワンピース", "はちみつ")
BROWSER_USER_AGENT = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
                      "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1")

# Hanako, complete: the profile she filled in, her address book, her cards and her phone's browser.
HANAKO_PROFILE = {
    "city": "世田谷区", "birthday": (1988, 5, 14), "gender": "female", "language": "ja", "preferred_channel": "line",
    "sizes": {"tops": "M", "bottoms": "64", "shoes": "24.5"}, "interests": ["リネン", "食器", "お茶", "インテリア"],
}
HANAKO_ADDRESSES = [
    {"label": "自宅", "name": "山田 花子", "postal_code": "154-0004", "prefecture": "13", "city": "世田谷区",
     "line1": "太子堂2-1-1", "line2": "コーポ太子堂203", "phone": "090-5555-0123", "is_default": True},
    {"label": "勤務先", "name": "山田 花子", "postal_code": "150-0002", "prefecture": "13", "city": "渋谷区",
     "line1": "渋谷2-21-1", "line2": "オムニタワー12F 株式会社みなと企画", "phone": "03-5555-0188"},
]
HANAKO_LOYALTY_CARD = "2926-0000-0012-3456"
HANAKO_LINE_ID = "U4f1c2a9e7b3d4c5e6f708192a3b4c5d6"
HANAKO_BROWSER = "8c1f4e2a9b7d4e3f8a6c5b4d3e2f1a09"

# An old POS's member list imported a second time: the same people written differently.
LEGACY_SOURCE = "omnishop-demo: 旧POS会員データ"
LEGACY_CONSENT_SOURCE = "pos-signup"
GMAIL_LOCAL = "minato.demo.{given}.{family}"  # the dotted form; the POS's other record drops the dots

PERSONAS = [
    {
        "name": "都内のロイヤル顧客",
        "summary": "東京都内にお住まいで、渋谷店とオンラインストアを使い分けながら年に何度もお買い物くださる常連のお客様。",
        "goals": "長く使える良いものを、実物を確かめてから選びたい。新作や再入荷をいち早く知りたい。"
                 "店舗スタッフに顔を覚えてもらえる気安さも大切にしている。",
        "preferred_channels": ["email", "line"],
        "messages": "新作・再入荷の先行案内、店舗での取り置きや受け取りの便利さ、職人や産地の背景を伝えるストーリー。"
                    "値引きよりも、限定感と丁寧なご案内が響きます。",
    },
    {
        "name": "リネン好きの休眠顧客",
        "summary": "以前はリネンのシャツや寝具を繰り返し買ってくださったものの、ここしばらくご購入のないお客様。",
        "goals": "肌ざわりのよい天然素材で、季節を気持ちよく過ごしたい。手持ちのリネンに合わせやすいものを探している。",
        "preferred_channels": ["email", "postal"],
        "messages": "新色・新作リネンのご案内や、お手入れ・育て方の読みもの。「お久しぶりです」の一言に、"
                    "次回使えるクーポンを添えて再来店のきっかけに。",
    },
    {
        "name": "はじめての購入者",
        "summary": "最近はじめてお買い物をされたお客様。ブランドのことをまだよく知らない段階です。",
        "goals": "買った商品に満足したい。サイズ選びやお手入れで失敗したくない。次に何を選べばよいか知りたい。",
        "preferred_channels": ["email", "line"],
        "messages": "ご購入のお礼とお手入れガイド、購入品に合わせたおすすめ。会員カードや公式LINEのご登録特典で、"
                    "2回目のお買い物につなげます。",
    },
]

LOYAL_LABELS = ["champions", "loyal"]
KANTO = ["13", "14", "11", "12"]


def _condition(field: str, operator: str, value, **extras) -> dict:
    return {"field": field, "operator": operator, "value": value, **extras}


# (name, persona name or "", description, rules; None: a static list uploaded as a CSV)
SEGMENTS: list[tuple[str, str, str, dict | None]] = [
    ("都内のロイヤル顧客", "都内のロイヤル顧客", "東京都にお住まいで、RFM が「優良顧客」または「ロイヤル顧客」のお客様。",
     {"match": "all", "groups": [{"match": "all", "conditions": [
         _condition("prefecture", "in", ["13"]), _condition("rfm_segment", "in", LOYAL_LABELS)]}]}),
    ("リネン好きの休眠顧客", "リネン好きの休眠顧客",
     "興味のある分野にリネンを選び、最後のご購入から時間が経っている（RFM の R が 2 以下）お客様。",
     {"match": "all", "groups": [
         {"match": "any", "conditions": [_condition("interests", "any_of", ["リネン", "バス・リネン"])]},
         {"match": "all", "conditions": [_condition("rfm_r", "lte", 2)]}]}),
    ("はじめての購入者", "はじめての購入者", "ご購入が1回で、最近お買い物された（RFM の「新規顧客」「有望顧客」）お客様。",
     {"match": "all", "groups": [{"match": "all", "conditions": [
         _condition("rfm_segment", "in", ["new", "promising"])]}]}),
    ("関東のお茶好き（メール配信可）", "",
     "関東1都3県にお住まいで、90日以内にお茶を買い、購入金額の RFM が 3 以上、メールでのご案内に同意済みのお客様。",
     {"match": "all", "groups": [{"match": "all", "conditions": [
         _condition("prefecture", "in", KANTO), _condition("bought_category", "in_last_days", "お茶", days=90),
         _condition("rfm_m", "gte", 3), _condition("consent", "granted", "email", purpose="marketing")]}]}),
    ("渋谷店 内覧会ご招待リスト", "都内のロイヤル顧客",
     "渋谷店スタッフが選んだ、新作内覧会にご招待するお客様（CSV で登録した固定リスト）。", None),
]
STATIC_LIST_SIZE = 30


# --- campaigns (omnishop.demo: seed_campaigns) -----------------------------------------------------

# How the demo's customers' mail app fetches the open pixel (a person reading, not a proxy).
DEMO_MAIL_READER = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
                    "(KHTML, like Gecko) Mobile/15E148 Line/14.19.0")

DEMO_CAMPAIGN_NAMES = ["冬のご愛顧感謝祭", "春の新作リネンのご案内", "週末の渋谷店 限定セール"]

DEMO_CAMPAIGN_MESSAGES = [
    {"channel": "email", "language": "ja", "subject": "{{ name_honorific }}、冬のご愛顧感謝祭のご案内",
     "preheader": "ご愛顧に感謝して、店舗でもオンラインでも使えるクーポンをお届けします。",
     "body": "{{ name_honorific }}\n\nいつもミナト商店をご利用いただき、ありがとうございます。\n"
             "日頃のご愛顧に感謝して、3,000円以上のお買い物が10％OFFになるクーポンをお届けします。\n\n"
             "{% if favourite_store %}{{ favourite_store }}でも、オンラインストアでもお使いいただけます。"
             "{% else %}各店舗でも、オンラインストアでもお使いいただけます。{% endif %}\n"
             "{% if last_purchase %}先日お求めいただいた「{{ last_purchase }}」と合わせやすい冬の定番もそろえました。{% endif %}",
     "cta_label": "冬の定番を見る", "cta_url": "/products/", "include_recommendations": True},
    {"channel": "email", "language": "en", "subject": "{{ name_honorific }}, our winter thank-you",
     "preheader": "A coupon for the shop and the online store, with our thanks.",
     "body": "Dear {{ name_honorific }},\n\nThank you for shopping with MINATO. As a thank-you, here is 10% off "
             "any purchase of 3,000 yen or more, in our stores and online.",
     "cta_label": "See the winter staples", "cta_url": "/products/", "include_recommendations": True},
    {"channel": "onsite", "language": "ja", "subject": "冬のご愛顧感謝祭",
     "body": "{{ name_honorific }}、いつもありがとうございます。クーポンコード THANKS10 で3,000円以上のお買い物が10％OFFに。",
     "cta_label": "冬の定番を見る", "cta_url": "/products/", "include_recommendations": True},
    {"channel": "postcard", "language": "ja", "subject": "冬のご愛顧感謝祭、はじまります。",
     "body": "いつもミナト商店をご利用いただき、ありがとうございます。このはがきを店頭でご提示いただくか、"
             "オンラインストアでクーポンコードを入力すると、3,000円以上のお買い物が10％OFFになります。",
     "cta_url": "/products/"},
]

DEMO_SPRING_MESSAGES = [
    {"channel": "email", "language": "ja", "subject": "春の新作リネンが入荷しました",
     "body": "{{ name_honorific }}\n\n今年もリネンの季節がやってきました。洗うほどに柔らかくなる春の新作を、"
             "ぜひ店頭でお試しください。",
     "cta_label": "新作リネンを見る", "cta_url": "/products/"},
    {"channel": "line", "language": "ja", "body": "{{ name }}さん、春の新作リネンが入荷しました。店頭でもお試しいただけます。",
     "cta_url": "/products/"},
]

DEMO_WEEKEND_MESSAGES = [
    {"channel": "sms", "language": "ja", "body": "今週末は渋谷店限定セール。店頭で全品10%OFF。",
     "cta_url": "/products/"},
    {"channel": "pop", "language": "ja", "subject": "週末限定 全品10%OFF",
     "preheader": "土・日 2日間かぎり",
     "body": "渋谷店だけの週末セールです。レジでこのPOPのコードをお伝えください。"},
    {"channel": "social", "language": "ja", "subject": "週末は渋谷店へ",
     "preheader": "土・日 全品10%OFF",
     "body": "今週末は渋谷店限定セール。リネンのシャツもお茶も、全品10%OFFでお待ちしています。"},
]
