"""A small marketing world built through the services: the demo brand kit, two HQ marketers, a
segment of Tokyo customers with different consents, and a helper that writes a campaign."""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from brandkit.services import brandkit_seed_default
from campaigns import services
from customers import segments
from customers.consent import consent_grant, consent_withdraw
from customers.models import Customer, Segment
from customers.services import customer_create
from kernel import roles


@dataclass
class World:
    author: object
    approver: object
    segment: Segment
    people: dict[str, Customer] = field(default_factory=dict)


def tokyo_rules() -> dict:
    return segments.rules_clean({"groups": [{"conditions": [
        {"field": "prefecture", "operator": "in", "value": ["13"]}]}]})


def build_world() -> World:
    brandkit_seed_default()
    User = get_user_model()
    author = User.objects.create_user("marketer-a@example.jp", "pass-Word-123", display_name="企画 A")
    approver = User.objects.create_user("marketer-b@example.jp", "pass-Word-123", display_name="承認 B")
    for user in (author, approver):
        roles.assign_role(user, roles.HQ_MARKETER)
    people = {
        "hanako": customer_create(email="hanako@example.jp", family_name="山田", given_name="花子",
                                  prefecture="13", phone="090-1234-5678", language="ja"),
        "ken": customer_create(email="ken@example.jp", family_name="Tanaka", given_name="Ken", prefecture="13",
                               language="en"),
        "silent": customer_create(email="silent@example.jp", family_name="佐藤", given_name="一郎", prefecture="13"),
        "left": customer_create(email="left@example.jp", family_name="鈴木", given_name="次郎", prefecture="13"),
        "osaka": customer_create(email="osaka@example.jp", family_name="大阪", given_name="太郎", prefecture="27"),
    }
    for name in ("hanako", "ken", "left", "osaka"):
        consent_grant(customer=people[name], channel="email", source="storefront")
    consent_withdraw(customer=people["left"], channel="email", source="unsubscribe")
    segment = segments.segment_create(name="東京の顧客", rules=tokyo_rules())
    return World(author=author, approver=approver, segment=segment, people=people)


EMAIL_BODY = ("{{ name_honorific }}\n\nいつもミナト商店をご利用いただきありがとうございます。\n"
              "秋の新作リネンシャツが入荷しました。")


def write_campaign(world: World, *, name: str = "秋の新作", channels=("email",), body: str = EMAIL_BODY,
                   **fields):
    campaign = services.campaign_create(name=name, acting_user=world.author, segments=[world.segment], **fields)
    for channel in channels:
        services.message_set(campaign=campaign, channel=channel, language="ja", acting_user=world.author,
                             subject="秋の新作のご案内" if channel == "email" else "",
                             body=body if channel == "email" else "秋の新作が入荷しました。",
                             cta_label="新作を見る", cta_url="/products/")
    return campaign


def approved(world: World, campaign):
    services.campaign_submit(campaign=campaign, acting_user=world.author)
    return services.campaign_approve(campaign=campaign, acting_user=world.approver)
