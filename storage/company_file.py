"""The company file: one YAML listing a property company's communities, and the people and
teams that serve several of them.

    company: {code: hengda, name: 恒达物业}
    communities: [communities/east.yaml, communities/west.yaml]   # relative to this file
    teams:                      # a regional team: one group chat for the team in several communities
      - {code: engineering, name: 区域工程部, chats: {telegram: "-1001"}, communities: [east, west]}
    staff:                      # one staff row per community (registers are per community)
      - {code: q01, name: 质检刘, role: quality, team: quality, phone: "13900000001",
         chats: {telegram: "9001"}, communities: "*"}

Each community file stays what it is alone (`wuye load east.yaml` works as before).  A
team or staff member listed here is created in each community it names where missing; a
regional team's chats replace that team's chats in those communities.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from cases.codes import Team
from storage.community_file import (
    At,
    ChatMap,
    CommunityFile,
    CommunityFileError,
    Sized,
    StaffSpec,
    Strict,
    decode,
    parse,
    validated,
    yaml_document,
)

Everywhere = Literal["*"]


class CompanyInfo(Strict):
    code: str = Field(pattern=r"^[a-z0-9_-]{1,64}$")
    name: str = Field(min_length=1, max_length=200)


class SharedTeamSpec(Strict):
    code: Team
    name: Sized(100)
    chats: ChatMap = {}
    communities: list[str] | Everywhere = Field(min_length=1)


class SharedStaffSpec(StaffSpec):
    communities: list[str] | Everywhere = Field(min_length=1)


class CompanySpec(Strict):
    company: CompanyInfo
    communities: list[Sized(500, min_length=1)] = Field(min_length=1)
    teams: list[SharedTeamSpec] = []
    staff: list[SharedStaffSpec] = []

    @model_validator(mode="after")
    def _unique(self) -> CompanySpec:
        for section, values in (("communities", list(self.communities)), ("staff", [s.code for s in self.staff]),
                                ("teams", [t.code.value for t in self.teams])):
            seen: set[str] = set()
            for i, value in enumerate(values):
                if value in seen:
                    raise At((section, i), f"listed twice: {value!r}")
                seen.add(value)
        return self


@dataclass(frozen=True)
class Company:
    """A company file read whole: its spec and every community file it lists, parsed."""

    spec: CompanySpec
    communities: tuple[CommunityFile, ...]

    def codes(self, chosen: list[str] | str) -> list[str]:
        every = [c.community.code for c in self.communities]
        return every if chosen == "*" else list(chosen)


def is_company(text: str) -> bool:
    """A company file has `company:` at the top (a community file has `community:`)."""
    return any(line.startswith("company:") for line in text.splitlines())


def read_any(path: str | Path) -> Company | CommunityFile:
    """A community file or a company file, whichever `path` holds."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CommunityFileError(f"{path}: cannot read ({exc.strerror})") from None
    text = decode(raw, str(path))
    return parse_company(text, path) if is_company(text) else parse(text, str(path))


def parse_company(text: str, path: Path) -> Company:
    source = str(path)
    root, data = yaml_document(text, source)
    spec = validated(CompanySpec, root, data, source)
    files = []
    for listed in spec.communities:
        target = (path.parent / listed) if not Path(listed).is_absolute() else Path(listed)
        try:
            raw = target.read_bytes()
        except OSError as exc:
            raise CommunityFileError(f"{source} (communities: {listed}): cannot read ({exc.strerror})") from None
        text_of = decode(raw, str(target))
        if is_company(text_of):
            raise CommunityFileError(f"{source} (communities: {listed}): a company file, not a community file")
        files.append(parse(text_of, str(target)))
    company = Company(spec, tuple(files))
    _check_references(company, source)
    return company


def _check_references(company: Company, source: str) -> None:
    codes = [c.community.code for c in company.communities]
    problems = []
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            problems.append(f"{source}: community {code!r} is listed in two files")
        seen.add(code)
    for section, entries in (("teams", company.spec.teams), ("staff", company.spec.staff)):
        for i, entry in enumerate(entries):
            for code in company.codes(entry.communities):
                if code not in codes:
                    problems.append(f"{source} ({section}.{i}.communities): unknown community {code!r} "
                                    f"(communities: {', '.join(codes)})")
    for i, member in enumerate(company.spec.staff):
        for community in company.communities:
            if community.community.code not in company.codes(member.communities):
                continue
            if any(s.code == member.code for s in community.staff):
                problems.append(f"{source} (staff.{i}): staff code {member.code!r} is also in the community file "
                                f"of {community.community.code!r}; list them in one place")
    if problems:
        raise CommunityFileError("\n".join(problems))
