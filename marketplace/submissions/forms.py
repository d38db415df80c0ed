"""Forms for submitting, reviewing and curating submissions (CSRF comes from Flask-WTF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from marketplace.catalog.models import ITEM_TYPES
from marketplace.choices import options

DECISIONS = [("approve", "Approve and publish"), ("changes", "Request changes"), ("reject", "Reject")]


class SubmissionForm(FlaskForm):
    type = RadioField("What are you sharing?", choices=options(list(ITEM_TYPES.items())[::-1]), default="quick_learn",
                      validators=[InputRequired()])
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    summary = TextAreaField("Summary: what will someone be able to do?", validators=[Length(max=500)])
    moment_id = SelectField("Moment of need", coerce=int, validators=[InputRequired()])
    kpi_ids = SelectMultipleField("KPIs it serves", coerce=int, validators=[Optional()])
    skill_ids = SelectMultipleField("Skills", coerce=int, validators=[Optional()])
    department_id = SelectField("Department (its champions review it)", coerce=int, validators=[InputRequired()])
    file = MultipleFileField("Video, image or PDF (several images make a photo sequence)")
    captions = TextAreaField("Image captions, one line per image, in order (optional)", validators=[Length(max=20_000)])
    transcript = TextAreaField("Transcript or captions (optional)", validators=[Length(max=20_000)])
    body = TextAreaField("Job aid (Markdown)", validators=[Length(max=50_000)])
    steps = TextAreaField("Checklist steps, one per line", validators=[Length(max=20_000)])
    ai_use = RadioField("Did AI generate this, or substantially help write it?", choices=options([
        ("none", "No"), ("assisted", "Yes, AI substantially assisted"), ("generated", "Yes, AI generated it")]),
        default="none", validate_choice=False, validators=[Optional()])  # not answered: "No"; the service clamps
    save_draft = SubmitField("Save draft")
    submit_review = SubmitField("Submit for review")

    @property
    def step_lines(self) -> list[str]:
        """The checklist steps the person typed, blank lines dropped."""
        return [line.strip() for line in (self.steps.data or "").splitlines() if line.strip()]

    @property
    def files(self) -> list:
        """The files chosen, in the order the browser sent them (none: keep the current ones)."""
        return list(self.file.data or [])

    @property
    def caption_lines(self) -> list[str]:
        """One caption per image; a blank line leaves that image without one."""
        lines = [line.strip() for line in (self.captions.data or "").splitlines()]
        while lines and not lines[-1]:
            lines.pop()
        return lines

    # Not named validate_captions: WTForms would run that itself, without knowing the image count.
    def check_captions(self, image_count: int) -> bool:
        """Captions must fit the images they describe: no more lines than images, each short."""
        if self.type.data != "quick_learn":
            return True
        lines = self.caption_lines
        if len(lines) > image_count:
            have = f"{image_count} image{'s' if image_count != 1 else ''}" if image_count else "no images"
            self.captions.errors.append(f"There are {len(lines)} caption lines but {have}: write one line per image, in order.")
            return False
        if any(len(line) > 300 for line in lines):
            self.captions.errors.append("Keep each caption under 300 characters.")
            return False
        return True

    def submitting(self) -> bool:
        """True when the person pressed "Submit for review" rather than "Save draft"."""
        return bool(self.submit_review.data)

    def validate_for_submit(self, has_media: bool) -> bool:
        """A draft needs a title; a submission needs everything its type needs (the service's rule)."""
        from marketplace.submissions.services import missing_for_submit

        problems = missing_for_submit(self.type.data, self.summary.data, len(self.kpi_ids.data or []),
                                      has_media or bool(self.files), self.body.data, len(self.step_lines))
        for name, message in problems.items():
            getattr(self, name).errors.append(message)
        return not problems and self.check_step_lengths()

    def check_step_lengths(self) -> bool:
        """Each checklist step fits on a line."""
        if any(len(line) > 300 for line in self.step_lines):
            self.steps.errors.append("Keep each step under 300 characters.")
            return False
        return True


class PreviewForm(FlaskForm):
    body = TextAreaField("Job aid (Markdown)", validators=[Length(max=50_000)])


class DecisionForm(FlaskForm):
    decision = RadioField("Decision", choices=options(DECISIONS), validators=[InputRequired(message="Choose a decision.")])
    note = TextAreaField("Reason or comments for the submitter", validators=[Length(max=5000)])

    def validate_note(self, field) -> None:
        """Rejections need a reason and change requests need comments."""
        if self.decision.data in {"reject", "changes"} and not (field.data or "").strip():
            needed = "a reason" if self.decision.data == "reject" else "comments saying what to change"
            raise ValidationError(f"Give {needed}.")


class RedactForm(FlaskForm):
    text = StringField("Text to remove everywhere (an email, a phone number…)", validators=[DataRequired(), Length(min=3, max=300)])


class ReviewerEditForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    summary = TextAreaField("Summary", validators=[Length(max=500)])
    body = TextAreaField("Job aid (Markdown)", validators=[Length(max=50_000)])


class CommentForm(FlaskForm):
    text = TextAreaField("Comment", validators=[DataRequired(), Length(max=5000)])


class ActionForm(FlaskForm):
    """A bare form for one-button actions (claim, release, remove): only the CSRF token."""


class TrustedForm(FlaskForm):
    user_id = SelectField("Person", coerce=int, validators=[InputRequired()])
    department_id = SelectField("Department", coerce=int, validators=[InputRequired()])


class TermForm(FlaskForm):
    term = StringField("Confidential term", validators=[DataRequired(), Length(min=2, max=120)])
