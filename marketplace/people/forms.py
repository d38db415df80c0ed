"""Forms for a person's listed skills."""

from __future__ import annotations

from flask_wtf import FlaskForm

from marketplace.spaces.forms import MultiCheckboxField


class SkillsForm(FlaskForm):
    skill_ids = MultiCheckboxField("Skills you can help others with", coerce=int)
