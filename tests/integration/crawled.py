"""An archive with history: every source of the demo config crawled at mirror epoch 0, then at 1
(articles rewritten, posts edited, deleted and added), so there are versions, edits and deletions."""
from __future__ import annotations

from kronika.steps.run import run_source


def crawl_with_history(config, env, mirror, epochs=(0, 1)) -> None:
    for epoch in epochs:
        mirror.set_epoch(epoch)
        for source in config.sources:
            run_source(source, env)
