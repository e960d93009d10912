"""Bursts of replies: everything arrives, once, in order per chat, within the flood limits.

The limits are Telegram's with the periods shortened so a burst takes seconds,
not minutes; the stand-in judges them from the arrival time of every message
(and would answer 429 like Telegram if they were exceeded).
"""

from __future__ import annotations

import pytest

from bot.delivery import RetryPolicy
from bot.ratelimit import Limits, Rate
from handlers.kit.messages import Button, Reply, rows
from tests.telegram.botapi_standin import BotApiStandIn
from tests.telegram.conftest import FRAMEWORKS, running_bot

# 30 msgs / 0.1 s overall, 1 msg / 0.05 s per private chat, 20 msgs / 0.3 s per group:
# 1,260 messages need at least 4.2 s, and the group's 200 at least 2.7 s.
BURST = Limits(overall=Rate(30, 0.1), private_chat=Rate(1, 0.05), group_chat=Rate(20, 0.3))
# The overall pace runs 20% under the limit: on a loaded test machine one request
# can be held up for some 20 ms on its way out while the next is not, and that
# matters against a 100 ms window (it would not against Telegram's real 1 s).
HEADROOM = 0.2


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_a_burst_to_a_group_and_a_thousand_private_chats_arrives_whole_in_order_and_within_limits(
    framework: str,
) -> None:
    async with BotApiStandIn(limits=BURST) as api:
        group = api.group()
        strangers = api.users(1000)
        regulars = api.users(10)
        async with running_bot(api, framework, limits=BURST, headroom=HEADROOM) as bench:
            for i in range(200):
                bench.outbox.put(Reply("telegram", str(group), f"群通知 {i}"))
            for n, user in enumerate(strangers):
                bench.outbox.put(Reply("telegram", str(user.id), f"您好 {n}"))
            for user in regulars:
                for i in range(5):
                    bench.outbox.put(Reply("telegram", str(user.id), f"第 {i} 条"))
            bench.deliverer.notify()

            await api.until(lambda: not bench.outbox.unsettled(), timeout=40, what="the burst to drain")

        assert api.texts(group) == [f"群通知 {i}" for i in range(200)]
        for n, user in enumerate(strangers):
            assert api.texts(user.id) == [f"您好 {n}"]
        for user in regulars:
            assert api.texts(user.id) == [f"第 {i} 条" for i in range(5)]
        assert bench.outbox.failed() == []
        assert api.throttled == []
        assert api.rate_violations() == []


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_injected_429s_and_500s_lose_nothing_and_duplicate_nothing(framework: str) -> None:
    fast_retry = RetryPolicy(first_delay=0.02, max_delay=0.2, max_attempts=20)
    async with BotApiStandIn(limits=BURST) as api:
        group = api.group()
        users = api.users(30)
        photo_owner = api.users(1)[0]
        photos = tuple(api.send_photo(photo_owner)[-1].file_id for _ in range(2))
        async with running_bot(api, framework, limits=BURST, headroom=HEADROOM, retry=fast_retry) as bench:
            await api.until(lambda: len(api.texts(photo_owner.id)) == 2, what="replies to the photos")
            api.fail_next(3, 429, retry_after=1)
            api.fail_next(8, 500)
            api.fail_next(3, 502, chat_id=group)
            # The text after the album fails: a retry must not post the album again.
            api.fail_next(1, 500, methods=["sendMessage"], chat_id=photo_owner.id)
            bench.outbox.put(
                Reply("telegram", str(photo_owner.id), "带照片的回复", photos=photos,
                      buttons=rows([Button("好", "ok")]))
            )
            expected: dict[int, list[str]] = {group: [f"群 {i}" for i in range(20)]}
            for n, user in enumerate(users):
                expected[user.id] = [f"用户{n} 第{i}条" for i in range(5)]
            longest = max(len(t) for t in expected.values())
            for i in range(longest):  # interleaved across chats, as a busy core would queue them
                for chat, texts in expected.items():
                    if i < len(texts):
                        bench.outbox.put(Reply("telegram", str(chat), texts[i]))
            bench.deliverer.notify()

            await api.until(lambda: not bench.outbox.unsettled(), timeout=30, what="everything delivered")

        assert sorted(status for _, status in api.injected) == [429] * 3 + [500] * 9 + [502] * 3
        for chat, texts in expected.items():
            assert api.texts(chat) == texts  # each exactly once, in order
        album_reply = api.transcript(photo_owner.id)[2:]
        assert [m.photo for m in album_reply[:2]] == list(photos)
        assert [m.text for m in album_reply] == [None, None, "带照片的回复"]
        assert bench.outbox.failed() == []
        assert api.throttled == []
