"""Ready-made journeys: the relationships the seed articles describe, each a working journey with
its steps and its messages in Japanese and English, made through the same services as one built
by hand (``journey_from_template``), ready to activate on the demo data. A marketer starts from
one and edits it."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .journeys import journey_create, step_add
from .models import Campaign
from .models_journeys import Journey, JourneyStep
from .offers import offer_create
from .services import message_set


@dataclass(frozen=True)
class Message:
    channel: str
    ja: tuple[str, str]  # subject, body
    en: tuple[str, str]
    cta: tuple[str, str, str] = ("", "", "")  # label ja, label en, link


@dataclass(frozen=True)
class Step:
    kind: str
    name: str
    config: dict = field(default_factory=dict)
    messages: tuple[Message, ...] = ()
    offer: tuple[str, str, int] | None = None  # name, kind, value
    no: tuple["Step", ...] = ()  # a branch's "no" side; its "yes" side is what follows it


@dataclass(frozen=True)
class Template:
    key: str
    name: str
    description: str
    trigger: str
    steps: tuple[Step, ...]
    trigger_config: dict = field(default_factory=dict)
    purpose: str = "marketing"
    goal: str = ""
    reentry: str = "after_exit"
    reentry_days: int = 30
    cap_messages: int | None = None


def _email(ja_subject, ja_body, en_subject, en_body, cta=("", "", "")) -> Message:
    return Message("email", (ja_subject, ja_body), (en_subject, en_body), cta)


def _sms(ja_body, en_body) -> Message:
    return Message("sms", ("", ja_body), ("", en_body))


DAY = 24 * 60

TEMPLATES = (
    Template(
        key="welcome", name="ようこそシリーズ", trigger="signed_up", reentry="once",
        description=_("Greet a new member, ask what they like, and thank them: a welcome code if they have not "
                      "ordered within a week."),
        steps=(
            Step("send", "ご挨拶", {"channel": "email"}, messages=(_email(
                "{{ brand_name }}へようこそ",
                "{{ name_honorific }}\n\n会員登録をいただき、ありがとうございます。\n"
                "お近くの店舗での受け取りや、店舗での返品もご利用いただけます。",
                "Welcome to {{ brand_name }}",
                "{{ name_honorific }}\n\nThank you for joining us.\n"
                "You can collect online orders in our stores and return them there too.",
                ("ストアを見る", "Visit the shop", "/products/")),)),
            Step("wait", "3日後", {"minutes": 3 * DAY, "at": "10:00"}),
            Step("send", "お好みを伺う", {"channel": "email"}, messages=(_email(
                "{{ name_honorific }}のお好みをお聞かせください",
                "{{ name_honorific }}\n\nサイズやお気に入りの店舗をご登録いただくと、"
                "在庫のあるお店やおすすめをご案内できます。",
                "Tell us what you like",
                "{{ name_honorific }}\n\nSave your sizes and favourite store, and we will show you where "
                "your size is in stock.",
                ("登録する", "Set my preferences", "/account/")),)),
            Step("wait", "7日後", {"minutes": 7 * DAY, "at": "10:00"}),
            Step("branch", "注文済み?", {"condition": "ordered_since_entry"},
                 no=(Step("offer", "ようこそクーポン", offer=("ようこそクーポン 10%", "percent", 10)),
                     Step("send", "クーポンのお届け", {"channel": "email"}, messages=(_email(
                         "はじめてのお買い物に10%オフ",
                         "{{ name_honorific }}\n\nはじめてのお買い物にお使いいただけるクーポンです。\n"
                         "コード: {{ offer_code }}",
                         "10% off your first order",
                         "{{ name_honorific }}\n\nHere is a code for your first order.\nCode: {{ offer_code }}",
                         ("買い物をする", "Shop now", "/products/")),)))),
            Step("send", "お礼", {"channel": "email"}, messages=(_email(
                "ご利用ありがとうございます",
                "{{ name_honorific }}\n\nお買い上げありがとうございます。これからもよろしくお願いいたします。",
                "Thank you",
                "{{ name_honorific }}\n\nThank you for shopping with us.",),)),
        )),
    Template(
        key="abandoned_cart", name="カート放棄リマインド", trigger="cart_abandoned", trigger_config={"hours": 3},
        goal="order_placed", reentry="after_days", reentry_days=7,
        description=_("Three hours after a cart was left: an email, and an SMS a day later if it was not opened; "
                      "leaves as soon as they order."),
        steps=(
            Step("branch", "カートに商品あり?", {"condition": "cart_has_items"}, no=(Step("exit", "終了"),)),
            Step("send", "カートのお知らせ", {"channel": "email", "fallback_channel": "sms", "fallback_hours": 24},
                 messages=(
                     _email("カートに商品が残っています",
                            "{{ name_honorific }}\n\nカートにお選びいただいた商品が残っています。"
                            "在庫には限りがありますので、お早めにご確認ください。",
                            "You left something in your cart",
                            "{{ name_honorific }}\n\nThe items you chose are still in your cart. "
                            "Stock is limited.",
                            ("カートを見る", "View my cart", "/cart/")),
                     _sms("カートに商品が残っています。ご確認はこちら",
                          "Your cart is waiting for you."))),
        )),
    Template(
        key="back_in_stock", name="再入荷のお知らせ", trigger="back_in_stock", purpose="service",
        description=_("Tells each customer who asked to be told, once, when their size is back (in their store, "
                      "if they chose one); not if it sold out again before the message."),
        steps=(
            Step("send", "再入荷のお知らせ", {"channel": "email"}, messages=(_email(
                "{{ product_name }}が再入荷しました",
                "{{ name_honorific }}\n\nお待たせしました。{{ product_name }}が入荷しました。"
                "{% if store_name %}\n{{ store_name }}でお求めいただけます。{% endif %}",
                "{{ product_name }} is back",
                "{{ name_honorific }}\n\n{{ product_name }} is back in stock."
                "{% if store_name %}\nAvailable at {{ store_name }}.{% endif %}",
                ("商品を見る", "See the product", "/products/")),)),
        )),
    Template(
        key="pickup_reminder", name="受け取りリマインド", trigger="ready_for_pickup", purpose="service",
        goal="order_collected",
        description=_("A reminder the day after an order is ready in store, and a warning two days later that it "
                      "will be cancelled if not collected; ends when it is collected."),
        steps=(
            Step("wait", "翌日", {"minutes": DAY, "at": "10:00"}),
            Step("send", "受け取りのご案内", {"channel": "email"}, messages=(_email(
                "ご注文 {{ order_number }} をお受け取りいただけます",
                "{{ name_honorific }}\n\nご注文 {{ order_number }} は{{ store_name }}でお受け取りいただけます。"
                "受け取りの際はマイページの受け取りコードをお見せください。",
                "Your order {{ order_number }} is ready",
                "{{ name_honorific }}\n\nYour order {{ order_number }} is ready at {{ store_name }}. "
                "Show your pickup code from your account.",
                ("注文を確認", "View my order", "/account/orders/")),)),
            Step("wait", "2日後", {"minutes": 2 * DAY, "at": "10:00"}),
            Step("send", "未受け取りのお知らせ", {"channel": "email", "fallback_channel": "sms", "fallback_hours": 24},
                 messages=(
                     _email("ご注文 {{ order_number }} がまだ受け取られていません",
                            "{{ name_honorific }}\n\nご注文 {{ order_number }} をお預かりしています。"
                            "受け取り期限を過ぎるとキャンセルとなりますので、{{ store_name }}へお越しください。",
                            "Your order {{ order_number }} is still waiting",
                            "{{ name_honorific }}\n\nYour order {{ order_number }} is still waiting at "
                            "{{ store_name }}. It will be cancelled if it is not collected in time.",
                            ("注文を確認", "View my order", "/account/orders/")),
                     _sms("ご注文{{ order_number }}が店舗でお待ちしています。期限を過ぎるとキャンセルになります。",
                          "Order {{ order_number }} is waiting in store. Please collect it soon."))),
        )),
    Template(
        key="review_request", name="購入後のレビュー依頼", trigger="order_placed",
        description=_("A week after an order, ask how it went."),
        steps=(
            Step("wait", "7日後", {"minutes": 7 * DAY, "at": "11:00"}),
            Step("send", "レビューのお願い", {"channel": "email"}, messages=(_email(
                "ご購入の商品はいかがでしたか",
                "{{ name_honorific }}\n\nご注文 {{ order_number }} の商品はいかがでしたか。"
                "ご感想をお聞かせいただけると嬉しいです。",
                "How was your order?",
                "{{ name_honorific }}\n\nHow was your order {{ order_number }}? We would love to hear.",
                ("感想を書く", "Write a review", "/account/orders/")),)),
        )),
    Template(
        key="birthday", name="お誕生日クーポン", trigger="birthday", trigger_config={"days_before": 0},
        reentry="after_days", reentry_days=300,
        description=_("On their birthday, a personal code."),
        steps=(
            Step("offer", "誕生日クーポン", offer=("お誕生日クーポン 500円", "fixed", 500)),
            Step("send", "お誕生日おめでとう", {"channel": "email"}, messages=(_email(
                "{{ name_honorific }}、お誕生日おめでとうございます",
                "{{ name_honorific }}\n\nお誕生日おめでとうございます。"
                "ささやかですが、500円分のクーポンをお贈りします。\nコード: {{ offer_code }}",
                "Happy birthday, {{ given_name }}",
                "{{ name_honorific }}\n\nHappy birthday. Here is ¥500 off your next order.\n"
                "Code: {{ offer_code }}",
                ("買い物をする", "Shop now", "/products/")),)),
        )),
    Template(
        key="win_back", name="休眠顧客の呼び戻し", trigger="inactive", trigger_config={"days": 90},
        goal="order_placed", reentry="after_days", reentry_days=180,
        description=_("Ninety days without an order: a code by email, by SMS three days later if it was not "
                      "opened."),
        steps=(
            Step("offer", "おかえりクーポン", offer=("おかえりクーポン 15%", "percent", 15)),
            Step("send", "おかえりなさい", {"channel": "email", "fallback_channel": "sms", "fallback_hours": 72},
                 messages=(
                     _email("{{ name_honorific }}、お久しぶりです",
                            "{{ name_honorific }}\n\nしばらくお会いできていませんね。"
                            "新作が揃っています。15%オフのクーポンをご用意しました。\nコード: {{ offer_code }}",
                            "We miss you",
                            "{{ name_honorific }}\n\nIt has been a while. Here is 15% off.\nCode: {{ offer_code }}",
                            ("新作を見る", "See what is new", "/products/")),
                     _sms("お久しぶりです。15%オフのクーポン {{ offer_code }} をご用意しました。",
                          "We miss you: 15% off with {{ offer_code }}."))),
        )),
)
TEMPLATES_BY_KEY = {template.key: template for template in TEMPLATES}


def _write_step(journey: Journey, spec: Step, acting_user, after: JourneyStep | None, branch: str = "yes"
                ) -> JourneyStep:
    offer = None
    if spec.offer is not None:
        name, kind, value = spec.offer
        offer = offer_create(acting_user=acting_user, name=name, kind=kind, value=value)
    step = step_add(journey=journey, acting_user=acting_user, kind=spec.kind, name=spec.name, config=spec.config,
                    offer=offer, after=after, branch=branch)
    if spec.messages:
        Campaign.objects.filter(pk=step.campaign_id).update(utm_campaign=f"journey-{journey.template}"[:60])
    for message in spec.messages:
        for language, (subject, body) in (("ja", message.ja), ("en", message.en)):
            label = message.cta[0] if language == "ja" else message.cta[1]
            message_set(campaign=step.campaign, channel=message.channel, language=language, body=body,
                        subject=subject, acting_user=acting_user, cta_label=label,
                        cta_url=message.cta[2] if label else "")
    return step


@transaction.atomic
def journey_from_template(*, key: str, acting_user, name: str = "") -> Journey:
    """A draft journey made from a ready-made one: its steps, offers and messages."""
    template = TEMPLATES_BY_KEY[key]
    journey = journey_create(acting_user=acting_user, name=name or template.name, trigger=template.trigger,
                             trigger_config=dict(template.trigger_config), template=key,
                             description=str(template.description), purpose=template.purpose, goal=template.goal,
                             reentry=template.reentry, reentry_days=template.reentry_days,
                             cap_messages=template.cap_messages)
    after = None
    for spec in template.steps:
        step = _write_step(journey, spec, acting_user, after)
        if spec.kind == "branch":
            no_after, no_branch = step, "no"
            for no_spec in spec.no:
                no_after = _write_step(journey, no_spec, acting_user, no_after, no_branch)
                no_branch = "yes"
        after = step
    journey.refresh_from_db()
    return journey

