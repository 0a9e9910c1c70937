from django.core.management.base import BaseCommand, CommandError

from brandkit.fonts import FontsUnavailable, fonts_install, pillow_font_path


class Command(BaseCommand):
    requires_system_checks: list = []  # runs during setup, before the rest of the project must be valid
    help = (
        "Copy Noto Sans JP (weights 400 and 700, WOFF2) from node_modules/@fontsource/noto-sans-jp "
        "into VAR_DIR/fonts/noto-sans-jp/ with one font.css, plus the full Japanese files Pillow uses."
    )

    def handle(self, *args, **options):
        try:
            result = fonts_install(log=lambda message: self.stdout.write(message))
        except FontsUnavailable as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(
            f"fonts in {result.target}: {result.copied} copied, {result.skipped} up to date, "
            f"font.css {'written' if result.css_written else 'unchanged'}; Pillow uses {pillow_font_path(700).name}"
        ))
