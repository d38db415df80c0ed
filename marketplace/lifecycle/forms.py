"""Forms for retiring, confirming and handing over published items."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional


class RetireForm(FlaskForm):
    reason = TextAreaField("Why is it retired? Visitors will read this.",
                           validators=[DataRequired(message="Say why the item is retired."), Length(max=2000)])
    replacement_id = SelectField("Where should people go instead? (optional)", coerce=int, validators=[Optional()])


class TransferForm(FlaskForm):
    owner_id = SelectField("New owner", coerce=int, validators=[InputRequired(message="Choose the new owner.")])


class ConfirmForm(FlaskForm):
    """"Still accurate", "undo retirement": only the CSRF token."""
