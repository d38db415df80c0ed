"""Forms for connecting chat tools and routing events to them."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional

from marketplace.integrations.models import ConnectionKind, RuleEvent

KIND_LABELS = {
    ConnectionKind.SLACK_WEBHOOK: "Slack incoming webhook",
    ConnectionKind.SLACK_BOT: "Slack bot (Web API token)",
    ConnectionKind.TEAMS_WORKFLOW: "Microsoft Teams workflow webhook",
}
EVENT_LABELS = {
    RuleEvent.ITEM_PUBLISHED: "New item published",
    RuleEvent.ITEM_UPDATED: "Published item updated",
    RuleEvent.SPACE_OPENED: "Open space started",
    RuleEvent.SPACE_ARCHIVED: "Open space archived",
    RuleEvent.QUESTION_UNANSWERED: "Question unanswered for N hours",
    RuleEvent.REVIEW_OVERDUE: "Review past its SLA (for champions)",
    RuleEvent.WEEKLY_DIGEST: "Weekly digest of what helped",
}


class ConnectionForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=80)])
    kind = SelectField("Kind", choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()])
    url = StringField("Webhook URL", validators=[Optional(), URL(require_tld=False), Length(max=500)])
    token = StringField("Bot token", validators=[Optional(), Length(max=300)])
    channel = StringField("Channel id", validators=[Optional(), Length(max=80)])

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001 - WTForms' signature
        """Check the fields the chosen kind needs, reporting every problem at once."""
        ok = super().validate(extra_validators)
        if self.kind.data == ConnectionKind.SLACK_BOT.value:
            for name in ("token", "channel"):
                if not getattr(self, name).data:
                    getattr(self, name).errors.append("A Slack bot needs this.")
                    ok = False
        elif not self.url.data:
            self.url.errors.append("A webhook needs its URL.")
            ok = False
        return ok


class RuleForm(FlaskForm):
    connection_id = SelectField("Send to", coerce=int, choices=[])
    event = SelectField("When", choices=[SelectChoice(e.value, label) for e, label in EVENT_LABELS.items()])
    kpi_id = SelectField("Only for KPI", coerce=int, choices=[])
    department_id = SelectField("Only for department", coerce=int, choices=[])
    collection_id = SelectField("Only for collection", coerce=int, choices=[])
    hours = IntegerField("Hours (unanswered questions)", default=24, validators=[Optional(), NumberRange(1, 24 * 14)])
