"""The owner's side of the desk: the front desk for free text, the menu, and the owner's flows."""

from __future__ import annotations

from handlers.kit.payloads import NotMe
from handlers.kit.routes import Routes, flows_of
from handlers.owner import (
    binding, booking, chasing, communities, complaint, emergency_follow, front, household, inquiry, menu, mute,
    my_cases, pause, report, router,
)

routes = Routes(
    flows=flows_of(binding.FLOW, booking.FLOW, communities.FLOW, complaint.FLOW, emergency_follow.FLOW, emergency_follow.DANGER,
                   household.FLOW, inquiry.FLOW, inquiry.PERSON, my_cases.FLOW, report.FLOW, router.FLOW),
    commands={
        "/start": menu.start,
        "/help": menu.show_help,
        "/menu": menu.show_help,
        "/cancel": menu.cancel_command,
        "/lang": menu.switch_language,
        "/mute": mute.mute,
        "/unmute": mute.unmute,
        "/mycases": my_cases.my_cases_command,
        "/household": household.household,
        "/family": household.household,
        "/community": communities.community_command,
        "/xiaoqu": communities.community_command,
    },
    menu_items={
        "lang": menu.lang_button,
        **{item: menu.menu_entry for item, _ in menu.ENTRIES},
        "resume": pause.resume_pressed,
    },
    case_actions={
        "view": my_cases.view,
        "cancel": my_cases.cancel_pressed,
        "confirm": my_cases.confirm_pressed,
        "reject": my_cases.reject_pressed,
        "add": my_cases.add_pressed,
        "false_alarm": emergency_follow.false_alarm_pressed,
        "chase": chasing.chase_pressed,
        "change_yes": chasing.agree_pressed,
        "change_no": chasing.decline_pressed,
    },
    buttons={NotMe: binding.not_me},
    owner_input=front.owner_input,
    idle=front.idle,
    carry_on=front.carry_on,
    main_menu=menu.main_menu,
    start_entry=menu.start_entry,
)
