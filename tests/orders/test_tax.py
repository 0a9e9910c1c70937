from orders.tax import summarise, tax_included_in


def test_tax_is_rounded_once_per_rate_not_per_line():
    # Three 8 % lines of ¥108: per-line rounding would give 3 × 8 = 24; once per rate gives 24 too,
    # but three ¥105 lines show the difference: per line 7+7+7 = 21, on the total ¥315 -> 23.
    summary = summarise([(105, 8), (105, 8), (105, 8)])
    assert summary.by_rate[0].tax == 23
    assert sum(tax_included_in(105, 8) for _ in range(3)) == 21


def test_mixed_rates_are_reported_separately_with_the_reduced_rate_marked():
    summary = summarise([(5500, 10), (1080, 8), (540, 8)])
    assert [(r.rate, r.total, r.tax, r.is_reduced) for r in summary.by_rate] == [
        (10, 5500, 500, False), (8, 1620, 120, True)]
    assert summary.total == 7120 and summary.tax == 620 and summary.has_reduced
