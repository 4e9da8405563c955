"""Mesh tools the dresser needs: cutting a mesh where a per-vertex field changes sign (clean hems, iris circles,
hairlines), closing a cut's open edge with a hem, smoothing, and turning a signed distance field sampled on a grid
into a mesh (surface nets), for hair and hoods.

A cut keeps, for every vertex it makes, the two source vertices and the weight between them, so a cut made once on
a body follows that body through every pose at the cost of one interpolation.
"""

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree


def vertex_normals(vertices, faces):
    """Area-weighted unit vertex normals."""
    vertices = np.asarray(vertices, np.float64)
    corner = vertices[faces]
    face_normals = np.cross(corner[:, 1] - corner[:, 0], corner[:, 2] - corner[:, 0])
    normals = np.zeros_like(vertices)
    for k in range(3):
        for axis in range(3):
            normals[:, axis] += np.bincount(faces[:, k], face_normals[:, axis], minlength=len(vertices))
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    return normals / np.maximum(length, 1e-12)


@dataclass
class Cut:
    """The part of a mesh where a field is <= 0. Vertex k is (1 - t[k]) * v[a[k]] + t[k] * v[b[k]]."""

    a: np.ndarray
    b: np.ndarray
    t: np.ndarray
    faces: np.ndarray  # (F, 3) int32 into the cut's own vertices

    def __len__(self):
        return len(self.a)

    def lerp(self, values):
        """Per-vertex values (positions, normals, scalars) of the source mesh, carried to the cut's vertices."""
        values = np.asarray(values)
        t = self.t.reshape((-1,) + (1,) * (values.ndim - 1))
        return values[self.a] * (1.0 - t) + values[self.b] * t


def cut(faces, field):
    """The triangles of `faces` where `field` (one value per vertex) is <= 0, the crossing triangles split where the
    field, linear along each edge, is 0: the cut's edge is a clean line, not the mesh's staircase."""
    faces = np.asarray(faces)
    field = np.asarray(field, np.float64)
    inside = field[faces] <= 0
    count = inside.sum(1)
    keep = faces[count == 3]

    # Rotate the crossing triangles (keeping their winding) so the odd vertex out comes first.
    crossing = faces[(count == 1) | (count == 2)]
    crossing_inside = inside[(count == 1) | (count == 2)]
    lone_inside = crossing_inside.sum(1) == 1
    odd = np.where(lone_inside, crossing_inside.argmax(1), (~crossing_inside).argmax(1))
    order = (odd[:, None] + np.arange(3)[None]) % 3
    crossing = np.take_along_axis(crossing, order, 1)

    # Vertex ids: original vertices are negative-free keys < n; an edge's new vertex is keyed by its sorted ends.
    n = int(faces.max()) + 1 if len(faces) else 0

    def edge(i, j):
        return np.minimum(i, j) * n + np.maximum(i, j) + n

    v0, v1, v2 = crossing.T
    e01, e02 = edge(v0, v1), edge(v0, v2)
    single = crossing[lone_inside]
    pieces = [keep,
              np.stack([single[:, 0], e01[lone_inside], e02[lone_inside]], 1)]
    double = ~lone_inside
    pieces += [np.stack([e01[double], v1[double], v2[double]], 1),
               np.stack([e01[double], v2[double], e02[double]], 1)]
    keyed = np.concatenate(pieces).astype(np.int64) if len(faces) else np.zeros((0, 3), np.int64)
    keys, new_faces = np.unique(keyed, return_inverse=True)
    new_faces = new_faces.reshape(-1, 3)

    is_edge = keys >= n
    a = np.where(is_edge, (keys - n) // max(n, 1), keys)
    b = np.where(is_edge, (keys - n) % max(n, 1), keys)
    fa, fb = field[a], field[b]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(is_edge, fa / (fa - fb), 0.0)
    t = np.clip(np.nan_to_num(t), 0.0, 1.0)
    return Cut(a.astype(np.int64), b.astype(np.int64), t, new_faces.astype(np.int32))


def boundary_edges(faces):
    """(E, 2) directed edges used by one face only, in that face's winding."""
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    key = np.sort(edges, 1)
    _, index, counts = np.unique(key, axis=0, return_index=True, return_counts=True)
    return edges[index[counts == 1]]


def hem(outer, inner, edges):
    """Faces closing an open edge: a band from each boundary edge on the outer surface down to the same edge on
    the inner one. `outer` and `inner` map a vertex id to its id on each surface; the band faces away from the
    garment, as its cloth would."""
    a_out, b_out = outer[edges[:, 0]], outer[edges[:, 1]]
    a_in, b_in = inner[edges[:, 0]], inner[edges[:, 1]]
    return np.concatenate([np.stack([a_out, a_in, b_in], 1), np.stack([a_out, b_in, b_out], 1)]).astype(np.int32)


def smoother(faces, count):
    """Taubin smoothing (it shrinks nothing) for meshes with these faces: the result smooths (count, 3) positions
    for a number of iterations, each vertex moving by its weight (0..1, default 1)."""
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    edges = np.concatenate([edges, edges[:, ::-1]])
    adjacency = sparse.coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(count, count)).tocsr()
    adjacency.data[:] = 1.0
    degree = np.asarray(adjacency.sum(1)).ravel()
    average = sparse.diags(1.0 / np.maximum(degree, 1.0)) @ adjacency

    def smooth(points, iterations, weights=None, flatten=False):
        """flatten: plain Laplacian steps, which also iron out bumps (at the cost of some shrinking)."""
        points = np.asarray(points, np.float64)
        free = 1.0 if weights is None else np.asarray(weights, np.float64)[:, None]
        for _ in range(iterations):
            for factor in ((0.6,) if flatten else (0.5, -0.53)):
                points = points + factor * free * (average @ points - points)
        return points

    return smooth


def surface_nets(values, origin, step):
    """The surface where a sampled field is 0 (inside < 0) as (vertices, faces): one vertex per grid cell the
    surface crosses, at the mean of its edge crossings; one quad per grid edge it crosses. Faces wind counter-
    clockwise seen from outside."""
    values = np.asarray(values, np.float64)
    nx, ny, nz = values.shape
    inside = values < 0
    cells = np.zeros((nx - 1, ny - 1, nz - 1, 3))
    counts = np.zeros((nx - 1, ny - 1, nz - 1))
    quads = []
    for axis in range(3):
        lower = [slice(None)] * 3
        upper = [slice(None)] * 3
        lower[axis], upper[axis] = slice(0, -1), slice(1, None)
        f0, f1 = values[tuple(lower)], values[tuple(upper)]
        crossing = inside[tuple(lower)] != inside[tuple(upper)]
        idx = np.argwhere(crossing)
        if not len(idx):
            continue
        t = f0[crossing] / (f0[crossing] - f1[crossing])
        point = idx.astype(np.float64)
        point[:, axis] += t
        # The (up to) four cells around this edge.
        others = [d for d in range(3) if d != axis]
        ring = []
        for da, db in ((0, 0), (-1, 0), (-1, -1), (0, -1)):
            cell = idx.copy()
            cell[:, others[0]] += da
            cell[:, others[1]] += db
            ring.append(cell)
        for cell in ring:
            ok = np.all((cell >= 0) & (cell < np.array(cells.shape[:3])), 1)
            np.add.at(cells, tuple(cell[ok].T), point[ok])
            np.add.at(counts, tuple(cell[ok].T), 1.0)
        full = np.all([np.all((cell >= 0) & (cell < np.array(cells.shape[:3])), 1) for cell in ring], 0)
        outward = np.where(inside[tuple(lower)][crossing], 1.0, -1.0)[full]  # inside below -> normal along +axis
        quads.append((np.stack([cell[full] for cell in ring], 1), outward, axis))
    active = counts > 0
    ids = -np.ones(counts.shape, np.int64)
    ids[active] = np.arange(active.sum())
    vertices = cells[active] / counts[active][:, None]
    vertices = np.asarray(origin, np.float64) + vertices * step
    faces = []
    for ring, outward, axis in quads:
        quad = ids[ring[:, :, 0], ring[:, :, 1], ring[:, :, 2]]
        tri = np.concatenate([quad[:, [0, 1, 2]], quad[:, [0, 2, 3]]])
        sign = np.concatenate([outward, outward])
        corner = vertices[tri]
        normal = np.cross(corner[:, 1] - corner[:, 0], corner[:, 2] - corner[:, 0])[:, axis]
        flip = normal * sign < 0
        tri[flip] = tri[flip][:, ::-1]
        faces.append(tri)
    faces = np.concatenate(faces) if faces else np.zeros((0, 3), np.int64)
    return vertices.astype(np.float32), faces.astype(np.int32)


class SurfaceDistance:
    """Signed distance to a closed-ish surface given by its vertices and normals (positive outside): the nearest
    vertex's distance, signed by the side of its normal. Good to a few millimetres on a body-sized mesh."""

    def __init__(self, vertices, normals):
        self.vertices = np.asarray(vertices, np.float64)
        self.normals = np.asarray(normals, np.float64)
        self.tree = cKDTree(self.vertices)

    def __call__(self, points):
        distance, index = self.tree.query(points, k=1)
        side = np.einsum("ij,ij->i", points - self.vertices[index], self.normals[index])
        return np.where(side >= 0, distance, -distance), index


def smooth_min(a, b, k):
    """A union of two fields with a fillet of about k between them."""
    h = np.clip(0.5 + 0.5 * (b - a) / k, 0.0, 1.0)
    return b * (1 - h) + a * h - k * h * (1 - h)


def clean(vertices, faces):
    """Drop vertices no face uses."""
    used = np.unique(faces)
    remap = -np.ones(len(vertices), np.int64)
    remap[used] = np.arange(len(used))
    return vertices[used], remap[faces].astype(np.int32)
