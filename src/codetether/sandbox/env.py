"""The environment a tool's process gets: what commands need to work, never a credential."""

from __future__ import annotations

import fnmatch
import functools
import os
import re
from collections.abc import Iterable, Mapping

# Passed through when set: the shell basics, locales, and the variables toolchains find themselves by.
KEEP = (
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "LC_*", "TZ", "COLORTERM", "NO_COLOR",
    "VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV", "PYENV_ROOT", "PYENV_VERSION", "PYTHONPATH",
    "PYTHONDONTWRITEBYTECODE", "PYTHONUTF8", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS",
    "PIP_CONFIG_FILE", "UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "GOPATH", "GOROOT", "GOFLAGS", "GOPROXY", "GOCACHE",
    "GOMODCACHE", "CARGO_HOME", "RUSTUP_HOME", "JAVA_HOME", "MAVEN_HOME", "GRADLE_HOME", "GRADLE_USER_HOME",
    "NODE_PATH", "NVM_DIR", "PNPM_HOME", "BUN_INSTALL", "DENO_DIR", "CC", "CXX", "CFLAGS", "CXXFLAGS", "CPPFLAGS",
    "LDFLAGS", "PKG_CONFIG_PATH", "LD_LIBRARY_PATH", "LIBRARY_PATH", "CPATH", "SSL_CERT_FILE", "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "OPENBLAS_CORETYPE", "OMP_NUM_THREADS",
    "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL",
)
# Proxies only matter, and are only passed, where the network is allowed.
NETWORK = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy",
           "all_proxy")
# Never passed by default: anything named like a credential (a configured keep pattern may name one of these).
LOOKS_SECRET = ("*TOKEN*", "*SECRET*", "*PASSWORD*", "*PASSWD*", "*_KEY", "*_KEY_*", "*APIKEY*", "*CREDENTIAL*",
                "*COOKIE*", "AWS_*", "SSH_AUTH_SOCK", "GPG_AGENT_INFO")
# Never passed at all: Vault access, codetether's own settings and tokens, provider API keys.
NEVER = ("VAULT_*", "BAO_*", "CODETETHER_*", "*_API_KEY")

# Commands run without a terminal and must never wait for one (a pager, an editor, a prompt).
NON_INTERACTIVE = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_PAGER": "cat",
    "PAGER": "cat",
    "MANPAGER": "cat",
    "GIT_EDITOR": "true",
    "EDITOR": "true",
    "VISUAL": "true",
    "DEBIAN_FRONTEND": "noninteractive",
    "PIP_NO_INPUT": "1",
    "NPM_CONFIG_YES": "true",
    "TERM": "dumb",
}


# A URL with a password in it (https://user:secret@host/...): PIP_INDEX_URL and the like often carry one.
_URL_CREDENTIALS = re.compile(r"[a-z][a-z0-9+.-]*://[^/@\s:]+:[^/@\s]+@", re.IGNORECASE)


def tool_environment(source: Mapping[str, str] | None = None, *, network: bool = False,
                     keep: Iterable[str] = ()) -> dict[str, str]:
    """The allow-listed part of `source` (the agent's environment), plus `keep` patterns from the config."""
    source = os.environ if source is None else source
    defaults, keep = (*KEEP, *(NETWORK if network else ())), tuple(keep)
    env = {name: value for name, value in source.items()
           if not _matches(name.upper(), NEVER)
           and ((_matches(name, defaults) and not _matches(name.upper(), LOOKS_SECRET)
                 and not _URL_CREDENTIALS.search(value)) or _matches(name, keep))}
    return {**env, **NON_INTERACTIVE}


def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    return _pattern(patterns).match(name) is not None


@functools.lru_cache(maxsize=64)
def _pattern(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """The patterns as one regex (fnmatch's translation): every command's environment is filtered with them."""
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns) or "(?!)")
