"""``greenmark check`` through the real entry point, and the plan it prints reproduced by whatif."""

from __future__ import annotations

import json
import shlex

import pytest
from designer_paths import GOLD_FIXTURE, MINI_CATALOGUE, MINI_PROJECT, gold_nrb_samples

from greenmark.design.effects import DesignerError
from greenmark.design.plan import parse_budget

GOLD_BUILDINGS = gold_nrb_samples()


def whatif_line(stdout: str) -> list[str]:
    """The ``greenmark whatif ...`` command printed by ``check``, as arguments."""
    lines = [line for line in stdout.splitlines() if line.startswith("greenmark whatif ")]
    assert len(lines) == 1, stdout
    return shlex.split(lines[0])[1:]


@pytest.mark.parametrize("building", GOLD_BUILDINGS, ids=lambda p: p.stem)
def test_gold_building_to_platinum_plan_reproduced_by_whatif(cli, building):
    """Done: the blocking gates and a costed plan; its whatif command reaches Platinum."""
    done = cli("check", str(building), "--target", "platinum")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    flat = " ".join(out.split())
    assert "Now: Gold" in flat and "Gap to Platinum" in flat
    assert "gate NRB-P-4" in flat and "gate NRB-P-6" in flat  # the Platinum prerequisites
    assert "Cheapest path to Platinum" in flat and "Total" in out and "SGD" in out
    assert "Result:" in flat and "Platinum" in flat.split("Result:")[1].split("\n")[0]
    args = whatif_line(out)
    assert args[:2] == ["whatif", str(building)]
    replay = cli(*args, "--format", "json")
    assert replay.returncode == 0, replay.stderr
    result = json.loads(replay.stdout)
    assert result["before"]["tier"] == "gold"
    assert result["after"]["tier"] == "platinum"
    assert result["changed"] is True


@pytest.mark.parametrize("building", GOLD_BUILDINGS, ids=lambda p: p.stem)
def test_json_plan_set_list_reproduces_the_plan(cli, building):
    done = cli("check", str(building), "--target", "platinum", "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    plan = data["plan"]
    assert plan["set"] and plan["best"]["tier"] == "platinum"
    args = ["whatif", str(building)]
    for item in plan["set"]:
        args += ["--set", item]
    replay = json.loads(cli(*args, "--format", "json").stdout)
    assert replay["after"]["tier"] == "platinum"
    assert replay["after"]["total_points"] == pytest.approx(plan["best"]["total"], abs=1e-3)
    assert plan["whatif"] == " ".join(shlex.quote(a) for a in ["greenmark", *args])


def test_check_json_structure(cli):
    done = cli(
        "check",
        str(GOLD_FIXTURE),
        "--target",
        "Platinum",
        "--format",
        "json",
        "--sensitivity",
        "--budget",
        "SGD 1.5M",
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) >= {
        "project",
        "scheme",
        "current",
        "target",
        "available",
        "plan",
        "sensitivity",
    }
    assert data["current"] == {"tier": "gold", "tier_title": "Gold", "total": 75.4983}
    target = data["target"]
    assert target["id"] == "platinum" and target["reached"] is False
    assert target["points_needed"] == pytest.approx(90 - 75.4983, abs=1e-4)
    assert {b["id"] for b in target["blocking"]} == {"NRB-P-3", "NRB-P-4", "NRB-P-6"}
    assert all(set(b) == {"kind", "id", "message"} for b in target["blocking"])
    top = data["available"][0]
    assert set(top) == {
        "id",
        "section",
        "title",
        "points",
        "max_points",
        "available",
        "effective",
        "status",
        "note",
    }
    assert [a["effective"] for a in data["available"]] == sorted(
        (a["effective"] for a in data["available"]), reverse=True
    )
    plan = data["plan"]
    assert set(plan) >= {
        "method",
        "method_label",
        "currency",
        "budget",
        "best",
        "set",
        "whatif",
        "alternatives",
        "cheapest",
        "best_within_budget",
        "unreachable",
        "skipped",
        "designs_evaluated",
    }
    assert plan["method"] == "exact" and plan["currency"] == "SGD" and plan["budget"] == 1.5e6
    best = plan["best"]
    assert set(best) >= {"measures", "cost", "total", "tier", "badges", "changes", "set"}
    assert best["cost"] == pytest.approx(sum(m["cost"] for m in best["measures"]))
    for measure in best["measures"]:
        assert set(measure) >= {"id", "title", "cost", "basis", "verified", "changes"}
        assert measure["verified"] is False
    assert len(plan["alternatives"]) == 3
    assert all(a["cost"] >= best["cost"] for a in plan["alternatives"])
    row = data["sensitivity"][0]
    assert set(row) >= {"input", "current", "slope", "next_change", "max_gain", "best_value"}


def test_unreachable_target_names_the_gate(cli, tmp_path):
    catalogue = tmp_path / "no-plant.toml"
    text = MINI_CATALOGUE.read_text(encoding="utf-8")
    catalogue.write_text(text.split('[[measures]]\nid = "meff"')[0], encoding="utf-8")
    done = cli("check", str(MINI_PROJECT), "--target", "top", "--measures", str(catalogue))
    assert done.returncode == 0, done.stderr
    flat = " ".join(done.stdout.split())
    assert "Top cannot be reached with the catalogue's measures" in flat
    assert "gate G-EFF: Plant efficiency at most 0.65 kW/RT (top tier): no combination" in flat


def test_budget_too_small_in_the_table(cli):
    done = cli(
        "check",
        str(MINI_PROJECT),
        "--target",
        "top",
        "--measures",
        str(MINI_CATALOGUE),
        "--budget",
        "150",
    )
    assert done.returncode == 0, done.stderr
    flat = " ".join(done.stdout.split())
    assert "not reachable within the budget" in flat and "SGD 205" in flat
    assert "Best within the budget: 6 points, Mid for SGD 105: mb, mc, md" in flat


def test_target_already_reached(cli):
    done = cli("check", str(GOLD_FIXTURE), "--target", "certified", "--no-plan")
    assert done.returncode == 0, done.stderr
    assert "Certified is already reached" in done.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--target", "diamond"), "unknown tier 'diamond' for scheme gm-nrb"),
        (("--target", "platinum", "--budget", "lots"), "--budget: expected an amount"),
        (("--target", "platinum", "--measures", "nowhere.toml"), "nowhere.toml: file not found"),
    ],
)
def test_check_errors_exit_2(cli, args, expected):
    done = cli("check", str(GOLD_FIXTURE), *args)
    assert done.returncode == 2
    assert expected in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("250000", 250000),
        ("250,000", 250000),
        ("250k", 250000),
        ("1.2M", 1.2e6),
        ("SGD 80k", 8e4),
        ("S$ 5,000.50", 5000.5),
    ],
)
def test_budget_amounts(text, value):
    assert parse_budget(text) == pytest.approx(value)


def test_budget_rejects_nonsense():
    with pytest.raises(DesignerError):
        parse_budget("a lot")
