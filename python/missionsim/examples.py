"""Example Python strategies.

``BuiltinRules`` transcribes the built-in decision rules of
sim/strategies/strategy.cpp (Eq. 60-64) into Python: registered under the
name of a ``[[strategies]]`` entry, it reproduces the C++ run exactly (a
test, and the baseline of bench/bench_python_strategy.py).
``ImpactAfterBreakEven`` is a conditional policy the parameter sets cannot
express: the shareholder rules until a firm has broken even, then the
customer-success mission's budget split.
"""
from __future__ import annotations

from . import Allocation, Strategy


class BuiltinRules(Strategy):
    """The price (Eq. 60-63) and budget split (Eq. 37, 64) of the parameter set, in Python."""

    def price(self, firm, market):
        p = self.params
        rule = p["pricing"]
        if rule in ("fixed", "subsidised"):
            return p["price"]
        if rule == "market":
            return market.mean_price if market.mean_price > 0 else p["price"]
        if rule == "value":
            if market.mean_value <= 0:
                return p["price"]
            rel = (firm.value - market.mean_value) / market.mean_value
            return max(0.0, p["price"] * (1.0 + p["value_premium"] * rel))
        alpha = max(market.mean_price_sensitivity, 1e-9)  # profit-max, Eq. 63
        s = min(max(firm.share_of_adopters, 0.0), 0.95)
        return firm.unit_cost + market.logit_scale / (alpha * (1.0 - s))

    def allocate(self, firm, market):
        p = self.params
        a = Allocation(rd=p["share_rd"], imitation=p["share_imitation"], service=p["share_service"],
                       enablement=p["share_enablement"], cocreation=p["share_cocreation"],
                       marketing=p["share_marketing"])
        if firm.profit < 0 and p["loss_cut"] > 0:
            a.rd *= 1.0 - p["loss_cut"]
            a.imitation *= 1.0 - p["loss_cut"]
        return a


class ImpactAfterBreakEven(BuiltinRules):
    """The rules of its parameter set (base: shareholder) until the firm breaks even (a month with a
    profit), then, for good, the customer-success mission's budget split."""

    base = "shareholder"
    AFTER = dict(rd=0.15, imitation=0.05, service=0.25, enablement=0.3, cocreation=0.15, marketing=0.1)

    def __init__(self, params):
        super().__init__(params)
        self.switched: dict[int, int] = {}  # firm slot -> step of the switch

    def allocate(self, firm, market):
        if firm.firm not in self.switched and firm.profit > 0:
            self.switched[firm.firm] = firm.step
        if firm.firm in self.switched:
            return dict(self.AFTER)
        return super().allocate(firm, market)
