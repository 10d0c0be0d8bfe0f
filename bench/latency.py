#!/usr/bin/env python
"""Overhead benchmark: submit click → image visible in the page, minus the provider's latency.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fluxweb_bench .venv/bin/python bench/latency.py

fluxweb served as in production (one uvicorn process, the Procfile's worker line) on
PostgreSQL, a DeepInfra emulator answering after a fixed latency L (0.5 s, then 2 s), and
Debian's headless Chromium logged in on the gallery. For each of 50 generations per L (after
3 warm-up ones) the page itself records, with performance.now(), the click on Generate and
the ``load`` event of the new card's image; overhead = that interval − L. Also printed from
the database clock: pickup (created → running) and the run beyond L (running → succeeded);
from the page: succeeded card inserted → its image loaded.
Target: overhead p50 ≤ 100 ms, p95 ≤ 250 ms.
"""

from __future__ import annotations

import argparse
import statistics

from common import (LOGS, MODEL, app_env, bench_user, emulator, machine, percentile, process, setup_database,
                    verdict, web, worker_args)
from playwright.sync_api import Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from fluxweb.generations.models import Generation
from tests.browser import launch_chromium

PASSWORD = "bench-password-1"
RECORDER = """() => {
  window.__bench = {click: null, loaded: {}, swapped: {}};
  new MutationObserver(() => {
    for (const card of document.querySelectorAll('article.card--succeeded')) {
      if (!(card.id in window.__bench.swapped)) window.__bench.swapped[card.id] = performance.now();
    }
  }).observe(document.body, {childList: true, subtree: true});
  document.addEventListener('click', e => {
    if (e.target.closest('#generation-form button[type=submit]')) window.__bench.click = performance.now();
  }, true);
  document.addEventListener('load', e => {
    const card = e.target.tagName === 'IMG' && e.target.closest('article.card--succeeded');
    if (card && !(card.id in window.__bench.loaded)) window.__bench.loaded[card.id] = performance.now();
  }, true);
}"""
NEW_IMAGE = """before => {
  const b = window.__bench;
  const id = Object.keys(b.loaded).find(id => !before.includes(id));
  return id ? [id, b.loaded[id] - b.click, b.loaded[id] - b.swapped[id]] : null;
}"""


def login(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/")
    page.get_by_label("Username").fill("bench")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/")


def one_generation(page: Page, i: int) -> tuple[int, float, float] | None:
    """Submit one generation; returns (generation id, click → image loaded, succeeded card
    in the page → its image loaded), times in ms; None if no image showed within 30 s."""
    form = page.locator("#generation-form")
    if form.get_by_label("Model").input_value() != MODEL:
        old_form = form.element_handle()
        form.get_by_label("Model").select_option(MODEL)
        page.wait_for_function("form => !form.isConnected", arg=old_form)
    form.get_by_label("Prompt", exact=True).fill(f"A lighthouse in a storm, oil painting, take {i}")
    form.get_by_label("Width (px)").fill("512")
    form.get_by_label("Height (px)").fill("512")
    # Cards already on the page (their images may load again when re-streamed) don't count.
    before = page.evaluate("[...document.querySelectorAll('article.card')].map(a => a.id)")
    form.get_by_role("button", name="Generate").click()
    try:
        card_id, *times = page.wait_for_function(NEW_IMAGE, arg=before, timeout=30_000).json_value()
    except PlaywrightTimeout:
        page.screenshot(path=str(LOGS / f"latency-missed-{i}.png"))
        page.reload()  # a fresh page and stream for the next one
        page.evaluate(RECORDER)
        return None
    return int(card_id.removeprefix("generation-")), *times


def run(latency: float, count: int, warmup: int, page_factory) -> list[str]:
    with emulator(latency) as (_, url):
        env = app_env(url)
        with process(worker_args(), env, f"latency-worker-{latency}"), web(env, f"latency-web-{latency}") as base_url:
            page = page_factory()
            login(page, base_url)
            page.evaluate(RECORDER)
            outcomes = [one_generation(page, i) for i in range(warmup + count)][warmup:]
            page.context.close()
    results = [r for r in outcomes if r is not None]
    overhead = [r[1] - latency * 1000 for r in results]
    image = statistics.median(r[2] for r in results)
    generations = Generation.objects.in_bulk([r[0] for r in results])
    pickup = [(g.started_at - g.created_at).total_seconds() * 1000 for g in generations.values()]
    beyond = [(g.finished_at - g.started_at).total_seconds() * 1000 - latency * 1000 for g in generations.values()]
    assert all(g.status == Generation.Status.SUCCEEDED for g in generations.values())
    p50, p95 = percentile(overhead, 50), percentile(overhead, 95)
    return [
        f"| {latency:g} s | {len(results)} (+{count - len(results)} not shown in 30 s) | {p50:.0f} ms {verdict(p50, 100)} | {p95:.0f} ms {verdict(p95, 250)} "
        f"| {statistics.median(pickup):.0f} ms | {statistics.median(beyond):.0f} ms "
        f"| {image:.0f} ms |"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50, help="measured generations per latency (default 50)")
    args = parser.parse_args()
    setup_database()
    bench_user(password=PASSWORD)
    rows: list[str] = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)

        def new_page() -> Page:
            return browser.new_context(viewport={"width": 1280, "height": 900}).new_page()

        for latency in (0.5, 2.0):
            rows += run(latency, args.count, 3, new_page)
        browser.close()
    print("## bench/latency.py: submit click → image visible, minus provider latency L")
    print(machine())
    print("1 uvicorn process + 1 worker (Procfile line: --interval 1 --threads 16), Chromium 1 tab, 512×512 images")
    print("| L | generations | overhead p50 (target ≤ 100 ms) | p95 (target ≤ 250 ms) | p50 of: pickup "
          "| run beyond L | card swapped → image loaded |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
