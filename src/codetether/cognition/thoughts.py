"""What one thought step says: the phase cycle, the thinker prompt, and the deterministic fallback text."""

from __future__ import annotations

import re
from typing import Any

from codetether.cognition.personas import PersonaState
from codetether.cognition.thinker import excerpt

PHASES = {1: ("observe", "thought_generated"), 2: ("reflect", "hypothesis_raised"),
          3: ("test", "check_requested"), 0: ("compress", "snapshot_compressed")}
SYSTEM = ("You are the internal cognition engine for a persistent autonomous persona. Respond with concise plain "
          "text only. Do not include markdown, XML, or code fences. Focus on reasoning quality, uncertainty, and "
          "actionable checks.")
INSTRUCTIONS = {
    "observe": "Observe current state. Identify 1-3 concrete signals and one uncertainty.",
    "reflect": "Reflect on observed signals. Produce one hypothesis, rationale, and risk note.",
    "test": "Design and evaluate one check. Include expected result and evidence quality.",
    "compress": "Compress the latest cognition into a short state summary and retained facts.",
}
SHARED_TYPES = ("check_result", "proposal_created", "snapshot_compressed")  # persona-less events every persona sees


def phase_of(thought_count: int) -> tuple[str, str]:
    """(phase name, event type) for a persona's n-th thought."""
    return PHASES[thought_count % 4]


def trim(text: str, limit: int) -> str:
    return (text[:limit] + "..." if len(text) > limit else text).strip()


def context_for(events: list[dict[str, Any]], persona_id: str, limit: int = 8) -> list[dict[str, Any]]:
    """The last `limit` buffered events of this persona, plus persona-less checks, proposals and snapshots."""
    mine = [e for e in events if e["persona_id"] == persona_id
            or (e["persona_id"] is None and e["event_type"] in SHARED_TYPES)]
    return mine[-limit:]


def user_prompt(p: PersonaState, phase: str, context: list[dict[str, Any]]) -> str:
    i = p.identity
    lines = [f"{e['event_type']} {e['timestamp']} {excerpt(e['payload'])}" for e in context] or ["none"]
    return (f"phase: {phase}\npersona_id: {i.id}\npersona_name: {i.name}\nrole: {i.role}\ncharter: {i.charter}\n"
            f"thought_count: {p.thought_count}\nrecent_context:\n" + "\n".join(lines)
            + f"\n\ninstruction:\n{INSTRUCTIONS[phase]}")


def fallback_text(p: PersonaState, phase: str, context: list[dict[str, Any]], error: str | None) -> str:
    """What the persona 'thinks' without a model: a fixed template over what it has seen, so it is reproducible."""
    latest = {e["event_type"]: e["payload"] for e in context}
    facts = [f"{p.identity.name} ({p.identity.role}) {phase} step {p.thought_count}",
             f"context events: {len(context)}"]
    if error:
        facts.append(f"thinker unavailable: {error}")
    if "proposal_created" in latest:
        facts.append(f"latest proposal: {latest['proposal_created'].get('title', '')}")
    if "check_result" in latest:
        facts.append(f"latest check: {str(latest['check_result'].get('result_excerpt', ''))[:200]}")
    tail = {"observe": "Signal: no model output; state is unchanged since the last step. Uncertainty: thinker health.",
            "reflect": "Hypothesis: cognition continues on templates until the thinker answers. Risk: low.",
            "test": "Check: the next step reaches the thinker. Expected: a model reply. Evidence: weak.",
            "compress": "Summary: " + "; ".join(facts[:2]) + "."}[phase]
    return trim(". ".join(facts) + ". " + tail, 1200)


def proposal_title(text: str, n: int) -> str:
    for line in text.splitlines():
        line = re.sub(r"\s+", " ", line).strip()
        if line:
            return line[:72]
    return f"proposal-{n}"


def fact_count(text: str) -> int:
    """Sentences ending in . ! or ?, clamped to 1..12: the snapshot's warm facts."""
    return min(12, max(1, sum(text.count(c) for c in ".!?")))
