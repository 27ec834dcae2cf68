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
from django.urls import reverse

from leadloop.accounts.choices import Role
from leadloop.accounts.models import Team, User
from leadloop.accounts.selectors import relevant_team_ids
from leadloop.campaigns.choices import Channel
from leadloop.campaigns.models import Campaign
from leadloop.campaigns.selectors import campaign_choices
from leadloop.handoff.models import QualificationDefinition
from leadloop.leads import states
from leadloop.leads.choices import Action, Stage
from leadloop.leads.models import Lead, ReasonCode
from leadloop.leads.person import PERSON_FIELDS
from leadloop.leads.selectors import LeadFilters
from leadloop.outreach.choices import OUTCOMES_BY_KIND, ActivityKind, Outcome
from leadloop.reports import metrics
from leadloop.reports.drilldowns import Drilldown
from leadloop.sla.choices import ClockKind
from leadloop.web import selectors

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class BoundedDateField(forms.DateField):
    """A date people mean: years 1900 to 2200 (a year-1 date underflows when it is turned
    into an instant in a time zone; a year-9999 one overflows)."""

    default_error_messages = {"out_of_range": "Give a date between 1900 and 2200."}

    def to_python(self, value: Any) -> date | None:
        day = super().to_python(value)
        if day is not None and not 1900 <= day.year <= 2200:
            raise forms.ValidationError(self.error_messages["out_of_range"], code="out_of_range")
        return day


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


class ActionForm(forms.Form):
    """A form whose input an action checks: its refusals land on the form."""

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            field = self.fields.get(name)
            target = name if field is not None and not field.widget.is_hidden else None
            for message in messages:
                # Each field's error on its input, the rest (and hidden inputs') on top.
                self.add_error(target, message if target else f"{name}: {message}")


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
    created_from = BoundedDateField(required=False, widget=DateInput(), label="Created from")
    created_to = BoundedDateField(required=False, widget=DateInput(), label="Created to")

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
        teams = relevant_team_ids(user)
        self._set_queryset("campaign", campaign_choices(teams))
        # A rep only sees her own side's leads; a filter by herself adds nothing.
        if user.role == Role.INSIDE_REP:
            del self.fields["owner"]
        else:
            self._set_queryset("owner", selectors.rep_choices(teams, Role.INSIDE_REP))
        if user.role == Role.SALES_REP:
            del self.fields["sales_rep"]
        else:
            self._set_queryset("sales_rep", selectors.rep_choices(teams, Role.SALES_REP))
        self._add_drilldowns(teams)
        if self.data.get("import") not in (None, ""):
            # The leads one import made (its result page links here).
            self.fields["import"] = forms.IntegerField(
                required=False, min_value=1, max_value=2**63 - 1, label="Import"
            )

    def _add_drilldowns(self, teams: set[int] | None) -> None:
        """Report drill-down filters, as fields only when a link set them.

        A report's number links to the leads behind it with filters the plain
        list does not offer; they appear on the list (and can be cleared)
        only when present, so the everyday filter bar stays short.
        """
        present = {k for k in DRILLDOWN_FIELDS if self.data.get(k) not in (None, "")}
        if not present:
            return
        for name in DRILLDOWN_FIELDS:
            if name in present:
                self.fields[name] = _drilldown_field(name, teams)

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
        drilldown = self._drilldown(data)
        return LeadFilters(
            stage=data.get("stage") or None,
            campaign=pk("campaign"),
            owner=pk("owner"),
            sales_rep=pk("sales_rep"),
            team=drilldown.pop("team", None),
            created_from=self._midnight(start) if start else None,
            # "To" is inclusive for people: up to the end of that day.
            created_to=self._midnight(end + timedelta(days=1)) if end else None,
            q=(data.get("q") or "").strip() or None,
            lead_import=data.get("import") or None,
            narrowing=Drilldown(**drilldown) if drilldown else None,
        )

    def _drilldown(self, data: dict[str, Any]) -> dict[str, Any]:
        """The report drill-down filters present (the lead's team among them)."""
        out: dict[str, Any] = {}
        for name in DRILLDOWN_FIELDS:
            value = data.get(name)
            if value is None or value == "" or value is False:
                continue
            if hasattr(value, "pk"):
                value = value.pk
            if name.endswith("_from") and isinstance(value, date):
                value = self._midnight(value)
            elif name.endswith("_to") and isinstance(value, date):
                value = self._midnight(value + timedelta(days=1))
            out[name] = value
        return out

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=self.tz)


# Report drill-downs (leadloop.reports): GET name -> label. Dates are days
# like created_from/created_to; `as_of` is the instant the report was made.
DRILLDOWN_FIELDS: dict[str, str] = {
    "team": "Team",
    "sales_team": "Sales team",
    "channel": "Channel",
    "handed_off_by": "Handed off by",
    "reach": "Reach",
    "out_of_target": "Out of target market",
    "answer": "Sales answered",
    "step": "Funnel step reached",
    "no_response": "No response to sales follow-up",
    "past_max_age": "Past maximum open age",
    "age_min": "Age from (business days)",
    "age_max": "Age to (business days)",
    "sla": "SLA",
    "sla_result": "SLA result",
    "sla_user": "SLA owed by",
    "sla_team": "SLA team",
    "sla_stop": "SLA stopped by",
    "sla_from": "SLA started from",
    "sla_to": "SLA started to",
    "reason": "Reason",
    "reason_stage": "Reason given at",
    "reason_from": "Reason given from",
    "reason_to": "Reason given to",
    "handoff_by": "Handoff from",
    "handoff_to_rep": "Handoff to",
    "handoff_team": "Handoff to team",
    "handoff_from": "Handed off from",
    "handoff_to": "Handed off to",
    "attr": "Attribute",
    "cadence": "Cadence step",
    "cadence_user": "Cadence step of",
    "cadence_from": "Cadence step done from",
    "cadence_to": "Cadence step done to",
    "sla_stopped_from": "SLA stopped from",
    "sla_stopped_to": "SLA stopped to",
    "as_of": "As of",
}


def _words(key: str) -> str:
    """A filter value's key as a label: "open_late" -> "Open late"."""
    return key.replace("_", " ").capitalize()


def _drilldown_field(name: str, teams: set[int] | None) -> forms.Field:
    """The form field of one drill-down filter (see DRILLDOWN_FIELDS)."""
    label = DRILLDOWN_FIELDS[name]
    team_qs = Team.objects.order_by("name")
    if teams is not None:
        team_qs = team_qs.filter(pk__in=teams)
    field: forms.Field
    if name in ("team", "sales_team", "sla_team", "handoff_team"):
        field = forms.ModelChoiceField(queryset=team_qs, empty_label="Any team")
    elif name in ("handed_off_by", "handoff_by"):
        field = UserChoiceField(
            queryset=selectors.rep_choices(teams, Role.INSIDE_REP), empty_label="Anyone"
        )
    elif name == "handoff_to_rep" or name == "cadence_user":
        field = UserChoiceField(
            queryset=selectors.rep_choices(teams, Role.SALES_REP), empty_label="Anyone"
        )
    elif name == "cadence":
        field = forms.ChoiceField(
            choices=[
                ("", "Any"),
                ("on_time", "Done on time"),
                ("late", "Late"),
                ("skipped", "Skipped"),
                ("missed", "Late or skipped"),
            ]
        )
    elif name == "sla_user":
        reps = selectors.rep_choices(teams, Role.INSIDE_REP) | selectors.rep_choices(
            teams, Role.SALES_REP
        )
        field = UserChoiceField(queryset=reps.distinct(), empty_label="Anyone")
    elif name == "channel":
        field = forms.ChoiceField(choices=[("", "Any channel"), *Channel.choices])
    elif name == "reach":
        field = forms.ChoiceField(
            choices=[("", "Any")]
            + [(k, k.replace("_", " ").capitalize()) for k in metrics.REACH_STATES]
        )
    elif name == "answer":
        field = forms.ChoiceField(
            choices=[
                ("", "Any"),
                ("accepted", "Accepted"),
                ("rejected", "Rejected, never accepted"),
            ]
        )
    elif name == "step":
        field = forms.ChoiceField(choices=[("", "Any")] + [(s.key, s.label) for s in metrics.STEPS])
    elif name == "sla":
        field = forms.ChoiceField(choices=[("", "Any SLA"), *ClockKind.choices])
    elif name == "sla_result":
        field = forms.ChoiceField(
            choices=[("", "Any")]
            + [(k, k.replace("_", " ").capitalize()) for k in metrics.CLOCK_STATES]
        )
    elif name == "reason":
        field = forms.ModelChoiceField(
            queryset=ReasonCode.objects.order_by("kind", "position", "label"),
            empty_label="Any reason",
        )
    elif name == "reason_stage":
        field = forms.ChoiceField(
            choices=[("", "Any")] + [(g.stage, g.label) for g in metrics.REASON_GROUPS]
        )
    elif name in ("out_of_target", "no_response", "past_max_age"):
        field = forms.BooleanField()
    elif name in ("age_min", "age_max"):
        field = forms.IntegerField(min_value=0, max_value=3660)
    elif name.endswith(("_from", "_to")):
        field = BoundedDateField(widget=DateInput())
    elif name == "as_of":
        field = forms.DateTimeField(
            input_formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M"],
            # The report's instant rides along unseen; the list says it in words.
            widget=forms.HiddenInput(),
        )
    else:  # sla_stop, attr
        field = forms.CharField(max_length=80)
    field.required = False
    field.label = label
    return field


# ---------------------------------------------------------------- transitions


NEGATIVE_ACTIONS = frozenset(
    {Action.DISQUALIFY, Action.REJECT, Action.LOSE, Action.MARK_UNREACHABLE, Action.MARK_DUPLICATE}
)


class TransitionForm(ActionForm):
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
        now: datetime | None = None,
        **kwargs: Any,
    ) -> None:
        self.now = now
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
            # Seed 003: the inside rep calls the sales rep and walks her through
            # the lead before the meeting; the form will not hand off without it.
            f["warm_call_confirmed"] = forms.BooleanField(
                required=True,
                label="Warm handoff call with the sales rep done",
                error_messages={
                    "required": "Call the sales rep and walk her through the lead first."
                },
            )
            preview = reverse("web:lead_handoff_preview", args=[lead.pk])
            for name in ("sales_rep", "meeting_at"):
                f[name].widget.attrs |= {
                    "hx-get": preview,
                    "hx-trigger": "change",
                    "hx-target": f"#meeting-preview-{lead.pk}",
                    "hx-include": "closest form",
                }
        if action == Action.OPEN_OPPORTUNITY:
            f["amount"] = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2)
            f["expected_close_on"] = BoundedDateField(
                required=False, widget=DateInput(), label="Expected close"
            )
        if action == Action.WIN:
            f["revenue"] = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2)
        if action == Action.NURTURE:
            f["next_touch_on"] = BoundedDateField(widget=DateInput(), label="Next touch on")
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

    def clean_meeting_at(self) -> datetime | None:
        """A meeting in the past is refused here too, so every error shows at once."""
        meeting: datetime | None = self.cleaned_data.get("meeting_at")
        if meeting is not None and self.now is not None and meeting <= self.now:
            raise forms.ValidationError("the meeting must be in the future")
        return meeting

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


# ---------------------------------------------------------------- activities


def _outcome_choices() -> list[Any]:
    label = dict(Outcome.choices)
    groups: list[Any] = [("", "—")]
    for kind in (ActivityKind.CALL, ActivityKind.EMAIL, ActivityKind.MEETING):
        values = sorted(v for v in OUTCOMES_BY_KIND[kind] if v)
        groups.append((kind.label, [(v, label[v]) for v in values]))
    return groups


class ActivityForm(ActionForm):
    kind = forms.ChoiceField(choices=ActivityKind.choices)
    outcome = forms.ChoiceField(choices=_outcome_choices, required=False)
    note = forms.CharField(
        required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 2})
    )
    occurred_at = forms.DateTimeField(
        required=False,
        widget=DateTimeLocalInput(),
        label="When",
        help_text="Leave empty for now; not before the lead came in.",
        input_formats=[DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S"],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_activity_%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


# ---------------------------------------------------------------- qualification


class QualificationForm(ActionForm):
    """The shared qualification definition as a form on the lead; a draft may be partial."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(
        self, *args: Any, lead: Lead, definition: QualificationDefinition, **kwargs: Any
    ) -> None:
        kwargs.setdefault("auto_id", "id_qualification_%s")
        kwargs.setdefault("label_suffix", "")
        initial = {f"answer_{k}": v for k, v in (lead.qualification or {}).items()}
        kwargs["initial"] = {
            **initial,
            "expected_version": lead.version,
            **kwargs.get("initial", {}),
        }
        super().__init__(*args, **kwargs)
        self.definition = definition
        self.saved_answers = {k: v for k, v in (lead.qualification or {}).items() if v}
        for criterion in definition.criteria:
            label = criterion.get("label") or criterion["key"]
            if criterion.get("required", True):
                label = f"{label} *"
            self.fields[f"answer_{criterion['key']}"] = forms.CharField(
                label=label,
                help_text=criterion.get("help", ""),
                required=False,
                max_length=1000,
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # An empty form over no answers saves nothing: saying "saved" would be a lie.
        if not self.errors and not self.answers() and not self.saved_answers:
            raise forms.ValidationError("Nothing to save: answer at least one question first.")
        return data

    def answers(self) -> dict[str, str]:
        return {
            name.removeprefix("answer_"): value.strip()
            for name, value in self.cleaned_data.items()
            if name.startswith("answer_") and value.strip()
        }

    @property
    def complete(self) -> bool:
        """Whether every required criterion has an answer (shown next to the hand-off)."""
        values = self.initial if not self.is_bound else self.data
        return all(
            str(values.get(f"answer_{key}") or "").strip()
            for key in self.definition.required_keys()
        )


# ---------------------------------------------------------------- editing a lead


class LeadEditForm(ActionForm):
    """The person and company fields; the edit action cleans them as intake does."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    first_name = forms.CharField(required=False, max_length=80)
    last_name = forms.CharField(required=False, max_length=80)
    title = forms.CharField(required=False, max_length=120)
    email = forms.CharField(required=False, max_length=254)
    phone = forms.CharField(required=False, max_length=40)
    company = forms.CharField(required=False, max_length=160)
    industry = forms.CharField(required=False, max_length=80)
    employees = forms.IntegerField(required=False, min_value=0)
    revenue_band = forms.CharField(required=False, max_length=40)
    country = forms.CharField(required=False, max_length=2, help_text="ISO code, e.g. DE")
    region = forms.CharField(required=False, max_length=64)

    def __init__(self, *args: Any, lead: Lead, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_edit_%s")
        kwargs.setdefault("label_suffix", "")
        initial = {name: getattr(lead, name) for name in PERSON_FIELDS}
        kwargs["initial"] = {**initial, "expected_version": lead.version}
        super().__init__(*args, **kwargs)

    def changes(self) -> dict[str, Any]:
        """The fields whose value differs from what the page showed."""
        out = {}
        for name in PERSON_FIELDS:
            new, old = self.cleaned_data.get(name), self.initial.get(name)
            if (new or None) != (old or None):
                out[name] = new
        return out
