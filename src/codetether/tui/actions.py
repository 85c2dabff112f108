"""Slash commands and key actions of the app (a mixin, so app.py stays about the session and its events)."""

from __future__ import annotations

from pathlib import Path

from codetether.errors import CodetetherError
from codetether.provider.choices import model_choices
from codetether.secrets.redact import redact
from codetether.tui import slash, themes
from codetether.tui.feeds import RalphFeed, SwarmFeed
from codetether.tui.screens.dialogs import HelpScreen
from codetether.tui.screens.pickers import ModelPicker, SessionPicker
from codetether.tui.screens.run_detail import StoryDetail, SubtaskDetail
from codetether.tui.screens.runs import RalphView, SwarmView
from codetether.tui.widgets.prompt import PromptInput


class SlashActions:
    """Mixed into CodetetherApp; uses its run, chat and open_session."""

    swarm_feed: SwarmFeed | None = None
    ralph_feed: RalphFeed | None = None

    async def handle_slash(self, text: str) -> bool:
        """Run a slash command; False when `text` is a prompt for the agent."""
        command = slash.parse(text)
        if command is None:
            return False
        if not command.known:
            await self.chat.add_notice(slash.unknown_message(command.name), "error")
            return True
        handler = getattr(self, "cmd_" + command.name[1:])
        await handler(command.arg)
        return True

    def ask_crash_consent(self) -> None:
        """The seed's first-run crash-reporting question, as a dialog over the chat; asked once."""
        from codetether.crash.consent import should_ask
        from codetether.tui.screens.dialogs import ConsentScreen

        if should_ask(self.config):
            self.push_screen(ConsentScreen(), self._consent_given)

    async def _consent_given(self, enabled: bool | None) -> None:
        from codetether.config.load import load
        from codetether.crash.consent import save_choice

        try:
            note = save_choice(bool(enabled), self.config.path)
            self.config = load(self.config.path)
        except Exception as exc:  # an unwritable config: say so, the chat goes on
            await self.chat.add_notice(f"Could not save the crash-reporting choice: {exc}", "error")
            return
        await self.chat.add_notice(note)

    async def cmd_help(self, _arg: str) -> None:
        self.push_screen(HelpScreen())

    async def cmd_quit(self, _arg: str) -> None:
        await self.action_quit()

    cmd_exit = cmd_quit

    async def cmd_new(self, _arg: str) -> None:
        if await self._idle("/new"):
            await self.chat.clear_log()
            if await self.open_session(None, self.model_id):
                await self.chat.add_notice("Started a new session. Previous session was saved.")

    async def cmd_model(self, arg: str) -> None:
        if arg:
            await self.set_model(arg)
        else:
            await self.action_model_picker()

    async def set_model(self, model_id: str) -> None:
        if not await self._idle("/model"):
            return
        sid = self.session.session_id if self.session else None
        previous = self.model_id
        self.model_id = model_id
        if await self.open_session(sid, model_id):
            await self.chat.add_notice(f"Model set to: {self.session.prepared.resolved.id}")
        else:
            self.model_id = previous
            await self.open_session(sid, previous)

    async def action_model_picker(self) -> None:
        from codetether.provider.registry import load_secrets

        try:
            secrets = await load_secrets(self.config)
        except CodetetherError as exc:
            await self.chat.add_notice(redact(exc.render()), "error")
            return
        current = self.session.prepared.resolved.id if self.session else self.model_id
        self.push_screen(ModelPicker(model_choices(list(secrets), current), current), self._picked_model)

    async def _picked_model(self, model_id: str | None) -> None:
        if model_id:
            await self.set_model(model_id)

    async def cmd_sessions(self, _arg: str) -> None:
        sessions = self._project_sessions()
        if not sessions:
            await self.chat.add_notice("No saved sessions found.")
            return
        self.push_screen(SessionPicker(sessions), self._picked_session)

    async def _picked_session(self, session_id: str | None) -> None:
        if session_id:
            await self.cmd_resume(session_id)

    async def cmd_resume(self, arg: str) -> None:
        if await self._idle("/resume"):
            self.model_id = None  # a resumed session keeps its own model
            await self.open_session(arg or "latest", None)

    async def cmd_undo(self, _arg: str) -> None:
        from codetether.session.undo import undo_turns

        run = self.session
        if not await self._idle("/undo") or run is None or run.session_id is None:
            if run is not None and run.session_id is None:
                await self.chat.add_notice("Nothing to undo: this session has no turns yet.")
            return
        try:
            done, files = undo_turns(run.store, run.session_id, 1)
        except CodetetherError as exc:
            await self.chat.add_notice(redact(exc.render()), "error")
            return
        lines = [f"  {r.action}: {r.path}" for r in files] or ["  (the turn changed no files)"]
        # Reopen so the agent's conversation drops the undone turn, as a resume would.
        await self.open_session(run.session_id, self.model_id)
        await self.chat.add_notice(f"Undid turn {', '.join(map(str, done))}:\n" + "\n".join(lines))

    async def cmd_compact(self, _arg: str) -> None:
        from codetether.agent.compaction import compact_now

        run = self.session
        if not await self._idle("/compact") or run is None:
            return
        await self.chat.add_notice("Compacting the conversation…")
        try:
            result = await compact_now(run.prepared.agent)
        except CodetetherError as exc:
            await self.chat.add_notice("Compaction failed: " + redact(exc.render()), "error")
            return
        if result.messages_summarised == 0:
            await self.chat.add_notice("Nothing to compact yet: only the latest exchange is in the conversation.")
        else:
            await self.chat.add_notice(f"Compacted {result.messages_summarised} messages into a summary "
                                       f"(~{result.tokens_before} → ~{result.tokens_after} tokens).")
        self.refresh_status()

    async def cmd_agent(self, arg: str) -> None:
        await self.switch_agent(arg or None)

    async def action_cycle_agent(self) -> None:
        await self.switch_agent(None)

    async def switch_agent(self, name: str | None) -> None:
        from codetether.tui.app import AGENTS

        current = self.session.prepared.agent.settings.agent if self.session else (self.agent_name or "build")
        if name is None:
            name = AGENTS[(AGENTS.index(current) + 1) % len(AGENTS)] if current in AGENTS else "build"
        if name not in AGENTS:
            await self.chat.add_notice(f"unknown agent '{name}'; choose one of: {', '.join(AGENTS)}", "error")
            return
        if self.busy:
            await self.chat.add_notice("The agent changes after this turn; press Esc to stop it first.")
            return
        self.agent_name = name
        if self.session is not None:
            self.session.prepared.agent.switch_agent(name)
        self.refresh_status()

    async def cmd_theme(self, arg: str) -> None:
        if not arg:
            names = sorted(self.available_themes)
            await self.chat.add_notice(f"Theme: {self.theme}. Available: {', '.join(names)}\n"
                                       f"Theme files: {themes.themes_dir()}/*.toml (reloaded when changed)")
            return
        name = themes.BUILTIN[arg].name if arg in themes.BUILTIN else arg
        if name not in self.available_themes:
            await self.chat.add_notice(f"unknown theme '{arg}'; /theme lists them", "error")
            return
        self.theme = name
        await self.chat.add_notice(f"Theme set to: {name}")

    async def cmd_webview(self, _arg: str) -> None:
        await self._layout("webview")

    async def cmd_classic(self, _arg: str) -> None:
        await self._layout("classic")

    async def action_toggle_layout(self) -> None:
        await self._layout("classic" if self.layout_name == "webview" else "webview")

    async def _layout(self, name: str) -> None:
        self.layout_name = name
        self.screen_stack[1].set_layout(name)
        await self.chat.add_notice(f"Layout: {name}" + (" (needs at least 90×18)" if name == "webview" else ""))

    async def cmd_inspector(self, _arg: str) -> None:
        await self.action_toggle_inspector()

    async def action_toggle_inspector(self) -> None:
        main = self.screen_stack[1]
        main.toggle_class("-no-inspector")
        state = "disabled" if main.has_class("-no-inspector") else "enabled"
        await self.chat.add_notice(f"Inspector pane {state}. Press F3 to toggle quickly.")

    async def cmd_refresh(self, _arg: str) -> None:
        self.refresh_sidebar()
        await self.chat.add_notice("Workspace and session cache refreshed.")

    def action_toggle_tools(self) -> None:
        """Ctrl+O: show or hide every tool call's arguments, output and diff."""
        self.chat.toggle_tools()

    async def action_help(self) -> None:
        await self.cmd_help("")

    def action_scroll_chat(self, lines: int) -> None:
        self.chat.scroll_relative(y=lines, animate=False)

    def action_scroll_chat_page(self, fraction: float) -> None:
        self.chat.scroll_relative(y=int(self.chat.size.height * fraction) or 1, animate=False)

    def action_history_search(self) -> None:
        """Ctrl+R: search the prompts sent so far; the one picked goes back into the input."""
        prompt = self.screen.query_one(PromptInput)
        history = list(dict.fromkeys(reversed(prompt.sent)))
        if history:
            self.push_screen(ModelPicker(history, None, title="Search history"), prompt.recall)

    # ----- swarm and Ralph

    async def cmd_view(self, _arg: str) -> None:
        await self.action_swarm_view()

    async def action_swarm_view(self) -> None:
        if self.swarm_feed is None:
            await self.chat.add_notice("No swarm has run yet: /swarm <task> starts one.")
        elif isinstance(self.screen, SwarmView):
            self.pop_screen()
        else:
            self.push_screen(SwarmView(self.swarm_feed))

    async def cmd_swarm(self, arg: str) -> None:
        if not arg:
            await self.action_swarm_view()
            return
        self.swarm_feed = SwarmFeed(arg)
        self.push_screen(SwarmView(self.swarm_feed))
        self.run_worker(self._swarm(self.swarm_feed), group="swarm", exclusive=True)

    async def _swarm(self, feed: SwarmFeed) -> None:
        from codetether.config.swarm import swarm_config
        from codetether.swarm.result import text_summary
        from codetether.swarm.runner import run_swarm

        def report(message: str, progress: object) -> None:
            feed.report(message, progress)
            self.runs_changed()

        def observe(event) -> None:
            feed.observe(event)
            self.runs_changed()

        try:
            cfg = swarm_config(self.config.extra, str(self.config.path or "config"))
            result = await run_swarm(self.config, cfg, feed.task, cwd=self.cwd, model_id=self.model_id,
                                     report=report, observe=observe)
            feed.finish(result.success, text_summary(result))
        except CodetetherError as exc:
            feed.finish(False, "Swarm error: " + redact(exc.render()))
        self.runs_changed()
        await self.chat.add_notice(feed.finished or "", "info")

    async def cmd_ralph(self, arg: str) -> None:
        from codetether.ralph.prd import Prd

        path = (self.cwd / (arg or "prd.json")).resolve()
        if not path.is_file():
            await self.chat.add_notice(f"PRD file not found: {path}", "error")
            return
        try:
            prd = Prd.load(path)
        except CodetetherError as exc:
            await self.chat.add_notice(redact(exc.render()), "error")
            return
        self.ralph_feed = RalphFeed.from_stories(path.name, [(s.id, s.title, s.passes) for s in prd.stories])
        self.push_screen(RalphView(self.ralph_feed))
        self.run_worker(self._ralph(self.ralph_feed, path), group="ralph", exclusive=True)

    async def _ralph(self, feed: RalphFeed, path: Path) -> None:
        from codetether.ralph.loop import RalphLoop, RalphOptions

        def log(line: str) -> None:
            feed.line(line)
            self.runs_changed()

        def observe(event) -> None:
            feed.observe(event)
            self.runs_changed()

        model = self.session.prepared.resolved.id if self.session else self.model_id
        try:
            await RalphLoop(self.config, RalphOptions(path, model_id=model), log=log, observe=observe).run()
        except CodetetherError as exc:
            feed.finished = "Ralph error: " + redact(exc.render())
        self.runs_changed()
        await self.chat.add_notice(feed.finished or "Ralph ended.", "info")

    def runs_changed(self) -> None:
        """Redraw the swarm or Ralph view (or an item's detail) if it is showing; feeds change on the app's loop."""
        if isinstance(self.screen, SwarmView | RalphView | SubtaskDetail | StoryDetail):
            self.screen.redraw()

    async def _idle(self, what: str) -> bool:
        if self.busy:
            await self.chat.add_notice(f"{what} waits for the running turn; press Esc to stop it.")
            return False
        return True

    def _project_sessions(self) -> list:
        run = self.session
        if run is None:
            return []
        return run.store.list(run.project.ids, limit=50)
