"""The WeCom (企业微信) channel, for staff: a self-built app and the teams' group robots.

* `api`: the HTTP calls (gettoken, message/send, update_template_card, group robot
  webhook, media), on aiohttp with a configurable base URL, errors mapped for the outbox;
* `render`: a `Reply` as a WeCom message — a template card with buttons (the keys carry
  the typed payload), plain text, or a robot's markdown;
* `sender`: the outbox's `ChannelSender`: chat ids are a member's userid, or
  `robot:<team>` for a team's group robot (read-only feed, 20 messages a minute);
* `callback`: the app's callback URL — signed, encrypted, de-duplicated events turned
  into `Inbound`s for the desk, answered at once;
* `run`: what `wuye run` starts when WECOM_* is configured.
"""

from storage.directory import GROUP_FEED_PREFIX

CHANNEL = "wecom"
ROBOT_PREFIX = GROUP_FEED_PREFIX[CHANNEL]


def robot_chat(team: str) -> str:
    """The outbox chat id of a team's group robot (WeCom userids never contain ':'); the
    sender looks the key up when it sends (`bot.wecom.sender.TeamRobots`)."""
    return f"{ROBOT_PREFIX}{team}"
