"""What customers type on the storefront: signing up and marketing consent."""

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from kernel.japan import validate_phone

from .validators import normalize_furigana


def katakana(value: str) -> str:
    """Furigana in full-width katakana (the customers' rule, ``validators.normalize_furigana``)."""
    return normalize_furigana(value)


class SignupForm(forms.Form):
    email = forms.EmailField(label=_("Email address"),
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password1 = forms.CharField(label=_("Password"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                help_text=password_validation.password_validators_help_text_html)
    password2 = forms.CharField(label=_("Password (again)"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    family_name = forms.CharField(label=_("Family name"), max_length=60,
                                  widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    given_name = forms.CharField(label=_("Given name"), max_length=60,
                                 widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    family_name_kana = forms.CharField(label=_("Family name (katakana)"), max_length=60,
                                       widget=forms.TextInput(attrs={"placeholder": "ヤマダ"}))
    given_name_kana = forms.CharField(label=_("Given name (katakana)"), max_length=60,
                                      widget=forms.TextInput(attrs={"placeholder": "ハナコ"}))
    phone = forms.CharField(label=_("Phone"), max_length=20,
                            widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))
    email_marketing = forms.BooleanField(label=_("Receive news and offers by email"), required=False,
                                         initial=False,
                                         help_text=_("You can change this at any time in your account."))

    def clean_family_name_kana(self):
        return katakana(self.cleaned_data["family_name_kana"])

    def clean_given_name_kana(self):
        return katakana(self.cleaned_data["given_name_kana"])

    def clean_phone(self):
        value = self.cleaned_data["phone"]
        validate_phone(value)
        return value

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this email address already exists."))
        return email

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords do not match."))
        elif password1:
            user = get_user_model()(email=cleaned.get("email", ""),
                                    display_name=f"{cleaned.get('family_name', '')} {cleaned.get('given_name', '')}")
            try:
                password_validation.validate_password(password1, user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class LoginForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Email address")
        self.fields["username"].widget.attrs.update({"autocomplete": "email", "inputmode": "email"})
