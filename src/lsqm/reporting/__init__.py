"""What the history of runs says: trends, top gaps, comparisons between runs, and the report
(a static site, a GitHub step summary, JUnit XML). Reads the store, writes only the report.

    history.py   runs as rows (from each run's index), pass rates by run/service/type/version
    gaps.py      non-passing results clustered by signature, weighted by real-world impact
    compare.py   what changed between two runs (regressions, fixes, flaky flips, ...)
    overview.py  the store at a glance (``lsqm status``)
    formats.py   compare as text/markdown, a run as markdown and JUnit XML
    charts.py    inline SVG charts, computed in Python, drawn by templates
    details.py   what one architecture's page shows (logs, excerpt, code, how to reproduce)
    site.py      the static site: index, one page per architecture and per comparison
    clean.py     dropping old runs' folders (``lsqm clean``)
"""
