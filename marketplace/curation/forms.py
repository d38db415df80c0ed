"""Forms for curating collections."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from marketplace.choices import options


class CollectionForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    intent = TextAreaField(
        "Intent: the business problem this collection serves",
        validators=[DataRequired(), Length(max=2000)],
    )
    kpi_id = SelectField("KPI it serves", coerce=int, validators=[InputRequired()])
    featured = BooleanField("Feature on the home page")
    status = RadioField("Status", choices=options([("draft", "Draft"), ("published", "Published")]), default="draft")


class AddItemForm(FlaskForm):
    item_id = IntegerField("Add an item", validators=[InputRequired()])  # the service checks it is addable


class MoveForm(FlaskForm):
    direction = RadioField("Move", choices=options([("up", "Up"), ("down", "Down")]), validators=[InputRequired()])
