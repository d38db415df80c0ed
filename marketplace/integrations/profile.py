"""Our xAPI profile document (JSON-LD, xAPI Profiles spec): verbs, activity types and extensions."""

from __future__ import annotations

from marketplace.events.models import ObjectType
from marketplace.integrations import xapi

OWN_VERB_TEXT = {
    "played": "Played most of a Quick Learn video.",
    "answer-accepted": "Had an answer accepted by the person who asked in a space.",
    "endorsed": "Endorsed a colleague for a skill.",
}
EXTENSION_TEXT = {
    "moment-of-need": "The moment of need the item serves: new, more, apply, change or solve.",
    "kpis": "Slugs of the business KPIs the item serves.",
    "space": "Slug of the space (pop-up community) the activity belongs to.",
    "context": "Further context of the learning event.",
}


def document() -> dict:
    """The profile, with stable IRIs under PUBLIC_BASE_URL/xapi/."""
    profile_id = xapi.iri("profile")
    version = profile_id + "/v1"
    concepts = [
        {"id": xapi.iri(f"verbs/{name}"), "type": "Verb", "inScheme": version, "prefLabel": {"en": name},
         "definition": {"en": text}}
        for name, text in OWN_VERB_TEXT.items()
    ]
    concepts += [
        {"id": xapi.iri(f"activities/{kind.value}"), "type": "ActivityType", "inScheme": version,
         "prefLabel": {"en": kind.value}, "definition": {"en": f"A marketplace {kind.value}."}}
        for kind in ObjectType
    ]
    concepts += [
        {"id": xapi.iri(f"extensions/{name}"), "type": "ActivityExtension", "inScheme": version,
         "prefLabel": {"en": name}, "definition": {"en": text}}
        for name, text in EXTENSION_TEXT.items()
    ]
    return {
        "@context": "https://w3id.org/xapi/profiles/context",
        "id": profile_id,
        "type": "Profile",
        "conformsTo": "https://w3id.org/xapi/profiles#1.0",
        "prefLabel": {"en": "The marketplace: informal learning in the flow of work"},
        "definition": {"en": "Verbs, activity types and extensions in statements sent by the learning marketplace. "
                              "Actors are accounts (homePage = the company's, name = our user id), never e-mail addresses. "
                              "ADL verbs are used where they exist: experienced, completed, answered, asked, voted."},
        "author": {"type": "Organization", "name": "The marketplace"},
        "versions": [{"id": version, "generatedAtTime": "2026-12-02T00:00:00Z"}],
        "concepts": concepts,
    }
