"""The read-only brand guide that staff and partners open with a share link."""

from django.shortcuts import get_object_or_404, redirect, render

from .. import colour, selectors
from ..models import BrandKit, ColourRole


def guide_index(request):
    """``/brand-guide/`` itself. The guide is read at ``/brand-guide/<token>/`` (the kit's share
    link), so staff who may see the brand kit go to it in the console; anyone else learns where
    the guide is instead of meeting a bare 404."""
    if request.user.has_perm("brandkit.view_brandkit"):
        return redirect("console:brandkit:index")
    response = render(request, "brandkit/guide_index.html")
    response["X-Robots-Tag"] = "noindex"
    return response


def guide(request, token: str):
    kit = get_object_or_404(BrandKit.objects.select_related("brand"), share_token=token, is_active=True,
                            published_version__isnull=False)
    version = selectors.version_detail(kit.published_version_id)
    palette = {c.role: c.hex for c in version.palette.all()}
    matrix = colour.contrast_matrix(palette)
    response = render(request, "brandkit/guide.html", {
        "kit": kit, "version": version,
        "palette": [(role, label, palette.get(role, "")) for role, label in ColourRole.choices],
        "matrix": matrix,
        "matrix_failures": colour.matrix_failures(matrix),
        "rules": selectors.guide_rules(version),
        "type_scale": selectors.type_scale(version),
        "channels": selectors.channel_guide(version),
        "renditions": selectors.logo_renditions(version),
        "notation": selectors.notation_rules(version),
    })
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
