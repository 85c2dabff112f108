"""The Textual app: one SessionRun, its turns run as a worker, its events rendered on the main screen."""

from __future__ import annotations

import asyncio
import gc
from functools import partial
from pathlib import Path

from textual.app import App
from textual.binding import Binding
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from codetether.agent import events as ev
from codetether.attachments import mention_attachments
from codetether.config.load import Config
from codetether.errors import CodetetherError
from codetether.images import images_in_text
from codetether.provider.pricing import cost_usd
from codetether.secrets.redact import redact
from codetether.session.turn import SessionRun
from codetether.tool.support.permission import Approvals
from codetether.tui import themes
from codetether.tui.actions import SlashActions
from codetether.tui.bridge import AgentEvent, approver, asker, event_sink
from codetether.tui.screens.main import MainScreen
from codetether.tui.slash import as_prompt
from codetether.tui.widgets.chat import ChatLog
from codetether.tui.widgets.prompt import PromptInput
from codetether.tui.widgets.sidebar import Inspector, Sidebar
from codetether.tui.widgets.status import StatusBar

WELCOME = "Welcome to CodeTether Agent! Type a request, or /help (F1) for keys and commands."
AGENTS = ("build", "plan", "explore")
HISTORY_SLICE = 250  # messages added to the transcript between two turns of the event loop


def checkpoint(path: Path) -> None:
    """Fold the session database's write-ahead log into it, on a connection of its own (run in a thread): left
    to SQLite, the checkpoint's fsync happens inside whichever commit crosses 1,000 pages, on the event loop,
    and stalls the screen (~65 ms seen after resuming a long session)."""
    import sqlite3

    try:
        with sqlite3.connect(path, timeout=5) as db:
            db.execute("PRAGMA wal_checkpoint(PASSIVE)")
    except sqlite3.Error:
        pass  # a busy or missing database: SQLite checkpoints on its own later


def settle_heap() -> None:
    """Collect now, between turns, then freeze what survived: the conversation, the transcript and the modules
    are long-lived, and a full collection that walks them all mid-stream stalls the screen for ~0.1-0.5 s."""
    gc.collect()
    gc.freeze()


class CodetetherApp(SlashActions, App[None]):
    CSS_PATH = "styles/app.tcss"
    TITLE = "CodeTether Agent"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("ctrl+c", "ctrl_c", "Stop/Quit", priority=True),
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("escape", "interrupt", "Stop turn"),
        Binding("tab", "cycle_agent", "Agent", priority=True),
        Binding("ctrl+p,f4", "model_picker", "Model"),  # Ctrl+M arrives as Enter in most terminals
        Binding("ctrl+o", "toggle_tools", "Tool details"),
        Binding("ctrl+b", "toggle_layout", "Layout"),
        Binding("f3", "toggle_inspector", "Inspector"),
        Binding("f2,ctrl+s", "swarm_view", "Swarm"),
        Binding("f1", "help", "Help"),
        Binding("ctrl+r", "history_search", "History", show=False),
        Binding("alt+j", "scroll_chat(3)", show=False),
        Binding("alt+k", "scroll_chat(-3)", show=False),
        Binding("alt+d", "scroll_chat_page(0.5)", show=False),
        Binding("alt+u", "scroll_chat_page(-0.5)", show=False),
    ]

    def __init__(self, config: Config, cwd: Path, *, model_id: str | None = None, agent_name: str | None = None,
                 session_ref: str | None = None, assume_yes: bool = False, max_steps: int | None = None,
                 theme_files: themes.ThemeFiles | None = None) -> None:
        super().__init__()
        self.config, self.cwd = config, cwd
        self.model_id, self.agent_name, self.session_ref = model_id, agent_name, session_ref
        self.assume_yes, self.max_steps = assume_yes, max_steps
        self.session: SessionRun | None = None
        self.turn_worker: Worker | None = None
        self.layout_name = "webview"
        self.theme_files = theme_files or themes.ThemeFiles()
        self.usage_total = 0
        self.current_tool = "-"
        self.run_session_id: str | None = None  # the last session used, for the "continue with" line
        self.quitting = False  # set once quitting starts: nothing more is drawn into a closing screen
        self._shown: dict[str, object] = {}  # what the chrome shows now, so unchanged text is not redrawn

    # ----- start and stop

    async def on_mount(self) -> None:
        for theme in themes.PRESETS:
            self.register_theme(theme)
        self.theme = themes.DARK.name
        await self.push_screen(MainScreen())
        await self.reload_themes()  # theme files first: ui.theme may name one
        self.apply_config_theme(self.config)
        self.set_interval(2.0, self.reload_themes)  # theme files; the config too when ui.hot_reload is on
        for warning in self.config.warnings:
            self._warn_once(warning)
        await self.chat.add_notice(WELCOME)
        self.refresh_status()
        # The session (Vault, provider, tools, history) opens once the first frame is on screen.
        self.call_after_refresh(self.run_worker, self.open_session(self.session_ref, self.model_id), group="open",
                                exclusive=True)
        self.ask_crash_consent()

    async def open_session(self, session_ref: str | None, model_id: str | None) -> bool:
        """(Re)open the SessionRun: a new session, or `session_ref` resumed; errors are shown, not raised."""
        await self.close_session()
        try:
            run = await SessionRun.open(
                self.config, cwd=self.cwd, model_id=model_id, session_ref=session_ref,
                agent_name=None if session_ref else (self.agent_name or "build"), sink=event_sink(self),
                max_steps=self.max_steps, approvals=Approvals(self.assume_yes, approver(self)), ask_user=asker(self))
        except CodetetherError as exc:
            await self.chat.add_notice(redact(exc.render()), "error")
            return False
        self.session = run
        self.agent_name = run.prepared.agent.settings.agent
        if run.info is not None:
            await self.show_history(run)
        self.refresh_status()
        self.refresh_sidebar()
        settle_heap()
        self.run_worker(partial(checkpoint, run.store.path), group="checkpoint", thread=True)
        return True

    async def show_history(self, run: SessionRun) -> None:
        chat = self.chat
        await chat.clear_log()
        for number, message in enumerate(run.prepared.agent.messages, 1):
            if message.role == "user" and message.text_content:
                await chat.add_user(message.text_content)
            elif message.role == "assistant":
                if message.text_content:
                    await chat.add_markdown(message.text_content)
                for call in message.tool_calls:
                    await chat.add_notice(f"[Tool: {call.name}] {call.arguments[:200]}")
            if number % HISTORY_SLICE == 0:
                await asyncio.sleep(0)  # a long history is added in slices: keys and frames go on meanwhile
        count = len([m for m in run.prepared.agent.messages if m.role != "system"])
        await chat.add_notice(f"Resumed session: {run.info.title or '(untitled)'}\n{count} messages loaded")

    async def close_session(self) -> None:
        run, self.session = self.session, None
        if run is not None:
            self.run_session_id = run.session_id or self.run_session_id
            await run.aclose()

    async def action_quit(self) -> None:
        self.quitting = True
        await self.stop_turn(wait=True)  # the turn records its end before the session store closes
        await self.close_session()
        self.exit()

    async def action_ctrl_c(self) -> None:
        """The first press stops a running turn; a second one (or one while idle) quits."""
        worker = self.turn_worker
        if self.busy and not getattr(worker, "_ctrl_c", False):
            worker._ctrl_c = True  # type: ignore[union-attr]
            await self.stop_turn()
            await self.chat.add_notice("Stopping the turn… (Ctrl+C again quits)")
        else:
            await self.action_quit()

    # ----- turns

    @property
    def chat(self) -> ChatLog:
        return self.screen_stack[1].query_one(ChatLog) if len(self.screen_stack) > 1 else self.query_one(ChatLog)

    @property
    def project_root(self) -> Path:
        """Where `@path` mentions are resolved: the session's project root, else the directory opened."""
        return self.session.project.root if self.session is not None else self.cwd

    @property
    def busy(self) -> bool:
        return self.turn_worker is not None and not self.turn_worker.is_finished

    async def on_prompt_input_submitted(self, message: PromptInput.Submitted) -> None:
        if await self.handle_slash(message.text):
            return
        if self.busy:
            await self.chat.add_notice("A turn is running; wait for it or press Esc to stop it.")
            return
        if self.session is None:
            await self.chat.add_notice("No session is open (see the error above; fix it, then /new).", "error")
            return
        text = as_prompt(message.text)
        try:
            attached, notes = mention_attachments(text, self.project_root)
            images, names = images_in_text(text, self.project_root)
        except CodetetherError as exc:  # a mentioned file that is not text: say so, send nothing
            await self.chat.add_notice(redact(exc.render()), "error")
            return
        images += message.images
        await self.chat.add_user(text)
        for note in notes:
            await self.chat.add_notice(note, "error")
        if images:
            pasted = [f"pasted image {n}" for n in range(1, len(message.images) + 1)]
            await self.chat.add_notice(f"(attached {len(images)} image(s): {', '.join(names + pasted)})")
        gc.freeze()  # what exists now outlives the turn: collections while it streams walk only what it allocates
        self.turn_worker = self.run_worker(self._turn(self.session, text + attached, images), group="turn",
                                           exclusive=True)
        self.refresh_status()

    async def _turn(self, run: SessionRun, text: str, images: list | None = None) -> None:
        note = None
        try:
            result = await run.turn(text, images)
        except asyncio.CancelledError:
            note = "(turn stopped)"
            raise
        except CodetetherError as exc:
            await self.chat.add_notice(redact(exc.render()), "error")
            return
        finally:
            self.current_tool = "-"
            self.call_later(self.after_turn, note)
        if result.exit_reason is ev.ExitReason.MAX_STEPS:
            await self.chat.add_notice(f"Stopped after {result.steps} steps (the step limit).")

    async def after_turn(self, note: str | None = None) -> None:
        if self.quitting:  # checked when it runs: a quit may have started since the turn ended
            return
        await self.chat.end_text()
        if note:
            await self.chat.add_notice(note)
        self.refresh_status()
        self.refresh_sidebar()
        settle_heap()
        if self.session is not None:
            self.run_worker(partial(checkpoint, self.session.store.path), group="checkpoint", thread=True)

    async def stop_turn(self, wait: bool = False) -> None:
        worker = self.turn_worker
        if worker is not None and not worker.is_finished:
            worker.cancel()  # CancelledError reaches the loop, which records the turn as "cancelled"
            if wait:
                try:
                    await worker.wait()
                except (WorkerCancelled, WorkerFailed):
                    pass

    async def action_interrupt(self) -> None:
        if self.busy:
            await self.stop_turn()

    async def on_agent_event(self, message: AgentEvent) -> None:
        if self.quitting:
            return
        event, chat = message.event, self.chat
        if isinstance(event, ev.TextChunk):
            await chat.text_chunk(event.text)
        elif isinstance(event, ev.TextComplete):
            await chat.text_complete(event.text)
        elif isinstance(event, ev.ToolCallStarted):
            self.current_tool = event.name
            await chat.tool_started(event)
        elif isinstance(event, ev.ToolCallCompleted):
            self.current_tool = "-"
            await chat.tool_completed(event)
        elif isinstance(event, ev.UsageUpdated):
            self.update_usage(event)
        elif isinstance(event, ev.AgentError):
            await chat.add_notice(f"error: {event.message}", "error")
        elif isinstance(event, ev.Notice):
            await chat.add_notice(event.text, "error" if event.kind == "warning" else "")
        elif isinstance(event, ev.ContextTruncated):
            await chat.add_notice(f"(context trimmed: {event.removed_messages} older messages left out)")
        elif isinstance(event, ev.CompactionCompleted):
            await chat.add_notice(f"(compacted {event.messages_summarised} older messages into a summary)")
        elif isinstance(event, (ev.ToolCallRepaired, ev.LoopDetected, ev.ContextLimitLearned)):
            await chat.add_notice(f"({ev.notice(event)})")
        elif isinstance(event, ev.RunCompleted):
            await chat.end_text()
        self.refresh_status()

    def update_usage(self, event: ev.UsageUpdated) -> None:
        run = self.session
        if run is None:
            return
        info = self.screen_stack[1].query_one(StatusBar).info if len(self.screen_stack) > 1 else None
        if info is None:
            return
        info.tokens = event.total.total_tokens
        info.cost = cost_usd(run.prepared.resolved.model, event.total)
        window = run.prepared.agent.settings.context_window or 1
        info.context_pct = 100.0 * event.usage.prompt_tokens / window

    # ----- chrome

    def refresh_status(self) -> None:
        if len(self.screen_stack) < 2:
            return
        main = self.screen_stack[1]
        bar = main.query_one(StatusBar)
        run = self.session
        bar.info.busy = self.busy
        bar.info.agent = run.prepared.agent.settings.agent if run else (self.agent_name or "build")
        if run is not None:
            bar.info.model, bar.info.branch = run.prepared.resolved.id, run.project.branch
        sid = run.session_id[:8] if run and run.session_id else "new"
        title = (run.info.title if run and run.info else "") or "Workspace Chat"
        messages = len(run.prepared.agent.messages) if run else 0
        # Called for every streamed event: a widget is touched only when its text changes (an update re-lays
        # out the screen).
        texts = {"status": bar.info.line(),
                 "#header": f"{title}  #{sid}  {bar.info.model}  ⎇ {bar.info.branch or '-'}",
                 "#chat-title": f" Chat [{bar.info.agent}] ",
                 "inspector": ("Processing" if self.busy else "Idle", self.current_tool, sid, messages,
                               bar.info.agent)}
        changed = {key for key, text in texts.items() if self._shown.get(key) != text}
        self._shown.update(texts)
        if "status" in changed:
            bar.show()
        for key in changed & {"#header", "#chat-title"}:
            main.query_one(key).update(texts[key])
        if "inspector" in changed:
            main.query_one(Inspector).show(*texts["inspector"])

    def refresh_sidebar(self) -> None:
        if len(self.screen_stack) < 2 or self.session is None:
            return
        run = self.session
        try:
            recent = run.store.list(run.project.ids, limit=6)
        except Exception:  # the sidebar is a convenience; a locked database must not break the chat
            recent = []
        rows = [(s.id, s.title or "(untitled)", s.id == run.session_id) for s in recent]
        self.screen_stack[1].query_one(Sidebar).refresh_entries(run.project.root, rows)

    async def reload_themes(self) -> None:
        changed, errors = self.theme_files.scan()
        for theme in changed:
            self.register_theme(theme)
            if theme.name == self.theme:  # re-apply so an edited active theme shows at once
                self._activate(theme.name, reapply=True)
        for error in errors:
            self.notify(error, severity="error", timeout=8)
        if self.config.get("ui.hot_reload"):
            self.reload_config()

    def reload_config(self) -> None:
        """ui.hot_reload: read the config files again; a changed ui.theme or ui.custom_theme applies at once."""
        from codetether.config.load import load

        try:
            fresh = load(project=self.cwd, warn=self._warn_once)
        except CodetetherError as exc:  # mid-edit: say so once, keep what is showing
            self._warn_once(exc.message, "error")
            return
        self.config.values.update({k: v for k, v in fresh.values.items() if k.startswith("ui.")})
        self.apply_config_theme(fresh)

    def apply_config_theme(self, config: Config) -> None:
        ui = (str(config.get("ui.theme") or "dark"), dict(config.get("ui.custom_theme") or {}))
        if ui == getattr(self, "_ui_theme", None):
            return
        self._ui_theme = ui
        theme, problems = themes.config_theme(*ui, self.available_themes)
        if theme.name == themes.CUSTOM:
            self.register_theme(theme)
        self._activate(theme.name, reapply=theme.name == themes.CUSTOM)
        for problem in problems:
            self._warn_once(problem, "warning")

    def _activate(self, name: str, reapply: bool = False) -> None:
        if reapply and name == self.theme:  # the same name with new colours: switch away and back to repaint
            self.theme = themes.DARK.name if name != themes.DARK.name else themes.LIGHT.name
        self.theme = name

    def _warn_once(self, message: str, severity: str = "warning") -> None:
        shown = self.__dict__.setdefault("_shown_warnings", set())
        if message not in shown:
            shown.add(message)
            self.notify(message, severity=severity, timeout=8)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Tab and the chat keys belong to the chat screen; in dialogs Tab moves focus as usual.
        if action in ("cycle_agent", "model_picker", "interrupt", "toggle_layout", "toggle_inspector", "toggle_tools"):
            if action == "cycle_agent" and isinstance(self.screen, MainScreen):
                popup = self.screen.query_one(PromptInput).mentions
                return not (popup is not None and popup.open)  # Tab accepts the highlighted `@path`
            return isinstance(self.screen, MainScreen)
        return True
