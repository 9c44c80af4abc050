"""``cadastre qualify``: the three PV scenarios of a building, the objective that recommends one, the grouped
purchase's cost reduction, and the hot-water demand by building type.

The references are written out here: the S21 tariffs of the configuration, the economics of a total sale
worked by hand, the band of a total on a boundary, the cost reduction applied to every investment.
"""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd
import pytest
from report_scene import table_rows
from test_qualify import hand_config, run_dir, write_csv  # noqa: F401 (run_dir: the fixture)

from cadastre.errors import InputFileError
from cadastre.qualify.config import SCENARIOS, QualifyConfig, SizingConfig, qualify_config_from_dict
from cadastre.qualify.economics import band_of, economics, grouping_reduction
from cadastre.qualify.hot_water import hot_water_demand as demand_of
from cadastre.qualify.municipal import read_municipal
from cadastre.qualify.operation import OUTPUT_COLUMNS, qualify
from cadastre.qualify.scenarios import recommend, scenario_column

#: The columns of qualification.csv before the scenarios (backward compatibility: same names, same order).
OLD_COLUMNS = (
    "line", "insee", "commune", "name", "type", "building_id", "match", "distance_m", "status",
    "faces", "usable_area_m2", "roof_kwp", "kwp", "band", "ac_kw", "mwh", "specific_yield", "shading_ratio",
    "consumption_mwh", "consumption_source", "self_consumed_mwh", "surplus_mwh", "self_consumption_rate",
    "self_sufficiency", "investment_eur", "subsidy_eur", "savings_eur", "surplus_revenue_eur", "om_eur",
    "payback_years", "npv_eur", "lcoe_eur_kwh", "co2_t", "score", "score_payback", "score_yield",
    "score_self_consumption", "score_size", "rank", "verdict", "reasons",
)


# --------------------------------------------------------------------------- tariffs and economics


def test_default_bands_carry_the_s21_surplus_and_total_sale_tariffs():
    bands = QualifyConfig().bands
    # CRE grid Aug-Oct 2024: surplus 0.1276 / 0.0765; total sale Ta 3-9 kWp 0.1024, Tb 0.1318 and 0.1146
    assert [band_of(k, bands).surplus_tariff_eur_kwh for k in (5, 20, 80, 300)] == [0.1276, 0.0765, 0.0765, 0.0855]
    assert [band_of(k, bands).total_sale_tariff_eur_kwh for k in (5, 20, 80, 300)] == [0.1024, 0.1318, 0.1146, 0.0855]


def test_total_sale_sells_everything_at_the_total_sale_tariff_without_subsidy():
    # 10 kWp, 10,000 kWh: all sold at 0.15 = 1,500 €/yr; no subsidy; O&M 150 €/yr; net 1,350 €/yr.
    # Year 2 (x 0.99): 1,485 - 150 = 1,335 €. NPV = -15,000 + 1,350 / 1.05 + 1,335 / 1.05^2
    e = economics(10.0, 10_000.0, 6_000.0, hand_config(), sale="total")
    assert (e.investment_eur, e.subsidy_eur, e.savings_eur) == (15_000.0, 0.0, 0.0)
    assert e.surplus_revenue_eur == pytest.approx(1_500.0)
    assert e.payback_years == pytest.approx(15_000.0 / 1_350.0)
    assert e.npv_eur == pytest.approx(-15_000.0 + 1_350.0 / 1.05 + 1_335.0 / 1.05**2, abs=1e-6)
    surplus = economics(10.0, 10_000.0, 6_000.0, hand_config())
    assert surplus.surplus_revenue_eur == pytest.approx(400.0)  # 4,000 kWh at the surplus tariff 0.1


def test_a_cost_factor_lowers_investment_and_running_costs_not_the_subsidy():
    full, cut = (economics(10.0, 10_000.0, 6_000.0, hand_config(), cost_factor=f) for f in (1.0, 0.9))
    assert cut.investment_eur == pytest.approx(0.9 * full.investment_eur)
    assert cut.om_eur == pytest.approx(0.9 * full.om_eur)
    assert cut.subsidy_eur == full.subsidy_eur


# --------------------------------------------------------------------------- the recommendation


FIGURES = {  # NPV €, payback yr, self-consumption rate, MWh/yr of three made-up scenarios
    "self_consumption": {"npv_eur": 100.0, "payback_years": 8.0, "self_consumption_rate": 0.9, "mwh": 10.0},
    "roof": {"npv_eur": 300.0, "payback_years": 10.0, "self_consumption_rate": 0.5, "mwh": 30.0},
    "total_sale": {"npv_eur": 200.0, "payback_years": 9.0, "self_consumption_rate": 0.0, "mwh": 30.0},
}


@pytest.mark.parametrize(("objective", "expected", "needle"), [
    ("npv", "roof", "highest NPV of the 3 scenarios (300 €)"),
    ("payback", "self_consumption", "shortest payback of the 3 scenarios (8.0 yr)"),
    ("self_consumption", "self_consumption", "highest self-consumption rate of the 3 scenarios (90%)"),
    ("production", "roof", "tie broken by the NPV"),  # roof and total sale produce the same: the NPV decides
])
def test_the_objective_picks_the_scenario(objective, expected, needle):
    choice, reasons = recommend(FIGURES, SizingConfig(objective=objective))
    assert choice == expected
    assert needle in reasons


def test_no_payback_anywhere_falls_back_on_the_npv_and_a_mode_imposes_a_scenario():
    never = {k: {**v, "payback_years": math.inf} for k, v in FIGURES.items()}
    assert recommend(never, SizingConfig(objective="payback")) == ("roof", ["no scenario pays back",
                                                                           "tie broken by the NPV"])
    assert recommend(FIGURES, SizingConfig(mode="total_sale")) == (
        "total_sale", ["scenario imposed by sizing.mode = total_sale"])


@pytest.mark.slow
def test_the_three_scenarios_side_by_side(run_dir, tmp_path):  # noqa: F811
    csv = write_csv(tmp_path / "m.csv", ["62498,École,school,1,,,80000,", "62498,Mairie,town_hall,2,,,30000,"])
    result = qualify(run_dir, csv)
    assert tuple(result.table.columns[: len(OLD_COLUMNS)]) == OLD_COLUMNS  # the old columns first, unchanged
    assert result.meta["objective"] == "npv" and result.meta["mode"] == "objective"
    config = QualifyConfig()
    for _, row in result.table.iterrows():
        col = {s: (lambda m, s=s, row=row: row[scenario_column(m, s)]) for s in SCENARIOS}
        assert col["roof"]("kwp") == col["total_sale"]("kwp") == pytest.approx(row["roof_kwp"])
        assert col["self_consumption"]("kwp") <= col["roof"]("kwp")
        assert col["self_consumption"]("self_consumption_rate") >= 0.8 - 1e-9
        assert col["total_sale"]("self_consumption_rate") == 0.0
        assert col["roof"]("mwh") == pytest.approx(col["total_sale"]("mwh"))
        # the total sale's NPV is that of its production sold at the total-sale tariff, without subsidy
        sale = economics(col["total_sale"]("kwp"), 1000 * col["total_sale"]("mwh"), 0.0, config, sale="total")
        assert col["total_sale"]("npv_eur") == pytest.approx(sale.npv_eur, rel=1e-9)
        # the recommendation maximises the NPV, and the row's figures are its figures
        npvs = {s: col[s]("npv_eur") for s in SCENARIOS}
        assert row["scenario"] == max(npvs, key=npvs.get)
        for metric in ("kwp", "mwh", "investment_eur", "npv_eur"):
            assert row[metric] == col[row["scenario"]](metric)
        assert row["scenario_reason"].startswith("highest NPV of the 3 scenarios")


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_objective_and_mode_change_the_recommendation(run_dir, tmp_path):  # noqa: F811
    csv = write_csv(tmp_path / "m.csv", ["62498,École,school,1,,,80000,"])
    rows = {o: qualify(run_dir, csv, config=qualify_config_from_dict({"sizing": {"objective": o}})).table.iloc[0]
            for o in ("self_consumption", "production")}
    assert rows["self_consumption"]["scenario"] == "self_consumption"
    assert rows["self_consumption"]["kwp"] == rows["self_consumption"]["sc_kwp"]
    best = rows["production"]
    assert best["mwh"] == max(best[scenario_column("mwh", s)] for s in SCENARIOS)
    assert best["kwp"] == best["roof_kwp"]
    sale = qualify(run_dir, csv, config=qualify_config_from_dict({"sizing": {"mode": "total_sale"}})).table.iloc[0]
    assert sale["scenario"] == "total_sale" and sale["self_consumed_mwh"] == 0.0 and sale["subsidy_eur"] == 0.0
    assert sale["savings_eur"] == 0.0 and sale["surplus_mwh"] == pytest.approx(sale["mwh"])


# --------------------------------------------------------------------------- the grouped purchase


@pytest.mark.parametrize(("total", "expected"), [
    (0.0, 0.0), (99.99, 0.0), (100.0, 0.05), (249.99, 0.05), (250.0, 0.08), (500.0, 0.10), (999.0, 0.10),
    (1000.0, 0.12), (1e6, 0.12),
])
def test_a_total_on_a_band_boundary_takes_that_band(total, expected):
    assert grouping_reduction(total, QualifyConfig().grouping) == expected


def grouping(from_kwp, reduction, **sizing):
    return qualify_config_from_dict({"sizing": sizing, "grouping": {"from_kwp": list(from_kwp),
                                                                    "cost_reduction": list(reduction)}})


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_the_reduction_moves_every_investment_by_the_band_percentage(run_dir, tmp_path):  # noqa: F811
    csv = write_csv(tmp_path / "m.csv", ["62498,École,school,1,,,80000,", "62498,Mairie,town_hall,2,,,30000,"])
    alone = qualify(run_dir, csv, config=grouping([1e5], [0.3], mode="roof"))  # never reached: no reduction
    group = qualify(run_dir, csv, config=grouping([1.0], [0.2], mode="roof"))  # always reached: 20 %
    assert group.meta["grouping"]["cost_reduction"] == 0.2 and alone.meta["grouping"]["cost_reduction"] == 0.0
    a, g = alone.table, group.table
    assert (g["grouping_reduction"] == 0.2).all() and g["in_grouping"].all()
    for metric in ("investment_eur", *(scenario_column("investment_eur", s) for s in SCENARIOS)):
        assert np.allclose(g[metric], 0.8 * a[metric], rtol=1e-12), metric
    assert np.allclose(g["investment_alone_eur"], a["investment_eur"], rtol=1e-12)
    assert np.allclose(g["npv_alone_eur"], a["npv_eur"], rtol=1e-12)
    assert (g["subsidy_eur"] == a["subsidy_eur"]).all() and (g["kwp"] == a["kwp"]).all()

    # operation.csv: the same buildings bought alone and grouped differ by exactly the reduction
    total = group.operation.iloc[-1]
    assert total["grouped_buildings"] == 2 and total["cost_reduction"] == 0.2
    assert total["grouped_investment_eur"] == pytest.approx(0.8 * total["alone_investment_eur"], rel=1e-12)
    assert total["alone_investment_eur"] == pytest.approx(a["investment_eur"].sum(), rel=1e-12)
    for name in ("kwp", "mwh", "savings_eur", "sales_eur"):
        assert total[f"grouped_{name}"] == pytest.approx(total[f"alone_{name}"], rel=1e-12), name
    # NPV: the investment saved plus the running costs saved (om_rate x investment every year, discounted)
    eco = QualifyConfig().economics
    annuity = sum((1 + eco.discount_rate) ** -t for t in range(1, eco.lifetime_years + 1))
    saved = 0.2 * total["alone_investment_eur"] * (1 + eco.om_rate * annuity)
    assert total["grouped_npv_eur"] - total["alone_npv_eur"] == pytest.approx(saved, rel=1e-9)


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_the_total_is_that_of_the_buildings_not_rejected_alone(run_dir, tmp_path):  # noqa: F811
    csv = write_csv(tmp_path / "m.csv", ["62498,École,school,1,,,80000,", "62498,Mairie,town_hall,2,,,30000,"])
    # min_kwp 14: the school's roof (13 kWp) is not qualified alone and stays out of the total
    base = qualify(run_dir, csv, config=grouping([1e5], [0.3], mode="roof", min_kwp=14.0))
    hall = base.table.iloc[1]
    assert base.table.iloc[0]["verdict"] == "not qualified" and hall["verdict"] != "not qualified"
    total = hall["kwp"]
    assert base.meta["grouping"] == {"total_kwp": total, "buildings": 1, "cost_reduction": 0.0}
    on = qualify(run_dir, csv, config=grouping([total, total + 1.0], [0.1, 0.2], mode="roof", min_kwp=14.0))
    above = qualify(run_dir, csv, config=grouping([total + 1e-6], [0.1], mode="roof", min_kwp=14.0))
    assert on.meta["grouping"]["cost_reduction"] == 0.1  # the total on the boundary takes that band
    assert above.meta["grouping"]["cost_reduction"] == 0.0
    # the reduction still applies to every building of the operation, the rejected one too
    assert on.table["investment_eur"].tolist() == pytest.approx((0.9 * base.table["investment_eur"]).tolist())
    assert on.table["in_grouping"].tolist() == [False, True]


# --------------------------------------------------------------------------- hot water


def test_hot_water_demand_by_type_and_override():
    config = QualifyConfig().hot_water

    def hot_water_demand(*args, **kwargs):
        demand = demand_of(*args, **kwargs)
        return demand.litres_day, demand.source

    assert hot_water_demand("school", 1000.0, config=config) == (450.0, "estimated")  # 9 L x 5 meals x 10
    assert hot_water_demand("gym", 1000.0, config=config) == (750.0, "estimated")  # 25 L x 3 showers x 10
    assert hot_water_demand("nursing_home", 1000.0, config=config) == (800.0, "estimated")  # 40 L x 2 beds x 10
    assert hot_water_demand("swimming_pool", 1000.0, config=config) == (4500.0, "estimated")  # 30 L x 15 x 10
    assert hot_water_demand("town_hall", 1000.0, config=config) == (0.0, "estimated")
    assert hot_water_demand("town_hall", 1000.0, 120.0, config) == (120.0, "given")
    changed = qualify_config_from_dict({"hot_water": {"school": {"litres_per_unit": 5.0}}}).hot_water
    assert hot_water_demand("school", 1000.0, config=changed)[0] == 250.0


def test_the_hot_water_column_is_read_with_its_french_name_and_checked(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("insee,name,type,building_id,ecs_litres_jour\n62498,A,school,1,900\n62498,B,gym,2,\n"
                    "62498,C,nursing_home,3,abc\n62498,D,swimming_pool,4,-5\n", encoding="utf-8")
    rows = read_municipal(path)
    assert rows["hot_water_l_day"].iloc[0] == 900.0 and math.isnan(rows["hot_water_l_day"].iloc[1])
    assert rows["problem"].tolist()[:2] == [None, None]
    assert rows["problem"].iloc[2] == "hot_water_l_day 'abc' is not a number"
    assert rows["problem"].iloc[3] == "negative hot-water demand (-5)"
    path.write_text("insee,name,type,building_id,ecs_litres_jour,hot_water_l_day\n62498,A,school,1,9,9\n")
    with pytest.raises(InputFileError) as info:
        read_municipal(path)
    message = str(info.value)
    assert message.startswith(str(path)) and "hot_water_l_day given twice" in message and "\n" not in message


@pytest.mark.slow
def test_the_qualification_stores_each_building_s_demand(run_dir, tmp_path):  # noqa: F811
    path = tmp_path / "m.csv"
    path.write_text("insee,name,type,building_id,floor_area_m2,hot_water_l_day\n"
                    "62498,École,school,1,1000,\n62498,Piscine,swimming_pool,2,,300\n", encoding="utf-8")
    table = qualify(run_dir, path).table
    assert table["hot_water_l_day"].tolist() == [450.0, 300.0]
    assert table["hot_water_source"].tolist() == ["estimated", "given"]
    demand = OUTPUT_COLUMNS.index("hot_water_l_day")  # then the solar thermal columns (test_qualify_thermal.py)
    assert list(OUTPUT_COLUMNS[demand: demand + 3]) == ["hot_water_l_day", "hot_water_source", "hot_water_mwh"]


# --------------------------------------------------------------------------- the page


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_the_page_shows_the_three_scenarios_with_the_recommended_one_marked(run_dir, tmp_path):  # noqa: F811
    from cadastre.qualify.html import render_html

    csv = write_csv(tmp_path / "m.csv", ["62498,École,school,1,,,80000,", "62498,Mairie,town_hall,2,,,30000,"])
    result = qualify(run_dir, csv, config=grouping([1.0], [0.1]))
    labels = {"self_consumption": "dimensionné pour l'autoconsommation", "roof": "toiture entière, vente du surplus",
              "total_sale": "vente totale"}
    page = render_html(result)
    rows = [[html.unescape(c) for c in row] for row in table_rows(page, "scenarios")]
    ranked = result.table.sort_values("rank")
    assert len(rows) == 3 * len(ranked)
    for k, (_, building) in enumerate(ranked.iterrows()):
        group = rows[3 * k: 3 * k + 3]
        assert group[0][1] == building["name"] and group[1][1] == group[2][1] == ""
        assert [r[2] for r in group] == list(labels.values())
        marked = [r[2] for r in group if r[-2] == "★ recommandé"]
        assert marked == [labels[building["scenario"]]]
        assert any(r[-1].startswith("VAN la plus élevée des 3 scénarios") for r in group)
    assert "Trois scénarios par bâtiment" in page and "10 % du coût par kWc" in page
    grouped = [[html.unescape(c) for c in row] for row in table_rows(page, "grouping")]
    assert [r[0] for r in grouped] == ["sans regroupement", "avec regroupement", "écart"]
    english = render_html(result, lang="en")
    assert "Three scenarios per building" in english and "★ recommended" in english
    assert "highest NPV of the 3 scenarios" in english
    assert pd.notna(result.table["scenario"]).all()
