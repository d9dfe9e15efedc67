"""A rule with no finite value (a division by zero) leaves its criterion not assessed.

Entering 0 for an input whose ``min`` is 0 must never earn full points through a cap.
"""

from __future__ import annotations

import json

import pytest
from helpers import scheme_from_text, score_rows

from greenmark.core.engine import Status
from greenmark.core.explain import Explainer
from greenmark.core.reference import score_one

SCHEME = """
[scheme]
id = "ratio"
title = "Ratio test scheme"
version = "1.0"
scoring = "points"

[inputs.area]
label = "Planted area"
unit = "m2"
min = 0

[inputs.site]
label = "Site area"
unit = "m2"
min = 0

[derived.cover]
label = "Planted cover"
formula = "area / site"

[[sections]]
id = "site"
title = "Site"

[[criteria]]
id = "S-1"
section = "site"
title = "Cover by formula"
max_points = 5
points = { formula = "10 * area / site" }

[[criteria]]
id = "S-2"
section = "site"
title = "Cover by bands"
max_points = 4
points = { bands = "cover", at = [0.1, 0.5], give = [2, 4] }

[[criteria]]
id = "S-3"
section = "site"
title = "Cover, inverted bands"
max_points = 4
points = { bands = "site / area", at = [10, 1], give = [2, 4], better = "lower" }

[[tiers]]
id = "pass"
title = "Pass"
min_points = 1
"""


@pytest.mark.parametrize(
    ("area", "site", "blank"),
    [(1.0, 0.0, ["S-1", "S-2"]), (0.0, 0.0, ["S-1", "S-2", "S-3"]), (0.0, 1.0, ["S-3"])],
    ids=["area/0 is inf", "0/0 is nan", "site/0 is inf"],
)
def test_division_by_zero_is_not_assessed_never_points(area, site, blank):
    scheme = scheme_from_text(SCHEME)
    scores = score_rows(scheme, [{"area": area, "site": site}])
    explainer = Explainer(scores)
    reference = score_one(scheme, {"area": area, "site": site})
    for k, criterion in enumerate(scheme.criteria):
        status = Status(int(scores.status[0, k]))
        if criterion.id in blank:
            assert status == Status.NOT_ASSESSED, criterion.id
            assert scores.points[0, k] == 0.0
            reason = explainer.criterion_reason(k, 0)
            assert "not assessed" in reason and "no finite value" in reason, reason
        else:
            assert status != Status.NOT_ASSESSED, criterion.id
        # the naive reference scorer agrees
        assert reference["status"][criterion.id] == status.name.lower()
        assert reference["points"][criterion.id] == scores.points[0, k]
    assert scores.total_points[0] == reference["total_points"]


def test_a_finite_ratio_still_scores():
    scheme = scheme_from_text(SCHEME)
    scores = score_rows(scheme, [{"area": 1.0, "site": 4.0}])
    assert scores.points[0].tolist() == [2.5, 2.0, 2.0]


def test_cli_score_with_zero_denominator(tmp_path, cli):
    (tmp_path / "ratio.toml").write_text(SCHEME, encoding="utf-8")
    project = tmp_path / "p.toml"
    project.write_text(
        '[project]\nname = "Zero site"\nscheme = "ratio.toml"\n\n'
        '[inputs]\narea = { value = 3, unit = "m2" }\nsite = { value = 0, unit = "m2" }\n',
        encoding="utf-8",
    )
    result = cli("score", str(project), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    status = {c["id"]: (c["status"], c["points"]) for c in data["criteria"]}
    assert status["S-1"] == status["S-2"] == ("not_assessed", 0)
    assert status["S-3"] == ("awarded", 4)  # site / area = 0: a finite ratio, best band
    assert data["total_points"] == 4
