"""campaigns.mime writes a campaign email in one pass: the same message Django's email package
would build, read back by a standard parser."""

import email
import email.policy

from django.core.mail import EmailMultiAlternatives

from campaigns.mime import CampaignEmail, email_bytes

SUBJECT = "秋の新作のご案内：ミナト商店から、とても長い件名が折り返されても正しく読めることを確かめます"
TEXT = "山田 花子 様\n\nいつもありがとうございます。\n" * 20 + "https://shop.example.jp/c/abc?utm_source=email\n"
HTML = "<p>山田 花子 様</p>" + "<p>いつもありがとうございます。<a href=\"https://shop.example.jp/c/abc\">見る</a></p>" * 40
HEADERS = {"List-Unsubscribe": "<https://shop.example.jp/consent/unsubscribe/" + "a" * 120 + "/>",
           "List-Unsubscribe-Post": "List-Unsubscribe=One-Click", "Message-ID": "<abc123@example.jp>"}


def lf(text: str) -> str:
    return text.replace("\r\n", "\n")


def parse(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_the_bytes_read_back_as_the_message_django_would_build():
    ours = CampaignEmail(subject=SUBJECT, body=TEXT, to=["hanako@example.jp"], headers=HEADERS,
                         from_email="ミナト商店 <shop@example.jp>")
    ours.attach_alternative(HTML, "text/html")
    django = EmailMultiAlternatives(subject=SUBJECT, body=TEXT, to=["hanako@example.jp"], headers=HEADERS,
                                    from_email="ミナト商店 <shop@example.jp>")
    django.attach_alternative(HTML, "text/html")
    raw = ours.raw()
    mine, theirs = parse(raw), parse(django.message().as_bytes(policy=email.policy.SMTP))
    for name in ("Subject", "From", "To", "Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post", "MIME-Version"):
        assert str(mine[name]) == str(theirs[name]), name
    assert mine.get_content_type() == "multipart/alternative"
    for kind in ("plain", "html"):  # ours in the canonical form of text (CRLF line ends, RFC 2045 6.8)
        assert lf(mine.get_body((kind,)).get_content()) == lf(theirs.get_body((kind,)).get_content())
    assert raw.isascii() and b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert all(len(line) <= 78 for line in raw.split(b"\r\n\r\n")[0].split(b"\r\n") if not line.startswith(b"List-"))
    # the backends that want a message object get the same bytes parsed
    assert ours.message()["Subject"] == SUBJECT


def test_a_text_only_message_and_an_ascii_body():
    raw = email_bytes(from_email="shop@example.jp", to="ken@example.jp", subject="Sale", text="Hello\nWorld")
    message = parse(raw)
    assert message.get_content_type() == "text/plain" and message["Content-Transfer-Encoding"] == "7bit"
    assert message.get_content().replace("\r\n", "\n").strip() == "Hello\nWorld"
    assert message["Message-ID"]
