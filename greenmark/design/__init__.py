"""The designer: measures catalogue, design space, optimiser, plan, what-if, sensitivity.

Answers "what blocks the next tier and what is the cheapest way there".
May import: ``greenmark.core`` and ``greenmark.calc``.
"""
