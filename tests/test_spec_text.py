"""The spec text's clause catalogue (spec/cosine_similarity.md, read by cosine_spec.spec.clauses)."""

from __future__ import annotations

import pytest
from cosine_spec.spec import clauses
from cosine_spec.spec.clauses import LEVELS, ClauseError, parse_clauses

# The project's minimum clause catalogue, kept here on purpose as the external reference the spec must cover.
MINIMUM_IDS = [
    "CS-API-1", "CS-API-2", "CS-API-3",
    "CS-VAL-1", "CS-VAL-2", "CS-VAL-3", "CS-VAL-4", "CS-VAL-5", "CS-VAL-6",
    "CS-AX-1",
    "CS-RED-1", "CS-RED-2", "CS-RED-3", "CS-RED-4", "CS-RED-5", "CS-RED-6",
    "CS-SW-1", "CS-SW-2", "CS-SW-3", "CS-SW-4", "CS-SW-5",
    "CS-OUT-1", "CS-ERR-1", "CS-ERR-2", "CS-NAN-1", "CS-GRAD-1",
    "CS-EX-1", "CS-EX-2", "CS-EX-3", "CS-EX-4",
    "CS-FIT-1",
]  # fmt: skip
# Levels the catalogue states outright ("TF only: ...").
MINIMUM_TF_ONLY = ["CS-RED-5", "CS-FIT-1"]


def test_every_minimum_clause_is_in_the_spec():
    missing = [cid for cid in MINIMUM_IDS if cid not in clauses.load_clauses()]
    assert not missing, f"clauses of the minimum catalogue missing from the spec text: {missing}"


def test_minimum_tf_only_levels():
    got = {cid: clauses.load_clauses()[cid].level for cid in MINIMUM_TF_ONLY}
    assert got == dict.fromkeys(MINIMUM_TF_ONLY, "tf-only")


def test_ids_unique_and_in_file_order():
    text = clauses.spec_text()
    headings = [line.split(":")[0][4:] for line in text.splitlines() if line.startswith("### CS-")]
    assert headings == clauses.clause_ids()
    assert len(set(headings)) == len(headings)


def test_levels_and_titles_valid():
    for c in clauses.load_clauses().values():
        assert c.level in LEVELS, c
        assert c.title and c.title == c.title.strip(), c


def test_normative_ids_subset():
    normative = clauses.normative_ids()
    assert normative and set(normative) <= set(clauses.clause_ids())
    assert "CS-FIT-1" not in normative and "CS-VAL-1" in normative


def test_traceability_references_only_existing_ids():
    rows = clauses.traceability()
    known = set(clauses.clause_ids())
    unknown = sorted({cid for _, ids in rows for cid in ids} - known)
    assert not unknown, f"traceability table cites IDs that are not clauses: {unknown}"
    assert len(rows) >= 40, "every sentence of the seed page needs a row"


def test_traceability_rows_without_clause_are_page_furniture():
    bare = [sentence for sentence, ids in clauses.traceability() if not ids]
    assert all("navigation" in s or "footer" in s for s in bare), bare


def test_clause_cited_in_traceability_or_declared_beyond_seed():
    text = clauses.spec_text()
    cited = {cid for _, ids in clauses.traceability() for cid in ids}
    beyond = text.split("Decisions that go beyond the seed", 1)[1]
    uncited = [cid for cid in clauses.clause_ids() if cid not in cited and cid not in beyond]
    assert not uncited, f"clauses neither traced to the seed nor declared as decisions: {uncited}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "### CS-A-1: a\n\nLevel: normative\n\n### CS-A-1: b\n\nLevel: normative\n",
            "duplicate clause ID CS-A-1",
        ),
        ("### CS-A-1: a\n\nSome prose.\n", "has no level"),
        ("### CS-A-1: a\n\nLevel: binding\n", "the only valid levels"),
        ("### CS-A-1 a title\n\nLevel: normative\n", "malformed clause heading"),
        ("# nothing here\n", "no clause found"),
    ],
)
def test_parser_rejects_bad_text(text, message):
    with pytest.raises(ClauseError, match=message):
        parse_clauses(text)
