"""The advisory watch over the release inventory: keep, ask, re-judge, notify.

Wiring of ``store`` with ``ingest``, ``enrich``, ``engine`` and ``report``: what
``check --release`` keeps, what ``releases affected`` answers from the index, which
releases ``releases rejudge`` re-judges and how a change reaches a webhook.
"""
