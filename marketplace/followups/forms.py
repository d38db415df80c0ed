"""The follow-up answer form and the follow-up settings."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired, Length

from marketplace.choices import options
from marketplace.followups.services import OBSTACLE, QUESTION


class AnswerForm(FlaskForm):
    changed = RadioField("Are you doing anything differently?", choices=options([("yes", "Yes"), ("no", "Not yet")]),
                         validators=[InputRequired("Say whether you are doing anything differently.")])
    doing_differently = TextAreaField(QUESTION, validators=[Length(max=4000)])
    got_in_the_way = TextAreaField(OBSTACLE, validators=[Length(max=4000)])


class SettingsForm(FlaskForm):
    action = RadioField("Follow-ups", choices=options([("snooze", "Snooze for four weeks"), ("off", "Turn off"), ("on", "Turn on")]),
                        validators=[InputRequired("Choose what to do.")])
