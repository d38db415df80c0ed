"""Forms for the action-mapping intake and the triage board."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from marketplace.choices import options
from marketplace.requests.models import CAUSE_LABELS, SOLUTION_LABELS
from marketplace.requests.services import LINK_KINDS


class RequestForm(FlaskForm):
    title = StringField("In one line: what should change?", validators=[DataRequired(message="Give the request a one-line title."), Length(max=200)])
    department_id = SelectField("Which team?", coerce=int, validators=[InputRequired()])
    kpi_id = SelectField("The business KPI this should move", coerce=int, validators=[InputRequired(message="Choose the KPI.")])
    kpi_current = StringField("Its value today", validators=[DataRequired(message="Say where the KPI is today."), Length(max=60)])
    kpi_target = StringField("The target", validators=[DataRequired(message="Say where it should get to."), Length(max=60)])
    target_date = DateField("By when", validators=[Optional()])
    behaviour = TextAreaField("What do people do, or fail to do, that keeps the KPI where it is?",
                              validators=[DataRequired(message="Describe the behaviour gap."), Length(max=5000)])
    who = StringField("Who does it?", validators=[DataRequired(message="Say who."), Length(max=200)])
    frequency = StringField("How often does it come up?", validators=[Length(max=120)])
    leader_modelling = TextAreaField("How do leaders model the right behaviour today?", validators=[Length(max=2000)])
    cause = RadioField("What most likely causes the gap?", choices=options(CAUSE_LABELS.items()),
                       validators=[InputRequired(message="Choose the likely cause.")])
    solution = RadioField("What would help, in the flow of work?", choices=options(SOLUTION_LABELS.items()),
                          validators=[InputRequired(message="Choose a proposed solution.")])


class AcceptForm(FlaskForm):
    owner_id = SelectField("Owner", coerce=int, validators=[InputRequired(message="Choose an owner.")])
    due_date = DateField("Due date", validators=[Optional()])


class DeclineForm(FlaskForm):
    reason = TextAreaField("Reason for the requester", validators=[DataRequired(message="Give a reason."), Length(max=2000)])


class MergeForm(FlaskForm):
    into_id = SelectField("Duplicate of", coerce=int, validators=[InputRequired(message="Choose the request it duplicates.")])


class LinkForm(FlaskForm):
    kind = SelectField("What was delivered", choices=options(LINK_KINDS.items()), validators=[InputRequired()])
    reference = StringField("Its address or slug (e.g. /items/how-to-…)", validators=[DataRequired(message="Paste the address."), Length(max=300)])


class GapForm(FlaskForm):
    query = StringField("Search", validators=[DataRequired(), Length(max=200)])


class StepForm(FlaskForm):
    """One-button steps (deliver): only the CSRF token."""
