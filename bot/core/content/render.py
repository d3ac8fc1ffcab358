"""Turn content into plain embed data, and check it against Discord's embed limits.

Kept free of Discord so the same rendering backs the bot, `stemcell-bot preview` and the
limit checks run by `check` and the tests. The cog only copies these fields into `discord.Embed`.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core import limits
from bot.core.content.model import (
    CautionList,
    Checklist,
    ContentBundle,
    Explainer,
    GlossaryTerm,
    Source,
    strongest_evidence,
)

LINK_BUTTONS_PER_ROW = 5

STRONGEST_EVIDENCE = "Strongest evidence here"

NOT_MEDICAL_ADVICE = (
    "Information to help you talk with your MS team, not medical advice. "
    "Treatment decisions belong with your neurologist."
)

# Brand colours for the three kinds of answer (plain ints; the cog wraps them).
COLOUR_EXPLAINER = 0x2E86AB
COLOUR_GLOSSARY = 0x6C5B7B
COLOUR_CAUTION = 0xE07A1F
COLOUR_CENTRE = 0x3A7D44
COLOUR_CHECKLIST = 0x5B7B9A


@dataclass(frozen=True)
class EmbedField:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True)
class LinkButton:
    label: str
    url: str


@dataclass(frozen=True)
class RenderedEmbed:
    """What an embed shows, as plain data."""

    title: str
    description: str
    fields: tuple[EmbedField, ...] = ()
    footer: str = ""
    colour: int = COLOUR_EXPLAINER

    def total_length(self) -> int:
        """Characters Discord counts towards the 6,000 limit of one embed."""
        return (
            len(self.title)
            + len(self.description)
            + len(self.footer)
            + sum(len(f.name) + len(f.value) for f in self.fields)
        )

    def limit_problems(self) -> list[str]:
        """Each Discord embed limit this embed would break, as `field: problem` text."""
        chars = [
            ("title", len(self.title), limits.EMBED_TITLE_CHARS),
            ("description", len(self.description), limits.EMBED_DESCRIPTION_CHARS),
            *(
                (f"field {f.name[:30]!r} name", len(f.name), limits.EMBED_FIELD_NAME_CHARS)
                for f in self.fields
            ),
            *((f"field {f.name!r}", len(f.value), limits.EMBED_FIELD_VALUE_CHARS) for f in self.fields),
            ("footer", len(self.footer), limits.EMBED_FOOTER_CHARS),
            ("whole embed", self.total_length(), limits.EMBED_TOTAL_CHARS),
        ]
        problems = [
            f"{what}: {size} characters, Discord allows {limit}"
            for what, size, limit in chars
            if size > limit
        ]
        if len(self.fields) > limits.EMBED_FIELDS:
            problems.append(f"fields: {len(self.fields)} fields, Discord allows {limits.EMBED_FIELDS}")
        return problems


@dataclass(frozen=True)
class RenderedExplainer:
    embed: RenderedEmbed
    related: tuple[tuple[str, str], ...]  # (slug, button label)
    links: tuple[LinkButton, ...]


def _bullets(items: tuple[str, ...]) -> str:
    return "\n".join(f"• {item}" for item in items)


def source_line(source: Source) -> str:
    """A source as a link with its kind of evidence beside it."""
    return f"[{source.title}]({source.url}) · *{source.kind.label}*"


def strongest_evidence_line(sources: tuple[Source, ...]) -> str:
    """What the strongest evidence behind a text is, in words a member can weigh."""
    best = strongest_evidence(sources)
    if best is None:
        return ""
    return f"**{best.kind.label}** ({best.kind.meaning}): {best.title}"


def _source_fields(sources: tuple[Source, ...], name: str = "Sources") -> list[EmbedField]:
    """Source links packed into as many fields as needed; a long reading list is split, never cut."""
    fields: list[EmbedField] = []
    lines: list[str] = []
    for line in (source_line(s) for s in sources):
        if lines and len("\n".join([*lines, line])) > limits.EMBED_FIELD_VALUE_CHARS:
            fields.append(EmbedField(name if not fields else f"{name} (continued)", "\n".join(lines)))
            lines = []
        lines.append(line)
    if lines:
        fields.append(EmbedField(name if not fields else f"{name} (continued)", "\n".join(lines)))
    return fields


def shorten(text: str, limit: int) -> str:
    """Shorten for a small UI label at a word boundary, with a visible ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.")
    return cut + "…"


def explainer_heading(explainer: Explainer) -> str:
    return f"{explainer.emoji} {explainer.title}" if explainer.emoji else explainer.title


def render_explainer(explainer: Explainer, bundle: ContentBundle | None = None) -> RenderedExplainer:
    """An explainer as an embed, related-topic buttons and source link buttons."""
    fields = [EmbedField("Key points", _bullets(explainer.key_points))]
    fields.append(EmbedField(STRONGEST_EVIDENCE, strongest_evidence_line(explainer.sources)))
    fields.extend(_source_fields(explainer.sources))
    footer = f"Last reviewed {explainer.reviewed.isoformat()} · {NOT_MEDICAL_ADVICE}"
    embed = RenderedEmbed(
        title=explainer_heading(explainer),
        description=f"*{explainer.summary}*\n\n{explainer.body.strip()}",
        fields=tuple(fields),
        footer=footer,
        colour=COLOUR_EXPLAINER,
    )
    related: list[tuple[str, str]] = []
    for slug in explainer.related:
        target = bundle.explainers.get(slug) if bundle else None
        label = target.title if target else slug
        related.append((slug, shorten(label, limits.BUTTON_LABEL_CHARS)))
    links = tuple(
        LinkButton(shorten(s.title, limits.BUTTON_LABEL_CHARS), s.url)
        for s in explainer.sources[:LINK_BUTTONS_PER_ROW]
    )
    return RenderedExplainer(embed=embed, related=tuple(related), links=links)


def render_overview(bundle: ContentBundle) -> RenderedEmbed:
    """The `/stemcell` answer without a topic: every topic in one short list."""
    lines = [
        "Short, sourced explainers about stem-cell therapy and MS. "
        "Pick a topic below, or use `/stemcell topic:` to jump straight to one.",
        "",
    ]
    for explainer in bundle.explainer_list():
        lines.append(f"**{explainer_heading(explainer)}**: {explainer.summary}")
    return RenderedEmbed(
        title="Stem cells and MS: topics",
        description="\n".join(lines),
        footer=NOT_MEDICAL_ADVICE,
        colour=COLOUR_EXPLAINER,
    )


def render_glossary_term(term: GlossaryTerm, bundle: ContentBundle | None = None) -> RenderedEmbed:
    fields: tuple[EmbedField, ...] = ()
    if term.aliases:
        fields += (EmbedField("Also called", ", ".join(term.aliases)),)
    if term.see_also and bundle and term.see_also in bundle.explainers:
        topic = bundle.explainers[term.see_also]
        fields += (EmbedField("Read more", f"`/stemcell topic:{topic.slug}` ({topic.title})"),)
    return RenderedEmbed(
        title=term.term,
        description=term.definition.strip(),
        fields=fields,
        footer=NOT_MEDICAL_ADVICE,
        colour=COLOUR_GLOSSARY,
    )


def _render_card(card: CautionList, colour: int) -> RenderedEmbed:
    fields = [EmbedField(point.title, point.text) for point in card.points]
    fields.append(EmbedField("What next", card.outro.strip()))
    fields.extend(_source_fields(card.sources))
    return RenderedEmbed(
        title=card.title,
        description=card.intro.strip(),
        fields=tuple(fields),
        footer=f"Last reviewed {card.reviewed.isoformat()} · {NOT_MEDICAL_ADVICE}",
        colour=colour,
    )


def render_caution(caution: CautionList) -> RenderedEmbed:
    """The ISSCR caution list, for talk of unproven stem-cell clinics and products."""
    return _render_card(caution, COLOUR_CAUTION)


def render_centre(centre: CautionList) -> RenderedEmbed:
    """The "Choosing a transplant centre" card, for talk of aHSCT at a private or foreign centre."""
    return _render_card(centre, COLOUR_CENTRE)


def render_checklist(checklist: Checklist) -> RenderedEmbed:
    """A "Questions to ask" list: numbered, so a member can copy it or tick it off."""
    questions = "\n".join(f"{n}. {question}" for n, question in enumerate(checklist.questions, start=1))
    fields = [EmbedField("Then", checklist.outro.strip()), *_source_fields(checklist.sources)]
    return RenderedEmbed(
        title=checklist.title,
        description=f"{checklist.intro.strip()}\n\n{questions}",
        fields=tuple(fields),
        footer=f"Last reviewed {checklist.reviewed.isoformat()} · {NOT_MEDICAL_ADVICE}",
        colour=COLOUR_CHECKLIST,
    )


def embed_as_text(embed: RenderedEmbed) -> str:
    """Plain-text rendering for the terminal preview."""
    parts = [embed.title, "=" * min(len(embed.title), 80), "", embed.description, ""]
    for f in embed.fields:
        parts += [f"## {f.name}", f.value, ""]
    if embed.footer:
        parts.append(f"-- {embed.footer}")
    parts.append(f"({embed.total_length()} of {limits.EMBED_TOTAL_CHARS} characters)")
    return "\n".join(parts)
