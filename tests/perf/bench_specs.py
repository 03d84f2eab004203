"""Spec store figures: size on disk, load time of one and of all versions (cold and warm), and the
cost of checking a request body with compiled validators against openapi-core (the reference).

Run: python tests/perf/bench_specs.py
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

CREATE_BODY = {
    "Image": "busybox", "Cmd": ["echo", "hi"], "Env": None, "Labels": {}, "Tty": False, "OpenStdin": False,
    "HostConfig": {"Binds": None, "NetworkMode": "none", "MemorySwappiness": -1, "RestartPolicy": {"Name": "", "MaximumRetryCount": 0}},
    "NetworkingConfig": {"EndpointsConfig": None},
}


def fresh(code: str) -> float:
    """Seconds a snippet takes in a new interpreter (a cold cache)."""
    out = subprocess.run([sys.executable, "-c", f"import time,specs;t=time.perf_counter();{code};print(time.perf_counter()-t)"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> None:
    import specs
    from specs.validation import check_request

    files = sorted(specs.SPEC_DIR.glob("*.json.gz"))
    size = sum(f.stat().st_size for f in files)
    print(f"spec store: {len(files)} documents, {size / 1e6:.2f} MB on disk (gzip), "
          f"{sum(len(gzip.decompress(f.read_bytes())) for f in files) / 1e6:.2f} MB uncompressed")
    one = fresh("specs.load('1.41')")
    print(f"load one version, cold:  {one * 1e3:.1f} ms")
    print(f"load all versions, cold: {fresh('[specs.load(v) for v in specs.versions()]') * 1e3:.1f} ms")
    [specs.load(v) for v in specs.versions()]
    t = time.perf_counter()
    for _ in range(100):
        [specs.load(v) for v in specs.versions()]
    print(f"load all versions, warm: {(time.perf_counter() - t) / 100 * 1e6:.1f} µs")

    spec = specs.load("1.41")
    op = spec.operation("POST", "/containers/create")
    check_request(spec, op, {"name": ["x"]}, CREATE_BODY)  # compile once
    n = 2000
    t = time.perf_counter()
    for _ in range(n):
        check_request(spec, op, {"name": ["x"]}, CREATE_BODY)
    compiled = (time.perf_counter() - t) / n
    print(f"check docker create body (compiled, wire-profile split): {compiled * 1e6:.1f} µs/request")

    from openapi_core import OpenAPI
    from openapi_core.testing import MockRequest

    api = OpenAPI.from_dict(spec.doc)
    request = MockRequest("http://docker", "post", "/v1.41/containers/create", args={"name": "x"},
                          data=json.dumps({k: v for k, v in CREATE_BODY.items() if v is not None}).encode(),
                          content_type="application/json")
    m = 20
    t = time.perf_counter()
    for _ in range(m):
        try:
            api.validate_request(request)
        except Exception:
            pass
    reference = (time.perf_counter() - t) / m
    print(f"check docker create body (openapi-core reference):     {reference * 1e6:.1f} µs/request "
          f"({reference / compiled:.0f}x slower)")


if __name__ == "__main__":
    main()
