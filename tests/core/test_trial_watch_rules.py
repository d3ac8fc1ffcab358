"""The trial watch's rules: what a watch covers, what counts as news (once), when it looks, its words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core import limits
from bot.core.trials.models import GeoPoint, Place, Site, Study
from bot.core.trials.watch import (
    MAX_KNOWN_STUDIES,
    NewsKind,
    StatusLookup,
    TrialWatch,
    WatchFormatError,
    WatchSettings,
    baseline,
    check_watch,
    matching_studies,
    next_check_at,
    parse_watch_number,
    read_state,
    read_watch,
    retry_at,
    state_document,
    to_look_up,
    unique_news,
    watch_document,
    watch_settings,
)
from bot.core.trials.watch_render import (
    added_text,
    describe_interval,
    describe_watch,
    list_text,
    news_message,
    paused_notice,
)
from bot.errors import InvalidInput, NotFound

CHICAGO = Place("Chicago", "US", "United States", GeoPoint(41.85003, -87.65005), region="Illinois")
NEAR_CHICAGO = WatchSettings("any", CHICAGO, 200)
ANYWHERE = WatchSettings("any")
DAY = timedelta(days=1)
NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def site(city: str, lat: float, lon: float, status: str | None = "RECRUITING") -> Site:
    return Site(f"Example Hospital {city}", city, None, "United States", status, GeoPoint(lat, lon))


EVANSTON = site("Evanston", 42.04114, -87.69006)  # about 20 km from Chicago
MILWAUKEE = site("Milwaukee", 43.0389, -87.90647)  # about 140 km
DETROIT = site("Detroit", 42.33143, -83.04575)  # about 380 km


def study(nct_id: str, *sites: Site, status: str = "RECRUITING", study_type: str = "INTERVENTIONAL") -> Study:
    return Study(nct_id, f"Study {nct_id}", status=status, sites=sites, study_type=study_type)


# --- settings -------------------------------------------------------------------------------------


def test_a_place_gets_the_default_radius_and_no_place_means_anywhere() -> None:
    assert watch_settings(None, CHICAGO, None) == WatchSettings("any", CHICAGO, 200)
    assert watch_settings("hsct", None, None) == WatchSettings("hsct")


@pytest.mark.parametrize(
    ("place", "radius", "words"),
    [(None, 100, "needs a place"), (CHICAGO, 5, "10 to 5,000 km"), (CHICAGO, 9000, "10 to 5,000 km")],
)
def test_a_radius_without_a_place_or_out_of_bounds_is_refused_kindly(
    place: Place | None, radius: int, words: str
) -> None:
    with pytest.raises(InvalidInput, match=words):
        watch_settings(None, place, radius)


def test_an_unknown_intervention_is_refused_kindly() -> None:
    with pytest.raises(InvalidInput, match="I don't know the intervention"):
        watch_settings("magic", None, None)


# --- what a watch covers --------------------------------------------------------------------------


def test_only_open_sites_within_the_radius_make_a_trial_match() -> None:
    studies = [
        study("NCT00000001", EVANSTON),
        study("NCT00000002", DETROIT),  # too far
        study("NCT00000003", site("Evanston", 42.04114, -87.69006, "ENROLLING_BY_INVITATION")),
        study("NCT00000004", site("Evanston", 42.04114, -87.69006, "COMPLETED")),
        study("NCT00000005", site("Evanston", 42.04114, -87.69006, "AVAILABLE")),
        study("NCT00000006", EVANSTON, study_type="OBSERVATIONAL"),
        study("NCT00000007", MILWAUKEE, status="NOT_YET_RECRUITING"),
        study("NCT00000008", Site("Example", "Chicago", None, "United States", "RECRUITING", None)),
    ]
    matches = matching_studies(NEAR_CHICAGO, studies)
    assert list(matches) == ["NCT00000001", "NCT00000007"]
    assert matches["NCT00000001"].nearest_site == EVANSTON
    assert list(matching_studies(ANYWHERE, studies)) == [
        "NCT00000001",
        "NCT00000002",
        "NCT00000003",
        "NCT00000004",
        "NCT00000005",
        "NCT00000007",
        "NCT00000008",
    ]


ONTARIO = Place("Ontario", "CA", "Canada", GeoPoint(43.70643, -79.39864), kind="state")  # at Toronto


def canadian(city: str, province: str | None, lat: float, lon: float, country: str = "Canada") -> Site:
    return Site(f"Example Hospital {city}", city, province, country, "RECRUITING", GeoPoint(lat, lon))


def test_a_province_covers_its_own_sites_and_those_near_its_main_city() -> None:
    watch = WatchSettings("any", ONTARIO, 200)
    studies = [
        study("NCT00000011", canadian("Ottawa", "Ontario", 45.41117, -75.69812)),  # 350 km from Toronto
        study("NCT00000012", canadian("Buffalo", "New York", 42.88645, -78.87837, "United States")),  # 90 km
        study("NCT00000013", canadian("Montreal", "Quebec", 45.50884, -73.58781)),  # another province
        study("NCT00000014", Site("Example", "Thunder Bay", "Ontario", "Canada", "RECRUITING", None)),
    ]
    matches = matching_studies(watch, studies)
    assert list(matches) == ["NCT00000011", "NCT00000012", "NCT00000014"]
    assert matches["NCT00000014"].distance_km is None, "in Ontario, though the registry gives no position"
    city = WatchSettings("any", Place("Toronto", "CA", "Canada", ONTARIO.point, region="Ontario"), 200)
    assert list(matching_studies(city, studies)) == ["NCT00000012"], "a city counts by distance alone"
    assert describe_watch(watch) == (
        "Any stem-cell therapy, in Ontario, Canada or within 200 km (124 mi) of its main city"
    )


# --- news, once -----------------------------------------------------------------------------------


def test_a_new_study_is_news_once_and_a_known_one_is_not() -> None:
    known = baseline(NEAR_CHICAGO, [study("NCT00000001", EVANSTON)])
    assert known == {"NCT00000001": "RECRUITING"}
    listed = [study("NCT00000001", EVANSTON), study("NCT00000002", MILWAUKEE)]
    first = check_watch(NEAR_CHICAGO, known, listed)
    assert [(n.kind, n.study.nct_id) for n in first.news] == [(NewsKind.NEW, "NCT00000002")]
    assert first.news[0].ranked is not None and first.news[0].ranked.nearest_site == MILWAUKEE
    assert check_watch(NEAR_CHICAGO, first.known, listed).news == ()


def test_a_status_change_is_news_once() -> None:
    known = {"NCT00000007": "NOT_YET_RECRUITING"}
    listed = [study("NCT00000007", MILWAUKEE, status="RECRUITING")]
    outcome = check_watch(NEAR_CHICAGO, known, listed)
    [news] = outcome.news
    assert (news.kind, news.old_status, news.study.status) == (
        NewsKind.STATUS,
        "NOT_YET_RECRUITING",
        "RECRUITING",
    )
    assert check_watch(NEAR_CHICAGO, outcome.known, listed).news == ()


def test_a_study_that_left_the_open_list_is_looked_up_and_its_closing_told_once() -> None:
    known = {"NCT00000001": "RECRUITING", "NCT00000002": "RECRUITING"}
    listed = [study("NCT00000002", MILWAUKEE)]
    assert to_look_up(known, [s.nct_id for s in listed]) == {"NCT00000001"}
    closed = study("NCT00000001", EVANSTON, status="ACTIVE_NOT_RECRUITING")
    outcome = check_watch(
        NEAR_CHICAGO, known, listed, StatusLookup(frozenset({"NCT00000001"}), {closed.nct_id: closed})
    )
    [news] = outcome.news
    assert news.kind is NewsKind.STATUS and news.study.status == "ACTIVE_NOT_RECRUITING"
    assert to_look_up(outcome.known, [s.nct_id for s in listed]) == set(), "a closed study is not asked again"
    assert check_watch(NEAR_CHICAGO, outcome.known, listed).news == ()
    reopened = check_watch(NEAR_CHICAGO, outcome.known, [*listed, study("NCT00000001", EVANSTON)])
    assert [(n.kind, n.old_status) for n in reopened.news] == [(NewsKind.STATUS, "ACTIVE_NOT_RECRUITING")]


def test_a_look_up_that_failed_changes_nothing_and_one_that_found_nothing_forgets_the_study() -> None:
    known = {"NCT00000001": "RECRUITING"}
    failed = check_watch(NEAR_CHICAGO, known, [])
    assert failed.news == () and failed.known == known
    gone = check_watch(NEAR_CHICAGO, known, [], StatusLookup(frozenset({"NCT00000001"}), {}))
    assert gone.news == () and gone.known == {}


def test_a_known_study_out_of_reach_now_is_not_news_unless_its_status_changes() -> None:
    known = {"NCT00000001": "RECRUITING"}
    moved = check_watch(NEAR_CHICAGO, known, [study("NCT00000001", DETROIT)])
    assert moved.news == () and moved.known == known


def test_a_watch_remembers_at_most_its_limit_forgetting_closed_studies_first() -> None:
    known = {f"NCT{n:08d}": "COMPLETED" for n in range(5)}
    known |= {f"NCT{n:08d}": "RECRUITING" for n in range(100, 100 + MAX_KNOWN_STUDIES)}
    listed = [study(nct_id, EVANSTON) for nct_id in known if known[nct_id] == "RECRUITING"]
    listed.append(study("NCT99999999", EVANSTON))
    outcome = check_watch(NEAR_CHICAGO, known, listed)
    assert len(outcome.known) == MAX_KNOWN_STUDIES
    assert "NCT99999999" in outcome.known
    assert not any(status == "COMPLETED" for status in outcome.known.values())


def test_the_same_news_from_two_watches_is_told_once() -> None:
    listed = [study("NCT00000002", MILWAUKEE)]
    first = TrialWatch(1, 1, NEAR_CHICAGO)
    second = TrialWatch(1, 2, ANYWHERE)
    items = [(w, n) for w in (first, second) for n in check_watch(w.settings, {}, listed).news]
    assert len(items) == 2
    assert [(w.seq, n.study.nct_id) for w, n in unique_news(items)] == [(1, "NCT00000002")]


# --- when to look ---------------------------------------------------------------------------------


def test_looks_fall_on_the_interval_grid_never_closer_than_one_interval() -> None:
    assert next_check_at(NOW, DAY) == datetime(2026, 1, 3, 0, 0, tzinfo=UTC)
    assert next_check_at(datetime(2026, 1, 3, 0, 0, tzinfo=UTC), DAY) == datetime(2026, 1, 4, tzinfo=UTC)
    late = datetime(2026, 1, 3, 23, 59, tzinfo=UTC)  # a round delayed by downtime
    assert next_check_at(late, DAY) - late >= DAY
    hourly = timedelta(hours=6)
    assert next_check_at(NOW, hourly) == datetime(2026, 1, 1, 18, 0, tzinfo=UTC)
    assert retry_at(NOW, DAY) == NOW + timedelta(hours=1)
    assert retry_at(NOW, timedelta(hours=1)) == NOW + timedelta(hours=1)


# --- choosing a watch -----------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "expected"), [("2", 2), (" #2 ", 2), ("all", None), ("ALL", None)])
def test_a_watch_is_chosen_by_number_or_all(typed: str, expected: int | None) -> None:
    assert parse_watch_number(typed, [1, 2]) == expected


def test_a_wrong_number_or_word_gets_the_members_own_numbers() -> None:
    with pytest.raises(NotFound, match=r"You have no trial watch #9\. Your watches: #1, #2\."):
        parse_watch_number("9", [2, 1])
    with pytest.raises(InvalidInput, match="by its number"):
        parse_watch_number("london", [1])
    with pytest.raises(NotFound, match="no trial watches at the moment"):
        parse_watch_number("1", [])


# --- sealed documents -----------------------------------------------------------------------------


@pytest.mark.parametrize("settings", [NEAR_CHICAGO, ANYWHERE, WatchSettings("neural", CHICAGO, 5000)])
def test_a_watch_document_round_trips(settings: WatchSettings) -> None:
    opened = read_watch(watch_document(349_857_210_938_475_612, settings, NOW))
    assert (opened.user_id, opened.settings, opened.created_at) == (349_857_210_938_475_612, settings, NOW)
    assert opened.settings.place is None or opened.settings.place.label == "Chicago, Illinois, United States"
    assert read_state(state_document({"NCT00000001": "RECRUITING"}, pause_untold=True)) == (
        {"NCT00000001": "RECRUITING"},
        True,
    )


def test_something_else_is_not_read_as_a_watch() -> None:
    for reader in (read_watch, read_state):
        with pytest.raises(WatchFormatError):
            reader(b'{"kind": "entry"}')


# --- words ----------------------------------------------------------------------------------------


def test_what_a_watch_watches_reads_plainly() -> None:
    assert describe_watch(NEAR_CHICAGO) == (
        "Any stem-cell therapy, within 200 km (124 mi) of Chicago, Illinois, United States"
    )
    assert describe_watch(WatchSettings("hsct")) == "Haematopoietic stem cell transplant (aHSCT), anywhere"
    assert describe_interval(DAY) == "once a day"
    assert describe_interval(timedelta(hours=6)) == "every 6 hours"
    assert describe_interval(timedelta(days=7)) == "every 7 days"


def test_news_fits_one_message_and_says_how_many_did_not_fit() -> None:
    watch = TrialWatch(1, 1, NEAR_CHICAGO)
    title = "[A *very* long title](https://example.org) " * 20
    items = [
        (watch, news)
        for n in range(40)
        for news in check_watch(
            NEAR_CHICAGO, {}, [Study(f"NCT{n:08d}", title, status="RECRUITING", sites=(EVANSTON,))]
        ).news
    ]
    text = news_message(items, DAY)
    assert len(text) <= limits.MESSAGE_CHARS
    assert "more (" in text and "`/trials` lists the open ones" in text
    assert "NCT00000039" in text, (
        "every study left out is named by its number (a closed one is not in /trials)"
    )
    assert "](<https://clinicaltrials.gov/study/NCT00000000>)" in text, "links without previews"
    assert "*very*" not in text and "\\*very\\*" in text, "registry text is escaped"
    assert "talk it through with your MS team" in text
    assert "@" not in text


def test_one_piece_of_news_reads_calmly_with_its_site_and_distance() -> None:
    watch = TrialWatch(1, 2, NEAR_CHICAGO)
    [news] = check_watch(NEAR_CHICAGO, {}, [study("NCT00000002", MILWAUKEE)]).news
    text = news_message([(watch, news)], DAY)
    assert "**New trial near Chicago, Illinois, United States** (watch #2)" in text
    assert "Recruiting · nearest open site: Example Hospital Milwaukee, Milwaukee, United States, **" in text
    status = check_watch(
        NEAR_CHICAGO, {"NCT00000002": "NOT_YET_RECRUITING"}, [study("NCT00000002", MILWAUKEE)]
    )
    assert "Now: Recruiting (before: Not yet recruiting). It is looking for participants." in news_message(
        [(watch, status.news[0])], DAY
    )


def test_the_list_the_add_answer_and_the_pause_notice_name_each_watch() -> None:
    active = TrialWatch(1, 1, NEAR_CHICAGO, next_due_at=datetime(2026, 1, 3, tzinfo=UTC))
    paused = TrialWatch(1, 3, ANYWHERE, next_due_at=None)
    listed = list_text([active, paused])
    assert "(2 of 5)" in listed and "**#1** Any stem-cell therapy, within 200 km" in listed
    assert "<t:1767398400:R>" in listed and "**#3**" in listed and "**Paused**" in listed
    assert "You have no trial watches" in list_text([])
    added = added_text(active, 3, DAY)
    assert "#1" in added and "Right now 3 open trials match" in added and "once a day" in added
    assert "trial watch #3" in paused_notice([paused])
