"""Words of the report in English and Dutch: labels, marker explanations, dates and numbers.

The readers of the article asked for plain language ("what is HRV in human words?"), a chart
with the numbers, and a word for older athletes, cyclists and strength athletes: the
explanations below answer those questions in both languages. Rule-specific words come from
the rule catalogue where it has them; the Dutch rule titles and conditions live here
(`RULE_NL`).
"""

from __future__ import annotations

import math
from datetime import date

LANGS = ("en", "nl")

_MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "nl": ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
}
_DAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "nl": ("ma", "di", "wo", "do", "vr", "za", "zo"),
}

#: Interface words. Keys are used by the templates and chart builders.
UI: dict[str, dict[str, str]] = {
    "en": {
        "team_title": "Team recovery",
        "latest": "Latest night in the data: {day} — {age}",
        "age_today": "this morning",
        "age_yesterday": "yesterday",
        "age_days": "{n} days ago",
        "status_stale": "No data for {n} nights",
        "missing_stale": "No recent data (nights without data): {who}.",
        "missing_none": "No data at all: {who}.",
        "athlete_title": "Recovery of {athlete}",
        "generated": "Made {when} from the warehouse {db}",
        "athlete": "Athlete",
        "status": "Status",
        "last_night": "Last night",
        "latest_title": "Latest night",
        "rhr": "Resting HR",
        "hrv": "HRV",
        "sleep": "Sleep",
        "flags_today": "Flags this morning",
        "last7": "last 7 nights",
        "no_flags_today": "No flags this morning.",
        "no_athletes": "No athletes in the warehouse yet: run `herstel ingest` and "
        "`herstel nightly`.",
        "no_nights": "No nights recorded yet.",
        "status_ok": "OK",
        "status_watch": "Watch",
        "status_warning": "Warning",
        "status_none": "No data",
        "sev_info": "info",
        "sev_watch": "watch",
        "sev_warning": "warning",
        "counts": "{warning} with a warning, {watch} to watch, {ok} OK",
        "n_warnings_one": "1 warning",
        "n_warnings_many": "{n} warnings",
        "n_watches_one": "1 watch",
        "n_watches_many": "{n} watches",
        "in_7d": "{what} in 7 days",
        "back": "Team overview",
        "period": "Period shown: {start} to {end} ({nights} nights with data)",
        "tz": "time zone {tz}",
        "files": "{loaded} files loaded, {quarantined} unreadable",
        "today_title": "This morning",
        "chart_rhr": "Resting heart rate during sleep",
        "chart_hrv": "Heart-rate variability (HRV) during sleep",
        "chart_sleep": "Sleep duration",
        "chart_load": "Training load per day",
        "empty_rhr": "No resting heart rate measured in this period.",
        "empty_hrv": "No heart-rate variability measured in this period.",
        "empty_sleep": "No sleep measured in this period.",
        "empty_load": "No training or rest days recorded in this period.",
        "empty_week": "No training weeks recorded in this period.",
        "chart_week": "Training load per week",
        "chart_flags": "Every flag in this period",
        "legend_rhr": "resting HR|your 28-night average|normal range (−{below} % … +{above} %)"
        "|warning line (+{warn} %)",
        "legend_hrv": "HRV|your 28-night average|{normal} ms (normal above)"
        "|{warn} ms (warning below)",
        "legend_sleep": "within {low}–{high} h|outside {low}–{high} h|under {short} h"
        "|normal range {low}–{high} h",
        "legend_load": "endurance|strength|7-day average|28-day average|rest day",
        "legend_flags": "warning|watch|info",
        "flags_title": "The flags, explained",
        "flags_none": "No flags in this period.",
        "rule": "Rule",
        "source": "Source",
        "raised": "Raised {n}×",
        "day": "Day",
        "severity": "Severity",
        "message": "What it means",
        "markers_title": "How to read the markers",
        "disclaimer": "herstel points at patterns; it does not diagnose. If you feel unwell or a "
        "warning keeps coming back, talk to a sports physician.",
        "ruleset": "rule set {version}",
        "value": "value",
        "baseline": "28-night average",
        "deviation": "difference",
        "method": "method",
        "file": "source file",
        "date": "night",
        "day_label": "day",
        "week": "week",
        "trimp": "TRIMP",
        "endurance": "endurance",
        "strength": "strength",
        "acute": "7-day average",
        "chronic": "28-day average",
        "ctl": "fitness (CTL, 42 d)",
        "atl": "fatigue (ATL, 7 d)",
        "tsb": "form (TSB)",
        "training_days": "training days",
        "rest_days": "rest days",
        "rest_day": "rest day",
        "flag": "flag",
        "unit_bpm": "bpm",
        "unit_ms": "ms",
        "unit_h": "h",
        "y_rhr": "bpm",
        "y_hrv": "ms (RMSSD)",
        "y_sleep": "hours asleep",
        "y_load": "TRIMP per day",
        "y_week": "TRIMP per week",
        "normal_above": "normal above {v} ms",
        "warn_below": "warning under {v} ms",
        "short_line": "{v} h",
        "open": "Details",
        "fig_load": "Load, last 7 days",
        "fig_load_note": "{rest} rest days",
        "fig_load_note_one": "1 rest day",
        "fig_rhr_note": "{dev} against {base}",
        "fig_hrv_note": "28-night average {base} ms",
        "fig_sleep_note": "28-night average {base}",
        "load_days": "{n} d",
        "digest_title": "herstel — morning summary, {day}",
        "digest_since": "herstel — flags since {day}",
        "digest_counts": "{athletes} athletes: {warning} warning, {watch} watch, {ok} OK.",
        "digest_none": "No new warnings or watches.",
        "digest_night": "night of {day}",
    },
    "nl": {
        "team_title": "Herstel van het team",
        "latest": "Laatste nacht in de gegevens: {day} — {age}",
        "age_today": "vanochtend",
        "age_yesterday": "gisteren",
        "age_days": "{n} dagen geleden",
        "status_stale": "{n} nachten geen gegevens",
        "missing_stale": "Geen recente gegevens (nachten zonder gegevens): {who}.",
        "missing_none": "Helemaal geen gegevens: {who}.",
        "athlete_title": "Herstel van {athlete}",
        "generated": "Gemaakt op {when} uit het datawarehouse {db}",
        "athlete": "Sporter",
        "status": "Status",
        "last_night": "Laatste nacht",
        "latest_title": "Laatste nacht",
        "rhr": "Rusthartslag",
        "hrv": "HRV",
        "sleep": "Slaap",
        "flags_today": "Signalen van vanochtend",
        "last7": "laatste 7 nachten",
        "no_flags_today": "Geen signalen vanochtend.",
        "no_athletes": "Nog geen sporters in het datawarehouse: draai `herstel ingest` en "
        "`herstel nightly`.",
        "no_nights": "Nog geen nachten gemeten.",
        "status_ok": "In orde",
        "status_watch": "Let op",
        "status_warning": "Waarschuwing",
        "status_none": "Geen gegevens",
        "sev_info": "info",
        "sev_watch": "let op",
        "sev_warning": "waarschuwing",
        "counts": "{warning} met een waarschuwing, {watch} om op te letten, {ok} in orde",
        "n_warnings_one": "1 waarschuwing",
        "n_warnings_many": "{n} waarschuwingen",
        "n_watches_one": "1× let op",
        "n_watches_many": "{n}× let op",
        "in_7d": "{what} in 7 dagen",
        "back": "Teamoverzicht",
        "period": "Getoonde periode: {start} tot {end} ({nights} nachten met gegevens)",
        "tz": "tijdzone {tz}",
        "files": "{loaded} bestanden geladen, {quarantined} onleesbaar",
        "today_title": "Vanochtend",
        "chart_rhr": "Rusthartslag tijdens de slaap",
        "chart_hrv": "Hartslagvariabiliteit (HRV) tijdens de slaap",
        "chart_sleep": "Slaapduur",
        "chart_load": "Trainingsbelasting per dag",
        "empty_rhr": "Geen rusthartslag gemeten in deze periode.",
        "empty_hrv": "Geen hartslagvariabiliteit gemeten in deze periode.",
        "empty_sleep": "Geen slaap gemeten in deze periode.",
        "empty_load": "Geen trainings- of rustdagen vastgelegd in deze periode.",
        "empty_week": "Geen trainingsweken vastgelegd in deze periode.",
        "chart_week": "Trainingsbelasting per week",
        "chart_flags": "Alle signalen in deze periode",
        "legend_rhr": "rusthartslag|je gemiddelde van 28 nachten|normaal bereik (−{below} % … "
        "+{above} %)|waarschuwingslijn (+{warn} %)",
        "legend_hrv": "HRV|je gemiddelde van 28 nachten|{normal} ms (daarboven normaal)"
        "|{warn} ms (daaronder waarschuwing)",
        "legend_sleep": "binnen {low}–{high} uur|buiten {low}–{high} uur|onder {short} uur"
        "|normaal bereik {low}–{high} uur",
        "legend_load": "duur|kracht|gemiddelde 7 dagen|gemiddelde 28 dagen|rustdag",
        "legend_flags": "waarschuwing|let op|info",
        "flags_title": "De signalen uitgelegd",
        "flags_none": "Geen signalen in deze periode.",
        "rule": "Regel",
        "source": "Bron",
        "raised": "{n}× gemeld",
        "day": "Dag",
        "severity": "Ernst",
        "message": "Wat het betekent",
        "markers_title": "Zo lees je de metingen",
        "disclaimer": "herstel wijst op patronen en stelt geen diagnose. Voel je je niet goed of "
        "komt een waarschuwing steeds terug, overleg dan met een sportarts.",
        "ruleset": "regelset {version}",
        "value": "waarde",
        "baseline": "gemiddelde 28 nachten",
        "deviation": "verschil",
        "method": "methode",
        "file": "bronbestand",
        "date": "nacht",
        "day_label": "dag",
        "week": "week",
        "trimp": "TRIMP",
        "endurance": "duur",
        "strength": "kracht",
        "acute": "gemiddelde 7 dagen",
        "chronic": "gemiddelde 28 dagen",
        "ctl": "fitheid (CTL, 42 d)",
        "atl": "vermoeidheid (ATL, 7 d)",
        "tsb": "vorm (TSB)",
        "training_days": "trainingsdagen",
        "rest_days": "rustdagen",
        "rest_day": "rustdag",
        "flag": "signaal",
        "unit_bpm": "slagen/min",
        "unit_ms": "ms",
        "unit_h": "uur",
        "y_rhr": "slagen/min",
        "y_hrv": "ms (RMSSD)",
        "y_sleep": "uren geslapen",
        "y_load": "TRIMP per dag",
        "y_week": "TRIMP per week",
        "normal_above": "normaal boven {v} ms",
        "warn_below": "waarschuwing onder {v} ms",
        "short_line": "{v} uur",
        "open": "Details",
        "fig_load": "Belasting, laatste 7 dagen",
        "fig_load_note": "{rest} rustdagen",
        "fig_load_note_one": "1 rustdag",
        "fig_rhr_note": "{dev} t.o.v. {base}",
        "fig_hrv_note": "gemiddelde 28 nachten {base} ms",
        "fig_sleep_note": "gemiddelde 28 nachten {base}",
        "load_days": "{n} d",
        "digest_title": "herstel — ochtendoverzicht, {day}",
        "digest_since": "herstel — signalen sinds {day}",
        "digest_counts": "{athletes} sporters: {warning} waarschuwing, {watch} let op, "
        "{ok} in orde.",
        "digest_none": "Geen nieuwe waarschuwingen of 'let op'-signalen.",
        "digest_night": "nacht van {day}",
    },
}

#: What each marker means, in plain words; one entry per chart, paragraphs as a tuple.
MARKERS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "rhr": (
            "The lowest half-hour average of your heart rate while you sleep, in beats per "
            "minute. Measured at night, it is not blurred by coffee, stairs or a rushed morning.",
            "When your body is still repairing after training, or dealing with a cold, stress "
            "at work, alcohol or a hot night, the heart works a little harder even at rest, and "
            "this number creeps up. It is compared with your own average of the previous 28 "
            "nights: the green band is the normal range (−{below} % to +{above} %), and above the "
            "dashed line (+{warn} % or {warn_bpm} beats) the guidance reads it as a sign that "
            "recovery is not keeping up. {warn_bpm} beats sounds small, but a rested athlete's "
            "night-time pulse usually moves only a beat or two from night to night.",
        ),
        "hrv": (
            "Your heart is not a metronome: the time between two beats changes a little all "
            "the time, by a few hundredths of a second. That variation comes mostly from the "
            "calm, 'rest and repair' side of your nervous system, which slows each beat a touch "
            "as you breathe out. Well rested, that side has room to work and the variation is "
            "larger; hard training, illness, stress, alcohol or short sleep push it down.",
            "The watch measures it during sleep as RMSSD, in milliseconds. The guidance calls "
            "above {normal} ms normal and under {hrv_warn} ms a warning sign (the dashed lines); "
            "the grey line is your own 28-night average. HRV differs a lot between people and "
            "tends to be lower with age, so your own trend over several nights says more than "
            "any one number, and one low night is rarely a reason to worry. A wrist watch "
            "measures it less precisely than a chest strap: another reason to look at the trend.",
        ),
        "sleep": (
            "Time actually asleep (light, deep and REM sleep), not time in bed: lying awake in "
            "the night is left out. Most repair happens during sleep: muscles rebuild, the "
            "hormones that drive recovery peak, and the brain sorts out the day.",
            "The guidance calls {low}–{high} hours normal (the green band); under {short} hours "
            "{nights} nights in a row is a warning sign (the dashed line). One short night is "
            "common and harmless; a run of them adds up.",
        ),
        "load": (
            "Each session counts as a TRIMP score: the minutes you trained, weighted by how hard "
            "your heart worked (higher heart-rate zones weigh more). An hour of easy cycling and "
            "a hard half hour of intervals can score the same. It works for every sport recorded "
            "with heart rate: running, cycling, swimming, strength. Strength sessions have their "
            "own colour, because the guidance advises increasing strength training only when "
            "sleep has been stable for seven nights.",
            "A day without a bar is a rest day (green mark); the guidance asks for one full rest "
            "day every week, at every level. The lines are your 7-day and 28-day average load: "
            "when the short one stays well above the long one, you are building up fast. The "
            "weekly totals below help with the advice of at most three heavy weeks in a row, "
            "followed by at least five days of lighter training.",
        ),
        "personal": (
            "Why your own average? Age, sport, fitness and even the watch change the numbers. "
            "herstel therefore compares resting heart rate with your own previous 28 nights, so "
            "the same rule works for a 25-year-old runner and a 65-year-old cyclist. The fixed "
            "HRV lines come from the guidance; for older athletes, whose HRV is naturally lower, "
            "the trend against their own average is the better guide.",
        ),
    },
    "nl": {
        "rhr": (
            "Het laagste halfuurgemiddelde van je hartslag terwijl je slaapt, in slagen per "
            "minuut. 's Nachts gemeten spelen koffie, een trap of een gehaaste ochtend geen rol.",
            "Is je lichaam nog aan het herstellen van de training, of heb je een verkoudheid, "
            "stress op het werk, alcohol of een warme nacht achter de rug, dan werkt het hart "
            "zelfs in rust iets harder en loopt dit getal op. We vergelijken het met je eigen "
            "gemiddelde van de 28 nachten ervoor: de groene band is het normale bereik "
            "(−{below} % tot +{above} %), en boven de stippellijn (+{warn} % of {warn_bpm} slagen) "
            "ziet de richtlijn het als teken dat het herstel achterblijft. {warn_bpm} slagen "
            "klinkt weinig, maar bij een uitgeruste sporter verschuift de nachtelijke hartslag "
            "meestal maar een slag of twee van nacht tot nacht.",
        ),
        "hrv": (
            "Je hart is geen metronoom: de tijd tussen twee slagen verschilt steeds een klein "
            "beetje, een paar honderdsten van een seconde. Die variatie komt vooral van het "
            "rustige 'herstel'-deel van je zenuwstelsel, dat elke slag bij het uitademen iets "
            "afremt. Ben je goed uitgerust, dan heeft dat deel de ruimte en is de variatie "
            "groter; zware training, ziekte, stress, alcohol of te kort slapen drukken haar.",
            "Het horloge meet haar tijdens de slaap als RMSSD, in milliseconden. De richtlijn "
            "noemt boven {normal} ms normaal en onder {hrv_warn} ms een waarschuwingssignaal (de "
            "stippellijnen); de grijze lijn is je eigen gemiddelde van 28 nachten. HRV verschilt "
            "sterk van persoon tot persoon en is op latere leeftijd meestal lager; je eigen "
            "verloop over meerdere nachten zegt daarom meer dan één getal, en één lage nacht is "
            "zelden reden tot zorg. Een polshorloge meet minder precies dan een borstband: nog "
            "een reden om naar het verloop te kijken.",
        ),
        "sleep": (
            "De tijd dat je echt sliep (lichte, diepe en REM-slaap), niet de tijd in bed: wakker "
            "liggen telt niet mee. Het meeste herstel gebeurt in je slaap: spieren herstellen, "
            "de hormonen die het herstel sturen pieken en je hoofd verwerkt de dag.",
            "De richtlijn noemt {low}–{high} uur normaal (de groene band); {nights} nachten op "
            "rij onder {short} uur is een waarschuwingssignaal (de stippellijn). Eén korte nacht "
            "komt vaak voor en is onschuldig; een reeks ervan telt op.",
        ),
        "load": (
            "Elke training telt als TRIMP-score: de minuten die je trainde, gewogen naar hoe hard "
            "je hart werkte (hogere hartslagzones wegen zwaarder). Een uur rustig fietsen en een "
            "zwaar half uur intervallen kunnen even zwaar tellen. Het werkt voor elke sport met "
            "hartslagmeting: lopen, fietsen, zwemmen, kracht. Krachttraining heeft een eigen "
            "kleur, omdat de richtlijn adviseert krachttraining pas op te voeren als je slaap "
            "zeven nachten stabiel is.",
            "Een dag zonder balk is een rustdag (groen streepje); de richtlijn vraagt op elk "
            "niveau één volledige rustdag per week. De lijnen zijn je gemiddelde belasting over "
            "7 en 28 dagen: blijft de korte ruim boven de lange, dan bouw je snel op. De "
            "weektotalen hieronder helpen bij het advies van hoogstens drie zware weken op rij, "
            "gevolgd door minstens vijf dagen lichtere training.",
        ),
        "personal": (
            "Waarom je eigen gemiddelde? Leeftijd, sport, conditie en zelfs het horloge "
            "veranderen de getallen. herstel vergelijkt je rusthartslag daarom met je eigen 28 "
            "nachten ervoor, zodat dezelfde regel werkt voor een hardloper van 25 en een fietser "
            "van 65. De vaste HRV-lijnen komen uit de richtlijn; voor oudere sporters, bij wie "
            "HRV van nature lager is, is het verloop ten opzichte van het eigen gemiddelde de "
            "betere gids.",
        ),
    },
}

#: Short rule names for chart rows and tooltips (the catalogue title is the long form).
RULE_SHORT: dict[str, dict[str, str]] = {
    "en": {
        "rhr_elevated": "Resting HR off baseline",
        "sleep_short_streak": "Short nights in a row",
        "sleep_out_of_range": "Sleep outside 7–9 h",
        "hrv_low": "Low HRV",
        "hrv_below_baseline": "HRV below own baseline",
        "hrv_usual_below_guideline": "Usual HRV under the guideline",
        "no_rest_day": "No rest day in 7 days",
        "heavy_weeks_streak": "Heavy weeks in a row",
        "strength_up_unstable_sleep": "Strength up, sleep unstable",
        "fatigue_persists": "Fatigue persists",
        "wellness_decline": "Mood or motivation falling",
        "ferritin_low": "Low ferritin",
        "cortisol_change": "Cortisol changed",
        "sedentary_long": "Long sitting",
        "multi_signal": "Several signals together",
    },
    "nl": {
        "rhr_elevated": "Rusthartslag wijkt af",
        "sleep_short_streak": "Korte nachten op rij",
        "sleep_out_of_range": "Slaap buiten 7–9 uur",
        "hrv_low": "Lage HRV",
        "hrv_below_baseline": "HRV onder eigen gemiddelde",
        "hrv_usual_below_guideline": "Gewone HRV onder de richtlijn",
        "no_rest_day": "Geen rustdag in 7 dagen",
        "heavy_weeks_streak": "Zware weken op rij",
        "strength_up_unstable_sleep": "Meer kracht, onrustige slaap",
        "fatigue_persists": "Vermoeidheid blijft",
        "wellness_decline": "Stemming of motivatie daalt",
        "ferritin_low": "Laag ferritine",
        "cortisol_change": "Cortisol veranderd",
        "sedentary_long": "Lang zitten",
        "multi_signal": "Meerdere signalen samen",
    },
}

#: Dutch rule titles and level conditions ({threshold} fields of the level); English comes from
#: the catalogue. A test checks every rule and level of the catalogue has its words here.
RULE_NL: dict[str, tuple[str, dict[str, str]]] = {
    "rhr_elevated": (
        "Rusthartslag tijdens de slaap wijkt af van je persoonlijke gemiddelde",
        {
            "high": "rusthartslag meer dan {pct_above:g} % of meer dan {bpm_above:g} slagen/min "
            "boven het gemiddelde van 28 nachten",
            "above": "rusthartslag meer dan {pct_above:g} % boven het gemiddelde van 28 nachten",
            "below": "rusthartslag meer dan {pct_below:g} % onder het gemiddelde van 28 nachten",
        },
    ),
    "sleep_short_streak": (
        "Meerdere korte nachten op rij",
        {
            "streak": "de {nights:g}e en elke volgende nacht op rij met minder dan "
            "{hours_below:g} uur slaap"
        },
    ),
    "sleep_out_of_range": (
        "Slaapduur buiten het normale bereik",
        {
            "short": "minder dan {hours_below:g} uur geslapen",
            "long": "meer dan {hours_above:g} uur geslapen",
        },
    ),
    "hrv_low": (
        "HRV 's nachts onder het bereik van de richtlijn",
        {
            "low": "RMSSD 's nachts onder {ms_below:g} ms",
            "reduced": "RMSSD 's nachts tot en met {ms_upto:g} ms, maar niet onder de "
            "waarschuwingsdrempel",
            "personal": "zolang je gewone HRV onder de grens ligt: RMSSD 's nachts meer dan "
            "{sd_factor:g} SD van ln RMSSD en minstens {min_drop_pct:g} % onder je gewone waarde",
        },
    ),
    "hrv_usual_below_guideline": (
        "Je gewone HRV ligt onder de waarschuwingsgrens van de richtlijn",
        {
            "usual_below": "gewone RMSSD over {baseline_nights:g} nachten onder {ms_below:g} ms "
            "(één keer per periode)",
            "usual_reduced": "gewone RMSSD over 60 nachten onder {ms_below:g} ms, maar niet "
            "onder de waarschuwingsdrempel (één keer per periode)",
        },
    ),
    "no_rest_day": (
        "Geen volledige rustdag in de afgelopen week",
        {"no_rest": "elk van de laatste {days:g} dagen een training"},
    ),
    "hrv_below_baseline": (
        "HRV 's nachts onder je eigen normale bereik",
        {
            "below": "gemiddelde ln(RMSSD) van {recent_nights:g} nachten onder het gemiddelde "
            "van {baseline_nights:g} nachten min {sd_factor:g} SD"
        },
    ),
    "heavy_weeks_streak": (
        "Meer dan drie zware trainingsweken op rij zonder herstelblok",
        {
            "streak": "meer dan {max_weeks:g} zware weken (belasting meer dan {heavy_ratio:g} x je "
            "gewone week) zonder {recovery_days:g} dagen hersteltraining; één gewone week "
            "ertussen telt niet als herstel"
        },
    ),
    "strength_up_unstable_sleep": (
        "Meer krachttraining terwijl de slaap niet stabiel was",
        {
            "up": "krachtbelasting van {window_days:g} dagen stijgt boven {increase_ratio:g} x het "
            "gemiddelde van {reference_weeks:g} weken, terwijl slaapduur of regelmaat niet "
            "stabiel was",
            "up_quality": "krachtbelasting stijgt terwijl je opgegeven slaapkwaliteit meer dan "
            "{max_quality_drop:g} punten onder je gebruikelijke zakte",
        },
    ),
    "fatigue_persists": (
        "Vermoeidheid blijft hoog na twee rustdagen",
        {
            "persists": "vermoeidheid {fatigue_at_least:g} of hoger (van 10) na "
            "{rest_days:g} of meer rustdagen op rij"
        },
    ),
    "wellness_decline": (
        "Motivatie of stemming daalt ten opzichte van je eigen gemiddelde",
        {
            "motivation": "gemiddelde motivatie van {recent_days:g} dagen meer dan "
            "{sd_factor:g} SD onder de {baseline_days:g} dagen ervoor",
            "mood": "gemiddelde stemming van {recent_days:g} dagen meer dan "
            "{sd_factor:g} SD onder de {baseline_days:g} dagen ervoor",
        },
    ),
    "ferritin_low": (
        "Laag ferritine in een bloedtest",
        {"low": "ferritine onder {ug_l_below:g} µg/L"},
    ),
    "cortisol_change": (
        "Cortisol ver van je eigen eerdere waarden",
        {
            "up": "cortisol meer dan {pct_above:g} % boven het gemiddelde van je eerdere uitslagen",
            "down": "cortisol meer dan {pct_below:g} % onder het gemiddelde van je eerdere "
            "uitslagen",
        },
    ),
    "sedentary_long": (
        "Lang zitten buiten slaap en training",
        {"long": "meer dan {hours_above:g} uur zitten op een dag"},
    ),
    "multi_signal": (
        "Meerdere verschillende waarschuwingen binnen een paar dagen",
        {
            "combined": "waarschuwingen van {rules:g} of meer verschillende regels binnen "
            "{days:g} dagen"
        },
    ),
}


def ui(lang: str) -> dict[str, str]:
    """The interface words of a language; raises ValueError for an unknown one."""
    check_lang(lang)
    return UI[lang]


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"language {lang!r} is not supported: use one of {', '.join(LANGS)}")
    return lang


def fmt_num(value: float | None, decimals: int, lang: str) -> str:
    """A number rounded half away from zero, with a decimal comma in Dutch; '–' when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    scaled = abs(value) * 10**decimals
    rounded = math.floor(scaled + 0.5) / 10**decimals
    text = f"{math.copysign(rounded, value) if rounded else 0.0:.{decimals}f}"
    return text.replace(".", ",") if lang == "nl" else text


def fmt_signed_pct(value: float | None, lang: str) -> str:
    """A deviation in percent with its sign (+4 %, −12 %), for the numbers next to charts."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = fmt_num(abs(value), 0, lang)
    if text == "0":
        return "±0 %"
    sign = "+" if value > 0 else "−"
    return f"{sign}{text} %"


def fmt_date(day: date, lang: str, weekday: bool = True) -> str:
    """'Sun 18 Oct 2026' / 'zo 18 okt 2026': unambiguous in both languages."""
    text = f"{day.day} {_MONTHS[lang][day.month - 1]} {day.year}"
    return f"{_DAYS[lang][day.weekday()]} {text}" if weekday else text


def fmt_hours(hours: float | None, lang: str) -> str:
    """Sleep as hours and minutes ('7 h 15 min' / '7 uur 15 min'): easier than 7.25 h."""
    if hours is None or (isinstance(hours, float) and math.isnan(hours)):
        return "–"
    minutes = int(math.floor(hours * 60 + 0.5))
    unit = UI[lang]["unit_h"]
    return f"{minutes // 60} {unit} {minutes % 60:02d} min"


def rule_short(rule_id: str, lang: str) -> str:
    return RULE_SHORT[lang].get(rule_id, rule_id.replace("_", " "))


def markers(lang: str, **numbers: object) -> dict[str, tuple[str, ...]]:
    """The marker explanations with the guideline numbers filled in."""
    return {
        key: tuple(p.format(**numbers) for p in paragraphs)
        for key, paragraphs in MARKERS[check_lang(lang)].items()
    }
