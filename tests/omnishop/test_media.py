"""/media/ in the embedded setup: uploaded files are served so that none of them can run on the
site's origin (issue 6, defect 2). Files are written straight into MEDIA_ROOT, as files stored
before the upload rule existed (or put there by hand) would be."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

pytestmark = pytest.mark.django_db  # the 404 page is rendered with the brand kit

SANDBOX = "sandbox; default-src 'none'"
POLYGLOT = b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00;*/=alert(document.domain)//<script>alert(1)</script>"


def write(name: str, content: bytes) -> Path:
    path = Path(settings.MEDIA_ROOT) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "#1f4e79").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("name", ["products/1/x.html", "products/1/x.js", "products/1/x.svg", "products/1/x.gif",
                                  "products/1/noextension"])
def test_anything_but_a_stored_image_type_is_a_sandboxed_download(client, name):
    write(name, POLYGLOT)
    response = client.get(f"/media/{name}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Security-Policy"] == SANDBOX
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert b"".join(response.streaming_content) == POLYGLOT


@pytest.mark.parametrize("name, content_type", [("logos/mark.png", "image/png"), ("p/photo.JPG", "image/jpeg"),
                                                ("p/photo.jpeg", "image/jpeg"), ("p/photo-480.webp", "image/webp")])
def test_images_keep_their_type_and_display_but_are_sandboxed(client, name, content_type):
    write(name, png_bytes())
    response = client.get(f"/media/{name}")
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert "Content-Disposition" not in response
    assert response["Content-Security-Policy"] == SANDBOX
    assert response["X-Content-Type-Options"] == "nosniff"
    # public by design: the brand logo is embedded in customers' emails, read in webmail's own origin
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"


def test_head_and_conditional_get_work(client):
    write("logos/mark.png", png_bytes())
    head = client.head("/media/logos/mark.png")
    assert head.status_code == 200 and head["Content-Type"] == "image/png"
    again = client.get("/media/logos/mark.png", HTTP_IF_MODIFIED_SINCE=head["Last-Modified"])
    assert again.status_code == 304
    assert client.post("/media/logos/mark.png").status_code == 405


@pytest.mark.parametrize("url", [
    "/media/../secret.txt",
    "/media/%2e%2e/secret.txt",
    "/media/..%2fsecret.txt",
    "/media/logos/../../secret.txt",
    "/media//etc/passwd",
    "/media/logos",  # a folder: no listing
    "/media/missing.png",
])
def test_paths_outside_media_root_folders_and_missing_files_are_404(client, url):
    (Path(settings.MEDIA_ROOT).parent / "secret.txt").write_text("secret")
    write("logos/mark.png", png_bytes())
    assert client.get(url).status_code == 404


def test_a_symbolic_link_out_of_media_root_is_404(client):
    secret = Path(settings.MEDIA_ROOT).parent / "secret.txt"
    secret.write_text("secret")
    write("logos/mark.png", png_bytes())
    (Path(settings.MEDIA_ROOT) / "logos" / "leak.png").symlink_to(secret)
    assert client.get("/media/logos/leak.png").status_code == 404


@pytest.mark.parametrize("path", ["../secret.txt", "logos/../../secret.txt", "/etc/passwd", "logos/\x00.png"])
def test_the_view_itself_refuses_paths_outside_media_root(rf, path):
    from django.http import Http404

    from kernel import media

    (Path(settings.MEDIA_ROOT).parent / "secret.txt").write_text("secret")
    write("logos/mark.png", png_bytes())
    with pytest.raises(Http404):
        media.serve(rf.get("/media/x"), path)
