"""The date range of a report (campaigns.reports): validated, with a default of the last 28 days."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .reports import MAX_RANGE_DAYS, Period, shop_zone

DEFAULT_DAYS = 28


def default_period() -> Period:
    """The 28 days up to today (shop time zone)."""
    today = timezone.now().astimezone(shop_zone()).date()
    return Period(today - timedelta(days=DEFAULT_DAYS - 1), today)


class PeriodForm(forms.Form):
    start = forms.DateField(label=pgettext_lazy("report period", "From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=pgettext_lazy("report period", "To"), widget=forms.DateInput(attrs={"type": "date"}))

    @classmethod
    def from_query(cls, query) -> "PeriodForm":
        """Bound to the query string's start and end; the default period's days where both are absent."""
        if "start" not in query and "end" not in query:
            period = default_period()
            return cls({"start": period.start.isoformat(), "end": period.end.isoformat()})
        return cls({"start": query.get("start", ""), "end": query.get("end", "")})

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The end date is before the start date."))
            elif (end - start).days + 1 > MAX_RANGE_DAYS:
                self.add_error("end", _("A report covers at most two years (%(days)s days): shorten the range.")
                               % {"days": MAX_RANGE_DAYS})
        return data

    @property
    def period(self) -> Period:
        return Period(self.cleaned_data["start"], self.cleaned_data["end"])
