"""Session modes (our agents build, plan and explore) and the config options an editor shows: mode and model."""

from __future__ import annotations

from acp.schema import SessionConfigOptionSelect, SessionConfigSelectOption, SessionMode, SessionModeState

from codetether.agent.agents import AGENTS

MODES = ("build", "plan", "explore")
MODE_NAMES = {"build": "Build", "plan": "Plan", "explore": "Explore"}


def mode_state(current: str) -> SessionModeState:
    return SessionModeState(current_mode_id=current, available_modes=[
        SessionMode(id=m, name=MODE_NAMES[m], description=AGENTS[m].description) for m in MODES])


def config_options(mode: str, model: str, models: list[str]) -> list[SessionConfigOptionSelect]:
    return [
        SessionConfigOptionSelect(type="select", id="mode", name="Mode", category="mode", current_value=mode,
                                  description="Which agent runs the turn: build edits and runs commands, plan and "
                                              "explore only read",
                                  options=[SessionConfigSelectOption(value=m, name=MODE_NAMES[m],
                                                                     description=AGENTS[m].description)
                                           for m in MODES]),
        SessionConfigOptionSelect(type="select", id="model", name="Model", category="model", current_value=model,
                                  description="provider/model; the providers listed are those with a key in Vault",
                                  options=[SessionConfigSelectOption(value=m, name=m)
                                           for m in dict.fromkeys([model, *models])]),
    ]
