"""Personas and their lineage tree: create, spawn within depth/branching limits, reap (optionally a subtree)."""

from __future__ import annotations

import uuid
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

from codetether.cognition.clock import now_iso


class PersonaError(Exception):
    """A request the registry refuses; `status` is the HTTP status the API answers with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


@dataclass
class PersonaPolicy:
    max_spawn_depth: int = 4
    max_branching_factor: int = 4
    token_credits_per_minute: int = 20000  # the next four are carried, not enforced (as in the original)
    cpu_credits_per_minute: int = 10000
    idle_ttl_secs: int = 3600
    share_memory: bool = False

    @classmethod
    def parse(cls, data: Any) -> PersonaPolicy:
        """From a request's `policy` object; unknown keys and wrong types are 400s naming the field."""
        if not isinstance(data, dict):
            raise PersonaError(400, "field 'policy' must be an object, e.g. {\"max_spawn_depth\": 2}")
        known = cls.__dataclass_fields__
        for key, value in data.items():
            if key not in known:
                raise PersonaError(400, f"field 'policy.{key}' is unknown; known: {', '.join(known)}")
            want = bool if key == "share_memory" else int
            if type(value) is not want or (want is int and value < 0):
                kind = "true or false" if want is bool else "a whole number >= 0"
                raise PersonaError(400, f"field 'policy.{key}' must be {kind}")
        return cls(**data)


@dataclass
class PersonaIdentity:
    id: str
    name: str
    role: str
    charter: str
    swarm_id: str | None
    parent_id: str | None
    depth: int
    created_at: str


@dataclass
class PersonaState:
    identity: PersonaIdentity
    policy: PersonaPolicy
    status: str = "active"  # active | idle | reaped | error
    thought_count: int = 0
    last_tick_at: str | None = None
    updated_at: str = field(default_factory=now_iso)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PersonaRequest:
    """The body of create/spawn, validated."""

    name: str
    role: str
    charter: str
    persona_id: str | None = None
    swarm_id: str | None = None
    parent_id: str | None = None
    policy: PersonaPolicy | None = None

    @classmethod
    def parse(cls, body: Any, allow_parent: bool = True) -> PersonaRequest:
        if not isinstance(body, dict):
            raise PersonaError(400, "request body must be a JSON object with 'name', 'role' and 'charter'")
        allowed = {"persona_id", "name", "role", "charter", "swarm_id", "policy"} | ({"parent_id"} if allow_parent else set())
        for key in body:
            if key not in allowed:
                raise PersonaError(400, f"field '{key}' is not accepted here; accepted: {', '.join(sorted(allowed))}")
        values: dict[str, Any] = {}
        for key in ("name", "role", "charter"):
            if not isinstance(body.get(key), str) or not body[key].strip():
                raise PersonaError(400, f"field '{key}' is required: a non-empty string")
            values[key] = body[key].strip()
        for key in ("persona_id", "swarm_id", "parent_id"):
            value = body.get(key)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise PersonaError(400, f"field '{key}' must be a non-empty string when given")
            values[key] = value.strip() if value else None
        if body.get("policy") is not None:
            values["policy"] = PersonaPolicy.parse(body["policy"])
        return cls(**values)


class PersonaRegistry:
    """All personas of this process, reaped ones included (they stay in the lineage)."""

    def __init__(self, default_policy: PersonaPolicy):
        self.default_policy = default_policy
        self.personas: dict[str, PersonaState] = {}

    def create(self, req: PersonaRequest) -> PersonaState:
        """A root persona, or a child when `req.parent_id` is set (the same checks as spawn)."""
        parent = self._parent(req.parent_id) if req.parent_id else None
        own = req.policy or (parent.policy if parent else self.default_policy)
        depth = parent.identity.depth + 1 if parent else 0
        if parent is not None:
            limits = parent.policy
            children = sum(1 for p in self.personas.values()
                           if p.identity.parent_id == parent.identity.id and p.status != "reaped")
            if children >= limits.max_branching_factor:
                raise PersonaError(400, f"Parent {parent.identity.id} reached branching limit "
                                        f"{limits.max_branching_factor}")
            if depth > limits.max_spawn_depth:
                raise PersonaError(400, f"Spawn depth {depth} exceeds limit {limits.max_spawn_depth}")
        pid = req.persona_id or str(uuid.uuid4())
        if pid in self.personas:
            raise PersonaError(409, f"Persona id already exists: {pid}")
        swarm = req.swarm_id or (parent.identity.swarm_id if parent else None)
        identity = PersonaIdentity(pid, req.name, req.role, req.charter, swarm,
                                   parent.identity.id if parent else None, depth, now_iso())
        state = PersonaState(identity, PersonaPolicy(**asdict(own)))
        self.personas[pid] = state
        return state

    def reap(self, pid: str, cascade: bool) -> list[PersonaState]:
        """Mark `pid` (and with `cascade` every descendant, breadth-first) reaped; return those newly reaped."""
        if pid not in self.personas:
            raise PersonaError(404, f"Persona not found: {pid}")
        order, queue = [], deque([pid])
        while queue:
            current = queue.popleft()
            order.append(self.personas[current])
            if cascade:
                queue.extend(sorted(c for c, p in self.personas.items() if p.identity.parent_id == current))
        reaped = [p for p in order if p.status != "reaped"]
        for p in reaped:
            p.status, p.updated_at = "reaped", now_iso()
        return reaped

    def active(self) -> list[PersonaState]:
        return [p for p in self.personas.values() if p.status == "active"]

    def lineage(self) -> dict[str, Any]:
        nodes = []
        for pid in sorted(self.personas):
            p = self.personas[pid]
            children = sorted(c for c, q in self.personas.items() if q.identity.parent_id == pid)
            nodes.append({"persona_id": pid, "parent_id": p.identity.parent_id, "children": children,
                          "depth": p.identity.depth, "status": p.status})
        roots = [n["persona_id"] for n in nodes if n["parent_id"] is None]
        return {"nodes": nodes, "roots": roots, "total_edges": len(nodes) - len(roots)}

    def _parent(self, pid: str) -> PersonaState:
        parent = self.personas.get(pid)
        if parent is None:
            raise PersonaError(404, f"Parent persona not found: {pid}")
        if parent.status == "reaped":
            raise PersonaError(409, f"Parent persona {pid} is reaped")
        return parent
