#!/usr/bin/env python
"""Gallery benchmark: 100,000 generations by 50 users, then server time and SQL queries of
the gallery page, a filtered page, a search, the next-page partial (and the prompt
history), plus the weight of a 48-card page with its thumbnails.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/fluxweb_gallery_bench  # or
    export DATABASE_URL=sqlite:///var/bench-gallery.sqlite3
    .venv/bin/python bench/gallery.py

Without DATABASE_URL it uses var/bench-gallery.sqlite3 (never the development database).
The database is migrated and filled once (bulk_create); later runs reuse it (--refill to
start again); on PostgreSQL the tables are then VACUUM ANALYZEd, as autovacuum does soon
after a bulk load (fresh statistics and visibility map). Pages are measured with warm caches
(the card, row and form caches, see docs/gallery.md), plus the gallery page with the caches
emptied before every request.
Times are measured in-process with Django's test Client (no network): the view,
templates and SQL, i.e. the server's share of a page load. Thumbnails are real
WebP files made by the app's own make_thumbnail() from photo-like 1024×1024 images.

Each row prints the 1-minute load average when it was measured, the fastest request (min)
and the median CPU time of this process per request next to p50/p95: on a shared machine the
median moves with the neighbours' load, the minimum less and the CPU time least.
``--profile`` prints a cProfile of the gallery page instead (time in templates and SQL).
The database connection stays open between requests (Django's test
client keeps it); see docs/gallery.md for what a new connection per request adds.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench-gallery.sqlite3'}")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fluxweb.settings")
os.environ.setdefault("DJANGO_MEDIA_ROOT", str(ROOT / "var" / "bench-media"))
os.environ.setdefault("DEEPINFRA_API_KEY", "bench-never-called")  # enables the FLUX model ids
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.staticfiles import finders  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.core.files.storage import default_storage  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from PIL import Image, ImageFilter  # noqa: E402

from fluxweb.gallery import views  # noqa: E402
from fluxweb.gallery.models import Favourite  # noqa: E402
from fluxweb.generations.models import GeneratedImage, Generation, Prompt  # noqa: E402
from fluxweb.generations.thumbnails import make_thumbnail  # noqa: E402
from fluxweb.providers.demo import render_placeholder  # noqa: E402

GENERATIONS = 100_000
USERS = 50
PROMPTS = 20_000
IMAGE_POOL = 96
BATCH = 5_000
RUNS = 40
WARMUP = 5
TARGET_P50_MS = 30
TARGET_QUERIES = 6
TARGET_PAGE_BYTES = 1_500_000
MODELS = [
    ("deepinfra", "deepinfra/flux-1-schnell", 0.6),
    ("deepinfra", "deepinfra/flux-1-dev", 0.3),
    ("demo", "demo/placeholder", 0.1),
]
SUBJECTS = (
    "lighthouse",
    "fox",
    "astronaut",
    "teapot",
    "castle",
    "robot",
    "heron",
    "dragon",
    "city",
    "forest",
    "cat",
    "ship",
    "mountain",
    "owl",
    "train",
    "garden",
    "violin",
    "desert",
    "whale",
    "bicycle",
    "samurai",
    "mushroom",
    "library",
    "volcano",
    "jellyfish",
    "lantern",
    "glacier",
    "market",
    "tiger",
    "kite",
)
STYLES = (
    "at dusk",
    "in the rain",
    "watercolour",
    "oil painting",
    "35mm photo",
    "isometric",
    "neon lit",
    "studio light",
    "foggy morning",
    "ukiyo-e",
    "pixel art",
    "cinematic",
    "macro shot",
    "low poly",
)
EXTRAS = (
    "highly detailed",
    "soft focus",
    "wide angle",
    "golden hour",
    "dramatic clouds",
    "minimalist",
    "vibrant colours",
    "muted palette",
    "symmetrical",
    "from above",
    "",
    "",
    "",
)


def photo_like(seed: int) -> bytes:
    """A 1024×1024 PNG with a photo's fine detail (noise over the demo picture), so
    thumbnail sizes are not flattered by flat colours."""
    import io

    base = Image.open(io.BytesIO(render_placeholder(f"bench {seed}", seed, 1024, 1024))).convert(
        "RGB"
    )
    noise = Image.effect_noise((1024, 1024), 48 + seed % 32).convert("RGB")
    picture = Image.blend(base, noise, 0.22).filter(ImageFilter.GaussianBlur(0.7))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def image_pool() -> list[tuple[str, str, int]]:
    """(original name, thumbnail name, original bytes) of IMAGE_POOL real files in storage."""
    pool = []
    for n in range(IMAGE_POOL):
        original, thumb = f"bench/{n}.png", f"bench/{n}.thumb.webp"
        if not default_storage.exists(thumb):
            data = photo_like(n)
            default_storage.save(original, ContentFile(data))
            default_storage.save(thumb, ContentFile(make_thumbnail(data)))
        pool.append((original, thumb, default_storage.size(original)))
    return pool


def fill(rng: random.Random) -> None:
    started = time.perf_counter()
    User = get_user_model()
    users = User.objects.bulk_create(
        [User(username=f"user{n:02d}", password="!") for n in range(USERS)]
    )
    users = list(User.objects.filter(username__startswith="user").order_by("pk"))
    texts = set()
    while len(texts) < PROMPTS:
        text = f"A {rng.choice(SUBJECTS)} {rng.choice(STYLES)}, {rng.choice(EXTRAS)}"
        texts.add(f"{text} #{rng.randrange(10**6)}".replace(",  #", " #"))
    prompts = Prompt.objects.bulk_create(
        [Prompt(text=t, text_hash=Prompt.hash_text(t)) for t in sorted(texts)], batch_size=BATCH
    )
    prompt_ids = list(Prompt.objects.values_list("pk", flat=True))
    pool = image_pool()
    now = timezone.now()
    year = timedelta(days=365).total_seconds()
    weights = [w for _, _, w in MODELS]
    for start in range(0, GENERATIONS, BATCH):
        rows = []
        for _ in range(min(BATCH, GENERATIONS - start)):
            provider, model, _ = rng.choices(MODELS, weights)[0]
            status = rng.choices(["succeeded", "failed", "queued"], [95, 4, 1])[0]
            created = now - timedelta(seconds=rng.random() * year)
            rows.append(
                Generation(
                    author=rng.choice(users),
                    prompt_id=rng.choice(prompt_ids),
                    provider=provider,
                    model=model,
                    width=1024,
                    height=1024,
                    num_inference_steps=4,
                    seed=rng.randrange(2**31),
                    num_images=rng.choices([1, 2, 4], [80, 15, 5])[0],
                    status=status,
                    error="the provider rejected the request" if status == "failed" else "",
                    estimated_cost_usd=Decimal("0.002"),
                    actual_cost_usd=Decimal("0.002") if status == "succeeded" else None,
                    pinned=rng.random() < 0.0005,
                    created_at=created,
                    updated_at=created,
                    started_at=created if status != "queued" else None,
                    finished_at=created + timedelta(seconds=3) if status != "queued" else None,
                )
            )
        with transaction.atomic():
            created_rows = Generation.objects.bulk_create(rows)
            images = []
            for generation in created_rows:
                if generation.status != "succeeded":
                    continue
                for index in range(generation.num_images):
                    original, thumb, size = rng.choice(pool)
                    images.append(
                        GeneratedImage(
                            generation=generation,
                            index=index,
                            file=original,
                            thumbnail=thumb,
                            content_type="image/png",
                            width=1024,
                            height=1024,
                            size_bytes=size,
                        )
                    )
            GeneratedImage.objects.bulk_create(images)
        print(f"  filled {start + len(rows):,} generations", end="\r", flush=True)
    generation_ids = list(Generation.objects.values_list("pk", flat=True))
    Favourite.objects.bulk_create(
        [
            Favourite(user=user, generation_id=pk)
            for user in users
            for pk in rng.sample(generation_ids, 200)
        ],
        batch_size=BATCH,
    )
    for start in range(0, len(prompt_ids), BATCH):
        Prompt.objects.recount(prompt_ids[start : start + BATCH])
    print(
        f"  filled {GENERATIONS:,} generations, {len(prompts):,} prompts, "
        f"{GeneratedImage.objects.count():,} images, {Favourite.objects.count():,} favourites "
        f"in {time.perf_counter() - started:.0f} s"
    )


def empty() -> None:
    Favourite.objects.all().delete()
    GeneratedImage.objects.all()._raw_delete(using="default")
    Generation.objects.all()._raw_delete(using="default")
    Prompt.objects.all()._raw_delete(using="default")
    get_user_model().objects.filter(username__startswith="user").delete()


def clear_caches() -> None:
    for alias in settings.CACHES:
        caches[alias].clear()


def measure(
    client: Client,
    url: str,
    headers: dict[str, str] | None = None,
    cold: bool = False,
    reconnect: bool = False,
) -> dict:
    """p50/p95 server time (ms) over RUNS requests, SQL queries and response bytes;
    ``cold``: the caches (rendered cards, form fields) are emptied before each request;
    ``reconnect``: the database connection is closed before each request, as Django does
    after every request with the default settings (no pool, CONN_MAX_AGE=0)."""
    for _ in range(WARMUP):
        client.get(url, headers=headers)
    times, cpu_times, sql_times = [], [], []
    for _ in range(RUNS):
        if cold:
            clear_caches()
        if reconnect:
            connection.close()
        began, began_cpu = time.perf_counter(), time.process_time()
        response = client.get(url, headers=headers)
        times.append((time.perf_counter() - began) * 1000)
        cpu_times.append((time.process_time() - began_cpu) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    for _ in range(RUNS // 4):
        if cold:
            clear_caches()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, headers=headers)
        sql_times.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
    quantiles = statistics.quantiles(times, n=20)
    return {
        "p50": statistics.median(times),
        "p95": quantiles[18],
        "min": min(times),
        "cpu": statistics.median(cpu_times),
        "queries": len(queries),
        "sql": statistics.median(sql_times),
        "load": os.getloadavg()[0],
        "html": response.content.decode(),
    }


def page_weight(client: Client, html: str) -> tuple[int, int, int, int]:
    """(HTML bytes, thumbnail bytes, thumbnails, static bytes) of one gallery page."""
    thumbs = sorted(set(re.findall(r'src="(/images/\d+/thumb/)"', html)))
    thumb_bytes = sum(len(b"".join(client.get(url).streaming_content)) for url in thumbs)
    static_bytes = 0
    for path in sorted(set(re.findall(r'(?:src|href)="/static/([^"]+)"', html))):
        found = finders.find(path)
        static_bytes += os.path.getsize(found) if found else 0
    return len(html.encode()), thumb_bytes, len(thumbs), static_bytes


def profile(client: Client, url: str, runs: int = 20) -> None:
    """cProfile of ``runs`` warm requests of ``url``, each on its own: the Python function
    calls per request (which the neighbours' load does not move), and the median and min per
    request (ms, under cProfile) of the total, the share inside template rendering (the
    backend's Template.render, outermost calls) and inside SQL (the driver's execute, client
    side); then the functions with the most cumulative time over all requests (also written
    to var/gallery.prof)."""
    import cProfile
    import pstats

    def cumulative(stats: pstats.Stats, module: str, name: str) -> float:
        return 1000 * sum(
            value[3]
            for (filename, _, function), value in stats.stats.items()  # type: ignore[attr-defined]
            if filename.endswith(module) and function == name
        )

    for _ in range(WARMUP):
        client.get(url)
    totals, templates, sql = [], [], []
    combined: pstats.Stats | None = None
    for _ in range(runs):
        profiler = cProfile.Profile()
        profiler.enable()
        client.get(url)
        profiler.disable()
        stats = pstats.Stats(profiler)
        totals.append(stats.total_tt * 1000)  # type: ignore[attr-defined]
        templates.append(cumulative(stats, "django/template/backends/django.py", "render"))
        sql.append(cumulative(stats, "django/db/backends/utils.py", "_execute"))
        if combined is None:
            combined = stats
        else:
            combined.add(profiler)
    assert combined is not None
    combined.dump_stats(ROOT / "var" / "gallery.prof")  # for pstats or snakeviz
    calls = combined.total_calls // runs  # type: ignore[attr-defined]
    print(
        f"profile of GET {url}: {runs} requests, {calls:,} function calls each; ms per "
        f"request under cProfile (median / min): total {statistics.median(totals):.1f} / "
        f"{min(totals):.1f}, templates {statistics.median(templates):.1f} / "
        f"{min(templates):.1f}, SQL (client side) {statistics.median(sql):.1f} / "
        f"{min(sql):.1f}; load {os.getloadavg()[0]:.1f}"
    )
    combined.sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(45)


def verdict(ok: bool) -> str:
    return "ok" if ok else "OVER"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--refill", action="store_true", help="empty the bench data and fill it again"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="instead of the table: profile GET / (warm caches) with cProfile and print where "
        "the time goes (templates, SQL, the slowest functions)",
    )
    args = parser.parse_args()
    vendor = connection.vendor
    print(
        f"Database: {vendor} ({settings.DATABASES['default']['NAME']}); {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} at start"
    )
    call_command("migrate", verbosity=0)
    if args.refill or Generation.objects.count() != GENERATIONS:
        empty()
        fill(random.Random(5))
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    user = get_user_model().objects.get(username="user07")
    other = get_user_model().objects.get(username="user23")
    client = Client()
    client.force_login(user)

    with override_settings(
        DEBUG=False,
        ALLOWED_HOSTS=["testserver"],
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ):
        if args.profile:
            profile(client, "/")
            return
        first = client.get("/").content.decode()
        cursor = (
            re.search(r'hx-get="/gallery/page/\?([^"]*)"', first).group(1).replace("&amp;", "&")
        )
        pages = {
            "gallery page": ("/", None),
            "filtered (author+model)": (f"/?author={other.pk}&model=deepinfra/flux-1-dev", None),
            "filtered (favourites)": ("/?favourites=1", None),
            "search 'lighthouse'": ("/?q=lighthouse", None),
            "search + filter": (f"/?q=owl+rain&author={other.pk}", None),
            # A word no prompt has: a plan that walks the newest generations hoping to meet
            # matches reads all 100,000 of them (see docs/gallery.md).
            "search, no match": ("/?q=xylophone", None),
            "next-page partial": (f"/gallery/page/?{cursor}", {"HX-Request": "true"}),
            "prompt history": ("/prompts/", None),
            "history search": ("/prompts/?q=lighthouse", None),
        }
        results = {name: measure(client, url, headers) for name, (url, headers) in pages.items()}
        # The figures above are with warm caches (cards rendered by an earlier page view or by
        # the live hub when they finished); this is a page whose cards all render anew.
        results["gallery page, cold cache"] = measure(client, "/", None, cold=True)
        # The test client keeps one connection; the default deployment opens one per request.
        results["gallery, new connection"] = measure(client, "/", None, reconnect=True)
        counts = {}
        for size in (12, 48):
            views.PAGE_SIZE = size
            counts[size] = measure(client, "/", None)["queries"]
        views.PAGE_SIZE = 48
        html_bytes, thumb_bytes, thumbs, static_bytes = page_weight(
            client, results["gallery page"]["html"]
        )

    cards = len(re.findall(r'<article class="card', results["gallery page"]["html"]))
    print(
        f"{GENERATIONS:,} generations by {USERS} users; "
        f"{RUNS} requests each after {WARMUP} warm-up; in-process Django test Client"
    )
    print(
        f"{'page':<26}{'p50 ms':>8}{'p95 ms':>8}{'min ms':>8}{'CPU ms':>8}{'SQL ms':>8}"
        f"{'queries':>9}{'load':>6}   "
        f"target p50 ≤ {TARGET_P50_MS} ms, ≤ {TARGET_QUERIES} queries"
    )
    for name, r in results.items():
        ok = r["p50"] <= TARGET_P50_MS and r["queries"] <= TARGET_QUERIES
        print(
            f"{name:<26}{r['p50']:>8.1f}{r['p95']:>8.1f}{r['min']:>8.1f}{r['cpu']:>8.1f}"
            f"{r['sql']:>8.1f}{r['queries']:>9}"
            f"{r['load']:>6.1f}   {verdict(ok)}"
        )
    print(
        "(SQL ms: median time inside the database driver; the rest is Django: middleware, "
        "forms, templates; CPU ms: median CPU time of this process per request, which the "
        "neighbours' load moves far less than p50; load: 1-minute load average after the "
        "row's requests)"
    )
    print(
        f"queries vs page size: 12 cards → {counts[12]}, 48 cards → {counts[48]}   "
        f"{'constant' if counts[12] == counts[48] else 'NOT CONSTANT'}"
    )
    total = html_bytes + thumb_bytes + static_bytes
    print(
        f"page weight, {cards} cards: HTML {html_bytes / 1000:.0f} kB + {thumbs} thumbnails "
        f"{thumb_bytes / 1000:.0f} kB (avg {thumb_bytes / max(thumbs, 1) / 1000:.1f} kB) + CSS/JS "
        f"{static_bytes / 1000:.0f} kB (uncompressed) = {total / 1e6:.2f} MB   target ≤ 1.5 MB: "
        f"{verdict(total <= TARGET_PAGE_BYTES)}"
    )


if __name__ == "__main__":
    main()
