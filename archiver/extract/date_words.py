"""The words blogs write dates with, in English, German, French, Spanish, Italian, Dutch and
Portuguese: month names, relative units and counts, "ago", "now", "yesterday", zone names.

Written without accents: `dates` compares its input with its accents removed. Add a
language by adding its words to each table.
"""

from __future__ import annotations

__all__ = ["AGO_AFTER", "AGO_BEFORE", "DAYS_BACK", "MONTHS", "NOW", "NUMBER_WORDS", "ONE", "UNITS",
           "WEEKDAY_LOOKALIKES", "ZONES"]  # fmt: skip

MONTHS: dict[int, tuple[str, ...]] = {
    1: ("january", "jan", "januar", "janner", "jan", "janvier", "janv", "enero", "ene",
        "gennaio", "gen", "januari", "janeiro"),
    2: ("february", "feb", "februar", "fevrier", "fevr", "fev", "febrero", "febbraio",
        "februari", "fevereiro"),
    3: ("march", "mar", "marz", "maerz", "mars", "marzo", "maart", "mrt", "marco"),
    4: ("april", "apr", "avril", "avr", "abril", "abr", "aprile"),
    5: ("may", "mai", "mayo", "maggio", "mag", "mei", "maio"),
    6: ("june", "jun", "juni", "juin", "junio", "giugno", "giu", "junho"),
    7: ("july", "jul", "juli", "juillet", "juil", "julio", "luglio", "lug", "julho"),
    8: ("august", "aug", "aout", "agosto", "ago", "augustus"),
    9: ("september", "sep", "sept", "septembre", "septiembre", "setiembre", "set",
        "settembre", "setembro"),
    10: ("october", "oct", "oktober", "okt", "octobre", "octubre", "ottobre", "ott",
         "outubro", "out"),
    11: ("november", "nov", "novembre", "noviembre", "novembro"),
    12: ("december", "dec", "dezember", "dez", "decembre", "diciembre", "dic", "dicembre",
          "dezembro"),
}  # fmt: skip
# Weekday abbreviations that are also month abbreviations ("mar." is mardi / martes).
WEEKDAY_LOOKALIKES = frozenset({"mar", "mag", "set"})
UNITS: dict[str, tuple[str, ...]] = {
    "seconds": ("s", "sec", "secs", "second", "seconds", "sekunde", "sekunden", "seconde",
                "secondes", "segundo", "segundos", "secondo", "secondi", "seconden"),
    "minutes": ("m", "min", "mins", "minute", "minutes", "minuten", "minuto", "minutos",
                "minuti", "minuut"),
    "hours": ("h", "hr", "hrs", "hour", "hours", "stunde", "stunden", "heure", "heures",
              "hora", "horas", "ora", "ore", "uur", "uren"),
    "days": ("d", "day", "days", "tag", "tage", "tagen", "jour", "jours", "dia", "dias",
             "giorno", "giorni", "dag", "dagen"),
    "weeks": ("w", "wk", "wks", "week", "weeks", "woche", "wochen", "semaine", "semaines",
              "semana", "semanas", "settimana", "settimane", "weken"),
    "months": ("mo", "month", "months", "monat", "monate", "monaten", "mois", "mes",
               "meses", "mese", "mesi", "maand", "maanden"),
    "years": ("y", "yr", "yrs", "year", "years", "jahr", "jahre", "jahren", "an", "ans",
              "annee", "annees", "ano", "anos", "anno", "anni", "jaar", "jaren"),
}  # fmt: skip
ONE = ("a", "an", "one", "ein", "eine", "einem", "einer", "un", "une", "uno", "una",
       "een", "um", "uma")  # fmt: skip
NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                "nine": 9, "ten": 10, "few": 3, "a few": 3, "several": 3, "couple": 2,
                "a couple of": 2, **dict.fromkeys(ONE, 1)}  # fmt: skip
AGO_BEFORE = ("vor", "il y a", "hace", "ha", "faz")  # "vor 3 Tagen", "hace 3 dias"
AGO_AFTER = ("ago", "fa", "geleden", "atras", "zuvor")  # "3 days ago", "3 giorni fa"
NOW = ("just now", "right now", "now", "moments ago", "a moment ago", "seconds ago",
       "a few seconds ago", "few seconds ago", "gerade eben", "gerade", "soeben", "jetzt",
       "a l'instant", "maintenant", "ahora mismo", "ahora", "adesso", "proprio ora",
       "zojuist", "net", "nu", "agora mesmo", "agora")  # fmt: skip
DAYS_BACK = {
    0: ("today", "heute", "aujourd'hui", "hoy", "oggi", "vandaag", "hoje"),
    1: ("yesterday", "gestern", "hier", "ayer", "ieri", "gisteren", "ontem"),
    2: ("vorgestern", "avant-hier", "avant hier", "anteayer", "antes de ayer",
        "l'altro ieri", "altroieri", "ieri l'altro", "eergisteren", "anteontem"),
}  # fmt: skip
ZONES = {"utc": 0, "gmt": 0, "z": 0, "ut": 0, "wet": 0, "bst": 60, "cet": 60, "mez": 60,
         "cest": 120, "mesz": 120, "eet": 120, "eest": 180, "est": -300, "edt": -240,
         "cst": -360, "cdt": -300, "mst": -420, "mdt": -360, "pst": -480, "pdt": -420}  # fmt: skip
