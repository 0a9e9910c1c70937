"""The pictures the demo draws for itself: product photos (a tinted background and a
geometric motif, one per product) and the brand's logo, made with Pillow."""

import colorsys
import math
import random
from io import BytesIO

from PIL import Image, ImageDraw

PALETTES = {  # background / motif colours per category family (HSV-ish hues)
    "apparel": [(0.58, 0.35), (0.08, 0.30), (0.95, 0.25), (0.33, 0.25), (0.12, 0.45), (0.62, 0.15)],
    "home": [(0.07, 0.25), (0.55, 0.20), (0.10, 0.15), (0.45, 0.20), (0.02, 0.35)],
    "food": [(0.25, 0.45), (0.09, 0.55), (0.03, 0.50), (0.13, 0.60), (0.30, 0.35)],
}



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

