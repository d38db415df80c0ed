"""Forms for signing in, the account page and administering users."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

PASSWORD_MIN = 10


def syntactically_valid_email(_form, field) -> None:
    """Accept any well-formed address, including demo and internal domains (@demo.test, @corp.local).

    Deliverability is not the app's business; email-validator refuses special-use names such
    as .test or .local outright, so those are checked for syntax with a .test suffix instead.
    """
    value = (field.data or "").strip()
    try:
        validate_email(value, check_deliverability=False, globally_deliverable=False, test_environment=True)
    except EmailNotValidError as error:
        if "special-use" not in str(error):
            raise ValidationError(f"Enter an e-mail address like name@example.com ({error}).") from None
        try:
            validate_email(value + ".test", check_deliverability=False, globally_deliverable=False, test_environment=True)
        except EmailNotValidError as again:
            raise ValidationError(f"Enter an e-mail address like name@example.com ({again}).") from None


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=512)])


class UserForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("Email", validators=[DataRequired(), Length(max=254), syntactically_valid_email])
    department_id = SelectField("Department", coerce=int, validators=[Optional()])
    is_curator = BooleanField("Curator")
    is_leader = BooleanField("Leader")
    is_admin = BooleanField("Admin")
    champion_of = SelectMultipleField("Champion of", coerce=int, validators=[Optional()])
    active = BooleanField("Active", default=True)


class NewUserForm(UserForm):
    password = PasswordField("Initial password", validators=[DataRequired(), Length(min=PASSWORD_MIN, max=512)])


class ChangePasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=512)])
    new = PasswordField(
        "New password", validators=[DataRequired(), Length(min=PASSWORD_MIN, max=512)],
        description=f"At least {PASSWORD_MIN} characters. A short sentence works well.",
    )
    confirm = PasswordField("New password again", validators=[DataRequired(), EqualTo("new", "The two new passwords differ.")])
