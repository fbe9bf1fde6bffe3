"""The report's own stylesheet (served at /<municipality>/outcomes/report.css: the pages allow no inline
styles): the charts' width, the table's numbers, and an A4 print layout."""

from __future__ import annotations

CSS = """
.outcomes-chart { margin: 24px 0 0; max-width: 48rem; }
.outcomes-chart figcaption { font-weight: 600; font-size: 1.8rem; margin-bottom: 4px; }
.outcomes-chart svg { display: block; width: 100%; height: auto; }
.outcomes-chart text { font-family: inherit; }
.outcomes-table td.outcomes-number, .outcomes-table th.outcomes-number { text-align: right; }
.outcomes-links { display: flex; flex-wrap: wrap; gap: 8px 24px; margin-top: 16px; }
.outcomes-period { display: flex; flex-wrap: wrap; gap: 0 24px; align-items: flex-end; }
.outcomes-definitions dt { font-weight: 600; margin-top: 12px; }
.outcomes-definitions dd { margin-left: 0; }
.outcomes-targets input.form-input { max-width: 10rem; }
.outcomes-print { max-width: 180mm; margin: 0 auto; padding: 16px; }
.outcomes-print .outcomes-chart { break-inside: avoid; page-break-inside: avoid; }
.outcomes-print table { break-inside: auto; }
.outcomes-print tr { break-inside: avoid; page-break-inside: avoid; }
@page { size: A4; margin: 15mm; }
@media print {
  .outcomes-print { max-width: none; padding: 0; }
  .outcomes-noprint { display: none; }
  .outcomes-print a { color: inherit; text-decoration: none; }
  .outcomes-print, .outcomes-print table { font-size: 10pt; }
  .outcomes-print h1 { font-size: 18pt; }
  .outcomes-print h2 { font-size: 14pt; break-after: avoid; page-break-after: avoid; }
}
"""
