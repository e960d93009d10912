"""The shared callback endpoint with a stand-in opener and desk (what WeChat and WeCom have
in common), recording into the inbox of a real database of each kind."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, timezone

import aiohttp
import pytest
from sqlalchemy import select

from bot.wxbase.callback import CallbackEndpoint, Refused, message_key, parse_xml
from handlers.kit.messages import Inbound, Outcome
from storage import models as m

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


class Opener:
    def verify(self, query: Mapping[str, str]) -> str:
        if query.get("sig") != "ok":
            raise Refused("bad")
        return query.get("echostr", "")

    def open(self, query: Mapping[str, str], body: bytes) -> str:
        if query.get("sig") != "ok":
            raise Refused("bad")
        return body.decode()


class SlowCore:
    """Holds each message until released, recording the order they came in."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.release = asyncio.Event()

    async def handle(self, inbound: Inbound) -> Outcome:
        await self.release.wait()
        self.seen.append(inbound.text or "")
        return Outcome()


async def translate(fields: dict[str, str]) -> Inbound:
    return Inbound("x", fields["FromUserName"], fields["FromUserName"], text=fields.get("Content"),
                   update_id=message_key(fields))


def xml(sender: str, text: str, msg_id: int) -> bytes:
    return (f"<xml><FromUserName><![CDATA[{sender}]]></FromUserName><CreateTime>1</CreateTime>"
            f"<MsgType>text</MsgType><Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>").encode()


def test_parse_xml_refuses_what_is_not_a_platform_message() -> None:
    assert parse_xml(xml("a", "你好", 1))["Content"] == "你好"
    for bad in (b"<xml><a>", b"<other/>", b'<!DOCTYPE x [<!ENTITY e "e">]><xml><a>&e;</a></xml>', b"\xff"):
        with pytest.raises(ValueError):
            parse_xml(bad)
    assert message_key({"MsgId": "9"}) == "m9"
    assert message_key({"FromUserName": "a", "CreateTime": "5", "Event": "subscribe"}) == "ea:5:subscribe:"


async def test_answers_before_the_desk_is_done_in_order_per_sender_once(app) -> None:  # type: ignore[no-untyped-def]
    core = SlowCore()
    endpoint = CallbackEndpoint("x", Opener(), translate, core, sessions=app.sessions, account="a1", now=lambda: NOW,
                                path="/cb", answer_within=0.05)
    port = await endpoint.start("127.0.0.1", 0)
    url = f"http://127.0.0.1:{port}/cb"
    stamp = {"sig": "ok", "timestamp": str(int(NOW.timestamp()))}
    try:
        async with aiohttp.ClientSession() as http:
            async def post(body: bytes, **query: str) -> tuple[int, str]:
                async with http.post(url, params={**stamp, **query}, data=body) as r:
                    return r.status, await r.text()

            assert await post(xml("a", "一", 1)) == (200, "success")
            assert await post(xml("a", "二", 2)) == (200, "success")
            assert await post(xml("a", "一", 1)) == (200, "success")  # the platform's retry
            # Answered while the desk still holds the first message — once recorded.
            assert core.seen == []
            async with app.sessions() as session:
                recorded = (await session.execute(select(m.InboxMessage.key, m.InboxMessage.state)
                                                  .order_by(m.InboxMessage.id))).all()
            assert recorded == [("m1", "pending"), ("m2", "pending")]
            assert await post(xml("a", "x", 3), sig="bad") == (403, "refused")
            assert await post(xml("a", "x", 4), timestamp="100") == (403, "refused")
            async with http.get(url, params={**stamp, "echostr": "e1"}) as r:
                assert (r.status, await r.text()) == (200, "e1")
            core.release.set()
            await endpoint.drain(5)
        assert core.seen == ["一", "二"]
        assert (endpoint.duplicates, endpoint.refused) == (1, 2)
        async with app.sessions() as session:
            assert set(await session.scalars(select(m.InboxMessage.state))) == {"done"}
    finally:
        await endpoint.stop()


async def test_a_message_recorded_by_a_write_whose_answer_was_lost_is_handled_when_it_comes_again(app) -> None:  # type: ignore[no-untyped-def]
    """The connection dies after the record's commit reached the server, before its answer
    came back: the platform was told 503 and sends the message again.  The retry finds the
    row this process holds and hands it on at once — not 30 s later when its lease lapses."""
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    core = SlowCore()
    core.release.set()
    endpoint = CallbackEndpoint("x", Opener(), translate, core, sessions=app.sessions, account="a1", now=lambda: NOW,
                                path="/cb", answer_within=2.0)
    port = await endpoint.start("127.0.0.1", 0)
    lose_answer = [True]

    def answer_lost(session: Session) -> None:  # after the server committed
        if lose_answer:
            lose_answer.clear()
            raise OperationalError("COMMIT", {}, ConnectionResetError("connection lost"))

    event.listen(Session, "after_commit", answer_lost)
    try:
        async with aiohttp.ClientSession() as http:
            async def post(body: bytes) -> tuple[int, str]:
                async with http.post(f"http://127.0.0.1:{port}/cb", data=body,
                                     params={"sig": "ok", "timestamp": str(int(NOW.timestamp()))}) as r:
                    return r.status, await r.text()

            assert await post(xml("a", "水管爆了", 7)) == (503, "busy")
            async with app.sessions() as session:
                assert list(await session.scalars(select(m.InboxMessage.state))) == ["pending"]  # it was recorded
            assert core.seen == []
            assert await post(xml("a", "水管爆了", 7)) == (200, "success")  # the platform's retry
            await endpoint.drain(5)
        assert core.seen == ["水管爆了"]  # handled once, now
        assert endpoint.duplicates == 0
        async with app.sessions() as session:
            assert list(await session.scalars(select(m.InboxMessage.state))) == ["done"]
    finally:
        event.remove(Session, "after_commit", answer_lost)
        await endpoint.stop()
