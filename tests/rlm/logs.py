"""A deterministic application log of any size with a known number of ERROR lines of three kinds."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

ERROR_KINDS = {
    "db": "ERROR [db] connection timeout after 30s host=db-{n}",
    "auth": "ERROR [auth] invalid token for user u{n}",
    "disk": "ERROR [disk] write failed: no space left on device /var/data/{n}",
}
NOISE = ("INFO  [api] GET /v1/items/{n} 200 {ms}ms req={req}", "INFO  [api] POST /v1/orders 201 {ms}ms req={req}",
         "DEBUG [cache] hit ratio 0.{ms} over {n} keys", "WARN  [api] retrying after upstream error req={req}")


def make_log(target_bytes: int, errors: dict[str, int], seed: int = 5) -> str:
    """About target_bytes of log; errors maps each kind to how many of its ERROR lines to place at random."""
    rng = random.Random(seed)
    approx_lines = max(sum(errors.values()) + 1, target_bytes // 72)
    slots = rng.sample(range(approx_lines), sum(errors.values()))
    kinds = [k for k, n in errors.items() for _ in range(n)]
    placed = dict(zip(sorted(slots), kinds, strict=True))
    start = datetime(2024, 5, 1, 8, 0, 0)
    out = []
    for i in range(approx_lines):
        stamp = (start + timedelta(milliseconds=i * 250)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        template = ERROR_KINDS[placed[i]] if i in placed else NOISE[rng.randrange(len(NOISE))]
        out.append(f"{stamp} {template.format(n=rng.randrange(10_000), ms=rng.randrange(1, 999), req=f'{i:08x}')}")
    return "\n".join(out) + "\n"
