"""Forms for signing in and administering users."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Email, Length, Optional


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=512)])


class UserForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("Email", validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    department_id = SelectField("Department", coerce=int, validators=[Optional()])
    is_curator = BooleanField("Curator")
    is_leader = BooleanField("Leader")
    is_admin = BooleanField("Admin")
    champion_of = SelectMultipleField("Champion of", coerce=int, validators=[Optional()])
    active = BooleanField("Active", default=True)


class NewUserForm(UserForm):
    password = PasswordField("Initial password", validators=[DataRequired(), Length(min=10, max=512)])
