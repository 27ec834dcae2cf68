"""Forms of the follow-up pages: they parse browser input, the services decide.

Date-times are read in the active time zone, which the views set to the
viewer's (`web.views.page`).
"""

from __future__ import annotations

from typing import Any

from django import forms

from leadloop.followup.choices import StepAction
from leadloop.followup.rules import MAX_INVITE_WINDOW, MAX_RECYCLE_DAY, MAX_TEXT, StepSpec
from leadloop.followup.selectors import reject_reasons
from leadloop.leads.models import ReasonCode
from leadloop.web.forms import DATETIME_LOCAL, DateTimeLocalInput

LOCAL_FORMATS = [DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S"]


class ServiceErrorsMixin:
    """Put a service's field errors on the matching inputs, the rest on top."""

    # Errors about the whole thing read fine without the field's name.
    WHOLE = frozenset({"task", "lead", "version"})

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        form: Any = self
        for name, messages in errors.items():
            target = name if name in form.fields else None
            for message in messages:
                plain = target or name in self.WHOLE
                form.add_error(target, message if plain else f"{name}: {message}")


class AcceptForm(ServiceErrorsMixin, forms.Form):
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class RejectForm(ServiceErrorsMixin, forms.Form):
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason_code: forms.ModelChoiceField[ReasonCode] = forms.ModelChoiceField(
        queryset=ReasonCode.objects.none(), empty_label="Choose a reason…", label="Reason"
    )
    note = forms.CharField(
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Note for the inside rep",
    )

    def __init__(self, *args: Any, prefix_id: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_reject{prefix_id}_%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        field = self.fields["reason_code"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = reject_reasons()


class TaskDoneForm(ServiceErrorsMixin, forms.Form):
    note = forms.CharField(
        required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 2})
    )
    proposed_at = forms.DateTimeField(
        required=False,
        widget=DateTimeLocalInput(),
        input_formats=LOCAL_FORMATS,
        label="Proposed new time",
    )
    send_email = forms.BooleanField(required=False, label="Send the email from leadloop")


class RebookForm(ServiceErrorsMixin, forms.Form):
    meeting_at = forms.DateTimeField(
        widget=DateTimeLocalInput(), input_formats=LOCAL_FORMATS, label="New meeting"
    )
    note = forms.CharField(
        required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_rebook_%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class TemplateForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(max_length=120)
    recycle_day = forms.IntegerField(
        min_value=1,
        max_value=MAX_RECYCLE_DAY,
        label="Back to the inside rep on business day",
        help_text="Counted from the missed meeting (day 0) on the sales team's calendar.",
    )
    invite_window_days = forms.IntegerField(
        min_value=1,
        max_value=MAX_INVITE_WINDOW,
        label="An invitation proposes a time within (business days)",
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class StepForm(forms.Form):
    day = forms.IntegerField(min_value=0, max_value=MAX_RECYCLE_DAY, label="Business day")
    action = forms.ChoiceField(choices=StepAction.choices)
    text = forms.CharField(
        required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )


class BaseStepFormSet(forms.BaseFormSet):
    def specs(self) -> list[StepSpec]:
        """The steps kept (filled in and not marked for deletion), as the rules take them."""
        out = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE") or data.get("day") is None:
                continue
            out.append(StepSpec(int(data["day"]), str(data["action"]), str(data.get("text") or "")))
        return out


StepFormSet = forms.formset_factory(
    StepForm, formset=BaseStepFormSet, extra=1, can_delete=True, max_num=20, validate_max=True
)
