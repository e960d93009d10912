"""`wuye shell`: a scripted session as a real process, and the shell's own commands."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.bootstrap import App, build_app, load_files
from bot.console import Shell
from cases.privacy import mask_phone
from handlers.kit.messages import Inbound, Outcome
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parent.parent

SESSION = """\
/as owner 1-1-101
/start
/contact
1
1
厨房水管漏水了，一直在滴
/photo leak.jpg
1
一般
明天
提交
/menu
2
物业前台的工作人员对我态度很恶劣，问个问题爱答不理
昨天下午
客服中心前台
前台值班的女工作人员
希望调查清楚并给我答复
综合服务
提交
/menu
3
1
1
确认
/menu
4
物业费怎么交？
1
/mycases
/whoami
/quit
"""


def shell(tmp_path: Path, script: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COMMUNITY_FILE", "DEFAULT_LOCALE")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path}/wuye.sqlite3", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "bot", "shell"], input=script, capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=300)


def lines_of(transcript: str, label: str) -> list[str]:
    """The message printed under `label` (its first line and the indented lines after it)."""
    found, inside = [], False
    for line in transcript.splitlines():
        if line.startswith("["):
            inside = line.startswith(f"[{label}]")
        elif not line.startswith("    "):
            inside = False
        if inside:
            found.append(line)
    return found


def test_scripted_session_on_a_fresh_database(tmp_path: Path) -> None:
    (tmp_path / "leak.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    run = shell(tmp_path, SESSION)
    out = run.stdout
    assert run.returncode == 0, run.stderr
    assert "兰亭雅苑" in out.splitlines()[0]
    # Each input is echoed, so the transcript reads like a conversation.
    assert "> /as owner 1-1-101\n📱 现在您拿的是业主 张伟（1-1-101）的手机，号码 138****0001" in out
    assert "[我] 绑定成功！张伟，您的房屋：1-1-101。" in out
    assert "    [1] 🔧 报事报修   [2] 📣 投诉" in out

    # The repair, its card in the engineering group (masked owner), the photo attached.
    assert "[我] ✅ 报修已提交，工单号 #1。已派给工程部" in out
    engineering = "\n".join(lines_of(out, "工程部群"))
    assert "【报事报修】#1 · 给排水" in engineering and "👤 业主：张*（138****0001）" in engineering
    assert f"📷 {tmp_path / 'leak.jpg'}" in engineering and "[1] ✋ 接单" in engineering
    # The complaint, with the promised time, in customer service's group.
    assert "[我] ✅ 投诉已受理，编号 #2，由客服中心负责" in out
    service_desk = "\n".join(lines_of(out, "客服中心群"))
    assert "【投诉】#2 · 综合服务" in service_desk and "🎯 业主诉求：希望调查清楚并给我答复" in service_desk
    # The booking: price confirmed before booking.
    assert "💰 价格 ¥50/盏，确认预约？" in out and "[我] ✅ 预约成功，工单号 #3：灯具安装" in out
    # The FAQ answered at once; "solved" leaves no case.
    assert "2.8元/平方米" in out and "[我] 很高兴帮到您" in out
    # The list, newest first.
    assert out.index("#3 有偿服务·居家维修 · 待接单") < out.index("#2 投诉·综合服务 · 待接单") \
        < out.index("#1 报事报修·给排水 · 待接单")
    assert "您是业主 张伟（1-1-101）" in out and out.rstrip().endswith("再见！")
    # The owner's phone number never appears unmasked, not even in the shell's own lines.
    assert "13800000001" not in out and "张伟" not in "\n".join(lines_of(out, "工程部群") + lines_of(out, "客服中心群"))

    db = sqlite3.connect(tmp_path / "wuye.sqlite3")
    cases = db.execute("select id, kind, category, team_code, status, photos from cases order by id").fetchall()
    assert [c[:5] for c in cases] == [
        (1, "report", "plumbing", "engineering", "dispatched"),
        (2, "complaint", "general", "customer_service", "dispatched"),
        (3, "service", "home_repair", "engineering", "dispatched"),
    ]
    assert json.loads(cases[0][5]) == [str(tmp_path / "leak.jpg")]
    assert db.execute("select case_id, price_cents from bookings").fetchall() == [(3, 5000)]
    assert db.execute("select count(*) from outbox where state = 'pending'").fetchone() == (0,)
    bound = db.execute("select o.name from identities i join owners o on o.id = i.owner_id "
                       "where i.channel = 'console' and i.user_id = 'owner-1'").fetchall()
    assert bound == [("张伟",)]

    # A second start on the same database: nothing reloaded, the phone is still linked.
    again = shell(tmp_path, "/as owner 13800000001\n/mycases\n")
    assert again.returncode == 0, again.stderr
    assert "这部手机已绑定" in again.stdout and "共 3 个" in again.stdout
    assert db.execute("select count(*) from owners").fetchone() == (20,)


# ----------------------------------------------------------------- the shell's commands, in process
class Recording:
    """Wraps the desk to see exactly what the shell sent it."""

    def __init__(self, app: App) -> None:
        self.handle = app.desk.handle
        self.sent: list[Inbound] = []

    async def __call__(self, inbound: Inbound) -> Outcome:
        self.sent.append(inbound)
        return await self.handle(inbound)


async def started(app: App) -> tuple[Shell, list[str], Recording]:
    out: list[str] = []
    recording = Recording(app)
    app.desk.handle = recording  # type: ignore[method-assign]
    console = Shell(app, out.append)
    await console.start()
    return console, out, recording


async def test_group_buttons_are_pressed_from_the_group_by_the_current_person(app: App) -> None:
    console, out, recording = await started(app)
    for line in ("/as owner 1-1-101", "/start", "/contact", "/menu", "1", "1", "水管漏水", "1", "一般", "明天", "提交",
                 "/as staff 王强"):
        await console.handle(line)
    assert any(line.startswith("[工程部群] 【报事报修】#1") for line in out)
    # The card's options stay pressable after switching person; [1] is its "接单".
    assert console.sender.options[0].chat_id == "工程部群"
    await console.handle("1")
    pressed = recording.sent[-1]
    assert (pressed.chat_id, pressed.is_group, pressed.user_id) == ("工程部群", True, console.user)
    assert console.user.startswith("staff-") and pressed.payload == "1|c|accept|1"


async def test_options_of_someone_elses_chat_and_missing_options(app: App) -> None:
    console, out, recording = await started(app)
    await console.handle("/help")  # the visitor "you" is shown the menu
    await console.handle("/as guest")
    await console.handle("1")  # the option was in "you"'s chat, not the guest's
    assert out[-1] == "选项 [1] 在 you 的聊天里，请先用 /as 切换到那个身份再按。"
    await console.handle("42")
    assert out[-1] == "没有选项 [42]。"
    sent = len(recording.sent)
    await console.handle("\\42")  # a literal number is sent as text
    assert recording.sent[sent].text == "42"


async def test_as_and_contact_refuse_what_does_not_exist(app: App, tmp_path: Path) -> None:
    console, out, _ = await started(app)
    await console.handle("/as owner 9-9-999")
    assert out[-1] == "没有找到房号或手机号为“9-9-999”的业主。"
    await console.handle("/as staff 不存在")
    assert out[-1] == "没有找到名叫“不存在”的工作人员。"
    await console.handle("/as nobody")
    assert out[-1].startswith("用法：/as owner")
    await console.handle("/contact")
    assert "没有号码" in out[-1]
    await console.handle("/photo /no/such/file.jpg")
    assert out[-1] == "找不到文件：/no/such/file.jpg"
    await console.handle("/whoami")
    assert out[-1] == "您是未绑定的用户 you（本机号码 -），语言 zh-CN。"
    await console.handle("/as owner 13800000005")
    await console.handle("/whoami")
    assert out[-1] == f"您是未绑定的用户 {console.user}（本机号码 {mask_phone('13800000005')}），语言 zh-CN。"


async def test_clock_moves_and_runs_the_scheduler_hook(app: App, clock) -> None:  # type: ignore[no-untyped-def]
    calls: list[object] = []

    async def due_work() -> None:
        calls.append(app.now())

    app.extras["on_clock_moved"] = due_work
    console, out, _ = await started(app)
    before = app.now()
    await console.handle("/clock +24h")
    assert out[-1] == "🕒 演示时钟拨快了 24小时，现在是 6月2日 09:00。"
    assert calls == [app.now()] and (app.now() - before).total_seconds() == 86400
    await console.handle("/clock +30m")
    assert "30分钟" in out[-1] and len(calls) == 2
    await console.handle("/clock -1h")
    assert out[-1].startswith("用法：/clock")
    assert len(calls) == 2


async def test_an_edited_card_is_printed_again_as_updated(app: App) -> None:
    console, out, _ = await started(app)
    for line in ("/as owner 1-1-101", "/start", "/contact", "/cancel", "/menu", "1", "1", "水管漏水", "1",
                 "一般", "明天", "提交", "/mycases 1"):
        await console.handle(line)
    cancel = next(i for i, o in enumerate(console.sender.options) if o.chat_id == console.user) + 1
    await console.handle(str(cancel))  # ✖️ 取消工单
    await console.handle("确定")
    cards = [line for line in out if line.startswith("[工程部群]")]
    assert cards[0].startswith("[工程部群] 【报事报修】#1")
    assert cards[-1].startswith("[工程部群] （已更新）【报事报修】#1")
    assert any(line.startswith("    状态：已取消") for line in out)
    assert any(line.startswith("[我] 工单 #1 已取消") for line in out)


async def test_english_speakers_get_the_shell_in_english(app: App) -> None:
    console, out, _ = await started(app)
    await console.handle("/lang en")
    assert "[you] Switched to English." in out
    await console.handle("/whoami")
    assert out[-1] == "You are unbound user you (this phone: -), language en."
    await console.handle("/as owner 0-0-000")
    assert out[-1] == "No owner with room or phone \"0-0-000\"."


# ----------------------------------------------------------------- several communities
@pytest.fixture
async def company(database_url: str, clock) -> AsyncIterator[App]:  # type: ignore[no-untyped-def]
    app = await build_app(make_settings(database_url), clock, run_migrations=False)
    await load_files(app, [str(ROOT / "examples" / "company" / "company.yaml")])
    yield app
    await app.close()


async def test_as_takes_a_community_code_when_several_communities_are_loaded(company: App) -> None:
    console, out, recording = await started(company)
    assert "兰亭雅苑、东苑小区、西苑小区" in out[0]
    await console.handle("/as owner A-1-101")  # in 东苑 and in 西苑, two different owners
    assert "A-1-101@dongyuan（东苑小区）" in out[-1] and "A-1-101@xiyuan（西苑小区）" in out[-1]
    await console.handle("/as owner A-1-101@nowhere")
    assert out[-1] == "没有代码为“nowhere”的小区。可用的小区代码：lanting、dongyuan、xiyuan"
    await console.handle("/as owner A-1-101@xiyuan")
    assert "顾*" in out[-1] or "顾晨" in out[-1]
    await console.handle("/start")
    await console.handle("/contact")
    assert "绑定成功" in "\n".join(out[-8:])
    async with company.uow() as uow:
        identity = await uow.directory.identity("console", console.user)
        west = await uow.directory.community("xiyuan")
    assert identity is not None and west is not None and identity.community_id == west.id
    # Only 兰亭雅苑 has 1-1-101: no code needed, as with one community.
    await console.handle("/as owner 1-1-101")
    assert out[-1].startswith("📱 现在您拿的是业主")
    # 高工 is on the staff of 东苑 and 西苑 (one phone): one person, working in both.
    await console.handle("/as staff 高工")
    assert "区域工程部群" in out[-1] or "工程部" in out[-1]
    async with company.uow() as uow:
        assert len(await uow.directory.communities_of("console", console.user)) == 2
    await console.handle("/as staff 唐凯@xiyuan")
    assert out[-1].startswith("🧑‍🔧 现在您是 唐凯")
    # Every community's groups are the shell's: a card in the regional group can be pressed.
    assert "区域工程部群" in console.groups and "东苑客服中心群" in console.groups
