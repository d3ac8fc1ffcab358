"""From the `/journal add` options and the entry form to a checked draft: one set of rules for both."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from journal_factory import make_entry

from bot.core.journal import rules
from bot.core.journal.drafts import (
    NOTHING_TO_SAVE,
    DetailsForm,
    EntryForm,
    EntryOptions,
    TypedEntryForm,
    entry_kind,
    has_content,
    symptoms_text,
    therapy_text,
)
from bot.core.journal.kinds import (
    Answer,
    AppointmentDetails,
    BloodCountDetails,
    CountUnit,
    MedicineAction,
    MedicineDetails,
    MedicineKind,
    Milestone,
    MilestoneDetails,
    MriDetails,
    RelapseDetails,
    Scale,
    ScoreDetails,
    Scorer,
    VaccinationDetails,
)
from bot.core.journal.model import DETAILS_OF_KIND, EntryDraft, EntryKind, EntrySource, Phase, Therapy
from bot.errors import InvalidInput

TODAY = date(2026, 3, 2)
DAY = rules.MemberDay(TODAY, TODAY, zone_known=True)


@pytest.mark.parametrize(
    ("draft", "expected"),
    [
        (EntryDraft(entry_date=TODAY), False),
        (EntryDraft(entry_date=TODAY, kind=EntryKind.MILESTONE), False),
        (EntryDraft(entry_date=TODAY, feeling=0), True),
        (EntryDraft(entry_date=TODAY, mood=4), True),
        (EntryDraft(entry_date=TODAY, therapy=Therapy.MSC), True),
        (EntryDraft(entry_date=TODAY, phase=Phase.RECOVERY), True),
        (EntryDraft(entry_date=TODAY, notes="x"), True),
        (EntryDraft(entry_date=TODAY, side_effects="rash"), True),
    ],
)
def test_an_entry_needs_something_besides_its_date_and_kind(draft: EntryDraft, expected: bool) -> None:
    assert has_content(draft) is expected


def test_the_kind_is_chosen_else_kept_else_read_from_the_ratings() -> None:
    assert entry_kind(rated=True) is EntryKind.CHECKIN
    assert entry_kind(rated=False) is EntryKind.NOTE
    assert entry_kind(rated=True, chosen=EntryKind.RELAPSE) is EntryKind.RELAPSE
    assert entry_kind(rated=False, stored=EntryKind.MILESTONE) is EntryKind.MILESTONE
    assert entry_kind(rated=False, stored=EntryKind.CHECKIN) is EntryKind.NOTE  # the ratings were removed
    assert entry_kind(rated=True, stored=EntryKind.NOTE) is EntryKind.CHECKIN
    assert entry_kind(rated=False, chosen=EntryKind.NOTE, stored=EntryKind.RELAPSE) is EntryKind.NOTE


def test_options_become_a_checked_draft() -> None:
    draft = EntryOptions(
        entry_date="yesterday",
        feeling=6,
        symptoms="fatigue 7, pain 2",
        therapy="  hsct ",
        phase="mobilization",
        notes="  Collection tomorrow  ",
        side_effects="bone pain",
    ).to_draft(DAY)
    assert draft == EntryDraft(
        entry_date=date(2026, 3, 1),
        kind=EntryKind.CHECKIN,
        source=EntrySource.SLASH,
        therapy=Therapy.AHSCT,
        phase=Phase.MOBILISATION,
        feeling=6,
        fatigue=7,
        pain=2,
        side_effects="bone pain",
        notes="Collection tomorrow",
    )


def test_options_with_only_words_are_a_note_and_a_chosen_kind_wins() -> None:
    assert EntryOptions(notes="a quiet day").to_draft(DAY).kind is EntryKind.NOTE
    assert EntryOptions(symptoms="pain 3").to_draft(DAY).kind is EntryKind.CHECKIN
    assert EntryOptions(notes="walked", kind="milestone").to_draft(DAY).kind is EntryKind.MILESTONE


def test_every_problem_in_the_options_is_reported_at_once() -> None:
    options = EntryOptions(entry_date="03/02/2026", symptoms="fatigue 12", phase="moon", kind="diary")
    with pytest.raises(InvalidInput) as refused:
        options.to_draft(DAY)
    message = refused.value.message
    assert message.startswith("A few things need fixing") and message.endswith("Nothing was saved.")
    for part in ("YYYY-MM-DD", "from 0 to 10", "phase 'moon'", "entry type 'diary'"):
        assert part in message


def test_a_kind_alone_has_nothing_to_save() -> None:
    with pytest.raises(InvalidInput) as refused:
        EntryOptions(kind="relapse").to_draft(DAY)
    assert refused.value.message == NOTHING_TO_SAVE


def test_options_decide_when_the_form_opens_instead() -> None:
    assert EntryOptions().opens_form and EntryOptions(entry_date="2026-01-01").opens_form
    assert not EntryOptions(kind="note").opens_form and not EntryOptions(feeling=0).opens_form
    assert EntryOptions(entry_date="  ").form() == EntryForm(entry_date="today")
    assert EntryOptions(entry_date=" 2026-01-01 ").form() == EntryForm(entry_date="2026-01-01")


def test_the_form_makes_a_new_entry() -> None:
    form = EntryForm(feeling="7/10", symptoms="fat 5", phase="recovery", notes="Home!")
    assert form.to_draft(DAY, None) == EntryDraft(
        entry_date=TODAY,
        kind=EntryKind.CHECKIN,
        source=EntrySource.MODAL,
        phase=Phase.RECOVERY,
        feeling=7,
        fatigue=5,
        notes="Home!",
    )


def test_an_edit_keeps_what_the_form_does_not_show() -> None:
    """Kind (a milestone stays one), source and side effects come from the stored entry."""
    stored = EntryDraft(
        entry_date=date(2026, 2, 1),
        kind=EntryKind.MILESTONE,
        source=EntrySource.DM_QUICK,
        side_effects="hair loss",
        notes="old words",
    )
    edited = EntryForm(entry_date="2026-02-01", notes="new words").to_draft(DAY, stored)
    assert (edited.kind, edited.source, edited.side_effects, edited.notes) == (
        EntryKind.MILESTONE,
        EntrySource.DM_QUICK,
        "hair loss",
        "new words",
    )
    rated = EntryForm(feeling="5", notes="x").to_draft(DAY, EntryDraft(entry_date=TODAY, notes="y"))
    assert rated.kind is EntryKind.CHECKIN


def test_a_form_with_only_a_date_has_nothing_to_save() -> None:
    with pytest.raises(InvalidInput) as refused:
        EntryForm(entry_date="today").to_draft(DAY, None)
    assert refused.value.message == NOTHING_TO_SAVE


def test_a_form_in_the_future_is_refused_against_the_members_own_day() -> None:
    with pytest.raises(InvalidInput, match="is in the future"):
        EntryForm(entry_date="2026-03-03", notes="x").to_draft(DAY, None)


def test_a_stored_entry_fills_the_form_and_saves_back_unchanged() -> None:
    stored = make_entry(
        3,
        entry_date=date(2026, 2, 14),
        kind=EntryKind.CHECKIN,
        therapy=Therapy.OTHER,
        therapy_other="ocrelizumab, 600 mg",
        phase=Phase.FOLLOW_UP,
        feeling=8,
        fatigue=2,
        cognition=1,
        notes="Clinic visit",
    )
    form = EntryForm.from_entry(stored)
    assert form == EntryForm(
        entry_date="2026-02-14",
        feeling="8",
        symptoms="fatigue 2, cognition 1",
        phase="follow_up",
        notes="Clinic visit",
    )
    assert form.to_draft(DAY, stored.to_draft()) == stored.to_draft()
    details = DetailsForm.from_entry(stored)
    assert (details.therapy, details.therapy_other, details.phase) == (
        "other",
        "ocrelizumab, 600 mg",
        "follow_up",
    )
    assert details.to_draft(DAY, stored.to_draft()) == stored.to_draft()


def test_more_details_set_therapy_side_effects_and_phase_of_a_stored_entry() -> None:
    stored = EntryDraft(entry_date=TODAY, kind=EntryKind.CHECKIN, feeling=5, notes="x")
    form = DetailsForm(therapy="ahsct", phase="recovery", side_effects=" fever ", notes="x")
    assert form.to_draft(DAY, stored) == replace(
        stored, therapy=Therapy.AHSCT, phase=Phase.RECOVERY, side_effects="fever"
    )
    own_words = DetailsForm(therapy_other="BEAT-MS trial", notes="x").to_draft(DAY, stored)
    assert (own_words.therapy, own_words.therapy_other) == (Therapy.OTHER, "BEAT-MS trial")
    with pytest.raises(InvalidInput, match="only goes with the therapy 'Other'"):
        DetailsForm(therapy="msc", therapy_other="words", notes="x").to_draft(DAY, stored)
    with pytest.raises(InvalidInput, match="saved first"):
        DetailsForm(notes="x").to_draft(DAY, None)


@pytest.mark.parametrize(
    ("kind", "values", "expected"),
    [
        (EntryKind.MILESTONE, {"milestone": "reinfusion"}, MilestoneDetails(Milestone.REINFUSION)),
        (EntryKind.MILESTONE, {"milestone": "Back home"}, MilestoneDetails(Milestone.BACK_HOME)),
        (
            EntryKind.RELAPSE,
            {"what_changed": " left leg numb ", "steroids": "yes"},
            RelapseDetails("left leg numb", Answer.YES),
        ),
        (EntryKind.RELAPSE, {}, RelapseDetails()),
        (EntryKind.MRI, {"new_lesions": "2", "enhancing": "no"}, MriDetails(2, Answer.NO)),
        (EntryKind.MRI, {"new_lesions": "not stated"}, MriDetails(None, Answer.UNKNOWN)),
        (EntryKind.SCORE, {"edss": "3.5"}, ScoreDetails(Scale.EDSS, 3.5, Scorer.NEUROLOGIST)),
        (
            EntryKind.SCORE,
            {"edss": "2,0", "scored_by": "clinician"},
            ScoreDetails(Scale.EDSS, 2.0, Scorer.CLINICIAN),
        ),
        (EntryKind.SCORE, {"pdds": "3"}, ScoreDetails(Scale.PDDS, 3, Scorer.SELF)),
        (
            EntryKind.BLOOD_COUNT,
            {"neutrophils": "1,2", "platelets": "150"},
            BloodCountDetails(1.2, 150, None, CountUnit.PER_LITRE),
        ),
        (
            EntryKind.BLOOD_COUNT,
            {"lymphocytes": "1,200", "count_unit": "per_ul"},
            BloodCountDetails(None, None, 1200, CountUnit.PER_MICROLITRE),
        ),
        (
            EntryKind.MEDICINE,
            {"medicine": "ocrelizumab", "medicine_kind": "dmt", "medicine_action": "stopped"},
            MedicineDetails("ocrelizumab", MedicineKind.DMT, MedicineAction.STOPPED),
        ),
        (EntryKind.VACCINATION, {"vaccine": "MMR", "dose": "2"}, VaccinationDetails("MMR", 2)),
        (EntryKind.APPOINTMENT, {"with_whom": "MS nurse"}, AppointmentDetails("MS nurse")),
    ],
)
def test_each_kind_reads_its_own_fields(kind: EntryKind, values: dict[str, str], expected: object) -> None:
    draft = TypedEntryForm(kind, "2026-02-01", values, notes="n").to_draft(DAY)
    assert (draft.kind, draft.details, draft.notes, draft.source) == (kind, expected, "n", EntrySource.MODAL)


@pytest.mark.parametrize(
    ("kind", "values", "expected"),
    [
        (EntryKind.MILESTONE, {}, "which milestone"),
        (EntryKind.MILESTONE, {"milestone": "moon landing"}, "I don't know the milestone"),
        (EntryKind.MRI, {"new_lesions": "a few"}, "whole number"),
        (EntryKind.SCORE, {}, "Please give the score"),
        (EntryKind.SCORE, {"edss": "3", "pdds": "2"}, "not both"),
        (EntryKind.SCORE, {"edss": "0.5"}, "is not on the scale"),
        (EntryKind.SCORE, {"edss": "11"}, "is not on the scale"),
        (EntryKind.SCORE, {"edss": "4", "scored_by": "self"}, "scored by a clinician"),
        (EntryKind.SCORE, {"pdds": "9"}, "whole number from 0 to 8"),
        (EntryKind.BLOOD_COUNT, {}, "at least one count"),
        (EntryKind.BLOOD_COUNT, {"platelets": "lots"}, "should be a number"),
        (EntryKind.BLOOD_COUNT, {"platelets": "99999"}, "does not look like a count"),
        (EntryKind.MEDICINE, {"medicine": "x"}, "started or stopped"),
        (EntryKind.VACCINATION, {"vaccine": "MMR", "dose": "40"}, "from 1 to 20"),
        (EntryKind.APPOINTMENT, {"with_whom": "x" * 101}, "the limit is 100"),
    ],
)
def test_each_kind_refuses_what_it_cannot_keep_kindly(
    kind: EntryKind, values: dict[str, str], expected: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        TypedEntryForm(kind, "today", values).to_draft(DAY)
    assert expected in refused.value.message and "Nothing was saved" in refused.value.message


def test_a_pdds_level_is_the_members_own_whatever_the_edss_menu_says() -> None:
    """The edit form keeps "Who gave the EDSS" set; a level saved with it stays self-rated."""
    values = {"pdds": "2", "scored_by": "neurologist"}
    draft = TypedEntryForm(EntryKind.SCORE, "today", values).to_draft(DAY)
    assert draft.details == ScoreDetails(Scale.PDDS, 2, Scorer.SELF)


def test_a_typed_form_fills_in_from_its_entry_and_saves_back_unchanged() -> None:
    for details in (
        ScoreDetails(Scale.EDSS, 6.5, Scorer.CLINICIAN),
        ScoreDetails(Scale.PDDS, 4, Scorer.SELF),
        BloodCountDetails(0.5, None, 1.25, CountUnit.PER_LITRE),
        MriDetails(None, Answer.YES),
    ):
        kind = next(k for k, shape in DETAILS_OF_KIND.items() if isinstance(details, shape))
        stored = make_entry(2, kind=kind, details=details, notes="words", therapy=Therapy.AHSCT)
        form = TypedEntryForm.from_entry(stored)
        assert form.to_draft(DAY, stored.to_draft()) == stored.to_draft()


def test_a_milestone_carries_its_phase_so_reinfusion_is_day_0() -> None:
    draft = TypedEntryForm(EntryKind.MILESTONE, "today", {"milestone": "reinfusion"}).to_draft(DAY)
    assert draft.phase is Phase.INFUSION
    moved = TypedEntryForm(EntryKind.MILESTONE, "today", {"milestone": "back_home"}).to_draft(DAY, draft)
    assert moved.phase is Phase.RECOVERY


def test_the_words_for_therapy_and_symptoms() -> None:
    assert therapy_text(EntryDraft(entry_date=TODAY)) is None
    assert therapy_text(EntryDraft(entry_date=TODAY, therapy=Therapy.MSC)) == "MSC"
    assert therapy_text(EntryDraft(entry_date=TODAY, therapy=Therapy.OTHER)) == "Other"
    assert symptoms_text(EntryDraft(entry_date=TODAY, pain=0, mood=3), " · ") == "pain 0 · mood 3"


def test_the_kept_copy_holds_what_was_typed_and_nothing_when_only_the_date_was() -> None:
    assert EntryForm(entry_date="today").kept_text() == ""
    kept = EntryForm(entry_date="yesterday", feeling="12", notes="Line one\nLine two").kept_text()
    assert kept == "Date: yesterday\nHow I feel: 12\n\nNotes:\nLine one\nLine two\n"


@pytest.mark.parametrize(
    ("values", "refused"),
    [
        ({"neutrophils": "1500"}, True),  # cells/µL copied under the default ×10⁹/L
        ({"lymphocytes": "900"}, True),
        ({"platelets": "250000"}, True),
        ({"neutrophils": "1500", "count_unit": "per_ul"}, False),
        ({"neutrophils": "0.1", "platelets": "12", "lymphocytes": "0.2"}, False),  # aplasia, as typed
        ({"platelets": "900"}, False),
    ],
)
def test_a_count_copied_in_the_other_unit_is_caught_and_real_counts_are_kept(
    values: dict[str, str], refused: bool
) -> None:
    form = TypedEntryForm(EntryKind.BLOOD_COUNT, "today", values)
    if refused:
        with pytest.raises(InvalidInput, match="please check the number and the unit"):
            form.to_draft(DAY)
    else:
        assert isinstance(form.to_draft(DAY).details, BloodCountDetails)
