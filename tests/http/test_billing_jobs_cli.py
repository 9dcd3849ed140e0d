"""The money jobs from the command line, as cron or a Kubernetes CronJob
runs them: `epoch-jobs overage-billing` and `epoch-jobs payment-retry`."""

from __future__ import annotations

import json

import pytest

from epoch_jobs.cli import JOBS, main


def test_both_money_jobs_are_registered():
    assert {"overage-billing", "payment-retry"} <= set(JOBS)


@pytest.mark.parametrize(
    ("job", "keys"),
    [
        ("overage-billing", {"billed", "skipped", "errors"}),
        ("payment-retry", {"retried", "succeeded", "failed"}),
    ],
)
def test_a_job_runs_once_and_prints_its_counts(
    job, keys, database_url, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("EPOCH_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    assert main([job]) == 0
    counts = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(counts) == keys
    assert all(isinstance(v, int) and v >= 0 for v in counts.values())
