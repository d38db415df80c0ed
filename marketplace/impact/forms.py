"""Forms for importing readings, API tokens, proficiency cases and experiment outcomes."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DecimalField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.choices import options


class ImportForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file to upload.")])


class ConfirmForm(FlaskForm):
    """Only the CSRF token: the upload is kept on the server between preview and confirmation."""


class TokenForm(FlaskForm):
    name = StringField("Name (who or what will use it)", validators=[DataRequired(), Length(max=120)])
    kpi_ids = SelectMultipleField("KPIs it may write", coerce=int, validators=[InputRequired("Choose at least one KPI.")],
                                  option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))


class ProficiencyForm(FlaskForm):
    role = StringField("Role", validators=[DataRequired(), Length(max=120)])
    kpi_id = SelectField("KPI it relates to", coerce=int, validators=[Optional()])
    days_before = DecimalField("Days to proficiency before", validators=[InputRequired(), NumberRange(min=0, max=3650)])
    days_after = DecimalField("Days to proficiency now", validators=[InputRequired(), NumberRange(min=0, max=3650)])
    hires_per_year = IntegerField("Hires per year", validators=[InputRequired(), NumberRange(min=0, max=1_000_000)])
    daily_cost = DecimalField("Cost of one day (salary and lost output)", validators=[InputRequired(), NumberRange(min=0, max=1_000_000)])
    currency = StringField("Currency", default="EUR", validators=[DataRequired(), Length(max=8)])


class OutcomeForm(FlaskForm):
    status = RadioField("Outcome", choices=options([("kept", "Kept"), ("dropped", "Dropped")]), validators=[InputRequired("Choose kept or dropped.")])
    learned = TextAreaField("What we learned", validators=[DataRequired(), Length(max=4000)])
    kpi_id = SelectField("KPI it aimed at (optional)", coerce=int, validators=[Optional()])
