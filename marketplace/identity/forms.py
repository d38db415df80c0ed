"""Forms on the provisioning admin page."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from marketplace.choices import options
from marketplace.identity.models import MappedRole


class TokenForm(FlaskForm):
    label = StringField("Label", validators=[DataRequired(), Length(max=120)])


class MappingForm(FlaskForm):
    group_name = StringField("Identity-provider group", validators=[DataRequired(), Length(max=255)])
    role = SelectField("Grants", choices=options((r.value, r.value.capitalize()) for r in MappedRole))
    department_id = SelectField("Department (champions)", coerce=int, validators=[Optional()])
