"""What members read about their trial watches: the DM with news, the list, the replies.

Plain text within Discord's message limit (`limits.MESSAGE_CHARS`), registry text escaped, links
wrapped in <...> so a DM shows no link previews. Calm words, no advice beyond asking the study team
and talking it through with the MS team.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.core import limits
from bot.core.text import escape_markdown, one_line, shorten
from bot.core.trials.interventions import intervention_option
from bot.core.trials.models import SOURCE_NAME, km_to_miles, status_label
from bot.core.trials.render import link_text, site_text
from bot.core.trials.watch import MAX_WATCHES_PER_MEMBER, News, NewsKind, TrialWatch, WatchSettings

#: Titles in a DM are cut to this (a whole message holds several studies).
NEWS_TITLE_CHARS = 150
# What a new status means for someone who might join, in plain words (ClinicalTrials.gov's glossary).
_NOT_TAKING = "It is not taking new participants now."
_STATUS_MEANING = {
    "RECRUITING": "It is looking for participants.",
    "NOT_YET_RECRUITING": "It plans to start looking for participants soon.",
    "ENROLLING_BY_INVITATION": "It takes only people its team invites.",
}
DMS_NEEDED = "-# I can only reach you if you allow direct messages from members of a server we share."
NEWS_CLOSING = (
    "If one of these interests you, the study team can tell you whether you might take part. "
    "It helps to talk it through with your MS team."
)
RESUME_LABEL = "Turn my watches back on"


def describe_interval(interval: timedelta) -> str:
    """'once a day', 'every 12 hours', 'every 3 days'."""
    hours = interval.total_seconds() / 3600
    if hours == 24:
        return "once a day"
    if hours < 48:
        return f"every {hours:g} hours"
    return f"every {hours / 24:g} days"


def describe_watch(settings: WatchSettings) -> str:
    """'Any stem-cell therapy, within 200 km (124 mi) of London, Ontario, Canada'."""
    label = intervention_option(settings.intervention).label
    if settings.place is None or settings.radius_km is None:
        return f"{label}, anywhere"
    reach = f"{settings.radius_km:,} km ({km_to_miles(settings.radius_km):,.0f} mi)"
    if settings.place.kind != "city":
        return f"{label}, in {settings.place.label} or within {reach} of its main city"
    return f"{label}, within {reach} of {settings.place.label}"


def _stamp(moment: datetime, style: str = "R") -> str:
    """A Discord timestamp: each member sees it in their own time zone and language."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def added_text(watch: TrialWatch, matching: int, interval: timedelta) -> str:
    """The answer to `/trialwatch add`."""
    where = "near you" if watch.settings.place is not None else "anywhere"
    now = (
        "No open trial matches it right now."
        if matching == 0
        else f"Right now {matching} open {'trial matches' if matching == 1 else 'trials match'} it; "
        "`/trials` lists them."
    )
    first = f" My first look is {_stamp(watch.next_due_at)}." if watch.next_due_at else ""
    return (
        f"Your trial watch **#{watch.seq}** is on: {escape_markdown(describe_watch(watch.settings))}.\n"
        f"{now} I'll look at {SOURCE_NAME} {describe_interval(interval)} and send you a direct message "
        f"when a new trial opens {where}, or when one of them changes its status.{first}\n{DMS_NEEDED}"
    )


def list_text(watches: Sequence[TrialWatch]) -> str:
    """`/trialwatch list`: every watch with its number, what it watches and its next look."""
    if not watches:
        return (
            "You have no trial watches. `/trialwatch add` starts one: I'll send you a direct message when "
            "a new MS stem-cell trial opens near you."
        )
    lines = [f"Your trial watches ({len(watches)} of {MAX_WATCHES_PER_MEMBER}):"]
    for watch in watches:
        line = f"**#{watch.seq}** {escape_markdown(describe_watch(watch.settings))}."
        if watch.paused:
            line += " **Paused**: I couldn't send you a direct message."
        elif watch.next_due_at is not None:
            line += f" Next look {_stamp(watch.next_due_at)}."
        lines.append(line)
    if any(watch.paused for watch in watches):
        lines.append(
            "Once direct messages from server members are on again, press the button below and I'll check "
            "that I can reach you."
        )
    lines.append("`/trialwatch remove` stops a watch, or all of them.")
    return "\n".join(lines)


def paused_notice(watches: Sequence[TrialWatch]) -> str:
    """Told once, at the member's next `/trials`, after their DMs were found closed."""
    numbers = ", ".join(f"#{watch.seq}" for watch in watches)
    which = f"trial watch {numbers}" if len(watches) == 1 else f"trial watches {numbers}"
    return (
        f"I had news for you from your {which}, but Discord didn't let me send you a direct message, so "
        f"I paused it. You may have turned off direct messages from server members. When they are on "
        f"again, press **{RESUME_LABEL}**: nothing you were going to hear is lost."
    )


def resumed_text(watches: Sequence[TrialWatch]) -> str:
    numbers = ", ".join(f"#{watch.seq}" for watch in watches)
    which = f"watch {numbers} is" if len(watches) == 1 else f"watches {numbers} are"
    return f"Thank you: I can reach you again, and your trial {which} on again."


RESUME_CHECK_DM = (
    "Hello! Your trial watch is on again. I'll send you a message here when there is news.\n"
    "-# `/trialwatch list` shows your watches."
)
STILL_CLOSED = (
    "I still can't send you a direct message, so your watches stay paused. In Discord, allow direct "
    "messages from members of a server we share (the server's Privacy Settings), then press the button "
    "again. Nothing was changed."
)
NOTHING_PAUSED = "None of your trial watches is paused, so there is nothing to turn back on."
RESUME_FAILED = (
    "Discord didn't let me check just now. Please try again in a little while; nothing was changed."
)


def removed_text(seq: int, settings: WatchSettings) -> str:
    return (
        f"I removed your trial watch #{seq} ({escape_markdown(describe_watch(settings))}) and everything "
        "it remembered."
    )


def removed_all_text(count: int) -> str:
    if count == 0:
        return "You had no trial watches, so there was nothing to remove."
    return (
        f"I removed your {count} trial {'watch' if count == 1 else 'watches'} and everything "
        f"{'it' if count == 1 else 'they'} remembered. Nothing of them is kept."
    )


# --- the direct message with news -----------------------------------------------------------------


def _news_item(watch: TrialWatch, news: News) -> str:
    study = news.study
    name = study.nct_id + (f" ({one_line(study.acronym)})" if study.acronym else "")
    title = escape_markdown(link_text(shorten(one_line(study.title), NEWS_TITLE_CHARS)))
    link = f"[{name}: {title}](<{study.url}>)"
    where = watch.settings.place.label if watch.settings.place else None
    if news.kind is NewsKind.NEW:
        heading = f"**New trial{' near ' + escape_markdown(where) if where else ''}** (watch #{watch.seq})"
        detail = status_label(study.status)
        ranked = news.ranked
        if ranked is not None and ranked.nearest_site is not None:
            detail += f" · nearest open site: {site_text(ranked.nearest_site, ranked.distance_km)}"
    else:
        heading = f"**Status changed** (watch #{watch.seq})"
        detail = (
            f"Now: {status_label(study.status)} (before: {status_label(news.old_status)}). "
            f"{_STATUS_MEANING.get(study.status or '', _NOT_TAKING)}"
        )
    return f"{heading}\n{link}\n{detail}"


def news_message(items: Sequence[tuple[TrialWatch, News]], interval: timedelta) -> str:
    """One DM with every piece of news for a member, within Discord's limit: what does not fit is
    counted, and `/trials` shows it."""
    header = f"Hello! News from your trial watch on {SOURCE_NAME}:"
    footer = (
        f"{NEWS_CLOSING}\n-# I look {describe_interval(interval)}. `/trialwatch list` shows your watches; "
        "`/trialwatch remove` stops one. Information, not medical advice."
    )
    blocks = [_news_item(watch, news) for watch, news in items]
    for shown in range(len(blocks), 0, -1):
        left = len(blocks) - shown
        # Named by number: a study that closed is not in `/trials`, but its number finds it.
        numbers = ", ".join(news.study.nct_id for _, news in items[shown:])
        more = [f"…and {left} more ({numbers}): `/trials` lists the open ones, and {SOURCE_NAME} finds them."]
        if not left:
            more = []
        text = "\n\n".join([header, *blocks[:shown], *more, footer])
        if len(text) <= limits.MESSAGE_CHARS:
            return text
    # Not even one item fits (it cannot, at these lengths); say so rather than cut a link in half.
    return "\n\n".join([header, f"{len(blocks)} updates: `/trials` lists every open trial.", footer])
