"""People: "who knows X?", profiles, skills, endorsements and the reputation help page."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, request, url_for
from flask_login import current_user, login_required

from marketplace.choices import options
from marketplace.htmx import render, see_other, wants_fragment
from marketplace.people import services
from marketplace.people.forms import SkillsForm
from marketplace.policy import require

bp = Blueprint("people", __name__)


@bp.route("/people")
@login_required
def index() -> Response:
    """Who knows a skill? People ranked by evidence, each with the reasons."""
    skill = services.skill_by_slug(request.args.get("skill"))
    experts = services.who_knows(skill.slug, viewer=current_user) if skill else []
    return render("people/index.html", "people/_results.html", skills=services.all_skills(), skill=skill, experts=experts)


def _profile_context(person) -> dict:
    form = SkillsForm(skill_ids=[s.id for s in person.skills])
    form.skill_ids.choices = options([(s.id, s.name) for s in services.all_skills()])
    return {
        "person": person, "skills": services.skill_lines(person, current_user), "form": form,
        "reputation": services.reputation(person, current_user), "spaces": services.visible_spaces_of(person, current_user),
        "points": services.POINTS,
    }


def _person(user_id: int):
    return services.get_person(user_id) or abort(404)


@bp.route("/people/<int:user_id>")
@login_required
def profile(user_id: int) -> Response:
    """A person's skills, endorsements, reputation, badges and spaces."""
    return render("people/profile.html", "people/_skills.html", **_profile_context(_person(user_id)))


@bp.route("/people/<int:user_id>/skills", methods=["POST"])
@login_required
def skills(user_id: int) -> Response:
    """Change the skills a person lists (their own, or any for an admin)."""
    person = _person(user_id)
    require("edit_skills", person)
    form = SkillsForm()
    form.skill_ids.choices = options([(s.id, s.name) for s in services.all_skills()])
    if not form.validate_on_submit():
        abort(400)
    services.set_skills(person, form.skill_ids.data or [])
    flash("Skills saved.", "success")
    return see_other(url_for("people.profile", user_id=person.id) + "#skills")


@bp.route("/people/<int:user_id>/skills/<int:skill_id>/endorse", methods=["POST"])
@login_required
def endorse(user_id: int, skill_id: int) -> Response:
    """Endorse one of a colleague's skills, or withdraw the endorsement."""
    person = _person(user_id)
    require("endorse", person)
    skill = next((s for s in person.skills if s.id == skill_id), None) or abort(404)
    services.toggle_endorsement(current_user, person, skill)
    if wants_fragment():
        return render("people/profile.html", "people/_skills.html", **_profile_context(person))
    return see_other(url_for("people.profile", user_id=person.id) + "#skills")


@bp.route("/people/reputation")
@login_required
def reputation_help() -> Response:
    """How reputation points and badges are earned."""
    return render("people/help.html", points=services.POINTS, badges=services.BADGES, weights=services.WEIGHTS)
