"""What customers (storefront) and staff (console) type about a profile, its preferences and its
addresses. The rules (katakana, postal code, phone, sizes) are the services' (``customers.profile``,
``customers.services``): the forms only parse what was typed into the shapes they take."""

import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kernel.japan import Prefecture
from kernel.models import Location

from .models import CONTACT_CHANNEL_CHOICES, Gender
from .validators import normalize_interests, normalize_sizes

SIZE_LINE = re.compile(r"^\s*([^:：=]+?)\s*[:：=]\s*(.*?)\s*$")


def sizes_as_text(sizes: dict) -> str:
    return "\n".join(f"{kind}: {size}" for kind, size in (sizes or {}).items())


class SizesField(forms.CharField):
    """Sizes typed one per line (or separated by commas) as ``kind: size`` (``tops: M``,
    ``shoes: 24.5``; the full-width colon works too) -> ``{"tops": "M", "shoes": "24.5"}``."""

    widget = forms.Textarea(attrs={"rows": 3, "placeholder": "tops: M\nshoes: 24.5"})

    def prepare_value(self, value):
        return sizes_as_text(value) if isinstance(value, dict) else value

    def to_python(self, value):
        text = super().to_python(value)
        sizes = {}
        for line in re.split(r"[\n,、，]", text or ""):
            if not line.strip():
                continue
            match = SIZE_LINE.match(line)
            if not match:
                raise ValidationError(_("Write one size per line as kind: size, for example shoes: 24.5."),
                                      code="sizes")
            sizes[match.group(1)] = match.group(2)
        return normalize_sizes(sizes)


class InterestsField(forms.CharField):
    """Interests typed separated by commas (、 works too) -> a list of tags."""

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value):
        return normalize_interests(super().to_python(value) or "")


# The time zones offered first (customers abroad); any IANA zone is accepted by the profile service.
COMMON_TIME_ZONES = ("Asia/Tokyo", "Asia/Seoul", "Asia/Shanghai", "Asia/Taipei", "Asia/Hong_Kong", "Asia/Singapore",
                     "Asia/Bangkok", "Australia/Sydney", "Pacific/Honolulu", "America/Los_Angeles",
                     "America/New_York", "Europe/London", "Europe/Paris")


def _store_field():
    return forms.ModelChoiceField(label=_("Favourite store"), required=False, empty_label="—",
                                  queryset=Location.objects.stores().order_by("code"))


class ProfileForm(forms.Form):
    """The customer's own profile (storefront): names, email (their login), phone, birthday, gender."""

    family_name = forms.CharField(label=_("Family name"), max_length=60,
                                  widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    given_name = forms.CharField(label=_("Given name"), max_length=60, required=False,
                                 widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    family_name_kana = forms.CharField(label=_("Family name (katakana)"), max_length=60, required=False)
    given_name_kana = forms.CharField(label=_("Given name (katakana)"), max_length=60, required=False)
    email = forms.CharField(label=_("Email address"), max_length=254,
                            widget=forms.EmailInput(attrs={"autocomplete": "email"}),
                            help_text=_("You also log in with it."))
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    birthday = forms.DateField(label=_("Birthday"), required=False,
                               widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}))
    gender = forms.ChoiceField(label=_("Gender"), required=False, choices=[("", "—"), *Gender.choices])
    current_password = forms.CharField(
        label=_("Current password"), required=False, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Needed only to change your email address, which is also your login."))

    PROFILE_FIELDS = ("family_name", "given_name", "family_name_kana", "given_name_kana", "phone", "birthday",
                      "gender")

    def __init__(self, *args, user=None, current_email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.current_email = user, (current_email or "").strip().lower()

    def clean(self):
        """A new login email needs the current password: a borrowed or stolen session alone must
        not be enough to take the account over (the password reset goes to the email)."""
        cleaned = super().clean()
        email = (cleaned.get("email") or "").strip().lower()
        if self.user is not None and email and email != self.current_email:
            password = cleaned.get("current_password") or ""
            if not password:
                self.add_error("current_password", _("Enter your current password to change your email address."))
            elif not self.user.check_password(password):
                self.add_error("current_password", _("The password is not correct."))
        return cleaned


class PreferencesForm(forms.Form):
    """What the customer tells us so we can serve them better (the preference centre)."""

    sizes = SizesField(label=_("Your sizes"), required=False,
                       help_text=_("One per line, e.g. tops: M, bottoms: 67, shoes: 24.5."))
    interests = InterestsField(label=_("Interests"), required=False, max_length=1000,
                               help_text=_("Separated by commas, e.g. linen, tea, tableware."))
    preferred_channel = forms.ChoiceField(label=_("How you prefer to hear from us"), required=False,
                                          choices=[("", "—"), *CONTACT_CHANNEL_CHOICES])
    language = forms.ChoiceField(label=_("Language"), required=False, choices=[("", "—"), *settings.LANGUAGES])
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False,
                                  help_text=_("We send news in your daytime, never at night."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["favourite_location"] = _store_field()
        current = (self.initial.get("time_zone") or self.data.get("time_zone") or "").strip()
        zones = list(COMMON_TIME_ZONES) + ([current] if current and current not in COMMON_TIME_ZONES else [])
        self.fields["time_zone"].choices = [("", _("Japan time (the shop's)")), *((zone, zone) for zone in zones)]


class AddressForm(forms.Form):
    label = forms.CharField(label=_("Label"), max_length=40, required=False,
                            widget=forms.TextInput(attrs={"placeholder": _("Home")}))
    name = forms.CharField(label=_("Recipient"), max_length=120,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    postal_code = forms.CharField(label=_("Postal code"), max_length=8, widget=forms.TextInput(
        attrs={"inputmode": "numeric", "autocomplete": "postal-code", "placeholder": "150-0001"}))
    prefecture = forms.ChoiceField(label=_("Prefecture"), choices=[("", "—"), *Prefecture.choices],
                                   widget=forms.Select(attrs={"autocomplete": "address-level1"}))
    city = forms.CharField(label=_("City"), max_length=100,
                           widget=forms.TextInput(attrs={"autocomplete": "address-level2", "placeholder": "渋谷区"}))
    line1 = forms.CharField(label=_("Street address"), max_length=200, widget=forms.TextInput(
        attrs={"autocomplete": "address-line1", "placeholder": "神宮前1-2-3"}))
    line2 = forms.CharField(label=_("Building"), max_length=200, required=False,
                            widget=forms.TextInput(attrs={"autocomplete": "address-line2"}))
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    is_default = forms.BooleanField(label=_("Use as my default address"), required=False)

    FIELDS = ("label", "name", "postal_code", "prefecture", "city", "line1", "line2", "phone")


class StaffAddressForm(AddressForm):
    is_default = forms.BooleanField(label=_("Default"), required=False)


StaffAddressFormSet = forms.formset_factory(StaffAddressForm, extra=1, can_delete=True, max_num=20)


def add_service_errors(form: forms.Form, exc: ValidationError, prefix: str = "") -> None:
    """Show a service's ValidationError on ``form``: each message on its field, else on top."""
    for field, messages in exc.message_dict.items():
        name = field[len(prefix):] if prefix and field.startswith(prefix) else field
        for message in messages:
            form.add_error(name if name in form.fields else None, message)


class CloseAccountForm(forms.Form):
    """Closing an account asks for the password again (and a reason we may learn from)."""

    password = forms.CharField(label=_("Your password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    reason = forms.CharField(label=_("Why are you leaving? (optional)"), required=False, max_length=200,
                             widget=forms.TextInput())
    confirm = forms.BooleanField(label=_("I understand that my profile, addresses and preferences will be deleted "
                                         "and cannot be restored."))

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if self.user is None or not self.user.check_password(password):
            raise ValidationError(_("The password is not correct."), code="password")
        return password
