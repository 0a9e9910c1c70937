"""The demo brand ミナト商店 / MINATO's kit as data: ``services.brandkit_seed_default`` creates
it once through the services (a complete, published kit the demo and the tests use). Its
typography is the one every new kit starts from (``sections.DEFAULT_TYPOGRAPHY``)."""

from .models import RuleKind, Severity
from .sections import RuleIn

DEFAULT_BRAND = {"name": "ミナト商店 / MINATO", "slug": "minato"}

DEFAULT_IDENTITY = {
    "brand_name": "ミナト商店",
    "brand_name_en": "MINATO",
    "tagline": "港町から、毎日の定番を。",
    "mission": "長く使える日用品と衣料を、店でもオンラインでも同じ心地よさで届ける。",
    "vision": "どの窓口でも「いつものミナト」に会える小売。",
    "values": ["誠実", "長持ち", "地域とともに"],
    "story": "横浜の港町で1987年に創業した小さな衣料店から始まり、今は全国の店舗とオンラインストアで"
             "暮らしの定番をお届けしています。",
    "legal_name": "株式会社ミナト商店",  # the seller on receipts (orders.selectors.invoice_seller_name)
    "legal_footer": "株式会社ミナト商店 〒231-0001 神奈川県横浜市中区新港1-1",
}

DEFAULT_TONE = {
    "attributes": [
        {"name": "親しみやすい（でも軽すぎない）", "description": "隣で話しかけるように、丁寧語で。",
         "do": ["今週は麻のシャツが入荷しました。"], "dont": ["マジ神アイテム入荷ｷﾀ━！！"]},
        {"name": "誠実", "description": "誇張せず、事実と根拠を書く。",
         "do": ["洗濯機で洗えます（ネット使用）。"], "dont": ["絶対に縮まない最強素材！"]},
        {"name": "簡潔", "description": "一文は短く、要点から。",
         "do": ["本日20時まで送料無料。"], "dont": ["さて、皆さまに本日はとっておきのお知らせがございまして…"]},
    ],
    "channels": {
        "sms": "さらに短く、絵文字なし。署名を必ず入れる。",
        "social": "少しくだけた口調も可。絵文字は1つまで。",
        "email": "件名は30字以内。配信停止リンクと会社情報を必ず入れる。",
        "pop": "遠くから読める短い見出しと価格。",
    },
}

DEFAULT_PALETTE = {
    "primary": "#1F4E79", "secondary": "#5B6B7A", "accent": "#C8553D", "background": "#FAFAF7",
    "surface": "#FFFFFF", "text": "#1D232A", "success": "#2E7D32", "warning": "#8A5A00", "danger": "#B3261E",
}
PALETTE_NAMES = {"primary": "港の藍", "accent": "煉瓦", "background": "生成り", "text": "墨"}

DEFAULT_CHANNEL_RULES = {
    "*": {"exclamation_max": 1},
    "web": {"max_length": 1000, "emoji": False},
    "email": {"max_length": 5000, "required": ["unsubscribe", "legal_footer"], "exclamation_max": 1},
    "sms": {"max_length": 70, "emoji": False, "exclamation_max": 0},
    "social": {"max_length": 280, "exclamation_max": 2},
    "pop": {"max_length": 40, "emoji": False, "exclamation_max": 0},
    "postcard": {"max_length": 300, "required": ["legal_footer"]},
}

DEFAULT_TEMPLATES = {
    "email": {"layout": "ロゴ → 見出し → 本文 → ボタン（プライマリ）→ 配信停止リンク → 会社情報",
              "footer": "このメールは送信専用です。お問い合わせは各店舗またはウェブサイトまでお寄せください。"},
    "sms": {"signature": "【ミナト商店】"},
    "social": {"card": "商品写真を左、見出しと価格を右。ロゴは右下。"},
    "pop": {"sign": "A4縦。見出し24字以内、税込価格を大きく。"},
    "postcard": {"layout": "はがき横。表面に季節の写真、裏面に宛名と会社情報。"},
}

DEFAULT_RULES = [
    RuleIn(RuleKind.BANNED, "激安", message="「激安」は使わない（価格訴求はお得・特価で）。", severity=Severity.ERROR),
    RuleIn(RuleKind.BANNED, "最強", message="誇張表現は使わない。", severity=Severity.ERROR),
    RuleIn(RuleKind.BANNED, "絶対", message="断定的な表現は避ける。", severity=Severity.WARNING),
    RuleIn(RuleKind.BANNED, "日本一", message="根拠のない最上級表現は景品表示法のリスク。", severity=Severity.ERROR),
    RuleIn(RuleKind.PREFERRED, "お客", "お客様"),
    RuleIn(RuleKind.PREFERRED, "コンピュータ", "コンピューター"),
    RuleIn(RuleKind.PREFERRED, "メイル", "メール"),
    RuleIn(RuleKind.PREFERRED, "出来ます", "できます"),
    RuleIn(RuleKind.PREFERRED, "下さい", "ください"),
    RuleIn(RuleKind.PREFERRED, "様々", "さまざま", severity=Severity.INFO),
    RuleIn(RuleKind.SPELLING, "ミナトショウテン", "ミナト商店"),
    RuleIn(RuleKind.SPELLING, "Minato", "MINATO"),
    RuleIn(RuleKind.PATTERN, r"送料\s*無料[!！]+", "送料無料", message="送料無料に感嘆符を付けない。"),
    RuleIn(RuleKind.PATTERN, r"[0-9]+%\s*OFF", message="割引は「◯%オフ」と書く。"),
]

DEFAULT_UGC = ("インフルエンサー・UGC：PR表記（#PR #ミナト商店提供）を必ず入れる。効能・効果の断定は禁止。"
               "写真の人物は本人の許可を得たものだけ。")
