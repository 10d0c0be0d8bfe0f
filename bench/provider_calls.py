#!/usr/bin/env python
"""What a provider call costs the worker around the provider's answer, over HTTP and HTTPS.

    .venv/bin/python bench/provider_calls.py [--calls 100]

Calls DeepInfra's native endpoint (``DeepInfraProvider.generate``, one 1024×768 image, each
call in its own provider call as the worker makes it) ``--calls`` times one after another,
against the DeepInfra emulator answering at once on loopback: once over plain HTTP, once
over HTTPS with a throwaway certificate (tests/tls.py) that the providers' TLS context
trusts through ``SSL_CERT_FILE``. Prints per call: wall time p50/p95 and the calling
thread's CPU time p50 (ms; the emulator runs on other threads of this process), and how
many TCP connections the emulator saw. Loopback has no round-trip time: against a real
provider, each new connection also waits one round trip for TCP and one for TLS 1.3.
No database is used.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from common import machine, percentile

from fluxweb.providers import http as provider_http
from fluxweb.providers.base import GenerationRequest
from fluxweb.providers.deepinfra import DeepInfraProvider
from fluxweb.providers.network import provider_call
from tests.emulators.deepinfra import API_KEY, DeepInfraEmulator
from tests.emulators.server import serve
from tests.tls import certificate, server_context

MODEL, WIDTH, HEIGHT = "deepinfra/flux-1-schnell", 1024, 768


def run(calls: int, tls_directory: Path | None) -> str:
    """One row of the table: ``calls`` generations over HTTP, or HTTPS with a
    certificate made in ``tls_directory``."""
    tls = None
    if tls_directory is not None:
        cert_file, key_file = certificate(tls_directory)
        os.environ["SSL_CERT_FILE"] = str(cert_file)
        tls = server_context(cert_file, key_file)
    provider_http.tls_context.cache_clear()
    emulator = DeepInfraEmulator()
    with serve(emulator, tls=tls) as base_url:
        emulator.base_url = base_url
        provider = DeepInfraProvider(API_KEY, base_url)
        (model,) = [m for m in provider.models() if m.id == MODEL]
        request = GenerationRequest(model=model, prompt="a lighthouse", width=WIDTH, height=HEIGHT)
        walls, cpus = [], []
        for i in range(calls + 5):
            wall, cpu = time.perf_counter(), time.thread_time()
            with provider_call(30.0, 1 << 24):
                provider.generate(request)
            if i >= 5:  # the first few warm up imports and caches
                walls.append((time.perf_counter() - wall) * 1000)
                cpus.append((time.thread_time() - cpu) * 1000)
    connections = len({sent.client for sent in emulator.requests})
    scheme = "HTTPS" if tls else "HTTP"
    return (
        f"| {scheme} | {statistics.median(walls):.1f} / {percentile(walls, 95):.1f} ms "
        f"| {statistics.median(cpus):.1f} ms | {connections} for {len(emulator.requests)} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=100, help="calls per scheme")
    args = parser.parse_args()
    print(f"## bench/provider_calls.py: {args.calls} calls, {WIDTH}×{HEIGHT}, one at a time")
    print(machine())
    print("| scheme | wall p50 / p95 | CPU p50 (calling thread) | connections |")
    print("|---|---|---|---|")
    print(run(args.calls, None))
    with tempfile.TemporaryDirectory() as directory:
        print(run(args.calls, Path(directory)))


if __name__ == "__main__":
    main()
