"""The desk's statistics: views over a period, the writers (Markdown, CSV, XLSX), the chart,
and the short summary shown in chat."""
