"""Labels of the commune and EPCI reports in French and English, and the rendering of their pages.

The pages are the templates ``report.html.j2`` and ``index.html.j2`` of ``cadastre/report/templates/``
(with the method, sources and limits in ``texts-fr.html.j2`` / ``texts-en.html.j2``), extending the
shared layout of :mod:`cadastre.pages`: one inline stylesheet, images as base64 PNG, nothing loaded
from outside. Key figures carry ``data-key`` (the communes.csv column) and ``data-value`` (the value
as written in the table), so a test or a script can read them back.
"""

from __future__ import annotations

from cadastre.pages.rendering import render

__all__ = ["TEXT", "index_page", "report_page"]

#: Labels by language.
TEXT = {
    "fr": {
        "title": "Potentiel solaire des toitures", "insee": "Code INSEE", "siren": "SIREN", "epci": "EPCI",
        "population": "Population", "date": "Date", "run": "Calcul", "key": "Chiffres clés",
        "buildings": "Bâtiments analysés", "suitable_buildings": "Bâtiments avec toiture favorable",
        "usable_area_m2": "Surface utile (m²)", "mwp_gross": "Puissance brute (MWc)",
        "mwp_net": "Puissance nette (MWc)", "gwh_gross": "Production brute (GWh/an)",
        "gwh_net": "Production nette (GWh/an)", "households": "Équivalent foyers",
        "share": "Part du total du territoire (%)", "map": "Carte des toitures par classe", "charts": "Graphiques",
        "hist": "Répartition de l'irradiation des toitures (pondérée par la surface)",
        "monthly": "Production mois par mois", "by_class": "Production par classe", "by_orient": "Production par orientation du toit",
        "top": "Les 20 meilleurs bâtiments", "id": "Identifiant", "area": "Surface utile (m²)", "kwp": "kWc",
        "mwh": "MWh/an", "class": "Classe", "address": "Adresse", "municipal": "Bâtiments municipaux",
        "no_qual": "Aucune qualification des bâtiments municipaux n'accompagne ce calcul "
                   "(voir « cadastre qualify »).",
        "no_municipal": "La qualification ne liste aucun bâtiment municipal pour ce territoire.",
        "method": "Méthode et hypothèses", "sources": "Sources des données et licences", "limits": "Limites",
        "communes": "Communes", "commune": "Commune", "index": "Rapports du cadastre solaire",
        "no_data": "Communes sans données calculées", "none": "aucune", "name": "Nom", "type": "Type",
        "production": "MWh/an", "self": "Autoconsommation (%)", "co2": "CO₂ évité (t/an)", "score": "Score",
        "savings": "Économies (€/an)", "payback": "Retour (ans)", "verdict": "Avis", "rank": "Rang",
        "thermal": "Solaire thermique", "thermal_gwh": "Chaleur solaire utile (GWh/an)",
        "thermal_area": "Surface de capteurs (m²)", "thermal_buildings": "Bâtiments équipés",
        "thermal_houses": "Maisons (CESI)", "thermal_collective": "Immeubles collectifs (CESC)",
        "thermal_fraction": "Fraction solaire moyenne (%)", "thermal_system": "Système", "thermal_n": "Bâtiments",
        "thermal_dwellings": "Logements", "thermal_mwh": "Chaleur (MWh/an)",
        "thermal_houses_row": "Chauffe-eau solaire individuel (CESI) : maisons",
        "thermal_collective_row": "Chauffe-eau solaire collectif (CESC) : logements collectifs",
        "no_thermal": "Ce calcul ne comprend pas le solaire thermique (dossier écrit par une version antérieure du "
                      "moteur) ; relancez le cadastre pour l'obtenir.",
    },
    "en": {
        "title": "Rooftop solar potential", "insee": "INSEE code", "siren": "SIREN", "epci": "EPCI",
        "population": "Population", "date": "Date", "run": "Run", "key": "Key figures",
        "buildings": "Buildings analysed", "suitable_buildings": "Buildings with a suitable roof",
        "usable_area_m2": "Usable area (m²)", "mwp_gross": "Gross capacity (MWp)", "mwp_net": "Net capacity (MWp)",
        "gwh_gross": "Gross production (GWh/yr)", "gwh_net": "Net production (GWh/yr)",
        "households": "Household equivalent", "share": "Share of the territory total (%)", "map": "Roof map by class",
        "charts": "Charts", "hist": "Distribution of roof irradiation (area-weighted)",
        "monthly": "Production month by month", "by_class": "Production by class", "by_orient": "Production by roof orientation", "top": "Top 20 buildings",
        "id": "Id", "area": "Usable area (m²)", "kwp": "kWp", "mwh": "MWh/yr", "class": "Class", "address": "Address",
        "municipal": "Municipal buildings",
        "no_qual": "No qualification of municipal buildings comes with this run (see `cadastre qualify`).",
        "no_municipal": "The qualification lists no municipal building for this area.",
        "method": "Method and assumptions", "sources": "Data sources and licences", "limits": "Limits",
        "communes": "Communes", "commune": "Commune", "index": "Solar cadastre reports",
        "no_data": "Communes without computed data", "none": "none", "name": "Name", "type": "Type",
        "production": "MWh/yr", "self": "Self-consumption (%)", "co2": "CO₂ avoided (t/yr)", "score": "Score",
        "savings": "Savings (€/yr)", "payback": "Payback (years)", "verdict": "Verdict", "rank": "Rank",
        "thermal": "Solar water heating", "thermal_gwh": "Useful solar heat (GWh/yr)",
        "thermal_area": "Collector area (m²)", "thermal_buildings": "Equipped buildings",
        "thermal_houses": "Houses (individual systems)", "thermal_collective": "Blocks of flats (collective systems)",
        "thermal_fraction": "Mean solar fraction (%)", "thermal_system": "System", "thermal_n": "Buildings",
        "thermal_dwellings": "Dwellings", "thermal_mwh": "Heat (MWh/yr)",
        "thermal_houses_row": "Individual solar water heater (CESI): houses",
        "thermal_collective_row": "Collective solar water heater (CESC): blocks of flats",
        "no_thermal": "This run has no solar water heating (a folder written by an earlier version of the engine); "
                      "run the cadastre again to get it.",
    },
}


def report_page(**context) -> str:
    """The HTML of a commune or EPCI report; ``context`` as listed at the top of ``report.html.j2``."""
    return render(__package__, "report.html.j2", **context)


def index_page(**context) -> str:
    """The HTML of the index of the reports; ``context`` as listed at the top of ``index.html.j2``."""
    return render(__package__, "index.html.j2", **context)
