"""The community file: one YAML document describing a property and its service desk.

Parsing is strict (unknown keys, unknown teams, duplicate rooms, malformed phones are
refused) and every error names the line of the file it comes from.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cases.codes import CATEGORIES, Kind, Role, Team
from cases.policy import known_timezone
from storage.dispatch_file import DispatchSpec

PHONE = re.compile(r"^1[3-9]\d{9}$")


def Sized(limit: int, *, min_length: int = 0) -> Any:  # noqa: N802  (a type, read as one)
    """Text no longer than its database column (`storage.models`): too long is refused here,
    with the file's line and key, not by PostgreSQL half-way through the load."""
    return Annotated[str, Field(min_length=min_length, max_length=limit)]


# Chat identities: channel names and the channel's chat or user ids (team_chats, identities).
ChatMap = dict[Sized(16, min_length=1), Sized(64, min_length=1)]


class CommunityFileError(ValueError):
    """A community file that cannot be loaded; `str()` names the line or key at fault."""


def normalise_phone(raw: str) -> str:
    """Owners and spreadsheets write 138-1234-5678, +86 138 1234 5678…; we keep 11 digits."""
    digits = re.sub(r"[\s\-()]", "", str(raw))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not PHONE.match(digits):
        raise ValueError(f"phone {raw!r} is not a mainland mobile number (11 digits starting with 1)")
    return digits


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CommunityInfo(Strict):
    code: str = Field(pattern=r"^[a-z0-9_-]{1,64}$")
    name: str = Field(min_length=1, max_length=200)
    hotline: str = Field("", max_length=40)
    emergency_numbers: dict[str, str] = {"fire": "119", "police": "110", "medical": "120"}
    # When the service centre is staffed, every day ["08:30", "18:00"]: told to an owner who asks for a person.
    office_hours: tuple[str, str] | None = None

    @field_validator("office_hours")
    @classmethod
    def _hhmm(cls, value: tuple[str, str] | None) -> tuple[str, str] | None:
        for v in value or ():
            if not re.match(r"^([01]\d|2[0-3]):[0-5]\d$", v):
                raise ValueError(f"{v!r} is not HH:MM")
        return value


class PolicySpec(Strict):
    response_minutes: dict[Literal["emergency", "urgent", "normal"], float] = {"emergency": 15, "urgent": 120, "normal": 1440}
    completion_minutes: dict[Literal["emergency", "urgent", "normal"], float] = {"emergency": 240, "urgent": 1440, "normal": 4320}
    emergency_repeat_minutes: float = Field(5, gt=0)
    callback_delay_minutes: float = Field(120, ge=0)
    callback_reminder_minutes: float = Field(1440, gt=0)
    callback_phone_minutes: float = Field(1440, gt=0)
    repair_callback_rate: float = Field(1.0, ge=0.9, le=1.0)
    auto_confirm_minutes: float = Field(4320, gt=0)
    quiet_hours: tuple[str, str] = ("22:00", "08:00")
    timezone: str = "Asia/Shanghai"
    spot_check_sample: int = Field(5, ge=1, le=100)

    @field_validator("response_minutes", "completion_minutes")
    @classmethod
    def _all_urgencies(cls, value: dict[str, float]) -> dict[str, float]:
        missing = {"emergency", "urgent", "normal"} - set(value)
        if missing:
            raise ValueError(f"missing {', '.join(sorted(missing))}")
        if any(v <= 0 for v in value.values()):
            raise ValueError("deadlines must be positive")
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _hhmm(cls, value: tuple[str, str]) -> tuple[str, str]:
        for v in value:
            if not re.match(r"^([01]\d|2[0-3]):[0-5]\d$", v):
                raise ValueError(f"{v!r} is not HH:MM")
        return value

    _zone = field_validator("timezone")(lambda cls, value: known_timezone(value))


class BuildingSpec(Strict):
    code: str = Field(pattern=r"^[A-Za-z0-9]{1,8}$")
    name: Sized(100)
    units: list[Sized(16, min_length=1)] = ["1"]
    floors: tuple[int, int] | None = None  # generate rooms for floors a..b
    rooms_per_floor: int = Field(2, ge=1, le=20)
    rooms: list[Sized(32, min_length=1)] = []  # or list them: "1-1-101"

    @field_validator("floors")
    @classmethod
    def _floors(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        # Basements to skyscrapers; a typo of 3000 floors would make a million rooms.
        if value is not None and not (-9 <= value[0] <= value[1] <= 200):
            raise ValueError("floors must be two numbers from -9 to 200, the lower first")
        return value

    def room_codes(self) -> list[tuple[str, str, int]]:
        """(code, unit, floor) for every room of the building."""
        codes: list[tuple[str, str, int]] = []
        if self.floors:
            low, high = self.floors
            for unit in self.units:
                for floor in range(low, high + 1):
                    for n in range(1, self.rooms_per_floor + 1):
                        codes.append((f"{self.code}-{unit}-{floor}{n:02d}", unit, floor))
        for code in self.rooms:
            parts = code.split("-")
            unit = parts[1] if len(parts) == 3 else ""
            digits = parts[-1][:-2]
            floor = int(digits) if digits.isascii() and digits.isdigit() and len(digits) <= 3 else 0
            codes.append((code, unit, floor))
        return codes


class OwnerSpec(Strict):
    name: str = Field(min_length=1, max_length=100)
    phone: str
    rooms: list[str] = Field(min_length=1)

    _phone = field_validator("phone", mode="before")(lambda cls, v: normalise_phone(v))


class TeamSpec(Strict):
    code: Team
    name: Sized(100)
    chats: ChatMap = {}


class StaffSpec(Strict):
    code: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    name: Sized(100)
    role: Role
    team: str
    phone: str = ""
    chats: ChatMap = {}  # channel → user id, e.g. {telegram: "123456789"}

    @field_validator("phone", mode="before")
    @classmethod
    def _phone(cls, value: str) -> str:
        return normalise_phone(value) if value else ""


class ServiceSpec(Strict):
    code: str = Field(pattern=r"^[a-z0-9_]{1,32}$")
    category: str
    name: Sized(100)
    name_en: Sized(100)
    price: Decimal = Field(ge=0, max_digits=9, decimal_places=2)
    unit: Sized(20) = "次"
    unit_en: Sized(20) = "time"

    @field_validator("category")
    @classmethod
    def _category(cls, value: str) -> str:
        if value not in CATEGORIES[Kind.SERVICE]:
            raise ValueError(f"{value!r} is not a service category ({', '.join(CATEGORIES[Kind.SERVICE])})")
        return value


class FaqSpec(Strict):
    code: Sized(32, min_length=1)
    keywords: list[str] = Field(min_length=1)
    # Other words owners use for the same thing (管理费 for 物业费, 电瓶车 for 电动车): they
    # count as keywords when matching, listed apart so the office keeps them apart.
    synonyms: list[str] = []
    question: str
    answer: str
    question_en: str = ""
    answer_en: str = ""

    @model_validator(mode="after")
    def _meaning_words(self) -> FaqSpec:
        words = [w.strip() for w in self.keywords + self.synonyms if w.strip()]
        self.keywords = list(dict.fromkeys(words))
        return self


class CommunityFile(Strict):
    community: CommunityInfo
    policy: PolicySpec = PolicySpec()
    buildings: list[BuildingSpec] = Field(min_length=1)
    teams: list[TeamSpec] = Field(min_length=1)
    staff: list[StaffSpec] = []
    owners: list[OwnerSpec] = []
    services: list[ServiceSpec] = []
    faq: list[FaqSpec] = []
    dispatch: DispatchSpec | None = None

    @model_validator(mode="after")
    def _references(self) -> CommunityFile:
        rooms: set[str] = set()
        for b_index, building in enumerate(self.buildings):
            for code, _, _ in building.room_codes():
                if code in rooms:
                    raise At(("buildings", b_index), f"duplicate room {code}")
                rooms.add(code)
        teams = [t.code.value for t in self.teams]
        _unique(teams, "teams", "team")
        _unique([b.code for b in self.buildings], "buildings", "building")
        _unique([s.code for s in self.staff], "staff", "staff code")
        _unique([s.code for s in self.services], "services", "service")
        _unique([o.phone for o in self.owners], "owners", "owner phone")
        for i, member in enumerate(self.staff):
            if member.team not in teams:
                raise At(("staff", i, "team"), f"unknown team {member.team!r} (teams: {', '.join(teams)})")
        if self.dispatch is not None:
            codes = {s.code for s in self.staff}
            for where, code in self.dispatch.staff_codes():
                if code not in codes:
                    raise At(where, f"unknown staff code {code!r}")
            buildings = {b.code for b in self.buildings}
            for building, chosen in self.dispatch.responsible.items():
                if building not in buildings:
                    raise At(("dispatch", "responsible", building), f"unknown building {building!r}")
                for team in chosen:
                    if team not in teams:
                        raise At(("dispatch", "responsible", building, team), f"unknown team {team!r}")
        for i, owner in enumerate(self.owners):
            for room in owner.rooms:
                if room not in rooms:
                    raise At(("owners", i, "rooms"), f"unknown room {room!r}")
        return self

    def all_rooms(self) -> set[str]:
        return {code for b in self.buildings for code, _, _ in b.room_codes()}


class At(ValueError):
    """A cross-reference error that knows where in the file it is."""

    def __init__(self, path: tuple[Any, ...], message: str) -> None:
        super().__init__(message)
        self.path = path


def _unique(values: list[str], section: str, what: str) -> None:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            raise At((section, i), f"duplicate {what} {value!r}")
        seen.add(value)


def _line_of(root: yaml.Node | None, path: tuple[Any, ...]) -> int | None:
    """The 1-based line of the YAML node at `path`, or of its nearest existing parent."""
    node, line = root, (root.start_mark.line + 1 if root else None)
    for key in path:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == key), None)
            if match is None:
                key_node = next((k for k, _ in node.value if k.value == key), None)
                return key_node.start_mark.line + 1 if key_node else line
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
        line = node.start_mark.line + 1
    return line


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse(text: str, source: str = "community file") -> CommunityFile:
    root, data = yaml_document(text, source)
    return validated(CommunityFile, root, data, source)


def yaml_document(text: str, source: str) -> tuple[yaml.Node | None, dict[str, Any]]:
    """The YAML's node tree (for line numbers) and its data, a mapping at the top.

    Composed once, by libyaml when it is there, and the data built from the nodes
    (composing and loading twice in pure Python took 80 s for 10,000 owners)."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except RecursionError:
        raise CommunityFileError(f"{source}: nested too deeply to be a community file") from None
    except yaml.YAMLError as exc:
        if "nesting depth" in str(getattr(exc, "problem", "")):  # libyaml's own limit
            raise CommunityFileError(f"{source}: nested too deeply to be a community file") from None
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise CommunityFileError(f"{source}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise CommunityFileError(f"{source}: expected a mapping with community, buildings, teams… at the top")
    return root, data


_Model = TypeVar("_Model", bound=BaseModel)


def validated(model: type[_Model], root: yaml.Node | None, data: dict[str, Any], source: str) -> _Model:
    """`data` checked against `model`; every problem named with its line and key."""
    try:
        return model.model_validate(data)
    except RecursionError:
        raise CommunityFileError(f"{source}: nested too deeply to be a community file") from None
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            ctx_error = (err.get("ctx") or {}).get("error")
            path = ctx_error.path if isinstance(ctx_error, At) else tuple(err["loc"])
            message = str(ctx_error) if isinstance(ctx_error, At) else err["msg"]
            key = ".".join(str(p) for p in path)
            problems.append(f"{source} line {_line_of(root, path)} ({key}): {message}")
        raise CommunityFileError("\n".join(problems)) from None


def read(path: str | Path) -> CommunityFile:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CommunityFileError(f"{path}: cannot read ({exc.strerror})") from None
    return parse(decode(raw, str(path)), str(path))


def decode(raw: bytes, source: str) -> str:
    """The file's text: UTF-8 (a BOM allowed); UTF-16 with its BOM, as Windows Notepad saves it."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise CommunityFileError(f"{source}: starts like UTF-16 but is not valid UTF-16; save it as UTF-8") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        hint = "it looks like GBK/GB18030; " if _looks_gbk(raw) else ""
        raise CommunityFileError(f"{source} line {line}: not UTF-8 text ({hint}save the file as UTF-8)") from None


def _looks_gbk(raw: bytes) -> bool:
    try:
        raw.decode("gb18030")
    except UnicodeDecodeError:
        return False
    return True
