"""Django REST framework error messages that DRF's own Japanese catalogue lacks.

DRF looks its messages up with gettext at run time, and Django merges every catalogue it
knows, the project's first. Marking DRF's English strings here puts them into
``locale/ja/LC_MESSAGES/django.po`` with makemessages, so an API client that asks for
Japanese (``Accept-Language: ja``) never gets a half-English 400 body. Nothing imports this
module: the marks are for makemessages. Keep the strings exactly as DRF spells them.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

DRF_MESSAGES = (
    gettext_noop("Not a valid string."),
    gettext_noop("Must be a valid boolean."),
    gettext_noop("Must be a valid UUID."),
    gettext_noop("Invalid input."),
    gettext_noop("Datetime value out of range."),
    gettext_noop('Invalid datetime for the timezone "{timezone}".'),
    gettext_noop("This dictionary may not be empty."),
    gettext_noop("Ensure this field has at least {min_length} elements."),
    gettext_noop("Ensure this field has no more than {max_length} elements."),
    gettext_noop("Surrogate characters are not allowed: U+{code_point:X}."),
    gettext_noop("A page number within the paginated result set."),
    gettext_noop("Number of results to return per page."),
    gettext_noop("A search term."),
    gettext_noop("Which field to use when ordering the results."),
)

THROTTLE_WAIT = ngettext_lazy("Expected available in {wait} second.", "Expected available in {wait} seconds.", "wait")
