"""A job's cost as the service stated it (credits, dollars, the id it is recorded under), and how the figures of
several answers about one job combine. Plain data: api/cost.py reads it from the headers."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple, TypeVar


class Charge(NamedTuple):
    """What the service said of a job's cost, each figure None where it said nothing usable."""

    credits: int | None = None
    usd: Decimal | None = None
    inference_id: str | None = None  # the id the charge is recorded under (the billing's reference_id)

    @property
    def known(self) -> bool:
        return self.credits is not None or self.usd is not None

    def merged(self, later: Charge | None) -> Charge:
        """This charge with a later answer's about the same job.

        The provider's page records the charge under the inference id, which a submit and its polls share: the
        figures on those answers describe one charge, the job's, not one charge per request (a poll is a status
        query; stt polls dozens of times, and a charge per poll would make a job's price depend on how often it
        was asked). Whether the create or the completed poll carries it is not said (the page settles the charge
        of an async generation after it completes). So a job's figure is the largest any of its answers gave:
        the last one when each answer repeats the job's charge so far, the one that carried it when the others
        say 0, and never more than a figure the service gave. A sum would count one charge twice.
        """
        if later is None:
            return self
        return Charge(
            _larger(self.credits, later.credits),
            _larger(self.usd, later.usd),
            self.inference_id or later.inference_id,
        )


Figure = TypeVar("Figure", int, Decimal)


def _larger(one: Figure | None, other: Figure | None) -> Figure | None:
    if one is None:
        return other
    if other is None:
        return one
    return max(one, other)
