"""A synthetic professional community, generated with vectorised numpy (4M links in seconds).

Shape, chosen to resemble a real network rather than a uniform random graph (which would make
every pair 3 hops apart and flatter the search): members belong to communities of lognormal
size (teams, labs, companies); most links stay inside the community, some reach a neighbouring
community (the next block), a few are long-range; a small set of hubs (recruiters, community
managers) have hundreds of links. Ratings are skewed towards the middle-high values members
actually give.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TRUST_WEIGHTS = np.array([0.05, 0.15, 0.35, 0.30, 0.15])


@dataclass(frozen=True)
class Community:
    ids: np.ndarray  # member ids (sparse, ascending)
    a: np.ndarray  # connection endpoints, as member ids
    b: np.ndarray
    trust_ab: np.ndarray
    trust_ba: np.ndarray
    block: np.ndarray  # community number of each member (by position in ids)


def generate(members: int, mean_degree: float = 80.0, seed: int = 2024) -> Community:
    """Members with about ``mean_degree`` connections each (duplicates dropped later)."""
    rng = np.random.default_rng(seed)
    n = members
    # Community blocks over a random permutation of positions.
    sizes = np.clip(rng.lognormal(np.log(400), 0.8, size=n // 20 + 10), 40, 5000).astype(int)
    last = int(np.searchsorted(np.cumsum(sizes), n))
    sizes = sizes[: last + 1]
    sizes[-1] -= int(sizes.sum()) - n
    starts = np.cumsum(sizes) - sizes
    block_of_pos = np.repeat(np.arange(len(sizes)), sizes)
    # Each member initiates about half its links; the other half come from the other ends.
    initiated = rng.poisson(mean_degree / 2 * 1.02, size=n)
    hubs = rng.choice(n, size=max(1, n // 500), replace=False)
    initiated[hubs] += rng.integers(300, 1500, size=len(hubs))
    src = np.repeat(np.arange(n), initiated)
    kind = rng.random(len(src))
    blk = block_of_pos[src]
    inside = kind < 0.75
    neighbour_blk = np.clip(blk + rng.choice([-1, 1], size=len(src)), 0, len(sizes) - 1)
    target_blk = np.where(inside, blk, neighbour_blk)
    dst = starts[target_blk] + (rng.random(len(src)) * sizes[target_blk]).astype(np.int64)
    far = kind >= 0.92
    dst[far] = rng.integers(0, n, size=int(far.sum()))
    keep = src != dst
    src, dst = src[keep], dst[keep]
    trust_ab = rng.choice(np.arange(1, 6), size=len(src), p=TRUST_WEIGHTS)
    trust_ba = rng.choice(np.arange(1, 6), size=len(src), p=TRUST_WEIGHTS)
    # Sparse member ids, as in a database where members come and go.
    ids = np.sort(rng.choice(np.arange(1, 20 * n), size=n, replace=False))
    perm = rng.permutation(n)  # ids are not ordered by community
    return Community(
        ids=ids,
        a=ids[perm[src]],
        b=ids[perm[dst]],
        trust_ab=trust_ab,
        trust_ba=trust_ba,
        block=block_of_pos[np.argsort(perm)],
    )
