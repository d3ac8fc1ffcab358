"""Labelled chat messages, as people in MS communities write them, with the caution expected per mode.

Each row is one fresh message in a quiet channel (no earlier context, no cooldown), scanned with the
shipped default words. `strict` is the default sensitivity, `broad` fires on any clinic word. A
failure names the row's id: read the message and decide whether the words or the label are wrong.
"""

from __future__ import annotations

from dataclasses import replace
from typing import NamedTuple

import pytest

from bot.core.clock import FakeClock
from bot.core.scanning import ClinicWatchSettings, MessageScanner, Sensitivity, load_clinic_watch_words
from bot.settings import packaged_content_dir

GUILD_ID = 111
CHANNEL_ID = 222


class Case(NamedTuple):
    id: str
    text: str
    strict: bool
    broad: bool


FIRES = (True, True)
BROAD_ONLY = (False, True)
NEVER = (False, False)


def case(case_id: str, text: str, expected: tuple[bool, bool]) -> Case:
    return Case(case_id, text, *expected)


CASES: list[Case] = [
    # --- true mentions: a clinic word with stem-cell context ---
    case("stem_cell_clinic_mexico", "Has anyone been to a stem cell clinic in Mexico?", FIRES),
    case("clinics_plural_hsct", "Looking at clinics in Cancun for HSCT, any advice?", FIRES),
    case("possessive_website", "The clinic's website promises to reverse MS with stem cells", FIRES),
    case("spanish_accented", "fui a una clínica en Monterrey para el trasplante de células madre", FIRES),
    case("spanish_plural", "Hay clínicas en Cancún que ofrecen células madre", FIRES),
    case(
        "german_klinik_english_context", "My cousin went to a klinik in Germany for stem cell therapy", FIRES
    ),
    case("french_clinique", "La clinique propose des cellules souches pour la SEP", FIRES),
    case("german_klinik_stammzellen", "Die Klinik bietet eine Therapie mit Stammzellen an", FIRES),
    case("stem_cell_centre_alone", "Anyone heard of that stem cell centre in Panama?", FIRES),
    case("stem_cell_center_shouting", "STEM CELL CENTER in Panama City offers MSC infusions", FIRES),
    case("hyphenated_stem_cell_clinic", "that stem-cell clinic in Kyiv keeps posting testimonials", FIRES),
    case("exclamations_glued", "clinic!!! they want $45k for mesenchymal cells", FIRES),
    case("exosomes_with_emoji", "Is the clinic legit? They said exosomes would fix my walking 🤔", FIRES),
    case("cord_blood", "The clinic offers cord blood infusions for MS", FIRES),
    case("russian", "клиника предлагает стволовые клетки при РС", FIRES),
    case("dutch_bone_marrow", "a kliniek in Amsterdam wants to harvest bone marrow", FIRES),
    case("regenerative", "booked my consult at the clinic for regenerative treatment", FIRES),
    case("parentheses", "Clinic (in Mexico) does HSCT.", FIRES),
    case("commas_without_spaces", "clinic,HSCT,Mexico,50k", FIRES),
    case("url_clinic_between_hyphens", "https://example-stemcell-clinic.com says 'no side effects'", FIRES),
    case("url_glued_phrase", "check stemcellclinic.mx before you pay anything", FIRES),
    case(
        "ahsct_protocol", "Has anyone used the clinic in Puebla? Their aHSCT protocol looks different", FIRES
    ),
    case("umbilical_cord_accent", "The clínica says umbilical cord stem cells are safe", FIRES),
    case("clinics_vs_nhs", "Clinics in Mexico charge less for HSCT than the NHS waiting list", FIRES),
    case("curly_apostrophe_whartons", "Going to a CLINIC for Wharton’s jelly injections next month", FIRES),
    case("polish", "ta klinika proponuje komórki macierzyste na SM", FIRES),
    case("emoji_glued", "clinic😍stem cells", FIRES),
    case("mixed_case", "ClInIc In TiJuAnA oFfErS sTeM cElLs", FIRES),
    case("whitespace_runs", "stem   cell\nclinic in cancun", FIRES),
    case("double_space_centre", "the stem cell  centre emailed me back", FIRES),
    case("turkish", "Istanbul'da bir klinik kök hücre tedavisi sunuyor", FIRES),
    case("czech_klinika_hsct", "HSCT klinika v Praze?", FIRES),
    case("clinic_based_msc", "Clinic-based MSC treatments are everywhere on Instagram", FIRES),
    case("nhs_hsct_referral_cautions_too", "I asked at the clinic about HSCT on the NHS", FIRES),
    case("stem_cell_tourism", "This is basically stem cell tourism, right?", FIRES),
    # Clinics next to trial talk or a member's own care team: the other clinic word still counts.
    case("french_clinique_geneve", "la clinique à Genève propose des cellules souches", FIRES),
    case("german_klinik_deutschland", "eine Klinik in Deutschland bietet Stammzelltransplantation an", FIRES),
    case("ms_clinic_then_real_one", "The MS clinic warned me about a stem cell clinic in Cancun", FIRES),
    case("msc_infusions_still_context", "The clinic in Panama sells MSC infusions", FIRES),
    # Stem-cell words in German, Greek and the Romance languages, singular and plural.
    case("german_autologe_klinik", "Autologe Stammzelltransplantation in der Klinik", FIRES),
    case("german_stammzellen_tx", "Welche Klinik macht Stammzellentransplantation bei MS?", FIRES),
    case("greek_stem_cells", "Η κλινική προσφέρει βλαστοκύτταρα για τη ΣΚΠ", FIRES),
    case("greek_capitals_accents", "ΚΛΙΝΙΚΗ στην Αθήνα με ΒΛΑΣΤΟΚΎΤΤΑΡΑ", FIRES),
    case("greek_two_words", "Πήγε σε κλινική για βλαστικά κύτταρα", FIRES),
    case("spanish_singular", "La clínica usa una célula madre de cordón", FIRES),
    case("portuguese_singular", "uma clínica no Panamá com célula-tronco", FIRES),
    case("portugal_estaminais", "clínica em Lisboa oferece células estaminais", FIRES),
    case("italian_singular", "la clinica in Svizzera con cellula staminale", FIRES),
    case("french_singular", "une clinique qui vend une cellule souche miracle", FIRES),
    case("french_autogreffe", "Cette clinique fait des autogreffes pour la SEP", FIRES),
    # --- a clinic word without stem-cell context: only broad mode cautions ---
    case("clinic_ran_late", "Clinic ran late again, 2 hours in the waiting room 😩", BROAD_ONLY),
    case("spanish_neurologist", "La clínica de mi neuróloga está cerrada hoy", BROAD_ONLY),
    case("curly_possessive", "the clinic’s parking is a nightmare", BROAD_ONLY),
    case("walk_in_clinic", "Went to the walk-in clinic for a UTI", BROAD_ONLY),
    case("clinics_near_leeds", "clinics near Leeds with short waits for MRI?", BROAD_ONLY),
    case("german_klinikum", "Klinikum appointment Friday, wish me luck", BROAD_ONLY),
    case("survey", "My old clinic sent me a survey", BROAD_ONLY),
    case("inline_code", "the word `clinic` on its own", BROAD_ONLY),
    case("french_plural", "cliniques en Suisse, des avis ?", BROAD_ONLY),
    case("german_plural", "Kliniken in Deutschland haben lange Wartezeiten", BROAD_ONLY),
    case("norwegian", "klinikk i Oslo ringte", BROAD_ONLY),
    case("accented_shouting", "CLÍNICA CERRADA", BROAD_ONLY),
    case("full_width", "ＣＬＩＮＩＣ day", BROAD_ONLY),
    case("single_word", "Clinic.", BROAD_ONLY),
    case("msc_degree_not_context", "Finished my MSc degree, now the clinic wants me back", BROAD_ONLY),
    # --- a member's own MS care (neutral phrases): not a clinic mention in either mode ---
    case("neurologists_clinic", "I have an appointment at my neurologist's clinic tomorrow", NEVER),
    case("ms_clinic_nurse", "The MS clinic nurse was lovely today", NEVER),
    case("infusion_clinic", "my infusion clinic switched my Ocrevus day", NEVER),
    case("first_clinic_visit", "Any tips for a first MS clinic visit?", NEVER),
    case("clinic_in_url_path", "see https://www.ms-clinic.example/visit for parking", NEVER),
    case("ms_clinic_hsct", "My MS clinic appointment is tomorrow, they will talk about HSCT", NEVER),
    case("msc_thesis_neuros_clinic", "I'm doing my MSc thesis and my neuro's clinic is slow", NEVER),
    case("neurology_clinic_stem_cells", "My neurology clinic said stem cells are not an option yet", NEVER),
    case("ms_nurse_clinic_ahsct", "Asked at the MS nurse clinic whether aHSCT is on the NHS", NEVER),
    case("relapse_clinic_hsct", "relapse clinic today, neuro mentioned HSCT for the first time", NEVER),
    case("mayo_clinic_hsct", "Mayo Clinic has an HSCT consult service", NEVER),
    # The only clinic word is gone, so a stem-cell place without one is not caught (see README).
    case("neuro_clinic_then_stem_cells", "Neurology clinic? no, it was a stem cell place in Mexico", NEVER),
    # --- false friends and stem-cell talk without a clinic: never ---
    case("clinical_trial", "I'm in a clinical trial for BTK inhibitors", NEVER),
    case("clinically_isolated_syndrome", "Clinically isolated syndrome was my first diagnosis", NEVER),
    case("clinician_with_stem_cells", "My clinician suggested stem cells might be an option one day", NEVER),
    case("clinical_trial_ahsct", "Results from the clinical trial of aHSCT look promising", NEVER),
    case("cis_abbreviation", "CIS = clinically isolated syndrome", NEVER),
    case("clinical_relapse", "what does clinical relapse mean", NEVER),
    case("clinicaltrials_gov", "clinicaltrials.gov lists a few HSCT studies", NEVER),
    case("hsct_vs_ocrevus", "HSCT vs ocrevus, what are the risks?", NEVER),
    case("stem_cells_alone", "stem cells are fascinating", NEVER),
    case("poliklinika", "The poliklinika was closed", NEVER),
    case("russian_polyclinic", "поликлиника закрыта до понедельника", NEVER),
    case("preclinical", "preclinical data only, in mice, with stem cells", NEVER),
    case("subclinical", "Subclinical lesions showed up on my MRI", NEVER),
    case("bone_marrow_biopsy", "bone marrow biopsy was fine", NEVER),
    case("domain_glued_word", "myclinic.com keeps emailing me", NEVER),
    case("custom_emoji_named_clinic", "<:clinic:123456789012345678> lol", NEVER),
    case("repeated_without_space", "clinicclinic", NEVER),
    case("empty", "", NEVER),
    case("emoji_only", "👍", NEVER),
    case("clinical_in_spanish_masculine", "un ensayo clínico con células madre", NEVER),
    # --- "clinical trial" in other languages, where "clinical" is spelt like "clinic" ---
    case("french_essai_clinique", "Un essai clinique sur les cellules souches pour la SEP recrute", NEVER),
    case("french_essais_cliniques", "Des essais cliniques de greffe de cellules souches à Paris", NEVER),
    case("french_centre_investigation", "Le centre d'investigation clinique étudie l'autogreffe", NEVER),
    case("italian_sperimentazione", "Sperimentazione clinica con cellule staminali per la SM", NEVER),
    case("italian_ricerca_clinica", "La ricerca clinica sulle cellule staminali va avanti", NEVER),
    case("spanish_investigacion", "Investigación clínica con células madre", NEVER),
    case("spanish_historia_clinica", "Mi historia clínica dice EMRR, ¿sirven las células madre?", NEVER),
    case("portuguese_pesquisa", "Pesquisa clínica com células-tronco", NEVER),
    case("german_klinische_studie", "Es gibt eine klinische Studie zur Stammzelltransplantation", NEVER),
    case("greek_clinical_study", "Μια κλινική μελέτη με βλαστοκύτταρα", NEVER),
    case("turkish_klinik_calisma", "Kök hücre ile klinik çalışma başladı", NEVER),
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
    """The issue asks for at least 60 labelled messages covering every outcome."""
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"
    outcomes = {(c.strict, c.broad) for c in CASES}
    assert outcomes == {FIRES, BROAD_ONLY, NEVER}


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
    fired = result.caution is not None
    assert fired is expected, f"{sensitivity} mode, message {row.text!r}: expected caution={expected}"
    if fired:
        assert result.caution is not None and result.caution.clinic_words
