"""Image intake: the one rule every uploaded picture goes through (product photos, brand logos,
the photo on a social card).

* Only JPEG, PNG and WebP are opened (Pillow is asked for those three decoders only).
* A byte limit, then a pixel limit read from the header **before** any pixel is decoded
  (Pillow's own bomb warning counts as too many pixels too).
* A JPEG can be decoded at 1/2, 1/4 or 1/8 scale when the caller needs less (``draft_size``).
* What is stored is never the uploaded file: ``encode`` writes the decoded pixels again in the
  detected format (EXIF, XMP, text chunks and anything appended after the image are dropped; the
  EXIF orientation is applied first; the ICC profile is kept), and ``EXTENSIONS`` names the file
  from that format, never from the upload's name.

Errors are ``ValidationError`` with a translated message and a code (``too_large``, ``not_image``,
``bomb``, ``too_small``, ``damaged``); callers put them on their field.
"""

import io
import warnings

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}  # the formats accepted, and their file names
CONTENT_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def inspect(upload, *, max_bytes: int, max_pixels: int, min_side: int = 1) -> Image.Image:
    """Check an upload from its header only (no pixel is decoded) and return the lazily opened
    image; ``image.format`` is one of ``EXTENSIONS``. Cheap enough for a form's ``clean``."""
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise ValidationError(_("The file is too large (%(size)s MB); the limit is %(limit)s MB.") % {
            "size": round(size / 1048576, 1), "limit": max_bytes // 1048576}, code="too_large")
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(max_bytes + 1)
    if hasattr(upload, "seek"):
        upload.seek(0)
    if len(data) > max_bytes:
        raise ValidationError(_("The file is too large; the limit is %(limit)s MB.") % {
            "limit": max_bytes // 1048576}, code="too_large")
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its MAX_IMAGE_PIXELS and twice that: an error here, whatever
            # the process's warning filters are, so it is always reported as too many pixels.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=sorted(EXTENSIONS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ValidationError(_("The image has too many pixels to process safely."), code="bomb") from error
    except Exception as error:
        raise ValidationError(_("Upload a PNG, JPEG or WebP image."), code="not_image") from error
    if image.format not in EXTENSIONS:  # defensive: ``formats`` already limits the decoders
        raise ValidationError(_("Upload a PNG, JPEG or WebP image."), code="not_image")
    if image.width * image.height > max_pixels:
        raise ValidationError(
            _("The image has too many pixels to process safely (%(w)d×%(h)d); the limit is %(limit)s megapixels.")
            % {"w": image.width, "h": image.height, "limit": _megapixels(max_pixels)}, code="bomb")
    if min(image.width, image.height) < min_side:
        raise ValidationError(_("The image is too small; it must be at least %(n)d pixels on each side.") % {
            "n": min_side}, code="too_small")
    return image


def open_image(upload, *, max_bytes: int, max_pixels: int, min_side: int = 1,
               draft_size: tuple[int, int] | None = None) -> Image.Image:
    """``inspect`` the upload, then decode it (a JPEG at the smallest 1/2..1/8 scale that still
    covers ``draft_size``) and turn it upright from its EXIF orientation. The image keeps its
    mode, its ``format`` and its ICC profile in ``info``."""
    image = inspect(upload, max_bytes=max_bytes, max_pixels=max_pixels, min_side=min_side)
    if draft_size and image.format == "JPEG":
        image.draft(image.mode, draft_size)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
    except Exception as error:
        raise ValidationError(_("The image file is damaged or truncated."), code="damaged") from error
    ImageOps.exif_transpose(image, in_place=True)  # keeps ``format``; no copy when already upright
    return image


def encode(image: Image.Image, image_format: str) -> bytes:
    """The pixels written again as ``image_format`` (JPEG, PNG or WebP) with the ICC profile and
    nothing else from the source file (no EXIF, XMP, comments or text chunks)."""
    options: dict = {"icc_profile": image.info.get("icc_profile")} if image.info.get("icc_profile") else {}
    if image_format == "JPEG":
        if image.mode not in ("L", "RGB", "CMYK"):
            image = image.convert("RGB")
        options.update(quality=90, optimize=False)
    elif image_format == "WEBP":
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if image.has_transparency_data else "RGB")
        options.update(quality=90, method=4)
    elif image_format != "PNG":
        raise ValueError(f"cannot store {image_format}")
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1_000_000:g}"
