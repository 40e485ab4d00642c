"""What the history of runs says: trends, top gaps, comparisons between runs, and the report
(a static site, a GitHub step summary, JUnit XML). Reads the store, writes only the report.

    history.py   runs as rows (from each run's index), pass rates by run/service/type/version
    gaps.py      non-passing results clustered by signature, weighted by real-world impact
    coverage.py  the operations architectures call, per emulator release (``lsqm coverage``)
    compare.py   what changed between two runs (regressions, fixes, flaky flips, ...)
    overview.py  the store at a glance (``lsqm status``)
    formats.py   compare as text/markdown, a run as markdown and JUnit XML
    charts.py    inline SVG charts, computed in Python, drawn by templates
    details.py   what one architecture's page shows (logs, the failure's excerpt, its files)
    code.py      Terraform and test code highlighted by Pygments, cached by content
    reproduce.py the commands that reproduce a verdict (lsqm, plain Terraform)
    render.py    the Jinja environment, its filters, and redaction of everything printed
    site.py      the static site: index, one page per architecture and per comparison
    clean.py     dropping old runs' folders (``lsqm clean``)
"""
