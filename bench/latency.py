#!/usr/bin/env python
"""Overhead benchmark: submit click → image visible in the page, minus the provider's latency.

    export BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fluxweb_bench
    .venv/bin/python bench/latency.py

fluxweb served as in production (one uvicorn process, the Procfile's worker line) on
PostgreSQL, a DeepInfra emulator answering after a fixed latency L (0.5 s, then 2 s), and
Debian's headless Chromium logged in on the gallery. For each of 50 generations per L (after
3 warm-up ones) the page itself records the click on Generate and the ``load`` event of the
new card's image; overhead = that interval − L.
Target: overhead p50 ≤ 100 ms, p95 ≤ 250 ms.

Every stage in between is timestamped too, all on this machine's one wall clock (epoch ms):
the page (``performance.timeOrigin + performance.now()``: click, request sent, submit
response, SSE event, card swapped in, image loaded), the task row (enqueued, claimed: the web
and worker clocks), the database clock (``created_at``, ``started_at``,
``provider_called_at``; ``finished_at`` is the start of the success transaction), the
emulator (request received, answer ready), this process's own ``LISTEN`` on the generations
channel (when the success transaction's NOTIFY arrived ≈ its commit) and the web process's
live-hub debug log (woke, queried and rendered, handed to the streams). The breakdown
prints p50/p95 of each consecutive stage; their p50s add up to about the total's.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from datetime import datetime

from common import (
    LOGS,
    MODEL,
    app_env,
    bench_user,
    emulator,
    machine,
    percentile,
    setup_database,
    verdict,
    web,
    worker,
)
from django_tasks_db.models import DBTaskResult
from playwright.sync_api import Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from fluxweb.generations.models import Generation
from fluxweb.queue import notify
from tests.browser import launch_chromium

PASSWORD = "bench-password-1"
RECORDER = """() => {
  const now = () => performance.timeOrigin + performance.now();
  const b = window.__bench = {
    click: null, send: null, response: null, first: {}, sse: {}, swapped: {}, loaded: {},
  };
  new MutationObserver(() => {
    for (const card of document.querySelectorAll('article.card')) {
      if (!(card.id in b.first)) b.first[card.id] = now();
      if (card.classList.contains('card--succeeded') && !(card.id in b.swapped)) {
        b.swapped[card.id] = now();
      }
    }
  }).observe(document.body, {childList: true, subtree: true});
  document.addEventListener('click', e => {
    if (e.target.closest('#generation-form button[type=submit]')) {
      b.click = now(); b.send = b.response = null;
    }
  }, true);
  window.addEventListener('htmx:beforeSend', e => {
    if (e.detail.elt && e.detail.elt.id === 'generation-form' && b.send === null) {
      b.send = now();
    }
  }, true);
  window.addEventListener('htmx:beforeOnLoad', e => {
    if (e.detail.elt && e.detail.elt.id === 'generation-form' && b.response === null) {
      b.response = now();
    }
  }, true);
  // Capturing on window: runs before gallery.js's handler swaps the card in.
  window.addEventListener('htmx:sseBeforeMessage', e => {
    const m = /id="(generation-\\d+)"/.exec(e.detail.data || '');
    if (m && /card--succeeded/.test(e.detail.data) && !(m[1] in b.sse)) b.sse[m[1]] = now();
  }, true);
  document.addEventListener('load', e => {
    const card = e.target.tagName === 'IMG' && e.target.closest('article.card--succeeded');
    if (card && !(card.id in b.loaded)) b.loaded[card.id] = now();
  }, true);
}"""
NEW_IMAGE = """before => {
  const b = window.__bench;
  const id = Object.keys(b.loaded).find(id => !before.includes(id));
  return id ? {
    id, click: b.click, send: b.send, response: b.response, sse: b.sse[id] ?? null,
    swapped: b.swapped[id] ?? null, loaded: b.loaded[id],
  } : null;
}"""
HUB_LINE = re.compile(r"live hub: woke=([\d.]+) queried=([\d.]+) sent=([\d.]+) events=(.*)$")
# (label, from, to): consecutive stages of the critical path; their p50s add up to about the
# total's.
STAGES = [
    ("click → htmx sends the submit request", "click", "send"),
    ("request sent → submit transaction begins (web: middleware, form)", "send", "created"),
    ("submit transaction begins → its task row is made (web)", "created", "enqueued"),
    ("task row → a worker claimed it (commit, NOTIFY, claim)", "enqueued", "claimed"),
    ("claimed → generation marked running (worker)", "claimed", "started"),
    ("running → provider call starts", "started", "called"),
    ("provider call → emulator has the request", "called", "received"),
    ("emulator: request → answer ready, minus L", "received", "answered"),
    (
        "answer ready → success transaction begins (worker: read, check, thumbnail, store)",
        "answered",
        "finished",
    ),
    ("success transaction → its NOTIFY arrives (commit)", "finished", "committed"),
    ("commit → live hub wakes", "committed", "woke"),
    ("hub: query + render cards", "woke", "queried"),
    ("hub: hand to streams", "queried", "sent"),
    ("hub → SSE event in the page", "sent", "sse"),
    ("SSE event → card swapped in", "sse", "swapped"),
    ("card swapped in → image loaded", "swapped", "loaded"),
]


def login(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/")
    page.get_by_label("Username").fill("bench")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/")


def prompt_for(latency: float, i: int) -> str:
    return f"A lighthouse in a storm, oil painting, L {latency:g} take {i} at {time.time():.3f}"


def one_generation(page: Page, prompt: str, i: int) -> dict | None:
    """Submit one generation; returns the page's timestamps (epoch ms) and its card id,
    or None if no image showed within 30 s."""
    form = page.locator("#generation-form")
    if form.get_by_label("Model").input_value() != MODEL:
        old_form = form.element_handle()
        form.get_by_label("Model").select_option(MODEL)
        page.wait_for_function("form => !form.isConnected", arg=old_form)
    form.get_by_label("Prompt", exact=True).fill(prompt)
    # Exact sizes are among the prompt bar's folded advanced options.
    folded = form.locator("details[data-advanced]:not([open]) > summary")
    if folded.count():
        folded.click()
    form.get_by_label("Width (px)").fill("512")
    form.get_by_label("Height (px)").fill("512")
    # Cards already on the page (their images may load again when re-streamed) don't count.
    before = page.evaluate("[...document.querySelectorAll('article.card')].map(a => a.id)")
    form.get_by_role("button", name="Generate").click()
    try:
        marks = page.wait_for_function(NEW_IMAGE, arg=before, timeout=30_000).json_value()
    except PlaywrightTimeout:
        page.screenshot(path=str(LOGS / f"latency-missed-{i}.png"))
        page.reload()  # a fresh page and stream for the next one
        page.evaluate(RECORDER)
        return None
    marks["pk"] = int(marks.pop("id").removeprefix("generation-"))
    return marks


class NotifyClock:
    """This process's own LISTEN on the generations channel: the arrival time (epoch s) of
    every NOTIFY, i.e. about when each generation transaction committed."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.listener = notify.Listener(
            [notify.GENERATIONS], lambda _payload: self.times.append(time.time())
        )

    def __enter__(self) -> NotifyClock:
        self.listener.start()
        self.listener.connected.wait(10)
        return self

    def __exit__(self, *exc) -> None:
        self.listener.stop()

    def first_after(self, moment: float) -> float | None:
        return next((t for t in self.times if t >= moment), None)


def hub_log(path) -> dict[tuple[int, str], tuple[float, float, float]]:
    """(generation id, version) → (woke, queried, sent) from the web process's debug log."""
    found = {}
    for line in path.read_text().splitlines():
        match = HUB_LINE.search(line)
        if match:
            woke, queried, sent = (float(match[i]) for i in (1, 2, 3))
            for item in match[4].split():
                pk, version = item.split("@", 1)
                found.setdefault((int(pk), version), (woke, queried, sent))
    return found


def run(
    latency: float, count: int, warmup: int, page_factory, web_env: dict[str, str]
) -> tuple[str, list[dict]]:
    web_log = f"latency-web-{latency}"
    with emulator(latency) as (fake, url), NotifyClock() as clock:
        env = app_env(url)
        with (
            worker(env, f"latency-worker-{latency}"),
            web(dict(env, LOG_LEVEL="DEBUG", **web_env), web_log) as base_url,
        ):
            page = page_factory()
            login(page, base_url)
            page.evaluate(RECORDER)
            outcomes = []
            for i in range(warmup + count):
                prompt = prompt_for(latency, i)
                marks = one_generation(page, prompt, i)
                if marks is not None:
                    marks["prompt"] = prompt
                outcomes.append(marks)
            outcomes = outcomes[warmup:]
            page.context.close()
    hub = hub_log(LOGS / f"{web_log}.log")
    results = [r for r in outcomes if r is not None]
    generations = Generation.objects.in_bulk([r["pk"] for r in results])
    tasks = {
        t.args_kwargs["args"][0]: t
        for t in DBTaskResult.objects.filter(task_path__endswith="generate_images")
        if t.args_kwargs["args"] and t.args_kwargs["args"][0] in generations
    }
    assert all(g.status == Generation.Status.SUCCEEDED for g in generations.values())
    for r in results:
        g = generations[r["pk"]]
        received, answered = fake.times.get(r["prompt"], (None, None))

        def ms(moment: datetime | float | None) -> float | None:
            if isinstance(moment, datetime):
                return moment.timestamp() * 1000
            return moment * 1000 if moment is not None else None

        committed = clock.first_after(g.finished_at.timestamp())
        woke, queried, sent = hub.get((g.pk, g.updated_at.isoformat()), (None, None, None))
        task = tasks.get(g.pk)
        r.update(
            created=ms(g.created_at),
            enqueued=ms(task and task.enqueued_at),
            claimed=ms(task and task.started_at),
            started=ms(g.started_at),
            called=ms(g.provider_called_at),
            received=ms(received),
            answered=ms(answered) - latency * 1000 if answered else None,
            finished=ms(g.finished_at),
            committed=ms(committed),
            woke=ms(woke),
            queried=ms(queried),
            sent=ms(sent),
        )
        # The emulator's sleep is L: every stage after it is shifted back by L so the
        # stages add up to the overhead.
        for key in ("finished", "committed", "woke", "queried", "sent", "sse", "swapped", "loaded"):
            if r.get(key) is not None:
                r[key] -= latency * 1000
    overhead = [r["loaded"] - r["click"] for r in results]
    p50, p95 = percentile(overhead, 50), percentile(overhead, 95)
    row = (
        f"| {latency:g} s | {len(results)} (+{count - len(results)} not shown in 30 s) "
        f"| {p50:.0f} ms {verdict(p50, 100)} | {p95:.0f} ms {verdict(p95, 250)} |"
    )
    return row, results


def breakdown(latency: float, results: list[dict]) -> list[str]:
    lines = [
        f"breakdown at L = {latency:g} s (ms; n = generations with both stamps)",
        "| stage | p50 | p95 | n |",
        "|---|---|---|---|",
    ]
    total = 0.0
    for label, start, end in STAGES:
        values = [
            r[end] - r[start]
            for r in results
            if r.get(start) is not None and r.get(end) is not None
        ]
        if not values:
            lines.append(f"| {label} | – | – | 0 |")
            continue
        median = statistics.median(values)
        total += median
        lines.append(f"| {label} | {median:.1f} | {percentile(values, 95):.1f} | {len(values)} |")
    overall = statistics.median(r["loaded"] - r["click"] for r in results)
    lines.append(f"| sum of the stages' p50 (overhead p50 is {overall:.0f}) | {total:.1f} | | |")
    side = [r["response"] - r["click"] for r in results if r.get("response") is not None]
    if side:
        lines.append(
            f"| (off the critical path) click → submit response in the page "
            f"| {statistics.median(side):.1f} | {percentile(side, 95):.1f} | {len(side)} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--count", type=int, default=50, help="measured generations per latency (default 50)"
    )
    parser.add_argument(
        "--latency", type=float, action="append", help="provider latency L in s (default 0.5 and 2)"
    )
    parser.add_argument(
        "--web-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for the web process, e.g. DJANGO_DB_POOL_MAX_SIZE=4",
    )
    args = parser.parse_args()
    setup_database()
    bench_user(password=PASSWORD)
    rows: list[str] = []
    details: list[str] = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)

        def new_page() -> Page:
            return browser.new_context(viewport={"width": 1280, "height": 900}).new_page()

        for latency in args.latency or (0.5, 2.0):
            row, results = run(
                latency, args.count, 3, new_page, dict(v.split("=", 1) for v in args.web_env)
            )
            rows.append(row)
            details += ["", *breakdown(latency, results)]
        browser.close()
    print("## bench/latency.py: submit click → image visible, minus provider latency L")
    print(machine())
    extra = f" (web: {' '.join(args.web_env)})" if args.web_env else ""
    print(
        f"1 uvicorn process{extra} + 1 worker (Procfile line: --interval 1 --threads 16), "
        "Chromium 1 tab, 512×512 images"
    )
    print("| L | generations | overhead p50 (target ≤ 100 ms) | p95 (target ≤ 250 ms) |")
    print("|---|---|---|---|")
    print("\n".join(rows))
    print("\n".join(details))


if __name__ == "__main__":
    main()
