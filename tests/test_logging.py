"""Structured logs: one JSON object per line under LOG_FORMAT=json, with each generation's
id, provider, model, latency and outcome, and never its prompt."""

from __future__ import annotations

import json
import logging
import logging.config

import pytest
from django.conf import settings

from fluxweb.generations.models import Generation
from fluxweb.generations.running import run_generation
from fluxweb.generations.tasks import generate_images
from tests.factories import make_generation
from tests.processes import app_env, wait_for, worker

PROMPT = "plans for Alice's surprise party, keep quiet"


def json_formatter() -> logging.Formatter:
    """The formatter LOG_FORMAT=json installs, built by logging's own dictConfig machinery."""
    return logging.config.DictConfigurator(settings.LOGGING).configure_formatter(
        dict(settings.LOGGING["formatters"]["json"])
    )


@pytest.mark.django_db
def test_each_generation_logs_one_structured_line_without_its_prompt(member, caplog):
    generation = make_generation(member, prompt=PROMPT)
    with caplog.at_level(logging.INFO, logger="fluxweb"):
        run_generation(generation.pk)
    (record,) = [r for r in caplog.records if getattr(r, "generation_id", None) == generation.pk]
    line = json.loads(json_formatter().format(record))
    assert line["generation_id"] == generation.pk
    assert (line["provider"], line["model"], line["outcome"]) == (
        "demo",
        "demo/placeholder",
        "succeeded",
    )
    assert isinstance(line["latency_s"], float) and line["latency_s"] >= 0
    assert line["level"] == "INFO" and line["logger"] == "fluxweb.generations.running"
    assert "surprise" not in json.dumps(line)


@pytest.mark.django_db(transaction=True)
def test_a_worker_under_log_format_json_writes_json_lines(member, tmp_path):
    log = tmp_path / "worker.log"
    with worker(app_env(LOG_FORMAT="json"), log):
        generation = make_generation(member, prompt=PROMPT)
        generate_images.enqueue(generation.pk)
        wait_for(lambda: Generation.objects.get(pk=generation.pk).is_finished)
        wait_for(lambda: f'"generation_id": {generation.pk}' in log.read_text())
    lines = [json.loads(text) for text in log.read_text().splitlines() if text.startswith("{")]
    (finished,) = [line for line in lines if line.get("generation_id") == generation.pk]
    assert finished["outcome"] == "succeeded"
    assert "surprise" not in log.read_text()
