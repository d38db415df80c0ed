"""Small forms for checklist ticks and helpfulness votes (CSRF comes from Flask-WTF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import InputRequired

from marketplace.choices import options


class TickForm(FlaskForm):
    checked = RadioField("Done", choices=options([("1", "Done"), ("0", "Not done")]), validators=[InputRequired()])


class HelpfulForm(FlaskForm):
    answer = RadioField("Was this helpful?", choices=options([("yes", "Yes"), ("no", "No")]), validators=[InputRequired()])
