"""Word lists the rules rely on: speech verbs, roles, organisation words, outlets, months, honorifics."""

from __future__ import annotations

SPEECH_VERBS = frozenset({
    "said", "says", "say", "told", "tells", "added", "adds", "explained", "explains", "warned", "warns",
    "insisted", "insists", "described", "describes", "stated", "states", "claimed", "claims", "argued",
    "argues", "urged", "urges", "noted", "notes", "continued", "wrote", "writes", "declared",
    "admitted", "commented", "remarked", "suggested", "asked", "replied", "cautioned", "acknowledged",
})
HONORIFICS = frozenset({
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "dame", "lord", "lady", "rev",
    "reverend", "baroness", "cllr", "councillor",
})
# Head words of job titles, used to split "National Crime Agency Director Rob Jones".
ROLE_WORDS = frozenset({
    "director", "executive", "officer", "head", "chair", "chairman", "chairwoman", "chairperson",
    "president", "founder", "co-founder", "manager", "minister", "secretary", "spokesperson",
    "spokeswoman", "spokesman", "agent", "commissioner", "lead", "coordinator", "researcher",
    "professor", "psychologist", "analyst", "campaigner", "adviser", "advisor", "editor", "ceo",
    "superintendent", "inspector", "constable", "detective", "chief", "deputy", "trustee", "governor",
    "mayor", "senator", "representative", "councillor", "economist", "scientist", "lecturer",
    "consultant", "nurse", "doctor", "paediatrician", "pediatrician", "teacher", "headteacher",
    "principal", "counsellor", "counselor", "worker", "officer", "mp", "msp", "ms", "lawyer",
    "solicitor", "barrister", "attorney", "commander", "sheriff", "policy", "campaigns",
})
SPOKESPERSON_WORDS = frozenset({"spokesperson", "spokeswoman", "spokesman", "representative", "spokespeople"})
ORG_WORDS = frozenset({
    "agency", "society", "foundation", "trust", "network", "institute", "department", "office",
    "council", "association", "government", "university", "college", "charity", "authority", "centre",
    "center", "commission", "service", "services", "police", "ministry", "group", "alliance", "board",
    "bureau", "union", "federation", "fund", "committee", "partnership", "league", "coalition",
    "company", "inc", "ltd", "plc", "corporation", "council", "nhs", "parliament", "congress", "senate",
    "party", "hospital", "school", "court", "unit", "campaign", "helpline", "project", "lab",
    "laboratory", "observatory", "forum", "mission", "bank", "statistics", "research",
})
PLACE_WORDS = frozenset({
    "uk", "u.k", "u.k.", "britain", "england", "wales", "scotland", "ireland", "london", "us", "u.s",
    "u.s.", "america", "american", "british", "europe", "european", "national", "international",
    "éire", "northern", "east", "west", "north", "south",
})
OUTLET_WORDS = frozenset({
    "news", "times", "post", "guardian", "independent", "telegraph", "mail", "mirror", "express",
    "herald", "journal", "gazette", "reuters", "bloomberg", "bbc", "itv", "cnn", "nbc", "abc", "cbs",
    "npr", "sky", "observer", "standard", "tribune", "chronicle", "economist", "politico", "axios",
    "associated", "press", "radio", "telegraph", "sun", "metro", "huffpost", "buzzfeed", "vice", "fox",
})
# Nouns an article uses to point back at an organisation already named ("the charity said").
ORG_REFERENCES = frozenset({
    "charity", "foundation", "network", "agency", "regulator", "trust", "institute", "department",
    "government", "organisation", "organization", "company", "firm", "app", "platform", "watchdog",
    "group", "council", "association", "body", "authority", "service", "ministry", "bureau", "union",
    "campaign", "helpline", "society", "centre", "center", "tech giant", "social network",
})
# Nouns that point back at the study a figure comes from ("the survey found").
STUDY_REFERENCES = frozenset({
    "survey", "report", "study", "analysis", "research", "poll", "figures", "data", "findings",
    "researchers", "review", "audit", "census", "statistics", "investigation", "index",
})
OUTLET_REFERENCES = frozenset({"outlet", "newspaper", "paper", "broadcaster", "publication", "station", "network"})
MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12, "jan": 1, "feb": 2, "mar": 3,
    "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
WEEKDAYS = frozenset({"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"})
# Capitalised words that start sentences or name days/months and are not names.
NOT_NAME_WORDS = frozenset({
    "the", "a", "an", "this", "that", "these", "those", "it", "its", "he", "she", "they", "we", "i",
    "his", "her", "their", "our", "but", "and", "or", "in", "on", "at", "for", "from", "of", "as", "if",
    "when", "while", "there", "according", "however", "meanwhile", "earlier", "later", "last", "some",
    "many", "most", "more", "less", "about", "almost", "over", "under", "nearly", "around", "one",
    "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "half", "where", "what",
    "who", "why", "how", "young", "girls", "boys", "children", "parents", "police", "councils",
    "campaigners", "families", "people", "black", "white", "industry", "free", "food", "reports",
    "calls", "child", "youth", "anyone", "if", "then", "after", "before", "during", "with", "without",
    "by", "to", "up", "down", "all", "every", "each", "no", "not", "also", "just", "only", "such",
    *MONTHS, *WEEKDAYS,
})
