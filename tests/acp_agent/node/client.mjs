// The official ACP TypeScript SDK's client driving `codetether acp` through the acceptance path:
// initialize -> session/new -> an edit -> a command needing permission (reject, then allow always) -> cancel
// mid-command -> a second agent process loads the session. Prints one JSON object of what it saw on stdout.
//
// usage: node client.mjs WORKSPACE -- AGENT_COMMAND [ARGS...]   (the scripted model is set up by the test)
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { Readable, Writable } from "node:stream";
import { client, ndJsonStream, PROTOCOL_VERSION } from "@agentclientprotocol/sdk";

const [workspace, dashes, command, ...args] = process.argv.slice(2);
if (!workspace || dashes !== "--" || !command) {
  console.error("usage: node client.mjs WORKSPACE -- AGENT_COMMAND [ARGS...]");
  process.exit(2);
}

function connect(state) {
  const child = spawn(command, args, { cwd: workspace, stdio: ["pipe", "pipe", "inherit"] });
  const stream = ndJsonStream(Writable.toWeb(child.stdin), Readable.toWeb(child.stdout));
  const app = client({ name: "codetether-acp-test" })
    .onNotification("session/update", ({ params }) => {
      state.updates.push(params.update);
    })
    .onRequest("session/request_permission", ({ params }) => {
      state.permissionRequests.push({ toolCallId: params.toolCall.toolCallId,
                                      kinds: params.options.map((o) => o.kind) });
      const optionId = state.answers.shift();
      return optionId ? { outcome: { outcome: "selected", optionId } } : { outcome: { outcome: "cancelled" } };
    });
  return { child, stream, app };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const text = (t) => [{ type: "text", text: t }];

async function firstProcess(result) {
  const state = { updates: [], permissionRequests: [], answers: [] };
  const { child, stream, app } = connect(state);
  await app.connectWith(stream, async (ctx) => {
    const init = await ctx.request("initialize", { protocolVersion: PROTOCOL_VERSION, clientCapabilities: {} });
    result.initialize = init;
    const session = await ctx.request("session/new", { cwd: workspace, mcpServers: [] });
    const sessionId = session.sessionId;
    result.sessionId = sessionId;
    result.modes = session.modes;

    result.edit = await ctx.request("session/prompt", { sessionId, prompt: text("fix the typo") });
    result.appAfterEdit = readFileSync(`${workspace}/app.py`, "utf8");

    state.answers.push("reject_once");
    result.rejected = await ctx.request("session/prompt", { sessionId, prompt: text("make rejected.txt") });
    state.answers.push("allow_always");
    result.allowed = await ctx.request("session/prompt", { sessionId, prompt: text("make allowed.txt") });

    state.answers.push("allow_once");
    const slow = ctx.request("session/prompt", { sessionId, prompt: text("run the slow thing") });
    for (let i = 0; i < 400 && !existsSync(`${workspace}/pid.txt`); i++) await sleep(50);
    await sleep(100);
    await ctx.notify("session/cancel", { sessionId });
    result.cancelled = await slow;

    try {
      await ctx.request("session/prompt", { sessionId: "no-such-session", prompt: text("hi") });
      result.unknownSession = "accepted";
    } catch (error) {
      result.unknownSession = { code: error.code, message: error.message };
    }
    try {
      await ctx.request("no/such_method", {});
      result.unknownMethod = "accepted";
    } catch (error) {
      result.unknownMethod = { code: error.code };
    }
    result.afterErrors = await ctx.request("session/prompt", { sessionId, prompt: text("still there?") });
  });
  child.stdin.end();
  result.firstUpdates = state.updates;
  result.permissionRequests = state.permissionRequests;
  result.firstExit = await new Promise((resolve) => child.on("exit", (code) => resolve(code)));
}

async function secondProcess(result) {
  const state = { updates: [], permissionRequests: [], answers: [] };
  const { child, stream, app } = connect(state);
  await app.connectWith(stream, async (ctx) => {
    await ctx.request("initialize", { protocolVersion: PROTOCOL_VERSION, clientCapabilities: {} });
    result.load = await ctx.request("session/load", { sessionId: result.sessionId, cwd: workspace, mcpServers: [] });
  });
  child.stdin.end();
  result.loadUpdates = state.updates;
  result.secondExit = await new Promise((resolve) => child.on("exit", (code) => resolve(code)));
}

const result = {};
await firstProcess(result);
await secondProcess(result);
process.stdout.write(JSON.stringify(result) + "\n");
