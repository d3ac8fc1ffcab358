"""Labelled chat messages, as people in MS communities write them, with the outcome expected per mode.

Each row is one fresh message in a quiet channel (no earlier context, no cooldown), scanned with the
shipped default words. `strict` is the default sensitivity; `broad` lowers each bar by one signal
(a clinic word alone is enough for the caution). A failure names the row's id: read the message
and decide whether the words, the rules or the label are wrong. The larger labelled corpus is
scored in `test_clinic_corpus.py`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import NamedTuple

import pytest

from bot.core.clock import FakeClock
from bot.core.scanning import (
    ClinicWatchSettings,
    MessageScanner,
    Outcome,
    Sensitivity,
    load_clinic_watch_words,
)
from bot.settings import packaged_content_dir

GUILD_ID = 111
CHANNEL_ID = 222


class Case(NamedTuple):
    id: str
    text: str
    strict: Outcome
    broad: Outcome


CAUTION = (Outcome.CAUTION, Outcome.CAUTION)
CENTRE = (Outcome.CENTRE, Outcome.CENTRE)
BROAD_CAUTION = (Outcome.QUIET, Outcome.CAUTION)
BROAD_CENTRE = (Outcome.QUIET, Outcome.CENTRE)
QUIET = (Outcome.QUIET, Outcome.QUIET)


def case(case_id: str, text: str, expected: tuple[Outcome, Outcome]) -> Case:
    return Case(case_id, text, *expected)


CASES: list[Case] = [
    # --- unproven clinics and aHSCT at clinics abroad ---
    case("stem_cell_clinic_mexico", "Has anyone been to a stem cell clinic in Mexico?", CAUTION),
    case("clinics_plural_hsct", "Looking at clinics in Cancun for HSCT, any advice?", CENTRE),
    case("possessive_website", "The clinic's website promises to reverse MS with stem cells", CAUTION),
    case("spanish_accented", "fui a una clínica en Monterrey para el trasplante de células madre", CENTRE),
    case("spanish_plural", "Hay clínicas en Cancún que ofrecen células madre", CAUTION),
    case(
        "german_klinik_english_context",
        "My cousin went to a klinik in Germany for stem cell therapy",
        CAUTION,
    ),
    case("french_clinique", "La clinique propose des cellules souches pour la SEP", CAUTION),
    case("german_klinik_stammzellen", "Die Klinik bietet eine Therapie mit Stammzellen an", CAUTION),
    case("stem_cell_centre_alone", "Anyone heard of that stem cell centre in Panama?", CAUTION),
    case("stem_cell_center_shouting", "STEM CELL CENTER in Panama City offers MSC infusions", CAUTION),
    case("hyphenated_stem_cell_clinic", "that stem-cell clinic in Kyiv keeps posting testimonials", CAUTION),
    case("exclamations_glued", "clinic!!! they want $45k for mesenchymal cells", CAUTION),
    case("exosomes_with_emoji", "Is the clinic legit? They said exosomes would fix my walking 🤔", CAUTION),
    case("cord_blood", "The clinic offers cord blood infusions for MS", CAUTION),
    case("russian", "клиника предлагает стволовые клетки при РС", CAUTION),
    case("dutch_bone_marrow", "a kliniek in Amsterdam wants to harvest bone marrow", BROAD_CAUTION),
    case("regenerative", "booked my consult at the clinic for regenerative treatment", CAUTION),
    case("parentheses", "Clinic (in Mexico) does HSCT.", CENTRE),
    case("commas_without_spaces", "clinic,HSCT,Mexico,50k", CENTRE),
    case("url_clinic_between_hyphens", "https://example-stemcell-clinic.com says 'no side effects'", CAUTION),
    case("url_glued_phrase", "check stemcellclinic.mx before you pay anything", CAUTION),
    case(
        "ahsct_protocol", "Has anyone used the clinic in Puebla? Their aHSCT protocol looks different", CENTRE
    ),
    case("umbilical_cord_accent", "The clínica says umbilical cord stem cells are safe", CAUTION),
    case("clinics_vs_nhs", "Clinics in Mexico charge less for HSCT than the NHS waiting list", CENTRE),
    case("curly_apostrophe_whartons", "Going to a CLINIC for Wharton’s jelly injections next month", CAUTION),
    case("polish", "ta klinika proponuje komórki macierzyste na SM", CAUTION),
    case("emoji_glued", "clinic😍stem cells", CAUTION),
    case("mixed_case", "ClInIc In TiJuAnA oFfErS sTeM cElLs", CAUTION),
    case("whitespace_runs", "stem   cell\nclinic in cancun", CAUTION),
    case("double_space_centre", "the stem cell  centre emailed me back", CAUTION),
    case("turkish", "Istanbul'da bir klinik kök hücre tedavisi sunuyor", CAUTION),
    case("czech_klinika_hsct", "HSCT klinika v Praze?", BROAD_CENTRE),
    case("clinic_based_msc", "Clinic-based MSC treatments are everywhere on Instagram", CAUTION),
    case("nhs_hsct_referral_cautions_too", "I asked at the clinic about HSCT on the NHS", BROAD_CENTRE),
    case("stem_cell_tourism", "This is basically stem cell tourism, right?", CAUTION),
    # Clinics next to trial talk or a member's own care team: the other clinic word still counts.
    case("french_clinique_geneve", "la clinique à Genève propose des cellules souches", CAUTION),
    case(
        "german_klinik_deutschland", "eine Klinik in Deutschland bietet Stammzelltransplantation an", CENTRE
    ),
    case("ms_clinic_then_real_one", "The MS clinic warned me about a stem cell clinic in Cancun", CAUTION),
    case("msc_infusions_still_context", "The clinic in Panama sells MSC infusions", CAUTION),
    # Stem-cell words in German, Greek and the Romance languages, singular and plural.
    case("german_autologe_klinik", "Autologe Stammzelltransplantation in der Klinik", BROAD_CENTRE),
    case("german_stammzellen_tx", "Welche Klinik macht Stammzellentransplantation bei MS?", BROAD_CENTRE),
    case("greek_stem_cells", "Η κλινική προσφέρει βλαστοκύτταρα για τη ΣΚΠ", CAUTION),
    case("greek_capitals_accents", "ΚΛΙΝΙΚΗ στην Αθήνα με ΒΛΑΣΤΟΚΎΤΤΑΡΑ", CAUTION),
    case("greek_two_words", "Πήγε σε κλινική για βλαστικά κύτταρα", CAUTION),
    case("spanish_singular", "La clínica usa una célula madre de cordón", CAUTION),
    case("portuguese_singular", "uma clínica no Panamá com célula-tronco", CAUTION),
    case("portugal_estaminais", "clínica em Lisboa oferece células estaminais", CAUTION),
    case("italian_singular", "la clinica in Svizzera con cellula staminale", CAUTION),
    case("french_singular", "une clinique qui vend une cellule souche miracle", CAUTION),
    case("french_autogreffe", "Cette clinique fait des autogreffes pour la SEP", BROAD_CENTRE),
    # --- a clinic word without stem-cell talk: only broad mode cautions ---
    case("clinic_ran_late", "Clinic ran late again, 2 hours in the waiting room 😩", BROAD_CAUTION),
    case("spanish_neurologist", "La clínica de mi neuróloga está cerrada hoy", BROAD_CAUTION),
    case("curly_possessive", "the clinic’s parking is a nightmare", BROAD_CAUTION),
    case("walk_in_clinic", "Went to the walk-in clinic for a UTI", QUIET),
    case("clinics_near_leeds", "clinics near Leeds with short waits for MRI?", BROAD_CAUTION),
    case("german_klinikum", "Klinikum appointment Friday, wish me luck", BROAD_CAUTION),
    case("survey", "My old clinic sent me a survey", BROAD_CAUTION),
    case("inline_code", "the word `clinic` on its own", BROAD_CAUTION),
    case("french_plural", "cliniques en Suisse, des avis ?", BROAD_CAUTION),
    case("german_plural", "Kliniken in Deutschland haben lange Wartezeiten", BROAD_CAUTION),
    case("norwegian", "klinikk i Oslo ringte", BROAD_CAUTION),
    case("accented_shouting", "CLÍNICA CERRADA", BROAD_CAUTION),
    case("full_width", "ＣＬＩＮＩＣ day", BROAD_CAUTION),
    case("single_word", "Clinic.", BROAD_CAUTION),
    case("msc_degree_not_context", "Finished my MSc degree, now the clinic wants me back", BROAD_CAUTION),
    # --- a member's own MS care (care phrases): not a clinic mention in either mode ---
    case("neurologists_clinic", "I have an appointment at my neurologist's clinic tomorrow", QUIET),
    case("ms_clinic_nurse", "The MS clinic nurse was lovely today", QUIET),
    case("infusion_clinic", "my infusion clinic switched my Ocrevus day", QUIET),
    case("first_clinic_visit", "Any tips for a first MS clinic visit?", QUIET),
    case("clinic_in_url_path", "see https://www.ms-clinic.example/visit for parking", QUIET),
    case("ms_clinic_hsct", "My MS clinic appointment is tomorrow, they will talk about HSCT", QUIET),
    case("msc_thesis_neuros_clinic", "I'm doing my MSc thesis and my neuro's clinic is slow", QUIET),
    case("neurology_clinic_stem_cells", "My neurology clinic said stem cells are not an option yet", QUIET),
    case("ms_nurse_clinic_ahsct", "Asked at the MS nurse clinic whether aHSCT is on the NHS", QUIET),
    case("relapse_clinic_hsct", "relapse clinic today, neuro mentioned HSCT for the first time", QUIET),
    case("named_clinic_hsct", "Mayo Clinic has an HSCT consult service", BROAD_CENTRE),
    # The care phrase cancels only its own "clinic"; the stem-cell place in Mexico still counts.
    case("neuro_clinic_then_stem_cells", "Neurology clinic? no, it was a stem cell place in Mexico", CAUTION),
    # --- false friends and stem-cell talk without a clinic: never ---
    case("clinical_trial", "I'm in a clinical trial for BTK inhibitors", QUIET),
    case("clinically_isolated_syndrome", "Clinically isolated syndrome was my first diagnosis", QUIET),
    case("clinician_with_stem_cells", "My clinician suggested stem cells might be an option one day", QUIET),
    case("clinical_trial_ahsct", "Results from the clinical trial of aHSCT look promising", QUIET),
    case("cis_abbreviation", "CIS = clinically isolated syndrome", QUIET),
    case("clinical_relapse", "what does clinical relapse mean", QUIET),
    case("clinicaltrials_gov", "clinicaltrials.gov lists a few HSCT studies", QUIET),
    case("hsct_vs_ocrevus", "HSCT vs ocrevus, what are the risks?", QUIET),
    case("stem_cells_alone", "stem cells are fascinating", QUIET),
    case("poliklinika", "The poliklinika was closed", QUIET),
    case("russian_polyclinic", "поликлиника закрыта до понедельника", QUIET),
    case("preclinical", "preclinical data only, in mice, with stem cells", QUIET),
    case("subclinical", "Subclinical lesions showed up on my MRI", QUIET),
    case("bone_marrow_biopsy", "bone marrow biopsy was fine", QUIET),
    case("domain_glued_word", "myclinic.com keeps emailing me", QUIET),
    case("custom_emoji_named_clinic", "<:clinic:123456789012345678> lol", QUIET),
    case("repeated_without_space", "clinicclinic", QUIET),
    case("empty", "", QUIET),
    case("emoji_only", "👍", QUIET),
    case("clinical_in_spanish_masculine", "un ensayo clínico con células madre", QUIET),
    # --- "clinical trial" in other languages, where "clinical" is spelt like "clinic" ---
    case("french_essai_clinique", "Un essai clinique sur les cellules souches pour la SEP recrute", QUIET),
    case("french_essais_cliniques", "Des essais cliniques de greffe de cellules souches à Paris", QUIET),
    case("french_centre_investigation", "Le centre d'investigation clinique étudie l'autogreffe", QUIET),
    case("italian_sperimentazione", "Sperimentazione clinica con cellule staminali per la SM", QUIET),
    case("italian_ricerca_clinica", "La ricerca clinica sulle cellule staminali va avanti", QUIET),
    case("spanish_investigacion", "Investigación clínica con células madre", QUIET),
    case("spanish_historia_clinica", "Mi historia clínica dice EMRR, ¿sirven las células madre?", QUIET),
    case("portuguese_pesquisa", "Pesquisa clínica com células-tronco", QUIET),
    case("german_klinische_studie", "Es gibt eine klinische Studie zur Stammzelltransplantation", QUIET),
    case("greek_clinical_study", "Μια κλινική μελέτη με βλαστοκύτταρα", QUIET),
    case("turkish_klinik_calisma", "Kök hücre ile klinik çalışma başladı", QUIET),
]


@pytest.fixture(scope="module")
def scanners() -> dict[Sensitivity, tuple[MessageScanner, FakeClock]]:
    words = load_clinic_watch_words(packaged_content_dir())
    built: dict[Sensitivity, tuple[MessageScanner, FakeClock]] = {}
    for sensitivity in Sensitivity:
        clock = FakeClock()
        scanner = MessageScanner(words, clock)
        scanner.set_settings(replace(ClinicWatchSettings(GUILD_ID), sensitivity=sensitivity))
        built[sensitivity] = (scanner, clock)
    return built


def test_the_table_is_big_and_balanced() -> None:
    """At least 60 labelled messages covering every outcome in both modes."""
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"
    assert {c.strict for c in CASES} == set(Outcome)
    assert {c.broad for c in CASES} == set(Outcome)


@pytest.mark.parametrize("sensitivity", list(Sensitivity), ids=str)
@pytest.mark.parametrize("row", CASES, ids=[c.id for c in CASES])
def test_message(
    row: Case, sensitivity: Sensitivity, scanners: dict[Sensitivity, tuple[MessageScanner, FakeClock]]
) -> None:
    scanner, clock = scanners[sensitivity]
    # A fresh channel per row and a clock far ahead: no earlier context, no cooldown in the way.
    clock.advance(days=1)
    channel_id = CHANNEL_ID + CASES.index(row)
    expected = row.strict if sensitivity is Sensitivity.STRICT else row.broad
    result = scanner.scan(GUILD_ID, channel_id, row.text)
    assert result.outcome is expected, f"{sensitivity} mode, message {row.text!r}: expected {expected}"
    if result.alert is not None:
        assert result.alert.signals and "Why am I seeing this?" in result.alert.explanation()
