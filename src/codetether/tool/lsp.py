"""The lsp tool: definition, references, hover, symbols, completion and diagnostics from a real language server."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult, description_for
from codetether.tool.support.fsutil import read_bytes

MAX_ITEMS = 100
HOVER_CHARS = 2000
ACTIONS = {  # normalised spelling -> (canonical name, LSP method, server capability)
    "gotodefinition": ("goToDefinition", "textDocument/definition", "definitionProvider"),
    "findreferences": ("findReferences", "textDocument/references", "referencesProvider"),
    "hover": ("hover", "textDocument/hover", "hoverProvider"),
    "documentsymbol": ("documentSymbol", "textDocument/documentSymbol", "documentSymbolProvider"),
    "workspacesymbol": ("workspaceSymbol", "workspace/symbol", "workspaceSymbolProvider"),
    "gotoimplementation": ("goToImplementation", "textDocument/implementation", "implementationProvider"),
    "completion": ("completion", "textDocument/completion", "completionProvider"),
    "diagnostics": ("diagnostics", "", ""),
}
ALIASES = {"definition": "gotodefinition", "references": "findreferences", "implementation": "gotoimplementation",
           "documentsymbols": "documentsymbol", "workspacesymbols": "workspacesymbol", "completions": "completion",
           "diagnostic": "diagnostics"}
POSITIONAL = {"goToDefinition", "findReferences", "hover", "goToImplementation", "completion"}

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "action": {"type": "string", "description": "goToDefinition, findReferences, hover, documentSymbol, "
                   "workspaceSymbol, goToImplementation, completion or diagnostics"},
        "path": {"type": "string", "description": "The file (for workspaceSymbol: any file of the language)"},
        "file_path": {"type": "string", "description": "Alias of path"},
        "line": {"type": "integer", "minimum": 1, "description": "1-based line"},
        "column": {"type": "integer", "minimum": 1, "description": "1-based column (characters)"},
        "query": {"type": "string", "description": "workspaceSymbol: the name to look for"},
        "include_declaration": {"type": "boolean", "description": "findReferences: list the declaration too "
                                "(default true)"},
    },
    "required": ["action"],
}


def _action(raw: str) -> tuple[str, str, str]:
    key = raw.replace("-", "").replace("_", "").replace(" ", "").lower()
    key = ALIASES.get(key, key)
    if key not in ACTIONS:
        raise ToolError(f"'action' {raw!r} is not known; use one of "
                        + ", ".join(name for name, _, _ in ACTIONS.values()))
    return ACTIONS[key]


async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    from codetether.config.load import load
    from codetether.errors import ConfigError
    from codetether.lsp.client import LspError
    from codetether.lsp.manager import get_manager, server_for

    name, method, capability = _action(args["action"])
    raw_path = args.get("path") or args.get("file_path")
    if not raw_path and name != "workspaceSymbol":
        raise ToolError(f"missing required field 'path' (the file for {name})")
    path = ctx.resolve(raw_path) if raw_path else None
    if path is not None and not path.is_file():
        raise ToolError(f"'path' {raw_path!r} is not a file" if path.exists() else f"'path' {raw_path!r} does not exist")
    if name == "workspaceSymbol" and not (args.get("query") or "").strip():
        raise ToolError("missing required field 'query' (the symbol name to look for)")
    lines = _lines(path, ctx.confinement(path)) if path else []
    position = _position(args, lines) if name in POSITIONAL else None
    try:
        configured = (ctx.config or load()).lsp_servers
    except ConfigError as exc:
        raise ToolError(exc.render().removeprefix("error: ")) from None
    manager = get_manager()
    try:
        language, command = server_for(path or Path("x.py"), configured)
        root = ctx.root if path is None or ctx.root in path.parents else path.parent
        client = await manager.client(language, command, root, ctx.sandbox, user=ctx)
        if capability and not client.capabilities.get(capability):
            raise ToolError(f"the {language} language server (`{command[0]}`) does not support {name}")
        uri = await manager.sync(client, path) if path else ""
        if name == "diagnostics":
            return _diagnostics(ctx, path, await manager.diagnostics(client, uri), lines)
        params: dict[str, Any] = {"textDocument": {"uri": uri}}
        if position is not None:
            params["position"] = position
        if name == "findReferences":
            params["context"] = {"includeDeclaration": args.get("include_declaration", True) is not False}
        if name == "workspaceSymbol":
            params = {"query": args["query"].strip()}
        result = await client.request(method, params)
    except LspError as exc:
        raise ToolError(str(exc)) from None
    return ToolResult(_render(name, result, ctx), metadata={"action": name, "language": language})


def _lines(path: Path, root: Path | None) -> list[str]:
    """The file's lines, read beneath the workspace when it is inside it."""
    return read_bytes(path, root).decode("utf-8", "replace").splitlines()


def _position(args: dict[str, Any], lines: list[str]) -> dict[str, int]:
    """A 1-based (line, column in characters) turned into LSP's 0-based line and UTF-16 offset."""
    for field in ("line", "column"):
        if args.get(field) is None:
            raise ToolError(f"missing required field '{field}' (1-based) for {args['action']}")
    line, column = int(args["line"]), int(args["column"])
    if line > max(len(lines), 1):
        raise ToolError(f"'line' {line} is past the end of the file ({len(lines)} lines)")
    text = lines[line - 1] if lines else ""
    if column > len(text) + 1:
        raise ToolError(f"'column' {column} is past the end of line {line} ({len(text)} characters)")
    return {"line": line - 1, "character": len(text[:column - 1].encode("utf-16-le")) // 2}


class _Files:
    """Reads each result file once, to turn UTF-16 offsets back into columns and to show the line."""

    def __init__(self) -> None:
        self.cache: dict[Path, list[str]] = {}

    def line(self, ctx: ToolContext, path: Path, number: int) -> str:
        """A result's line: only for files in the workspace (a language server names whatever it likes),
        read so no symlink leads the read elsewhere."""
        if path not in self.cache:
            root = ctx.confinement(path)
            try:
                self.cache[path] = _lines(path, root) if root is not None else []
            except OSError:
                self.cache[path] = []
        lines = self.cache[path]
        return lines[number] if 0 <= number < len(lines) else ""

    def where(self, ctx: ToolContext, uri: str, start: dict[str, int], snippet: bool = True) -> str:
        path = _uri_path(uri)
        text = self.line(ctx, path, start.get("line", 0))
        column = _column(text, start.get("character", 0))
        shown = f"{ctx.display(path)}:{start.get('line', 0) + 1}:{column}"
        return f"{shown}: {text.strip()[:200]}" if snippet and text.strip() else shown


def _uri_path(uri: str) -> Path:
    parsed = urlparse(uri)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else Path(uri)


def _column(text: str, utf16: int) -> int:
    units = 0
    for index, char in enumerate(text):
        if units >= utf16:
            return index + 1
        units += 2 if ord(char) > 0xFFFF else 1
    return len(text) + 1


def _render(name: str, result: Any, ctx: ToolContext) -> str:
    files = _Files()
    if result is None or result == []:
        return f"{name}: no results"
    if name == "hover":
        return _hover_text(result.get("contents")) or "hover: no information"
    if name == "completion":
        items = result.get("items", []) if isinstance(result, dict) else result
        rows = [f"{i.get('label')}" + (f"  ({i['detail']})" if i.get("detail") else "") for i in items[:MAX_ITEMS]]
        return "\n".join(rows + _more(len(items)))
    if name in ("documentSymbol", "workspaceSymbol"):
        rows: list[str] = []
        _symbols(result, ctx, files, rows, 0)
        return "\n".join(rows[:MAX_ITEMS] + _more(len(rows)))
    items = result if isinstance(result, list) else [result]
    rows = []
    for item in items[:MAX_ITEMS]:
        uri = item.get("targetUri") or item.get("uri", "")
        span = item.get("targetSelectionRange") or item.get("range") or {}
        rows.append(files.where(ctx, uri, span.get("start", {})))
    return "\n".join(rows + _more(len(items)))


def _more(count: int) -> list[str]:
    return [f"[{count - MAX_ITEMS} more not shown]"] if count > MAX_ITEMS else []


SYMBOL_KINDS = {1: "file", 2: "module", 3: "namespace", 4: "package", 5: "class", 6: "method", 7: "property",
                8: "field", 9: "constructor", 10: "enum", 11: "interface", 12: "function", 13: "variable",
                14: "constant", 23: "struct", 26: "type parameter"}


def _symbols(items: list[dict[str, Any]], ctx: ToolContext, files: _Files, rows: list[str], depth: int) -> None:
    for item in items:
        kind = SYMBOL_KINDS.get(item.get("kind", 0), "symbol")
        if "location" in item:  # SymbolInformation: flat, with its own location
            where = files.where(ctx, item["location"]["uri"], item["location"]["range"]["start"], snippet=False)
        else:  # DocumentSymbol: hierarchical, positions in the file asked about
            where = f"line {item.get('selectionRange', item.get('range', {})).get('start', {}).get('line', 0) + 1}"
        container = f" in {item['containerName']}" if item.get("containerName") else ""
        rows.append(f"{'  ' * depth}{kind} {item.get('name')}{container}  {where}")
        _symbols(item.get("children") or [], ctx, files, rows, depth + 1)


def _hover_text(contents: Any) -> str:
    if isinstance(contents, list):
        return "\n\n".join(filter(None, (_hover_text(c) for c in contents)))
    if isinstance(contents, dict):
        contents = contents.get("value", "")
    text = str(contents or "").strip()
    return text if len(text) <= HOVER_CHARS else text[:HOVER_CHARS] + "\n[hover text trimmed]"


SEVERITY = {1: "error", 2: "warning", 3: "info", 4: "hint"}


def _diagnostics(ctx: ToolContext, path: Path, items: list[dict[str, Any]], lines: list[str]) -> ToolResult:
    rows = []
    for item in sorted(items, key=lambda d: (d["range"]["start"]["line"], d["range"]["start"]["character"])):
        start = item["range"]["start"]
        text = lines[start["line"]] if start["line"] < len(lines) else ""
        source = f" [{item['source']}]" if item.get("source") else ""
        rows.append(f"{ctx.display(path)}:{start['line'] + 1}:{_column(text, start['character'])} "
                    f"{SEVERITY.get(item.get('severity', 1), 'error')}{source} {item.get('message', '').strip()}")
    out = "\n".join(rows[:MAX_ITEMS] + _more(len(rows))) if rows else f"no diagnostics for {ctx.display(path)}"
    return ToolResult(out, metadata={"action": "diagnostics", "count": len(rows)})


TOOL = Tool(name="lsp", description=description_for(__file__), parameters=PARAMETERS, run=run, read_only=True)
