"""The office's tools in chat: notices and the statistics report."""

from __future__ import annotations

from handlers.kit.payloads import CompanyReport, NoticeStatus
from handlers.kit.routes import Routes, flows_of
from handlers.office import notices, reports

routes = Routes(
    flows=flows_of(notices.FLOW),
    commands={"/notice": notices.notice_command, "/notices": notices.list_notices, "/report": reports.report_command},
    buttons={NoticeStatus: notices.status_pressed, CompanyReport: reports.company_pressed},
)
