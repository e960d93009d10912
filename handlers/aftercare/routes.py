"""After the work: the owner's callback survey, the butlers' phone callbacks, the spot check."""

from __future__ import annotations

from handlers.aftercare import phone_callback, spot_check, survey
from handlers.kit.payloads import PhoneCall, SurveyAnswer
from handlers.kit.routes import Routes, flows_of

routes = Routes(
    flows=flows_of(phone_callback.FLOW, spot_check.FLOW, survey.FLOW),
    commands={"/callbacks": phone_callback.pending_calls, "/spotcheck": spot_check.spot_check},
    buttons={SurveyAnswer: survey.pressed, PhoneCall: phone_callback.start},
)
