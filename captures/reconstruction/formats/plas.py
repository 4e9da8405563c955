"""Parallel Linear Assignment Sorting (PLAS): lays vectors out on a 2D grid so that grid neighbours are alike.

This is the sort of the Self-Organizing Gaussians paper (Morgenstern et al., "Compact 3D Scene Representation
via Self-Organizing Gaussian Grids", ECCV 2024, section "Sorting high-dimensional Gaussians into 2D grids"),
written here in torch from that description; it runs on the CPU, or on CUDA when given a CUDA device.

For a falling sequence of radii (times 0.95 each step, down to 1) the grid is blurred with a filter of that
radius: each cell's blurred value is its target, what its neighbourhood looks like. The grid is cut into square
blocks about as wide as the filter, at a random offset; in every block the cells are drawn at random in groups
of four, and each group takes whichever of the 24 ways of placing its four vectors on its four cells lies
closest to the targets (a 4x4 linear assignment, solved exactly by trying them all; keeping things as they are
is one of the 24, so no step makes the layout worse). This repeats while the distance to the targets falls by
more than `improvement_break` a round, then with new offsets until an offset brings nothing; the shrinking
radius takes the layout from coarse to fine.

The paper starts from a random layout at half the grid's side. On a CPU that costs minutes for a few hundred
thousand splats, so by default the coarse layout comes from a shelf sort instead (rows by the vectors' first
principal component, each row by the second) and PLAS refines it from `start_radius`; `start_radius=None`
with `initial="random"` is the paper's schedule. On the real 45,624-splat donut (bench/formats.py) the default
(improvement_break 1e-3) made a SOGS zip 0.6% larger than the paper's schedule at 1e-4, in a twelfth of the
time (4 s against 45 s on two busy cores), and both far smoother grids than a Morton curve laid out in rows.
"""

import itertools

import numpy as np
import torch
import torch.nn.functional as F

PERMUTATIONS = torch.tensor(list(itertools.permutations(range(4))))  # [k, i]: the cell (of 4) vector i goes to
# PLACEMENT[4 * i + j, k] = 1 when placing k puts vector i on cell j, so (dots flattened) @ PLACEMENT sums, for
# every placing, each vector's agreement with the target of the cell it goes to. PERMUTATIONS[0] keeps all.
PLACEMENT = torch.nn.functional.one_hot(torch.arange(4) * 4 + PERMUTATIONS, 16).sum(1).T.float()
RADIUS_DECAY = 0.95
MIN_BLOCK = 16
START_RADIUS = 12
# Safety limits: the sort converges well before these on real splats; they only bound a pathological input.
MAX_ROUNDS = 64  # assignment rounds at one block offset
MAX_OFFSETS = 12  # block offsets tried at one radius


def grid_shape(count):
    """(height, width) of the smallest near-square grid with at least `count` cells, at least 1 x 1."""
    width = max(1, int(np.ceil(np.sqrt(count))))
    return max(1, -(-count // width)), width


def plas_order(features, shape, *, initial="shelf", start_radius=START_RADIUS, improvement_break=1e-3, seed=0,
               device=None):
    """Sorts the rows of `features` (N, C) onto a grid of `shape` (height, width), with height * width >= N.

    Returns the index of the row placed at each cell, row-major (height * width,); cells beyond N rows are
    -1. The spare cells take copies of random rows during the sort, so they settle among rows like those
    copies; callers that need N consecutive cells drop the -1s (see `compact`).

    initial: "shelf" (see the module docstring) or "random"; start_radius: the first filter radius (None:
    half the grid's side, the paper's).
    """
    features = np.asarray(features, dtype=np.float32)
    count, channels = features.shape
    height, width = shape
    cells = height * width
    if cells < count:
        raise ValueError(f"a {height}x{width} grid has fewer than {count} cells")
    generator = torch.Generator().manual_seed(seed)
    if initial == "shelf":
        start = torch.as_tensor(shelf_order(features, shape))
    elif initial == "random":
        start = torch.randperm(cells, generator=generator)
        start[start >= count] = -1
    else:
        raise ValueError(f"initial must be 'shelf' or 'random', not {initial!r}")
    ids, spare = start, start < 0
    rows = ids.clone()
    rows[spare] = torch.randint(0, max(count, 1), (int(spare.sum()),), generator=generator)
    device = torch.device(device or "cpu")
    values = torch.as_tensor(features)[rows] if count else torch.zeros((cells, channels))
    grid = values.reshape(height, width, channels).to(device).contiguous()
    ids = ids.reshape(height, width, 1).to(device).contiguous()
    if count < 4 or min(height, width) < 2:
        return ids.reshape(-1).cpu().numpy()

    largest = max(height, width) / 2 - 1
    for radius in _radii(largest if start_radius is None else min(largest, start_radius)):
        target = _blur(grid, radius)
        block = max(MIN_BLOCK, (2 * radius + 2) // 2 * 2)
        block = min(block, min(height, width) // 2 * 2)
        grid, ids = _sort_at_radius(grid, ids, target, block, improvement_break, generator)
    return ids.reshape(-1).cpu().numpy()


def shelf_order(features, shape):
    """A quick 2D layout: the rows of `features` by their first principal component, cut into grid rows, each
    row by the second component. Same return as `plas_order`."""
    count = len(features)
    height, width = shape
    order = np.full(height * width, -1, dtype=np.int64)
    if count == 0:
        return order
    centred = features - features.mean(axis=0)
    sample = centred[np.linspace(0, count - 1, min(count, 50_000)).astype(np.int64)]
    axes = np.linalg.svd(sample, full_matrices=False)[2]
    first = centred @ axes[0]
    second = centred @ axes[1] if len(axes) > 1 else np.zeros(count, np.float32)
    by_first = np.argsort(first, kind="stable")
    for row in range(-(-count // width)):
        members = by_first[row * width:(row + 1) * width]
        order[row * width:row * width + len(members)] = members[np.argsort(second[members], kind="stable")]
    return order


def compact(order):
    """The row indices of a `plas_order` layout in reading order, without the spare cells."""
    return order[order >= 0]


def neighbour_distance(grid):
    """Mean squared difference between horizontally and vertically adjacent cells of a (H, W, C) grid: how
    smooth a layout is, so lower is better (the paper's quality measure, up to normalisation)."""
    grid = np.asarray(grid, dtype=np.float64)
    across = np.square(grid[:, 1:] - grid[:, :-1]).sum(axis=-1)
    down = np.square(grid[1:] - grid[:-1]).sum(axis=-1)
    return float((across.sum() + down.sum()) / (across.size + down.size))


def _radii(first):
    radius, seen = first, set()
    while radius >= 1:
        if int(radius) not in seen:  # the tail of the sequence repeats 1, 1, 1 ...: once is enough
            seen.add(int(radius))
            yield int(radius)
        radius *= RADIUS_DECAY


def _blur(grid, radius):
    """A box filter of half-width `radius` over both axes of (H, W, C), mirrored at the edges, by running sums
    so that it costs the same at any radius."""
    for axis in (0, 1):
        size = grid.shape[axis]
        r = min(radius, size - 1)
        padding = (0, 0, r, r) if axis == 0 else (r, r, 0, 0)  # F.pad lists (C, H, W)'s last axis first
        padded = F.pad(grid.permute(2, 0, 1).unsqueeze(0), padding, mode="reflect").squeeze(0).permute(1, 2, 0)
        sums = torch.cumsum(padded, dim=axis)
        sums = torch.cat([torch.zeros_like(sums.narrow(axis, 0, 1)), sums], dim=axis)
        grid = (sums.narrow(axis, 2 * r + 1, size) - sums.narrow(axis, 0, size)) / (2 * r + 1)
    return grid


def _sort_at_radius(grid, ids, target, block, improvement_break, generator):
    height, width, _ = grid.shape
    rows, cols = height // block, width // block
    for offset_number in range(MAX_OFFSETS):
        shift = (int(torch.randint(0, block, (1,), generator=generator)),
                 int(torch.randint(0, block, (1,), generator=generator)))
        grid, ids, target = (torch.roll(t, shift, dims=(0, 1)) for t in (grid, ids, target))
        region = (slice(0, rows * block), slice(0, cols * block))
        values, labels, goals = (_to_blocks(t[region], block) for t in (grid, ids, target))
        improved = False
        distance = float(torch.square(values - goals).sum())
        for _ in range(MAX_ROUNDS):
            gain = _assign(values, labels, goals, generator)
            ratio = 0.0 if distance <= 0 else gain / distance
            distance -= gain
            if ratio < improvement_break:
                break
            improved = True
        grid[region] = _from_blocks(values, rows, cols, block)
        ids[region] = _from_blocks(labels, rows, cols, block)
        grid, ids = (torch.roll(t, (-shift[0], -shift[1]), dims=(0, 1)) for t in (grid, ids))
        target = torch.roll(target, (-shift[0], -shift[1]), dims=(0, 1))
        if not improved and offset_number >= 3:  # a few offsets at least, so every border gets its turn
            break
    return grid, ids


def _to_blocks(t, block):
    """(R*b, Q*b, C) -> (R*Q, b*b, C): each block's cells, row-major."""
    height, width, channels = t.shape
    return (t.reshape(height // block, block, width // block, block, channels)
            .permute(0, 2, 1, 3, 4).reshape(-1, block * block, channels).contiguous())


def _from_blocks(t, rows, cols, block):
    channels = t.shape[-1]
    return t.reshape(rows, cols, block, block, channels).permute(0, 2, 1, 3, 4).reshape(
        rows * block, cols * block, channels)


def _assign(values, labels, goals, generator):
    """One round, in place: every block's cells in random groups of four, each group placed on its cells in the
    best of the 24 ways. Returns how much the squared distance to the targets fell."""
    blocks, size, channels = values.shape
    cells = torch.randperm(size, generator=generator).to(values.device)
    group_values = values.index_select(1, cells).view(blocks, size // 4, 4, channels)
    group_goals = goals.index_select(1, cells).view(blocks, size // 4, 4, channels)
    # The squared distance of a placing is sum |v_i|^2 + sum |t_j|^2 - 2 sum v_i . t_placed(i): only the
    # last term depends on the placing, so the best placing has the largest sum of dot products.
    dots = torch.matmul(group_values, group_goals.transpose(-1, -2))  # (B, G, 4, 4): v_i . t_j
    scores = dots.reshape(blocks, -1, 16) @ PLACEMENT.to(values.device)  # (B, G, 24)
    best_scores, best = scores.max(-1)
    gain = float(2 * (best_scores - scores[..., 0]).sum())
    if gain <= 0:
        return 0.0
    # PERMUTATIONS[best][..., i] is the cell vector i goes to; its inverse says which vector each cell takes.
    takes = torch.argsort(PERMUTATIONS.to(values.device)[best], dim=-1)
    moved = torch.gather(group_values, 2, takes.unsqueeze(-1).expand(-1, -1, -1, channels))
    values.index_copy_(1, cells, moved.reshape(blocks, size, channels))
    group_labels = labels.index_select(1, cells).view(blocks, size // 4, 4, 1)
    labels.index_copy_(1, cells, torch.gather(group_labels, 2, takes.unsqueeze(-1)).reshape(blocks, size, 1))
    return gain
