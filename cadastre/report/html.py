"""HTML of the commune and EPCI reports: texts in French and English, tables, one inline page.

The page holds its CSS and its images (base64 PNG) itself and links to nothing outside. Key
figures carry ``data-key`` (the communes.csv column) and ``data-value`` (the value as written
in the table), so a test or a script can read them back.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Sequence

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
        "by_class": "Production par classe", "by_orient": "Production par orientation du toit",
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
    },
    "en": {
        "title": "Rooftop solar potential", "insee": "INSEE code", "siren": "SIREN", "epci": "EPCI",
        "population": "Population", "date": "Date", "run": "Run", "key": "Key figures",
        "buildings": "Buildings analysed", "suitable_buildings": "Buildings with a suitable roof",
        "usable_area_m2": "Usable area (m²)", "mwp_gross": "Gross capacity (MWp)", "mwp_net": "Net capacity (MWp)",
        "gwh_gross": "Gross production (GWh/yr)", "gwh_net": "Net production (GWh/yr)",
        "households": "Household equivalent", "share": "Share of the territory total (%)", "map": "Roof map by class",
        "charts": "Charts", "hist": "Distribution of roof irradiation (area-weighted)",
        "by_class": "Production by class", "by_orient": "Production by roof orientation", "top": "Top 20 buildings",
        "id": "Id", "area": "Usable area (m²)", "kwp": "kWp", "mwh": "MWh/yr", "class": "Class", "address": "Address",
        "municipal": "Municipal buildings",
        "no_qual": "No qualification of municipal buildings comes with this run (see `cadastre qualify`).",
        "no_municipal": "The qualification lists no municipal building for this area.",
        "method": "Method and assumptions", "sources": "Data sources and licences", "limits": "Limits",
        "communes": "Communes", "commune": "Commune", "index": "Solar cadastre reports",
        "no_data": "Communes without computed data", "none": "none", "name": "Name", "type": "Type",
        "production": "MWh/yr", "self": "Self-consumption (%)", "co2": "CO₂ avoided (t/yr)", "score": "Score",
        "savings": "Savings (€/yr)", "payback": "Payback (years)", "verdict": "Verdict", "rank": "Rank",
    },
}

METHOD = {
    "fr": """<p>L'irradiation annuelle de chaque cellule de toit (0,5 m) est calculée à partir du modèle numérique de
surface LiDAR : rayonnement direct, diffus (modèle {sky}) et réfléchi, avec les ombres portées des bâtiments, des arbres
et du relief{horizon}, sur une année météorologique type heure par heure.
Les toitures sont découpées en pans. Avec les paramètres par défaut du moteur (modifiables, voir
<code>cadastre buildings --print-config</code>), un pan est favorable si sa pente est au plus de 60°, s'il n'est pas
orienté au nord, s'il reçoit au moins 70 % de l'irradiation du plan optimal et s'il offre au moins 10 m² utiles après
un retrait de 0,5 m ; la puissance installable est de 0,2 kWc par m² utile. La production est celle d'un système
PVWatts (pvlib) avec la température des cellules, à l'orientation du pan, multipliée par son taux d'ensoleillement.
La production nette applique une réduction de {net} % de la surface utile (cheminées, châssis, structure, patrimoine :
une hypothèse). Les classes vont de 1 (faible) à 5 (excellent) selon la fraction de l'irradiation du plan optimal
reçue par le pan.</p>
<p>Équivalent foyers : production nette divisée par {household} MWh/an par foyer. C'est le rapport
« 3 000 GWh ≈ 600 000 foyers » retenu pour le potentiel du territoire du Pôle métropolitain de l'Artois, soit l'ordre de
grandeur de la consommation électrique annuelle d'un foyer français (chauffage électrique compris en moyenne) ;
une hypothèse à adapter au territoire. La part du territoire est la production nette de la zone divisée par le total
net du calcul (<code>territory.csv</code>).</p>
<p>Les chiffres clés sont ceux des tables <code>communes.csv</code> / <code>epci.csv</code> du calcul, tels
qu'écrits, sans recalcul ; le tableau des meilleurs bâtiments reprend <code>buildings.gpkg</code> et les graphiques
somment les pans de <code>roofs.gpkg</code> (production brute).</p>""",
    "en": """<p>The yearly irradiation of every roof cell (0.5 m) is computed from the LiDAR surface model: beam,
diffuse ({sky} model) and reflected light, with the shadows of buildings, trees and terrain{horizon}, over an
hourly typical meteorological year. Roofs are split into faces. With the engine's default
parameters (configurable, see <code>cadastre buildings --print-config</code>), a face is suitable when its slope is at
most 60°, it does not face north, it receives at least 70 % of the optimal plane's irradiation and it offers at least
10 m² of usable area after a 0.5 m set-back; the installable power is 0.2 kWp per usable m². Production is that of a
PVWatts system (pvlib) with cell temperature, at the face's orientation, scaled by its shading ratio. The net figures
apply a {net} % reduction of the usable area (chimneys, skylights, structure, heritage rules: an assumption). Classes
run from 1 (poor) to 5 (excellent) by the fraction of the optimal plane's irradiation the face receives.</p>
<p>Household equivalent: net production divided by {household} MWh/yr per household. This is the ratio
"3,000 GWh ≈ 600,000 households" used for the potential of the Pôle métropolitain de l'Artois, i.e. the order of
magnitude of a French household's yearly electricity use (electric heating included on average); an assumption to
adapt to the territory. The territory share is the area's net production over the run's net total
(<code>territory.csv</code>).</p>
<p>Key figures are those of the run's <code>communes.csv</code> / <code>epci.csv</code> tables as written, not
recomputed; the top buildings table comes from <code>buildings.gpkg</code> and the charts sum the faces of
<code>roofs.gpkg</code> (gross production).</p>""",
}

SOURCES = {
    "fr": """<ul>
<li>LiDAR HD de l'IGN (nuages de points classés) — Licence Ouverte Etalab 2.0 (« IGN — LiDAR HD »).</li>
<li>Météo : année météorologique type PVGIS (© Union européenne, Centre commun de recherche), fichier
{weather} — réutilisation autorisée avec mention de la source.</li>
<li>Limites communales : IGN Admin Express, Licence Ouverte Etalab ; communes, EPCI et populations municipales :
DGCL et INSEE (via @etalab/decoupage-administratif), Licence Ouverte Etalab. Voir
<code>cadastre/data/PROVENANCE.md</code>.</li>
<li>Emprises des bâtiments : couche fournie au calcul (par exemple BD TOPO de l'IGN, Licence Ouverte Etalab 2.0)
ou dérivée du masque des bâtiments du LiDAR.</li>
<li>Moteur : PMA solar cadastre engine (licence MIT), avec pvlib-python (BSD-3).</li>
</ul>""",
    "en": """<ul>
<li>IGN LiDAR HD (classified point clouds) — Etalab Open Licence 2.0 ("IGN — LiDAR HD").</li>
<li>Weather: PVGIS typical meteorological year (© European Union, Joint Research Centre), file {weather} —
reuse authorised with attribution.</li>
<li>Commune boundaries: IGN Admin Express, Etalab Open Licence; communes, EPCI and municipal populations: DGCL and
INSEE (via @etalab/decoupage-administratif), Etalab Open Licence. See <code>cadastre/data/PROVENANCE.md</code>.</li>
<li>Building footprints: the layer given to the run (e.g. IGN BD TOPO, Etalab Open Licence 2.0) or derived from the
LiDAR building mask.</li>
<li>Engine: PMA solar cadastre engine (MIT licence), with pvlib-python (BSD-3).</li>
</ul>""",
}

LIMITS = {
    "fr": """<ul>
<li>Potentiel théorique : ni la structure de la charpente, ni l'état de la couverture, ni les règles d'urbanisme
(Architectes des Bâtiments de France, PLU) ne sont vérifiés ; une étude sur site reste nécessaire.</li>
<li>La précision dépend de la date et de la densité du LiDAR (arbres coupés ou bâtiments récents absents) et des
emprises ; les petits obstacles (cheminées, lucarnes) sous 0,5 m ne sont pas tous vus.</li>
<li>La météo est une année type, non une année réelle ; la production varie de quelques pour cent d'une année à
l'autre.</li>
<li>L'équivalent foyers compare des énergies annuelles, non la simultanéité entre production et consommation.</li>
</ul>""",
    "en": """<ul>
<li>Theoretical potential: roof structure, roof condition and planning rules (heritage architects, local plan) are not
checked; a site survey remains necessary.</li>
<li>Accuracy depends on the LiDAR's date and density (felled trees or new buildings missing) and on the footprints;
small obstacles (chimneys, dormers) under 0.5 m are not all seen.</li>
<li>The weather is a typical year, not an actual one; production varies by a few per cent from year to year.</li>
<li>The household equivalent compares yearly energies, not the timing of production and use.</li>
</ul>""",
}

CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;color:#222;max-width:1100px;margin:0 auto;padding:16px;line-height:1.4}
header{border-bottom:4px solid #e08a1e;margin-bottom:12px}
h1{margin:0 0 4px;font-size:1.8em} h2{color:#3b6fb6;border-bottom:1px solid #ccc;margin-top:1.4em}
dl.meta{display:flex;flex-wrap:wrap;gap:4px 24px;margin:6px 0} dl.meta div{display:flex;gap:6px} dl.meta dt{color:#666}
dl.meta dd{margin:0;font-weight:bold}
.figures{display:grid;grid-template-columns:repeat(3,1fr);gap:10px}
.figure{background:#f4f6fa;border-left:5px solid #3b6fb6;padding:8px 10px}
.figure .label{font-size:.85em;color:#555}.figure .value{font-size:1.5em;font-weight:bold}
.charts{display:grid;grid-template-columns:1fr 1fr;gap:10px} figure{margin:0} img{max-width:100%}
table{border-collapse:collapse;width:100%;font-size:.9em} th,td{border:1px solid #ccc;padding:3px 6px}
th{background:#eef1f6;text-align:left} td.n{text-align:right;font-variant-numeric:tabular-nums}
footer{margin-top:2em;font-size:.8em;color:#666}
@page{size:A4;margin:14mm}
@media print{body{max-width:none;padding:0;font-size:10pt}.figures{grid-template-columns:repeat(3,1fr)}
section{break-inside:avoid}#map,#top-roofs,#method{break-before:page}h2{break-after:avoid}}
"""


def fmt(value, decimals: int, lang: str, *, significant: int = 0) -> str:
    """A number for display: thousands grouped, ``decimals`` digits; French uses a comma and thin spaces.

    With ``significant``, small values get more decimals (up to 6) to keep that many significant digits.
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        return html.escape(str(value))
    if not math.isfinite(number):
        return "–"
    if significant and number != 0.0:
        decimals = max(decimals, min(6, significant - 1 - math.floor(math.log10(abs(number)))))
    text = f"{number:,.{decimals}f}"
    if lang == "fr":
        text = text.replace(",", "\u202f").replace(".", ",")
    return text


def image(png: bytes, alt: str, *, ident: str = "") -> str:
    """An ``<img>`` holding the PNG inline (base64 data URI), with an optional ``id``."""
    data = base64.b64encode(png).decode("ascii")
    attr = f' id="{ident}"' if ident else ""
    return f'<img{attr} alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def meta_list(items: Sequence[tuple[str, str, str]]) -> str:
    """``<dl>`` of (key, label, value) header items, each with a ``data-key``."""
    parts = [f'<div><dt>{html.escape(label)}</dt><dd data-key="{key}">{html.escape(value)}</dd></div>'
             for key, label, value in items]
    return '<dl class="meta">' + "".join(parts) + "</dl>"


def figures(items: Sequence[tuple[str, str, str, str]]) -> str:
    """Key-figure boxes from (key, label, raw value as written, displayed value)."""
    parts = [f'<div class="figure"><div class="label">{html.escape(label)}</div>'
             f'<div class="value" data-key="{key}" data-value="{html.escape(raw)}">{html.escape(shown)}</div></div>'
             for key, label, raw, shown in items]
    return '<div class="figures">' + "".join(parts) + "</div>"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[bool], *, key: str) -> str:
    """A ``<table data-key=...>`` of already formatted cells (escaped here)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="n">{html.escape(c)}</td>' if n else f"<td>{html.escape(c)}</td>"
                         for c, n in zip(row, numeric, strict=True)) + "</tr>"
        for row in rows
    )
    return f'<table data-key="{key}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def section(ident: str, title: str, body: str) -> str:
    """A report section with a stable ``id``."""
    return f'<section id="{ident}"><h2>{html.escape(title)}</h2>{body}</section>'


def page(title: str, body: str, *, lang: str, extra_css: str = "") -> str:
    """The whole HTML document: inline CSS, no external resource."""
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>{CSS}{extra_css}</style></head>"
            f"<body>{body}</body></html>\n")
