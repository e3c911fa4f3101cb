"""The demo county built through the application: its directory, and random people and places."""

from __future__ import annotations

import random
from datetime import date, timedelta
from uuid import UUID

from domain.application import Xinfang
from domain.directory import SYSTEM_ACTOR
from domain.values import Actor, Petitioner, Role
from scripts.demo.matters import Topic
from scripts.demo.people import (
    COMPOUNDS,
    GIVEN_NAMES,
    ID_CHECK,
    ID_WEIGHTS,
    OFFICE_STAFF,
    PHONE_PREFIXES,
    REGION_CODES,
    STREETS,
    SURNAMES,
    TOWNSHIPS,
    UNIT_STAFF,
    UNITS,
)


class County:
    """The demo's directory, built through the application, and the random choices over it."""

    def __init__(self, app: Xinfang, rng: random.Random) -> None:
        self.app = app
        self.rng = rng
        self.units: dict[str, UUID] = {}
        self.unit_names: dict[str, str] = {}
        self.people: dict[str, Actor] = {}
        self.tokens: dict[str, str] = {}

    def build(self) -> None:
        """Add the units and every person."""
        for key, name, kind, parent in UNITS:
            parent_id = self.units[parent] if parent else None
            unit = self.app.add_unit(SYSTEM_ACTOR, name=name, kind=kind, parent_id=parent_id)
            self.units[key] = unit.id
            self.unit_names[key] = name
        for unit_key, names in UNIT_STAFF.items():
            for i, name in enumerate(names):
                key = f"{unit_key}.head" if i == 0 else f"{unit_key}.h{i}"
                role = Role.UNIT_HEAD if i == 0 else Role.HANDLER
                self._add_person(key, name, role, unit_key)
        for key, name, role, office in OFFICE_STAFF:
            self._add_person(key, name, role, office)

    def _add_person(self, key: str, name: str, role: Role, unit_key: str | None) -> None:
        unit_id = self.units[unit_key] if unit_key else None
        user, token = self.app.add_user(SYSTEM_ACTOR, name=name, role=role, unit_id=unit_id)
        self.people[key] = user.as_actor
        self.tokens[key] = token

    def head(self, unit: str) -> Actor:
        """The unit's head."""
        return self.people[f"{unit}.head"]

    def handlers(self, unit: str) -> list[Actor]:
        """The unit's handlers."""
        return [a for k, a in self.people.items() if k.startswith(f"{unit}.h")]

    def pick(self, *keys: str) -> Actor:
        """One of the named people."""
        return self.people[self.rng.choice(keys)]

    # -- petitioners and places ------------------------------------------------------------------
    def person(self, township: str, village: str) -> Petitioner:
        """A petitioner with a plausible name, ID number, phone and address."""
        rng = self.rng
        name = rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 52))
        body = f"{rng.choice(REGION_CODES)}{born:%Y%m%d}{rng.randrange(1000):03d}"
        check = ID_CHECK[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]
        phone = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        address = f"{self.unit_names[township]}{village}{rng.randint(1, 9)}组{rng.randint(1, 60)}号"
        return Petitioner(name=name, id_number=body + check, phone=phone, address=address)

    def place(self, topic: Topic) -> tuple[str, str, str]:
        """(township key, location text, the place as the petition names it)."""
        rng = self.rng
        if topic.place in {"xingfu", "dongjie"}:
            name = self.unit_names[topic.place]
            return "chengguan", name, name
        township = rng.choice(list(TOWNSHIPS))
        village = rng.choice(TOWNSHIPS[township])
        if topic.place == "compound":
            compound = f"城关镇{rng.choice(COMPOUNDS)}"
            return "chengguan", compound, compound
        if topic.place == "street":
            street = f"{rng.choice(STREETS)}{rng.randint(1, 20) * 10}号"
            return "chengguan", f"城关镇{street}", street
        if topic.place == "county":
            return township, "县城", "县城"
        location = f"{self.unit_names[township]}{village}"
        return township, location, location
