"""Reports: report contexts, Jinja2 rendering to HTML, PDF and Markdown, certificates, charts.

May import: ``greenmark.core``, ``greenmark.calc``, ``greenmark.design`` (what moves
the score) and ``greenmark.portfolio`` (the portfolio summary it renders).
"""
