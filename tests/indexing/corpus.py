"""A small corpus the search tests build: study pages of filler text with known passages."""
from __future__ import annotations

import random

FILLER = [
    "study", "notes", "chapter", "review", "lecture", "summary", "example", "figure", "table", "method",
    "result", "theory", "practice", "question", "answer", "concept", "model", "system", "process", "structure",
    "function", "analysis", "history", "culture", "language", "number", "measure", "value", "change", "growth",
    "pattern",
]

PHRASE = "mitochondrial electron transport chain"


def filler(seed: int, words: int = 220) -> str:
    rng = random.Random(seed)
    sentences = []
    while words > 0:
        n = min(words, rng.randint(6, 14))
        sentences.append(" ".join(rng.choice(FILLER) for _ in range(n)).capitalize() + ".")
        words -= n
    return " ".join(sentences)


def biology_pages() -> list[str]:
    """Ten pages; page 7 is the one about the electron transport chain."""
    pages = [filler(seed) for seed in range(10)]
    pages[6] = (
        filler(100, 80)
        + f" The {PHRASE} pumps protons across the inner membrane. Each electron passes along the chain,"
        + " and the transport of protons drives ATP synthase. "
        + filler(101, 80)
    )
    # Pages that name the words apart, never as the phrase.
    pages[2] = filler(102, 60) + " Mitochondrial DNA is inherited. " + filler(103, 60) + " An electron microscope. "
    pages[4] = filler(104, 60) + " Membrane transport and the food chain. " + filler(105, 80) + " One electron. Mitochondrial. "
    return pages


def chemistry_pages() -> list[str]:
    """A distractor: the words are there, scattered, on every page."""
    return [
        filler(200 + seed, 120)
        + " Electron shells, a transport equation, a polymer chain, a mitochondrial stain. "
        + filler(300 + seed, 60)
        for seed in range(8)
    ]
