"""Forms for spaces, threads, replies, retros, experiments and harvesting."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.choices import options
from marketplace.spaces.models import EXPERIMENT_STATUSES, VISIBILITIES


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes: readable without JavaScript and easy to tick."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:  # unknown ids are dropped by the service, not an error
        pass


class SpaceForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    problem = TextAreaField("The problem this space swarms", validators=[DataRequired(), Length(max=4000)])
    kpi_id = SelectField("KPI it serves", coerce=int, validators=[Optional()])
    skill_ids = MultiCheckboxField("Skills involved", coerce=int)
    visibility = RadioField("Who can see it", choices=options(list(VISIBILITIES.items())), default="open", validators=[InputRequired()])
    chatham_house = BooleanField("Chatham House mode: nothing that leaves the space names its author")
    ends_on = DateField("End date", validators=[Optional()])
    who_knows = SelectField("Who knows…?", validators=[Optional()])
    invite_ids = MultiCheckboxField("Invite", coerce=int)
    invite_emails = StringField("Also invite by e-mail", validators=[Optional(), Length(max=2000)])


class WhoKnowsForm(FlaskForm):
    who_knows = SelectField("Who knows…?", validators=[DataRequired()])
    invite_ids = MultiCheckboxField("Invite", coerce=int)
    invite_emails = StringField("Invite by e-mail", validators=[Optional(), Length(max=2000)])


class ThreadForm(FlaskForm):
    kind = RadioField("Kind", choices=options([("question", "Question"), ("discussion", "Discussion")]), default="question", validators=[InputRequired()])
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    body = TextAreaField("Details (markdown; @name mentions notify people)", validators=[DataRequired(), Length(max=20000)])
    skill_ids = MultiCheckboxField("Skills", coerce=int)


class AskForm(FlaskForm):
    """Ask a question where someone can answer it: a matching open space or the whole company."""

    space = RadioField("Where to ask", validators=[Optional()])
    title = StringField("Your question", validators=[DataRequired(message="Write your question."), Length(max=200)])
    body = TextAreaField("Details (optional; markdown, @name mentions notify people)", validators=[Length(max=20000)])


class ReplyForm(FlaskForm):
    body = TextAreaField("Your reply (markdown)", validators=[DataRequired(), Length(max=20000)])
    parent_id = HiddenField()


class EditPostForm(FlaskForm):
    title = StringField("Title", validators=[Optional(), Length(max=200)])
    body = TextAreaField("Text (markdown)", validators=[DataRequired(), Length(max=20000)])


class HideForm(FlaskForm):
    reason = StringField("Reason for hiding", validators=[DataRequired(), Length(max=300)])


class RetroForm(FlaskForm):
    what = TextAreaField("What? What happened, in facts", validators=[DataRequired(), Length(max=8000)])
    so_what = TextAreaField("So what? Why it matters", validators=[DataRequired(), Length(max=8000)])
    now_what = TextAreaField("Now what? One experiment per line", validators=[DataRequired(), Length(max=8000)])
    due_on = DateField("Experiments due by", validators=[Optional()])


class ExperimentForm(FlaskForm):
    status = SelectField("Status", choices=options([(s, s.capitalize()) for s in EXPERIMENT_STATUSES]), validators=[InputRequired()])
    owner_id = SelectField("Owner", coerce=int, validators=[Optional()])
    due_on = DateField("Due", validators=[Optional()])


class HarvestForm(FlaskForm):
    post_ids = MultiCheckboxField("Also include these replies", coerce=int)


class LifecycleForm(FlaskForm):
    action = RadioField("Change", choices=options([("archive", "Archive"), ("reopen", "Reopen"), ("permanent", "Make permanent")]), validators=[InputRequired()])


class AnswerForm(FlaskForm):
    answer = RadioField("Answer", choices=options([("accept", "Accept"), ("decline", "Decline")]), validators=[InputRequired()])


class MemberForm(FlaskForm):
    user_id = HiddenField(validators=[DataRequired()])
