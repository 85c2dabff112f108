# CodeTether Agent: one image for `serve`, `worker` and the swarm's sub-agent pods (`swarm-subagent`).
#   docker build -t codetether-agent:0.1.0 .
# The tag is the one pod mode uses by default (codetether-agent:<version>) and deploy/k8s/ names.

ARG PYTHON_VERSION=3.11

# --- build: the project's wheel, and wheels for every pinned dependency (compiled here, not in the runtime) -----
FROM python:${PYTHON_VERSION}-slim AS build
WORKDIR /src
COPY pyproject.toml README.md requirements.lock requirements-nodeps.lock requirements-k8s.lock ./
COPY src ./src
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels . \
 && pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.lock -r requirements-k8s.lock \
 && pip wheel --no-cache-dir --no-deps --wheel-dir /wheels -r requirements-nodeps.lock \
 && cp requirements.lock requirements-nodeps.lock requirements-k8s.lock /wheels/

# --- runtime: the wheel and its dependencies installed offline, run as an unprivileged user -------------------
FROM python:${PYTHON_VERSION}-slim
# git: worktrees and swarm probes; ripgrep: grep's fast path; bubblewrap: the sandbox for commands the agent runs.
# Debian's versions follow the pinned base image (security updates included), so they are not pinned one by one.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ripgrep bubblewrap ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --user-group --create-home --home-dir /home/codetether --shell /usr/sbin/nologin codetether \
 && mkdir -p /workspace \
 && chown codetether:codetether /workspace
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels -r /wheels/requirements.lock \
      -r /wheels/requirements-k8s.lock \
 && pip install --no-cache-dir --no-index --find-links /wheels --no-deps -r /wheels/requirements-nodeps.lock \
 && pip install --no-cache-dir --no-index --find-links /wheels --no-deps /wheels/codetether_agent-*.whl \
 && rm -rf /wheels \
 && codetether --version
ENV HOME=/home/codetether \
    PYTHONUNBUFFERED=1
USER 10001:10001
WORKDIR /workspace
EXPOSE 4096
ENTRYPOINT ["codetether"]
CMD ["serve", "--hostname", "0.0.0.0", "--port", "4096"]
