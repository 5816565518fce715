"""One job lifecycle for documents, index jobs and quizzes: lock the job's row, check that its
state allows the change, apply it, save, and publish the events that announce it, all in one
transaction. So an event is relayed only once the state it announces is committed (the outbox
relays on commit), and a run that is stale (its document was reprocessed, its row deleted) or
late (another run finished the job) changes nothing and publishes nothing.

    done = transition(Quiz, quiz_id, allowed={Quiz.Status.GENERATING}, change=store, publish=announce)
    if not done:          # done.outcome says why: GONE, STALE, FINISHED or REFUSED
        return None

What is specific to a model (which states, what changes, which events) stays in its app; this
module knows only the order of the steps and the vocabulary of outcomes.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from django.db import models, transaction

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    APPLIED = "applied"  # changed and saved; its events go out when the transaction commits
    GONE = "gone"  # no such row (deleted with its document, say)
    STALE = "stale"  # the row moved on without this run (e.g. another generation started)
    FINISHED = "finished"  # already in a terminal state: another run got there first
    REFUSED = "refused"  # in a state this change does not start from


J = TypeVar("J", bound=models.Model)


@dataclass(frozen=True)
class Transition(Generic[J]):
    """What `transition` did. True only when the change was applied; `job` is the row as locked
    (after the change when applied), None when it is gone."""

    outcome: Outcome
    job: J | None

    def __bool__(self) -> bool:
        return self.outcome is Outcome.APPLIED

    @property
    def applied(self) -> J | None:
        """The row after the change when it was applied, else None."""
        return self.job if self.outcome is Outcome.APPLIED else None


def transition(
    model: type[J],
    pk: int,
    *,
    change: Callable[[J], object],
    publish: Callable[[J], object] | None = None,
    allowed: Collection[str] | None = None,
    finished: Collection[str] = (),
    current: Callable[[J], bool] | None = None,
    fields: Sequence[str] | None = None,
    state: str = "status",
) -> Transition[J]:
    """Lock row `pk` of `model` and, when it is `current` (by default: it exists), not in a
    `finished` state and in an `allowed` one (None: any), `change` it, save it (`fields` only,
    when given) and `publish` (events, tasks to dispatch: anything that must commit with it).

    Nested in a caller's transaction (which may hold other locks first), the events wait for the
    outermost commit, and are never relayed when it rolls back."""
    with transaction.atomic():
        job = model._default_manager.select_for_update().filter(pk=pk).first()
        if job is None:
            return Transition(Outcome.GONE, None)
        if current is not None and not current(job):
            return Transition(Outcome.STALE, job)
        before = getattr(job, state)
        if before in finished:
            return Transition(Outcome.FINISHED, job)
        if allowed is not None and before not in allowed:
            return Transition(Outcome.REFUSED, job)
        change(job)
        job.save(update_fields=fields)
        if publish is not None:
            publish(job)
        # The job's own correlation id: the watchdog, say, changes it outside any request or task.
        log.info(
            "%s %s: %s -> %s", model._meta.verbose_name, pk, before, getattr(job, state),
            extra={"correlation_id": getattr(job, "correlation_id", None) or None},
        )
    return Transition(Outcome.APPLIED, job)
