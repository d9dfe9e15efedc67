"""GM:2021 in the assessor's tree: the energy prerequisite, which decides the rating, sits
at the top, and before a pathway is chosen it asks for one instead of listing blockers."""

from __future__ import annotations

from pathlib import Path

from tui.conftest import SAMPLES, copy_project
from tui.helpers import main_screen, run_async

SIZE = (100, 32)


def _without_pathway(tmp_path: Path) -> Path:
    path = copy_project(SAMPLES / "gm2021-hotel-gold.toml", tmp_path, "hotel.toml")
    text = path.read_text(encoding="utf-8").replace('energy_pathway = "fixed_metrics"\n', "")
    path.write_text(text, encoding="utf-8")
    return path


@run_async
async def test_prerequisites_come_first_and_ask_for_the_pathway(tmp_path: Path, make_app) -> None:
    app = make_app(_without_pathway(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tree = main_screen(pilot).criteria_tree
        first = tree.root.children[0]
        assert str(first.label).startswith("Prerequisites")
        assert "choose the energy efficiency pathway" in str(first.label)
        assert "blocking" not in str(first.label)


@run_async
async def test_a_chosen_pathway_shows_its_own_blockers(tmp_path: Path, make_app) -> None:
    path = copy_project(SAMPLES / "gm2021-hotel-gold.toml", tmp_path, "hotel.toml")
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tree = main_screen(pilot).criteria_tree
        first = tree.root.children[0]
        assert str(first.label).startswith("Prerequisites")
        assert "2 blocking" in str(first.label)  # Pathway 2 at GoldPLUS and Platinum


@run_async
async def test_other_schemes_keep_their_prerequisites_last(nrb_file: Path, make_app) -> None:
    app = make_app(nrb_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tree = main_screen(pilot).criteria_tree
        assert str(tree.root.children[-1].label).startswith("Prerequisites")
