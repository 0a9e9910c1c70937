"""The domain events the campaigns domain publishes (kernel.events), declared on CampaignsConfig.

Journeys and analytics subscribe to these; a message's open and a followed link are facts at the
time they happened, with the ids a consumer needs without reading back."""

from dataclasses import dataclass

from kernel.events import EventType


@dataclass(frozen=True)
class MessageOpened:
    """A recipient's email was opened (its pixel was fetched). ``machine``: fetched by a mail
    privacy proxy or a scanner, not a person (recorded, never counted as an open)."""

    campaign_id: int
    recipient_id: int
    customer_id: int
    channel: str  # MessageChannel
    machine: bool
    first: bool  # the recipient's first (human) open


@dataclass(frozen=True)
class LinkClicked:
    """A recipient followed a campaign's link: a click in a message, a banner, or a QR code on a
    printed piece scanned (``channel`` says which). ``link_id``: the short link (/r/<code>)."""

    campaign_id: int
    recipient_id: int
    customer_id: int
    channel: str  # MessageChannel
    url: str  # the target, before the UTM parameters were added
    link_id: int | None
    machine: bool
    first: bool  # the recipient's first (human) click


MESSAGE_OPENED = EventType("campaigns.message_opened", MessageOpened)
LINK_CLICKED = EventType("campaigns.link_clicked", LinkClicked)

EVENT_TYPES = [MESSAGE_OPENED, LINK_CLICKED]


@dataclass(frozen=True)
class CustomEvent:
    """Something a customer did that another system (or staff) tells about by name (the API's
    journey events: ``{"name": "app_installed"}``): what a journey with a custom-event trigger
    starts on."""

    customer_id: int
    name: str
    data: dict


CUSTOM_EVENT = EventType("campaigns.custom_event", CustomEvent)
EVENT_TYPES.append(CUSTOM_EVENT)
