"""Labels of the qualification shown to people, one table per language.

The tables (``qualification.csv``, ``operation.csv``) keep stable codes: the building types
(``school``, ``town_hall``...), the verdicts (``qualified``, ``to study``, ``not qualified``) and
the reasons, written in English by :mod:`cadastre.qualify` and joined by ``"; "``. The pages
(``qualification.html``, the municipal section of a commune report) show the labels of their
language: :func:`type_label`, :func:`verdict_label` and :func:`reasons_label`, which reads each
reason against :data:`REASONS` and writes it again in the page's language (numbers in its style:
``1 234,5`` in French). A reason that no template matches is shown as written.
"""

from __future__ import annotations

import functools
import re

from cadastre.pages.numbers import number

__all__ = ["LANGS", "QUALIFICATION", "REASONS", "SCENARIOS", "TYPES", "USES", "VERDICTS", "reasons_label",
           "scenario_label", "type_label", "use_label", "verdict_label"]

LANGS = ("fr", "en")

#: Building type code -> label, by language.
TYPES = {
    "fr": {"school": "école", "town_hall": "mairie", "gym": "gymnase", "library": "bibliothèque",
           "technical": "bâtiment technique", "nursing_home": "EHPAD", "swimming_pool": "piscine", "other": "autre"},
    "en": {"school": "school", "town_hall": "town hall", "gym": "gym", "library": "library",
           "technical": "technical building", "nursing_home": "nursing home", "swimming_pool": "swimming pool",
           "other": "other"},
}

#: PV scenario code (``scenario`` of qualification.csv) -> label, by language.
SCENARIOS = {
    "fr": {"self_consumption": "dimensionné pour l'autoconsommation", "roof": "toiture entière, vente du surplus",
           "total_sale": "vente totale"},
    "en": {"self_consumption": "sized for self-consumption", "roof": "whole roof, surplus sold",
           "total_sale": "total sale"},
}

#: Use of the roof (``use`` of qualification.csv: PV, solar water heating or both) -> label, by language.
USES = {
    "fr": {"pv": "photovoltaïque seul", "thermal": "solaire thermique seul",
           "thermal_pv": "solaire thermique + photovoltaïque"},
    "en": {"pv": "PV alone", "thermal": "solar thermal alone", "thermal_pv": "solar thermal + PV"},
}

#: Verdict code -> label, by language.
VERDICTS = {
    "fr": {"qualified": "qualifié", "to study": "à étudier", "not qualified": "non qualifié"},
    "en": {"qualified": "qualified", "to study": "to study", "not qualified": "not qualified"},
}

#: Reasons and notes: the English text as ``cadastre qualify`` writes it (``{name}`` stands for a
#: value) -> its French text. The English page shows the text as written.
REASONS = {
    # verdict rules
    "the roof holds {kwp} kWp, less than {min}": "le toit porte {kwp} kWc, moins que le minimum de {min} kWc",
    "no net income: savings and surplus revenue do not cover the running costs":
        "aucun revenu net : les économies et la vente du surplus ne couvrent pas les frais d'exploitation",
    "payback {years} yr > {limit}": "retour sur investissement {years} ans > {limit}",
    "payback {years} yr <= {limit}": "retour sur investissement {years} ans ≤ {limit}",
    "NPV {npv} € < 0": "VAN {npv} € < 0",
    "NPV {npv} € >= 0": "VAN {npv} € ≥ 0",
    "score {score} < {limit}": "score {score} < {limit}",
    "score {score} >= {limit}": "score {score} ≥ {limit}",
    "shading ratio {ratio} < {limit}: check on site": "ratio d'ombrage {ratio} < {limit} : à vérifier sur place",
    "inverter {kva} kVA above the contracted {limit} kVA: check the connection":
        "onduleur de {kva} kVA au-delà des {limit} kVA souscrits : vérifier le raccordement",
    # notes of the sizing and the consumption
    "consumption estimated: {kwh_m2} kWh/m2 x {area} m2 ({type} default)":
        "consommation estimée : {kwh_m2} kWh/m² × {area} m² (valeur par défaut : {type})",
    "size capped at {kwp} kWp (largest band)": "puissance plafonnée à {kwp} kWc (plus grande tranche)",
    "self-consumption below the {target} target even at {kwp} kWp":
        "autoconsommation sous l'objectif de {target} même à {kwp} kWc",
    "nearest building, {distance} m away": "bâtiment le plus proche, à {distance} m",
    "the row's coordinates lie {distance} m from building {id}": "les coordonnées de la ligne sont à {distance} m "
                                                                  "du bâtiment {id}",
    "the building lies in commune {insee}": "le bâtiment est situé dans la commune {insee}",
    # problems of a row
    "no usable roof face on building {id}": "aucun pan de toit exploitable sur le bâtiment {id}",
    "commune {insee} is not among the run's communes": "la commune {insee} n'est pas dans le calcul",
    "no INSEE code": "pas de code INSEE",
    "unknown type '{type}' (use {types})": "type « {type} » inconnu (types possibles : {types})",
    "no location (give building_id, x and y, or lon and lat)":
        "aucune localisation (donner building_id, x et y, ou lon et lat)",
    "{a} is empty while {b} is given": "{a} est vide alors que {b} est donné",
    "lon/lat {lon}, {lat} out of range": "lon/lat {lon}, {lat} hors limites",
    "negative consumption ({value})": "consommation négative ({value})",
    "negative contracted power ({value})": "puissance souscrite négative ({value})",
    "floor area {value} m2 is not positive": "surface de plancher {value} m² non positive",
    "{column} '{value}' is not a number": "{column} « {value} » n'est pas un nombre",
    "{column} is not a finite number": "{column} n'est pas un nombre fini",
    "the point lies in several footprints ({names}); give building_id":
        "le point est dans plusieurs emprises ({names}) : donner building_id",
    "no building within {distance} m of the point": "aucun bâtiment à moins de {distance} m du point",
    "buildings {a} ({da} m) and {b} ({db} m) are about as near; give building_id":
        "les bâtiments {a} ({da} m) et {b} ({db} m) sont à peu près aussi proches : donner building_id",
    "building_id '{id}' is not in the run's buildings": "building_id « {id} » n'est pas parmi les bâtiments du calcul",
    "building {id} is already the building of line {line}": "le bâtiment {id} est déjà celui de la ligne {line}",
    "negative hot-water demand ({value})": "besoin d'eau chaude négatif ({value})",
    # the recommended scenario (cadastre.qualify.scenarios)
    "highest NPV of the 3 scenarios ({npv} €)": "VAN la plus élevée des 3 scénarios ({npv} €)",
    "shortest payback of the 3 scenarios ({years} yr)": "temps de retour le plus court des 3 scénarios ({years} ans)",
    "no scenario pays back": "aucun scénario n'est rentable",
    "highest self-consumption rate of the 3 scenarios ({rate})":
        "taux d'autoconsommation le plus élevé des 3 scénarios ({rate})",
    "highest production of the 3 scenarios ({mwh} MWh/yr)": "production la plus élevée des 3 scénarios ({mwh} MWh/an)",
    "tie broken by the NPV": "à égalité, départagés par la VAN",
    "scenario imposed by sizing.mode = {mode}": "scénario imposé par sizing.mode = {mode}",
    # the recommended use (cadastre.qualify.thermal)
    "highest NPV of the {n} uses ({npv} €)": "VAN la plus élevée des {n} usages ({npv} €)",
    "no hot-water demand: PV only": "pas de besoin d'eau chaude : photovoltaïque seul",
    "no room for collectors: PV only": "pas de place pour des capteurs : photovoltaïque seul",
    "no hot water drawn on the days of the weather period: PV only":
        "aucun puisage d'eau chaude les jours de la météo : photovoltaïque seul",
    "no use with an NPV: PV kept": "aucun usage n'a de VAN : photovoltaïque conservé",
}

#: Values of :data:`REASONS` that are codes or names, never written again as numbers.
_CODES = {"insee", "id", "line", "a", "b", "names", "column", "types", "mode"}
_NUMBER = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?(?:%)?")


def _check(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"lang: {lang!r}; use one of {', '.join(LANGS)}")


def type_label(code: object, lang: str = "fr") -> str:
    """The label of a building type code (the code itself when unknown)."""
    _check(lang)
    return TYPES[lang].get(str(code), str(code))


def scenario_label(code: object, lang: str = "fr") -> str:
    """The label of a PV scenario code (the code itself when unknown)."""
    _check(lang)
    return SCENARIOS[lang].get(str(code), str(code))


def use_label(code: object, lang: str = "fr") -> str:
    """The label of a roof use code (the code itself when unknown)."""
    _check(lang)
    return USES[lang].get(str(code), str(code))


def verdict_label(code: object, lang: str = "fr") -> str:
    """The label of a verdict code (the code itself when unknown)."""
    _check(lang)
    return VERDICTS[lang].get(str(code), str(code))


@functools.cache
def _patterns() -> list[tuple[re.Pattern, str]]:
    """(regular expression of the English text, French text) of every reason, longest first."""
    out = []
    for english, french in sorted(REASONS.items(), key=lambda kv: -len(kv[0])):
        parts = re.split(r"\{(\w+)\}", english)
        regex = "".join(re.escape(p) if k % 2 == 0 else f"(?P<{p}>(?:(?!; ).)+?)" for k, p in enumerate(parts))
        out.append((re.compile(f"^{regex}$"), french))
    return out


def _french_value(text: str) -> str:
    """A value of a reason in French: a number in the French style, a type code as its label."""
    if text in TYPES["fr"]:
        return TYPES["fr"][text]
    match = _NUMBER.fullmatch(text)
    if not match:
        return text
    percent = text.endswith("%")
    digits = text.rstrip("%").replace(",", "")
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    return number(float(digits), decimals, "fr") + ("\u202f%" if percent else "")


def _reason_fr(text: str) -> str | None:
    for pattern, french in _patterns():
        match = pattern.match(text)
        if match:
            values = match.groupdict()
            return french.format(**{k: v if k in _CODES else _french_value(v) for k, v in values.items()})
    return None


def reasons_label(text: object, lang: str = "fr") -> str:
    """Reasons joined by ``"; "`` (as in ``qualification.csv``) in ``lang``.

    Each reason is read against :data:`REASONS`; one that no template matches stays as written.
    """
    _check(lang)
    if text is None or not isinstance(text, str) or lang == "en":
        return "" if text is None or not isinstance(text, str) else text
    parts = text.split("; ")
    out, i = [], 0
    while i < len(parts):
        for j in range(len(parts), i, -1):  # a reason may hold "; " itself: the longest match first
            french = _reason_fr("; ".join(parts[i:j]))
            if french is not None:
                out.append(french)
                i = j
                break
        else:
            out.append(parts[i])
            i += 1
    return " ; ".join(out)

#: Words of ``qualification.html`` (headers of its tables, chart labels), by language.
QUALIFICATION = {
    "fr": {
        "rank": "rang", "commune": "commune", "building": "bâtiment", "type": "type", "id": "id", "kwp": "kWc",
        "mwh": "MWh/an", "self": "autocons. %", "sufficiency": "autoprod. %",
        "investment": "invest. €", "payback": "retour (ans)", "npv": "VAN €", "lcoe": "LCOE €/kWh",
        "co2": "CO₂ évité (t/an)", "score": "score", "verdict": "avis", "reasons": "motifs", "line": "ligne",
        "insee": "INSEE", "problem": "problème", "rows": "lignes", "qualified": "qualifiés", "to_study": "à étudier",
        "not_qualified": "non qualifiés", "errors": "problèmes", "mwp_q": "MWc qualifiés",
        "mwh_q": "MWh/an qualifiés", "investment_q": "invest. qualifié €", "mwp_s": "MWc à étudier",
        "investment_s": "invest. à étudier €", "parameter": "paramètre", "value": "valeur", "unit": "unité",
        "source": "signification et source", "operation": "(opération)",
        "production": "production", "load": "consommation", "self_consumed": "autoconsommé",
        "self_consumed_mean": "autoconsommé (moyenne)", "month": "mois",
        "hour": "heure locale (journée moyenne de l'année)",
        "scenario": "scénario", "recommended": "recommandé", "why": "raison", "recommended_mark": "★ recommandé",
        "alone": "sans regroupement", "grouped": "avec regroupement", "difference": "écart", "savings": "économies €/an",
        "sales": "ventes €/an", "kwp_total": "kWc", "buildings": "bâtiments", "hot_water": "eau chaude L/j",
        "use": "usage recommandé", "collectors": "capteurs m²", "heat": "chaleur solaire MWh/an",
        "solar_fraction": "couverture solaire %", "thermal_payback": "retour thermique (ans)",
        "npv_pv": "VAN PV €", "npv_thermal": "VAN thermique €", "npv_thermal_pv": "VAN thermique + PV €",
        "thermal_pv_kwp": "kWc PV avec capteurs",
    },
    "en": {
        "rank": "rank", "commune": "commune", "building": "building", "type": "type", "id": "id", "kwp": "kWp",
        "mwh": "MWh/yr", "self": "self-consumption %", "sufficiency": "self-sufficiency %",
        "investment": "investment €", "payback": "payback yr", "npv": "NPV €", "lcoe": "LCOE €/kWh",
        "co2": "CO₂ t/yr", "score": "score", "verdict": "verdict", "reasons": "reasons", "line": "line",
        "insee": "insee", "problem": "problem", "rows": "rows", "qualified": "qualified", "to_study": "to study",
        "not_qualified": "not qualified", "errors": "problems", "mwp_q": "MWp qualified",
        "mwh_q": "MWh/yr qualified", "investment_q": "investment qualified €", "mwp_s": "MWp to study",
        "investment_s": "investment to study €", "parameter": "parameter", "value": "value", "unit": "unit",
        "source": "meaning and source", "operation": "(operation)",
        "production": "production", "load": "load", "self_consumed": "self-consumed",
        "self_consumed_mean": "self-consumed (mean)", "month": "month", "hour": "local hour (mean day of the year)",
        "scenario": "scenario", "recommended": "recommended", "why": "reason", "recommended_mark": "★ recommended",
        "alone": "bought alone", "grouped": "grouped", "difference": "difference", "savings": "savings €/yr",
        "sales": "sales €/yr", "kwp_total": "kWp", "buildings": "buildings", "hot_water": "hot water L/day",
        "use": "recommended use", "collectors": "collectors m²", "heat": "solar heat MWh/yr",
        "solar_fraction": "solar fraction %", "thermal_payback": "thermal payback yr",
        "npv_pv": "NPV PV €", "npv_thermal": "NPV thermal €", "npv_thermal_pv": "NPV thermal + PV €",
        "thermal_pv_kwp": "PV kWp beside the collectors",
    },
}
