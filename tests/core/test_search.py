"""The one ranker behind autocomplete and "did you mean"."""

from __future__ import annotations

from bot.core.content.search import AUTOCOMPLETE_LIMIT, Ranker, fold

TOPICS = Ranker(
    [
        ("stem-cells", "What are stem cells?", ["stem cell basics"]),
        (
            "hsct",
            "HSCT: rebooting the immune system",
            [
                "aHSCT",
                "hsc",
                "stem cell transplant",
                "haematopoietic stem cell transplant",
                "bone marrow transplant",
            ],
        ),
        ("repair", "Stem cells for repair", ["myelin repair", "remyelination"]),
        ("risks", "The risks", ["side effects"]),
    ]
)


def test_fold_drops_case_accents_and_punctuation() -> None:
    assert fold("  Clínica—Stem-Cell ") == "clinica stem cell"


def test_alias_prefix_finds_hsct() -> None:
    assert TOPICS.rank("hsc")[0].key == "hsct"


def test_typo_in_alias_finds_hsct() -> None:
    assert TOPICS.rank("bone marow")[0].key == "hsct"


def test_full_alias_phrase_ranks_its_topic_first() -> None:
    assert TOPICS.rank("stem cell transplant")[0].key == "hsct"


def test_typo_in_title_word() -> None:
    assert TOPICS.rank("remylination")[0].key == "repair"


def test_nonsense_finds_nothing() -> None:
    assert TOPICS.rank("xyzzy") == []


def test_empty_query_lists_all_in_display_order() -> None:
    assert [m.key for m in TOPICS.rank("")] == ["stem-cells", "hsct", "repair", "risks"]


def test_results_never_exceed_discords_25() -> None:
    many = Ranker((f"t{i}", f"Topic {i}", []) for i in range(60))
    assert len(many.rank("topic")) == AUTOCOMPLETE_LIMIT
    assert len(many.rank("topic", limit=100)) == AUTOCOMPLETE_LIMIT


def test_best_requires_confidence() -> None:
    assert TOPICS.best("AHSCT") == "hsct"
    assert TOPICS.best("side effect") == "risks"
    assert TOPICS.best("hcst") is None


def test_suggestions_are_stricter_than_autocomplete() -> None:
    assert [m.key for m in TOPICS.suggest("remylination")] == ["repair"]
    assert TOPICS.suggest("qqqq zzzz") == []
