"""Forms of the web app: they parse browser input, the services decide.

Which fields an action asks for comes from `leads.states.REQUIRED_DATA` and
the active qualification definition, so the form cannot drift from the rules
the service enforces. Date-times are parsed in the active time zone, which
the views set to the viewer's (`views.viewer_timezone`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from django import forms

from leadloop.accounts.choices import Role
from leadloop.accounts.models import User
from leadloop.campaigns.models import Campaign
from leadloop.handoff.models import QualificationDefinition
from leadloop.leads import states
from leadloop.leads.choices import Action, Stage
from leadloop.leads.models import Lead, ReasonCode
from leadloop.leads.selectors import LeadFilters
from leadloop.outreach.choices import OUTCOMES_BY_KIND, ActivityKind, Outcome
from leadloop.web import selectors

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DateTimeLocalInput(forms.DateTimeInput):
    """`<input type=datetime-local>`: a wall-clock time without a zone.

    The field's `to_python` makes it aware in the current time zone, which
    the view has set to the viewer's.
    """

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=DATETIME_LOCAL)


if TYPE_CHECKING:
    _UserChoiceBase = forms.ModelChoiceField[User]
else:  # django-stubs generics are not subscriptable at run time
    _UserChoiceBase = forms.ModelChoiceField


class UserChoiceField(_UserChoiceBase):
    def label_from_instance(self, obj: User) -> str:
        return str(obj)


# ---------------------------------------------------------------- lead list


class LeadFilterForm(forms.Form):
    """The lead list's GET filters; bad values are reported and ignored."""

    q = forms.CharField(
        required=False,
        max_length=100,
        label="Search",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Last name, company, email"}
        ),
    )
    stage = forms.ChoiceField(required=False)
    campaign: forms.ModelChoiceField[Campaign] = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Any campaign"
    )
    owner = UserChoiceField(
        queryset=None, required=False, empty_label="Any inside rep", label="Inside rep"
    )
    sales_rep = UserChoiceField(queryset=None, required=False, empty_label="Any sales rep")
    created_from = forms.DateField(required=False, widget=DateInput(), label="Created from")
    created_to = forms.DateField(required=False, widget=DateInput(), label="Created to")

    def __init__(self, *args: Any, user: User, tz: tzinfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tz = tz
        stage_field = self.fields["stage"]
        assert isinstance(stage_field, forms.ChoiceField)
        stage_field.choices = [
            ("", "Any stage"),
            ("Groups", selectors.STAGE_GROUPS),
            ("Stages", list(Stage.choices)),
        ]
        teams = selectors.relevant_team_ids(user)
        self._set_queryset("campaign", selectors.campaign_choices(teams))
        # A rep only sees her own side's leads; a filter by herself adds nothing.
        if user.role == Role.INSIDE_REP:
            del self.fields["owner"]
        else:
            self._set_queryset("owner", selectors.rep_choices(teams, Role.INSIDE_REP))
        if user.role == Role.SALES_REP:
            del self.fields["sales_rep"]
        else:
            self._set_queryset("sales_rep", selectors.rep_choices(teams, Role.SALES_REP))

    def _set_queryset(self, name: str, queryset: Any) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = queryset

    def filters(self) -> LeadFilters:
        """The valid part of the input as selector filters (call after is_valid)."""
        data = getattr(self, "cleaned_data", {})

        def pk(name: str) -> int | None:
            obj = data.get(name)
            return obj.pk if obj is not None else None

        start: date | None = data.get("created_from")
        end: date | None = data.get("created_to")
        return LeadFilters(
            stage=data.get("stage") or None,
            campaign=pk("campaign"),
            owner=pk("owner"),
            sales_rep=pk("sales_rep"),
            created_from=self._midnight(start) if start else None,
            # "To" is inclusive for people: up to the end of that day.
            created_to=self._midnight(end + timedelta(days=1)) if end else None,
            q=(data.get("q") or "").strip() or None,
        )

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=self.tz)


# ---------------------------------------------------------------- transitions


NEGATIVE_ACTIONS = frozenset(
    {Action.DISQUALIFY, Action.REJECT, Action.LOSE, Action.MARK_UNREACHABLE, Action.MARK_DUPLICATE}
)


class TransitionForm(forms.Form):
    """The data one lifecycle action needs; built per action from the rules table."""

    action = forms.ChoiceField(choices=Action.choices, widget=forms.HiddenInput)
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(
        self,
        *args: Any,
        lead: Lead,
        action: Action,
        definition: QualificationDefinition | None = None,
        sales_reps: Any = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("auto_id", f"id_{action.value}_%s")
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("initial", {})
        kwargs["initial"] |= {"action": action.value, "expected_version": lead.version}
        super().__init__(*args, **kwargs)
        self.lead = lead
        self.lead_action = action
        self.definition = definition
        required = set(states.REQUIRED_DATA.get(action, ()))
        f = self.fields
        if action in states.REASON_KIND:
            f["reason_code"] = forms.ModelChoiceField(
                queryset=ReasonCode.objects.filter(kind=states.REASON_KIND[action], is_active=True),
                empty_label="Choose a reason…",
                label="Reason",
            )
        if action == Action.HAND_OFF:
            f["sales_rep"] = UserChoiceField(
                queryset=sales_reps, empty_label="Choose…", label="Sales rep"
            )
            f["meeting_at"] = forms.DateTimeField(
                widget=DateTimeLocalInput(),
                label="First meeting",
                input_formats=[DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S"],
            )
            for criterion in definition.criteria if definition else []:
                f[f"answer_{criterion['key']}"] = forms.CharField(
                    label=criterion.get("label") or criterion["key"],
                    help_text=criterion.get("help", ""),
                    required=bool(criterion.get("required", True)),
                    max_length=1000,
                )
            # DESIGN: a handoff requires a write-up; the service would fall back
            # to the note, the form asks for it outright.
            f["write_up"] = forms.CharField(
                widget=forms.Textarea(attrs={"rows": 3}), label="Write-up", max_length=10000
            )
            f["warm_call_confirmed"] = forms.BooleanField(
                required=False, label="Warm handoff call with the sales rep done"
            )
        if action == Action.OPEN_OPPORTUNITY:
            f["amount"] = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2)
            f["expected_close_on"] = forms.DateField(
                required=False, widget=DateInput(), label="Expected close"
            )
        if action == Action.WIN:
            f["revenue"] = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2)
        if action == Action.NURTURE:
            f["next_touch_on"] = forms.DateField(widget=DateInput(), label="Next touch on")
        if action == Action.MARK_DUPLICATE:
            f["duplicate_of"] = forms.IntegerField(min_value=1, label="Duplicate of lead #")
        f["note"] = forms.CharField(
            required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 2})
        )
        for name in (
            "reason_code",
            "sales_rep",
            "meeting_at",
            "amount",
            "revenue",
            "next_touch_on",
            "duplicate_of",
        ):
            if name in f:
                f[name].required = name in required

    @property
    def tone(self) -> str:
        """Button style: actions that end or park a lead look different."""
        return "danger" if self.lead_action in NEGATIVE_ACTIONS else "primary"

    @property
    def has_inputs(self) -> bool:
        """Whether it needs more than a note: shown folded open, not as a bare button."""
        return any(name not in ("action", "expected_version", "note") for name in self.fields)

    def service_data(self) -> dict[str, Any]:
        """Cleaned values in the shape `lead_transition(data=...)` takes."""
        c = self.cleaned_data
        data: dict[str, Any] = {}
        for name in ("sales_rep", "reason_code"):
            if c.get(name) is not None:
                data[name] = c[name].pk
        for name in (
            "meeting_at",
            "amount",
            "revenue",
            "next_touch_on",
            "expected_close_on",
            "duplicate_of",
            "write_up",
            "note",
        ):
            if c.get(name) not in (None, ""):
                data[name] = c[name]
        if self.lead_action == Action.HAND_OFF:
            data["answers"] = {
                name.removeprefix("answer_"): value.strip()
                for name, value in c.items()
                if name.startswith("answer_") and value.strip()
            }
            data["warm_call_confirmed"] = bool(c.get("warm_call_confirmed"))
        return data

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        """Put the service's field errors on the matching inputs, the rest on top."""
        for field, messages in errors.items():
            target = (
                field
                if field in self.fields and field not in ("action", "expected_version")
                else None
            )
            for message in messages:
                self.add_error(target, message if target else f"{field}: {message}")


# ---------------------------------------------------------------- activities


def _outcome_choices() -> list[Any]:
    label = dict(Outcome.choices)
    groups: list[Any] = [("", "—")]
    for kind in (ActivityKind.CALL, ActivityKind.EMAIL, ActivityKind.MEETING):
        values = sorted(v for v in OUTCOMES_BY_KIND[kind] if v)
        groups.append((kind.label, [(v, label[v]) for v in values]))
    return groups


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(choices=ActivityKind.choices)
    outcome = forms.ChoiceField(choices=_outcome_choices, required=False)
    note = forms.CharField(
        required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_activity_%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for field, messages in errors.items():
            target = field if field in self.fields else None
            for message in messages:
                self.add_error(target, message)
