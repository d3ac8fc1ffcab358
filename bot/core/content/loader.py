"""Load and validate the YAML content: every problem found, each naming file, entry and field.

The same function backs start-up, `stemcell-bot check` and the tests, so an editor sees the
same message wherever a mistake surfaces. Nothing is shortened silently: text that would not fit
a Discord embed is an error here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from bot.core import limits
from bot.core.content.model import (
    CautionList,
    CautionPoint,
    Checklist,
    Checklists,
    ContentBundle,
    EvidenceKind,
    Explainer,
    GlossaryTerm,
    Source,
)
from bot.core.content.render import (
    RenderedEmbed,
    render_caution,
    render_centre,
    render_checklist,
    render_explainer,
    render_glossary_term,
    render_overview,
)
from bot.core.scanning.settings import ClinicWordLists
from bot.core.scanning.words import FILE_NAME as CLINIC_WORDS_FILE
from bot.core.scanning.words import ClinicWordsError, load_clinic_watch_words

EXPLAINERS_FILE = "explainers.yaml"
GLOSSARY_FILE = "glossary.yaml"
CAUTION_FILE = "caution.yaml"
CENTRE_FILE = "centre.yaml"
QUESTIONS_FILE = "questions.yaml"
JARGON_FILE = "jargon.yaml"
CONTENT_FILES = (
    EXPLAINERS_FILE,
    GLOSSARY_FILE,
    CAUTION_FILE,
    CENTRE_FILE,
    QUESTIONS_FILE,
    JARGON_FILE,
    CLINIC_WORDS_FILE,
)
CAUTION_ENTRY = "caution list"
CENTRE_ENTRY = "centre card"
EVIDENCE_KINDS = ", ".join(kind.key for kind in EvidenceKind)

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SUMMARY_LIMIT = 300
SOURCE_TITLE_LIMIT = 200
MAX_RELATED = 4  # one row of related-topic buttons, beside the row of source links
_CUSTOM_EMOJI = re.compile(r"^<a?:\w{2,32}:\d{15,21}>$")


def _is_emoji(text: str) -> bool:
    """One pictograph (with its modifiers and joiners) or a Discord custom emoji; never plain words."""
    if _CUSTOM_EMOJI.match(text):
        return True
    return 0 < len(text) <= 12 and not any(c.isspace() or (c.isascii() and c.isalnum()) for c in text)


class ContentError(Exception):
    """The content has problems; `problems` holds one `file: entry: field: problem` line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _yaml_loader() -> type[yaml.SafeLoader]:
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class _Reader:
    """Reads one mapping, recording problems with the file and entry it came from."""

    file: str
    entry: str
    data: dict[str, Any]
    problems: list[str]
    allowed: frozenset[str] = field(default_factory=frozenset)

    def where(self, key: str | None = None) -> str:
        return f"{self.file}: {self.entry}" + (f": {key}" if key else "")

    def problem(self, key: str | None, text: str) -> None:
        self.problems.append(f"{self.where(key)}: {text}")

    def unknown_keys(self) -> None:
        for key in self.data:
            if key not in self.allowed:
                self.problem(str(key), f"unknown key; expected one of {', '.join(sorted(self.allowed))}")

    def text(self, key: str, *, limit: int | None = None, required: bool = True) -> str:
        value = self.data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(key, "missing; expected some text")
            return ""
        if not isinstance(value, str):
            self.problem(key, f"expected text, found {type(value).__name__}")
            return str(value)
        if limit is not None and len(value.strip()) > limit:
            self.problem(key, f"{len(value.strip())} characters, at most {limit} allowed")
        return value.strip()

    def text_list(self, key: str, *, item_limit: int | None = None, required: bool = True) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            if required:
                self.problem(key, "missing; expected a list")
            return ()
        if not isinstance(value, list):
            self.problem(key, f"expected a list, found {type(value).__name__}")
            return ()
        items: list[str] = []
        for index, item in enumerate(value, start=1):
            if not isinstance(item, str | int | float) or not str(item).strip():
                self.problem(f"{key}[{index}]", "expected non-empty text")
                continue
            text = str(item).strip()
            if item_limit is not None and len(text) > item_limit:
                self.problem(f"{key}[{index}]", f"{len(text)} characters, at most {item_limit} allowed")
            items.append(text)
        if required and not items:
            self.problem(key, "empty; expected at least one item")
        return tuple(items)

    def day(self, key: str) -> date:
        value = self.data.get(key)
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.problem(key, f"{value!r} is not a date; expected YYYY-MM-DD")
        return date.min

    def sources(self, key: str = "sources") -> tuple[Source, ...]:
        value = self.data.get(key)
        if not isinstance(value, list) or not value:
            self.problem(key, "missing; every entry needs at least one source (title, url and kind)")
            return ()
        found: list[Source] = []
        for index, item in enumerate(value, start=1):
            where = f"{key}[{index}]"
            if not isinstance(item, dict):
                self.problem(where, "expected a mapping with title, url and kind")
                continue
            title = item.get("title")
            url = item.get("url")
            kind = _evidence_kind(item.get("kind"))
            if kind is None:
                found_kind = item.get("kind")
                self.problem(
                    f"{where}.kind",
                    ("missing" if found_kind is None else f"{found_kind!r} is not a kind of evidence")
                    + f"; expected one of: {EVIDENCE_KINDS}",
                )
            if not isinstance(title, str) or not title.strip():
                self.problem(f"{where}.title", "missing; expected the source's title")
                title = ""
            elif len(title.strip()) > SOURCE_TITLE_LIMIT:
                self.problem(f"{where}.title", f"over {SOURCE_TITLE_LIMIT} characters")
            if not isinstance(url, str) or not _is_web_url(url.strip()):
                self.problem(f"{where}.url", f"{url!r} is not a web address; expected https://...")
                url = ""
            for extra in set(item) - {"title", "url", "kind"}:
                self.problem(f"{where}.{extra}", "unknown key; expected title, url and kind")
            found.append(Source(str(title).strip(), str(url).strip(), kind or EvidenceKind.REFERENCE))
        return tuple(found)


def _evidence_kind(value: Any) -> EvidenceKind | None:
    return EvidenceKind.from_key(value) if isinstance(value, str) else None


def _is_web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and "." in parts.netloc and " " not in url


def _read_yaml(path: Path, problems: list[str]) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(f"{path.name}: file not found in {path.parent}")
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{path.name}: cannot be read ({exc})")
        return None
    try:
        return yaml.load(text, Loader=_yaml_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append(f"{path.name}: not valid YAML{where}: {reason}")
        return None


def _entries(data: Any, file: str, key: str, problems: list[str]) -> list[dict[str, Any]]:
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        problems.append(f"{file}: expected a top-level '{key}:' list")
        return []
    entries = []
    for index, item in enumerate(data[key], start=1):
        if isinstance(item, dict):
            entries.append(item)
        else:
            problems.append(f"{file}: entry {index}: expected a mapping of fields")
    return entries


def _check_embed(file: str, entry: str, embed: RenderedEmbed, problems: list[str]) -> None:
    problems.extend(f"{file}: {entry}: {p} (as rendered)" for p in embed.limit_problems())


_EXPLAINER_KEYS = frozenset(
    {"slug", "title", "emoji", "aliases", "summary", "body", "key_points", "related", "sources", "reviewed"}
)
_TERM_KEYS = frozenset({"term", "slug", "aliases", "definition", "see_also"})
_CARD_KEYS = frozenset({"title", "intro", "points", "outro", "sources", "reviewed"})
_CHECKLIST_KEYS = frozenset({"title", "intro", "questions", "outro", "sources", "reviewed"})
MAX_QUESTIONS = 12
QUESTION_LIMIT = 200


def _load_explainers(data: Any, problems: list[str]) -> dict[str, Explainer]:
    explainers: dict[str, Explainer] = {}
    names: dict[str, str] = {}  # folded slug/title/alias -> owning slug
    for index, item in enumerate(_entries(data, EXPLAINERS_FILE, "topics", problems), start=1):
        slug = str(item.get("slug", "")).strip()
        entry = f"topic {slug!r}" if slug else f"topic {index}"
        r = _Reader(EXPLAINERS_FILE, entry, item, problems, _EXPLAINER_KEYS)
        r.unknown_keys()
        if not SLUG_PATTERN.match(slug):
            r.problem("slug", f"{slug!r} is not a slug; expected lowercase words joined by hyphens")
        elif slug in explainers:
            r.problem("slug", "duplicate slug; another topic already uses it")
        explainer = Explainer(
            slug=slug,
            title=r.text("title"),
            summary=r.text("summary", limit=SUMMARY_LIMIT),
            body=r.text("body"),
            key_points=r.text_list("key_points"),
            related=r.text_list("related", required=False),
            sources=r.sources(),
            reviewed=r.day("reviewed"),
            aliases=r.text_list("aliases", required=False),
            emoji=r.text("emoji", required=False) or None,
        )
        if len(explainer.related) > MAX_RELATED:
            r.problem("related", f"{len(explainer.related)} topics; at most {MAX_RELATED} fit as buttons")
        if explainer.emoji is not None and not _is_emoji(explainer.emoji):
            r.problem("emoji", f"{explainer.emoji!r} is not one emoji; paste a single emoji such as 🔄")
        for name, kind in [(slug, "slug"), (explainer.title, "title")] + [
            (a, "alias") for a in explainer.aliases
        ]:
            folded = name.casefold()
            owner = names.get(folded)
            if owner is not None and owner != slug:
                r.problem(
                    "aliases" if kind == "alias" else kind, f"{name!r} is already used by topic {owner!r}"
                )
            elif owner == slug and kind == "alias":
                r.problem("aliases", f"{name!r} is listed twice or repeats this topic's slug or title")
            names[folded] = slug
        if slug and slug not in explainers:
            explainers[slug] = explainer
    for explainer in explainers.values():
        for related in explainer.related:
            if related not in explainers:
                problems.append(
                    f"{EXPLAINERS_FILE}: topic {explainer.slug!r}: related: unknown topic {related!r}"
                )
            elif related == explainer.slug:
                problems.append(f"{EXPLAINERS_FILE}: topic {explainer.slug!r}: related: lists itself")
    if data is not None and len(explainers) > limits.SELECT_OPTIONS:
        problems.append(
            f"{EXPLAINERS_FILE}: {len(explainers)} topics; the overview menu holds {limits.SELECT_OPTIONS}"
        )
    if data is not None and not explainers:
        problems.append(f"{EXPLAINERS_FILE}: no topics found")
    return explainers


def _load_glossary(data: Any, problems: list[str]) -> dict[str, GlossaryTerm]:
    terms: dict[str, GlossaryTerm] = {}
    names: dict[str, str] = {}
    for index, item in enumerate(_entries(data, GLOSSARY_FILE, "terms", problems), start=1):
        slug = str(item.get("slug", "")).strip()
        entry = f"term {slug!r}" if slug else f"term {index}"
        r = _Reader(GLOSSARY_FILE, entry, item, problems, _TERM_KEYS)
        r.unknown_keys()
        if not SLUG_PATTERN.match(slug):
            r.problem("slug", f"{slug!r} is not a slug; expected lowercase words joined by hyphens")
        elif slug in terms:
            r.problem("slug", "duplicate slug; another term already uses it")
        term = GlossaryTerm(
            slug=slug,
            term=r.text("term"),
            definition=r.text("definition"),
            aliases=r.text_list("aliases", required=False),
            see_also=r.text("see_also", required=False) or None,
        )
        for name in (slug, term.term, *term.aliases):
            folded = name.casefold()
            owner = names.get(folded)
            if owner is not None and owner != slug:
                r.problem("aliases", f"{name!r} is already used by term {owner!r}")
            names[folded] = slug
        if slug and slug not in terms:
            terms[slug] = term
    return terms


def _mapping(data: Any, file: str, expected: str, problems: list[str]) -> dict[str, Any] | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        problems.append(f"{file}: expected a mapping with {expected}")
        return None
    return data


def _load_card(data: Any, file: str, entry: str, problems: list[str]) -> CautionList | None:
    """A card of points: the caution list (caution.yaml) or the transplant-centre card (centre.yaml)."""
    data = _mapping(data, file, "title, intro, points, outro, sources, reviewed", problems)
    if data is None:
        return None
    r = _Reader(file, entry, data, problems, _CARD_KEYS)
    r.unknown_keys()
    points: list[CautionPoint] = []
    raw_points = data.get("points")
    if not isinstance(raw_points, list) or not raw_points:
        r.problem("points", "missing; expected a list of points, each with title and text")
    else:
        for index, item in enumerate(raw_points, start=1):
            pr = _Reader(file, f"point {index}", item if isinstance(item, dict) else {}, problems)
            pr.allowed = frozenset({"title", "text"})
            pr.unknown_keys()
            points.append(CautionPoint(pr.text("title"), pr.text("text")))
    return CautionList(
        title=r.text("title"),
        intro=r.text("intro"),
        points=tuple(points),
        outro=r.text("outro"),
        sources=r.sources(),
        reviewed=r.day("reviewed"),
    )


def _load_checklists(data: Any, problems: list[str]) -> Checklists | None:
    """The two "Questions to ask" lists: `clinic` and `centre`."""
    data = _mapping(data, QUESTIONS_FILE, "the two checklists 'clinic' and 'centre'", problems)
    if data is None:
        return None
    for extra in set(data) - {"clinic", "centre"}:
        problems.append(f"{QUESTIONS_FILE}: {extra}: unknown checklist; expected clinic and centre")
    lists: dict[str, Checklist] = {}
    for name in ("clinic", "centre"):
        item = data.get(name)
        if not isinstance(item, dict):
            problems.append(
                f"{QUESTIONS_FILE}: {name}: missing; expected a checklist with title and questions"
            )
            continue
        r = _Reader(QUESTIONS_FILE, f"checklist {name!r}", item, problems, _CHECKLIST_KEYS)
        r.unknown_keys()
        questions = r.text_list("questions", item_limit=QUESTION_LIMIT)
        if len(questions) > MAX_QUESTIONS:
            r.problem("questions", f"{len(questions)} questions; at most {MAX_QUESTIONS} keep it short")
        lists[name] = Checklist(
            title=r.text("title"),
            intro=r.text("intro"),
            questions=questions,
            outro=r.text("outro"),
            sources=r.sources(),
            reviewed=r.day("reviewed"),
        )
    if len(lists) != 2:
        return None
    return Checklists(clinic=lists["clinic"], centre=lists["centre"])


def _load_jargon(data: Any, problems: list[str]) -> tuple[str, ...]:
    """Technical words that an explainer must explain where it uses them, or leave to the glossary."""
    data = _mapping(data, JARGON_FILE, "a 'words:' list", problems)
    if data is None:
        return ()
    r = _Reader(JARGON_FILE, "jargon", data, problems, frozenset({"words"}))
    r.unknown_keys()
    words = r.text_list("words")
    seen: set[str] = set()
    for word in words:
        if word.casefold() in seen:
            r.problem("words", f"{word!r} is listed twice")
        seen.add(word.casefold())
    return words


def load_content(content_dir: Path) -> ContentBundle:
    """Load all content files from `content_dir`, or raise `ContentError` listing every problem."""
    content_dir = Path(content_dir)
    problems: list[str] = []
    explainers = _load_explainers(_read_yaml(content_dir / EXPLAINERS_FILE, problems), problems)
    glossary = _load_glossary(_read_yaml(content_dir / GLOSSARY_FILE, problems), problems)
    caution = _load_card(
        _read_yaml(content_dir / CAUTION_FILE, problems), CAUTION_FILE, CAUTION_ENTRY, problems
    )
    centre = _load_card(_read_yaml(content_dir / CENTRE_FILE, problems), CENTRE_FILE, CENTRE_ENTRY, problems)
    questions = _load_checklists(_read_yaml(content_dir / QUESTIONS_FILE, problems), problems)
    jargon = _load_jargon(_read_yaml(content_dir / JARGON_FILE, problems), problems)
    clinic_words = ClinicWordLists(clinic=(), context=())
    try:
        clinic_words = load_clinic_watch_words(content_dir)
    except ClinicWordsError as exc:
        problems.extend(exc.problems)

    for term in glossary.values():
        if term.see_also and explainers and term.see_also not in explainers:
            problems.append(f"{GLOSSARY_FILE}: term {term.slug!r}: see_also: unknown topic {term.see_also!r}")

    # Render checks run even when other problems exist, so one `check` lists everything.
    bundle = ContentBundle(
        explainers=explainers,
        glossary=glossary,
        caution=caution,  # type: ignore[arg-type]
        clinic_words=clinic_words,
        centre=centre,  # type: ignore[arg-type]
        questions=questions,  # type: ignore[arg-type]
        jargon=jargon,
    )
    for explainer in explainers.values():
        rendered = render_explainer(explainer, bundle).embed
        _check_embed(EXPLAINERS_FILE, f"topic {explainer.slug!r}", rendered, problems)
    for term in glossary.values():
        _check_embed(GLOSSARY_FILE, f"term {term.slug!r}", render_glossary_term(term, bundle), problems)
    if caution is not None:
        _check_embed(CAUTION_FILE, CAUTION_ENTRY, render_caution(caution), problems)
    if centre is not None:
        _check_embed(CENTRE_FILE, CENTRE_ENTRY, render_centre(centre), problems)
    if questions is not None:
        for name, checklist in (("clinic", questions.clinic), ("centre", questions.centre)):
            _check_embed(QUESTIONS_FILE, f"checklist {name!r}", render_checklist(checklist), problems)
    if explainers:
        _check_embed(EXPLAINERS_FILE, "overview of all topics", render_overview(bundle), problems)
    parts = ((CAUTION_FILE, caution), (CENTRE_FILE, centre), (QUESTIONS_FILE, questions))
    missing = [name for name, part in parts if part is None]
    if problems or missing:
        raise ContentError(problems or [f"{name}: missing" for name in missing])
    return bundle
