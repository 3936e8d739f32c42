"""Which of our predicates mean the same as a Wikidata property, and the reference properties we use.

Only properties whose number and meaning were checked in public sources are listed (property
tables in datanav/docs ``talk/datatypes/event.rst``, a Wikidata query in Mind-the-Cap/Observatory's
README, a property census in Chiodo53/astronomers; the reference properties from the linking digest
§4 and the issue). A predicate that is not here has no Wikidata counterpart we can vouch for: its
statements go to the "needs an item / needs a property" report instead of QuickStatements.

No class QIDs are listed: ``graph/reference/wikidata.tsv`` verifies items only, so the Mix'n'match
``type`` column stays empty.
"""

from __future__ import annotations

from blackjanuary.config import CANONICAL_BASE_IRI
from blackjanuary.rdf.vocab import SCHEMA, SEM

WIKIDATA_PROPERTIES: dict[str, str] = {
    SCHEMA + "location": "P276",  # location
    SCHEMA + "startDate": "P580",  # start time
    SCHEMA + "endDate": "P582",  # end time
    SEM + "hasActor": "P710",  # participant
    SCHEMA + "memberOf": "P463",  # member of
    CANONICAL_BASE_IRI + "ontology#killedCount": "P1120",  # number of deaths
}
"""Our predicate IRI (canonical base) → Wikidata property ID."""

REFERENCE_URL = "P854"
QUOTE = "P1683"
RETRIEVED = "P813"


def wikidata_property(predicate: str, base_iri: str) -> str | None:
    """The Wikidata property for one of our predicates, under any deployment base IRI."""
    if predicate.startswith(base_iri) and base_iri != CANONICAL_BASE_IRI:
        predicate = CANONICAL_BASE_IRI + predicate[len(base_iri) :]
    return WIKIDATA_PROPERTIES.get(predicate)
