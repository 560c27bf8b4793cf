"""umap-learn's fit on a precomputed neighbour graph, without importing umap-learn.

Importing umap-learn takes about 4 s in a fresh process (scikit-learn, pandas, scipy.stats and
pynndescent come with it), more than a third of a fresh kernel's first ``project()`` of 10,000
sentences. This module holds umap-learn 0.5.12's own code for what ``UMAP(precomputed_knn=...)
.fit_transform`` runs on such a graph: the fuzzy simplicial set (``smooth_knn_dist``,
``compute_membership_strengths``, the fuzzy union), the spectral initialisation of a connected
graph, the noisy rescaling, the curve fit of ``a`` and ``b`` (``find_ab_params``) and the layout
epochs (``optimize_layout_euclidean``), copied with unused branches removed (but in the epoch
function, which is verbatim so that Numba compiles umap-learn's code), so it needs numpy, scipy
(sparse, optimize) and Numba only. Given the same graph and
seed the layout is identical to umap-learn's, bit for bit (``tests/analysis/test_umap_port.py``
compares the two). :func:`fit` returns None where umap-learn would run other code (a graph that
falls apart into several pieces, other initialisations, fewer rows than umap-learn's small-data
threshold) and ``project()`` then calls umap-learn itself.

The copied functions are under umap-learn's licence, reproduced here:

BSD 3-Clause License

Copyright (c) 2017, Leland McInnes
All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

* Redistributions of source code must retain the above copyright notice, this
  list of conditions and the following disclaimer.

* Redistributions in binary form must reproduce the above copyright notice,
  this list of conditions and the following disclaimer in the documentation
  and/or other materials provided with the distribution.

* Neither the name of the copyright holder nor the names of its
  contributors may be used to endorse or promote products derived from
  this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""

from __future__ import annotations

import functools
import types
from typing import Any

import numba
import numpy as np
import scipy.sparse
import scipy.sparse.csgraph
import scipy.sparse.linalg
from scipy.optimize import curve_fit

from smallbert_viz.analysis._umap_port_rules import (
    DISCONNECTION_DISTANCES,
    INITS,
    PRECOMPUTED_MIN_ROWS,
)

SMOOTH_K_TOLERANCE = 1e-5
MIN_K_DIST_SCALE = 1e-3
NPY_FLOATMAX = np.finfo(np.float32).max
INT32_MIN = np.iinfo(np.int32).min + 1
INT32_MAX = np.iinfo(np.int32).max - 1


@numba.njit(
    locals={
        "psum": numba.types.float32,
        "lo": numba.types.float32,
        "mid": numba.types.float32,
        "hi": numba.types.float32,
    },
    parallel=True,
    cache=True,
)
def smooth_knn_dist(distances, k, n_iter=64, local_connectivity=1.0, bandwidth=1.0):
    """umap-learn's ``umap_.smooth_knn_dist``: each row's bandwidth sigma and distance rho."""
    target = np.log2(k) * bandwidth
    rho = np.zeros(distances.shape[0], dtype=np.float32)
    result = np.zeros(distances.shape[0], dtype=np.float32)
    mean_distances = np.mean(distances)
    for i in numba.prange(distances.shape[0]):
        lo = 0.0
        hi = NPY_FLOATMAX
        mid = 1.0
        ith_distances = distances[i]
        non_zero_dists = ith_distances[ith_distances > 0.0]
        if non_zero_dists.shape[0] >= local_connectivity:
            index = int(np.floor(local_connectivity))
            interpolation = local_connectivity - index
            if index > 0:
                rho[i] = non_zero_dists[index - 1]
                if interpolation > SMOOTH_K_TOLERANCE:
                    rho[i] += interpolation * (non_zero_dists[index] - non_zero_dists[index - 1])
            else:
                rho[i] = interpolation * non_zero_dists[0]
        elif non_zero_dists.shape[0] > 0:
            rho[i] = np.max(non_zero_dists)
        for _n in range(n_iter):
            psum = 0.0
            for j in range(1, distances.shape[1]):
                d = distances[i, j] - rho[i]
                if d > 0:
                    psum += np.exp(-(d / mid))
                else:
                    psum += 1.0
            if np.fabs(psum - target) < SMOOTH_K_TOLERANCE:
                break
            if psum > target:
                hi = mid
                mid = (lo + hi) / 2.0
            else:
                lo = mid
                if hi >= NPY_FLOATMAX:
                    mid *= 2
                else:
                    mid = (lo + hi) / 2.0
        result[i] = mid
        if rho[i] > 0.0:
            mean_ith_distances = np.mean(ith_distances)
            if result[i] < MIN_K_DIST_SCALE * mean_ith_distances:
                result[i] = MIN_K_DIST_SCALE * mean_ith_distances
        else:
            if result[i] < MIN_K_DIST_SCALE * mean_distances:
                result[i] = MIN_K_DIST_SCALE * mean_distances
    return result, rho


@numba.njit(
    locals={
        "knn_dists": numba.types.float32[:, ::1],
        "sigmas": numba.types.float32[::1],
        "rhos": numba.types.float32[::1],
        "val": numba.types.float32,
    },
    parallel=True,
    cache=True,
)
def compute_membership_strengths(knn_indices, knn_dists, sigmas, rhos, bipartite=False):
    """umap-learn's ``umap_.compute_membership_strengths`` (without returning distances)."""
    n_samples = knn_indices.shape[0]
    n_neighbors = knn_indices.shape[1]
    rows = np.zeros(knn_indices.size, dtype=np.int32)
    cols = np.zeros(knn_indices.size, dtype=np.int32)
    vals = np.zeros(knn_indices.size, dtype=np.float32)
    for i in range(n_samples):
        for j in range(n_neighbors):
            if knn_indices[i, j] == -1:
                continue  # We didn't get the full knn for i
            if (bipartite == False) & (knn_indices[i, j] == i):  # noqa: E712 - as umap-learn
                val = 0.0
            elif knn_dists[i, j] - rhos[i] <= 0.0 or sigmas[i] == 0.0:
                val = 1.0
            else:
                val = np.exp(-((knn_dists[i, j] - rhos[i]) / (sigmas[i])))
            rows[i * n_neighbors + j] = i
            cols[i * n_neighbors + j] = knn_indices[i, j]
            vals[i * n_neighbors + j] = val
    return rows, cols, vals


def fuzzy_simplicial_set(knn_indices: np.ndarray, knn_dists: np.ndarray, n_neighbors: int) -> Any:
    """umap-learn's ``fuzzy_simplicial_set`` on a given graph (set_op_mix_ratio 1,
    local_connectivity 1): the symmetric fuzzy union of the rows' membership strengths."""
    n = knn_indices.shape[0]
    knn_dists = knn_dists.astype(np.float32)
    sigmas, rhos = smooth_knn_dist(knn_dists, float(n_neighbors), local_connectivity=1.0)
    rows, cols, vals = compute_membership_strengths(knn_indices, knn_dists, sigmas, rhos)
    result = scipy.sparse.coo_matrix((vals, (rows, cols)), shape=(n, n))
    result.eliminate_zeros()
    transpose = result.transpose()
    prod_matrix = result.multiply(transpose)
    result = 1.0 * (result + transpose - prod_matrix) + (1.0 - 1.0) * prod_matrix
    result.eliminate_zeros()
    return result


@numba.njit(
    "f4(f4[::1],f4[::1])",
    fastmath=True,
    cache=True,
    locals={
        "result": numba.types.float32,
        "diff": numba.types.float32,
        "dim": numba.types.intp,
        "i": numba.types.intp,
    },
)
def rdist(x, y):
    """umap-learn's ``layouts.rdist``: squared Euclidean distance."""
    result = 0.0
    dim = x.shape[0]
    for i in range(dim):
        diff = x[i] - y[i]
        result += diff * diff
    return result


@numba.njit(cache=True)
def clip(val):
    """umap-learn's ``layouts.clip`` to [-4, 4]."""
    if val > 4.0:
        return 4.0
    elif val < -4.0:
        return -4.0
    else:
        return val


@numba.njit("i4(i8[:])", cache=True)
def tau_rand_int(state):
    """umap-learn's ``utils.tau_rand_int``: its Tausworthe random integers."""
    state[0] = (((state[0] & 4294967294) << 12) & 0xFFFFFFFF) ^ (
        (((state[0] << 13) & 0xFFFFFFFF) ^ state[0]) >> 19
    )
    state[1] = (((state[1] & 4294967288) << 4) & 0xFFFFFFFF) ^ (
        (((state[1] << 2) & 0xFFFFFFFF) ^ state[1]) >> 25
    )
    state[2] = (((state[2] & 4294967280) << 17) & 0xFFFFFFFF) ^ (
        (((state[2] << 3) & 0xFFFFFFFF) ^ state[2]) >> 11
    )
    return state[0] ^ state[1] ^ state[2]


# umap-learn's epoch (``layouts._optimize_layout_euclidean_single_epoch``), copied verbatim,
# densMAP branch included and called with umap-learn's arguments, so that Numba and LLVM get the
# same code as umap-learn's on any CPU (with fastmath, code around a loop can change how LLVM
# orders its floating-point operations, and a layout amplifies a last-bit difference).
def _optimize_layout_euclidean_single_epoch(
    head_embedding,
    tail_embedding,
    head,
    tail,
    n_vertices,
    epochs_per_sample,
    a,
    b,
    rng_state_per_sample,
    gamma,
    dim,
    move_other,
    alpha,
    epochs_per_negative_sample,
    epoch_of_next_negative_sample,
    epoch_of_next_sample,
    n,
    densmap_flag,
    dens_phi_sum,
    dens_re_sum,
    dens_re_cov,
    dens_re_std,
    dens_re_mean,
    dens_lambda,
    dens_R,
    dens_mu,
    dens_mu_tot,
):
    for i in numba.prange(epochs_per_sample.shape[0]):
        if epoch_of_next_sample[i] <= n:
            j = head[i]
            k = tail[i]

            current = head_embedding[j]
            other = tail_embedding[k]

            dist_squared = rdist(current, other)

            if densmap_flag:
                phi = 1.0 / (1.0 + a * pow(dist_squared, b))
                dphi_term = (
                    a * b * pow(dist_squared, b - 1) / (1.0 + a * pow(dist_squared, b))
                )

                q_jk = phi / dens_phi_sum[k]
                q_kj = phi / dens_phi_sum[j]

                drk = q_jk * (
                    (1.0 - b * (1 - phi)) / np.exp(dens_re_sum[k]) + dphi_term
                )
                drj = q_kj * (
                    (1.0 - b * (1 - phi)) / np.exp(dens_re_sum[j]) + dphi_term
                )

                re_std_sq = dens_re_std * dens_re_std
                weight_k = (
                    dens_R[k]
                    - dens_re_cov * (dens_re_sum[k] - dens_re_mean) / re_std_sq
                )
                weight_j = (
                    dens_R[j]
                    - dens_re_cov * (dens_re_sum[j] - dens_re_mean) / re_std_sq
                )

                grad_cor_coeff = (
                    dens_lambda
                    * dens_mu_tot
                    * (weight_k * drk + weight_j * drj)
                    / (dens_mu[i] * dens_re_std)
                    / n_vertices
                )

            if dist_squared > 0.0:
                grad_coeff = -2.0 * a * b * pow(dist_squared, b - 1.0)
                grad_coeff /= a * pow(dist_squared, b) + 1.0
            else:
                grad_coeff = 0.0

            for d in range(dim):
                grad_d = clip(grad_coeff * (current[d] - other[d]))

                if densmap_flag:
                    # FIXME: grad_cor_coeff might be referenced before assignment

                    grad_d += clip(2 * grad_cor_coeff * (current[d] - other[d]))

                current[d] += grad_d * alpha
                if move_other:
                    other[d] += -grad_d * alpha

            epoch_of_next_sample[i] += epochs_per_sample[i]

            n_neg_samples = int(
                (n - epoch_of_next_negative_sample[i]) / epochs_per_negative_sample[i]
            )

            for p in range(n_neg_samples):  # noqa: B007 (verbatim)
                k = tau_rand_int(rng_state_per_sample[j]) % n_vertices

                other = tail_embedding[k]

                dist_squared = rdist(current, other)

                if dist_squared > 0.0:
                    grad_coeff = 2.0 * gamma * b
                    grad_coeff /= (0.001 + dist_squared) * (
                        a * pow(dist_squared, b) + 1
                    )
                elif j == k:
                    continue
                else:
                    grad_coeff = 0.0

                for d in range(dim):
                    if grad_coeff > 0.0:
                        grad_d = clip(grad_coeff * (current[d] - other[d]))
                    else:
                        grad_d = 0
                    current[d] += grad_d * alpha

            epoch_of_next_negative_sample[i] += (
                n_neg_samples * epochs_per_negative_sample[i]
            )


def _named_copy(func: Any, name: str) -> Any:
    """``func`` under another name. Numba files its disk cache by the function's qualified name
    and not by compile flags, so a serial and a parallel build of one function would load each
    other's machine code (a seeded layout would then run in parallel, not reproducibly)."""
    copy = types.FunctionType(
        func.__code__, func.__globals__, name, func.__defaults__, func.__closure__
    )
    copy.__qualname__ = name
    copy.__doc__ = func.__doc__
    return copy


_epoch_serial = numba.njit(
    _named_copy(_optimize_layout_euclidean_single_epoch, "_epoch_serial"),
    fastmath=True,
    parallel=False,
    cache=True,
)
_epoch_parallel = numba.njit(
    _named_copy(_optimize_layout_euclidean_single_epoch, "_epoch_parallel"),
    fastmath=True,
    parallel=True,
    cache=True,
)


#: umap-learn passes ``np.zeros(1, dtype=np.float32)`` for each densMAP array it does not use
#: (read-only: the epoch reads them only with densMAP on).
_NO_DENS = np.zeros(1, dtype=np.float32)


def optimize_layout_euclidean(
    head_embedding: np.ndarray,
    tail_embedding: np.ndarray,
    head: np.ndarray,
    tail: np.ndarray,
    n_epochs: int,
    n_vertices: int,
    epochs_per_sample: np.ndarray,
    a: float,
    b: float,
    rng_state: np.ndarray,
    gamma: float = 1.0,
    initial_alpha: float = 1.0,
    negative_sample_rate: float = 5.0,
    parallel: bool = False,
    move_other: bool = False,
) -> np.ndarray:
    """umap-learn's ``layouts.optimize_layout_euclidean`` (no densMAP), ``head_embedding``
    changed in place: a fit passes one array as head and tail and ``move_other=True``, a
    ``transform`` the fixed fitted layout as tail."""
    dim = head_embedding.shape[1]
    alpha = initial_alpha
    epochs_per_negative_sample = epochs_per_sample / negative_sample_rate
    epoch_of_next_negative_sample = epochs_per_negative_sample.copy()
    epoch_of_next_sample = epochs_per_sample.copy()
    epoch = _epoch_parallel if parallel else _epoch_serial
    rng_state_per_sample = np.full(
        (head_embedding.shape[0], len(rng_state)), rng_state, dtype=np.int64
    ) + head_embedding[:, 0].astype(np.float64).view(np.int64).reshape(-1, 1)
    for n in range(n_epochs):
        epoch(
            head_embedding,
            tail_embedding,
            head,
            tail,
            n_vertices,
            epochs_per_sample,
            a,
            b,
            rng_state_per_sample,
            gamma,
            dim,
            move_other,
            alpha,
            epochs_per_negative_sample,
            epoch_of_next_negative_sample,
            epoch_of_next_sample,
            n,
            False,  # densmap_flag, and umap-learn's placeholders of its densMAP arrays
            _NO_DENS,
            _NO_DENS,
            0,
            0,
            0,
            0,
            _NO_DENS,
            _NO_DENS,
            0,
        )
        alpha = initial_alpha * (1.0 - (float(n) / float(n_epochs)))
    return head_embedding


def _spectral_layout(graph: Any, dim: int, random_state: np.random.RandomState) -> np.ndarray:
    """umap-learn's ``spectral._spectral_layout`` of a connected graph (eigsh, init "random":
    it draws its start block from ``random_state`` although eigsh starts from ones)."""
    sqrt_deg = np.sqrt(np.asarray(graph.sum(axis=0)).squeeze())
    identity = scipy.sparse.identity(graph.shape[0], dtype=np.float64)
    d = scipy.sparse.spdiags(1.0 / sqrt_deg, 0, graph.shape[0], graph.shape[0])
    laplacian = identity - d * graph * d
    k = dim + 1
    num_lanczos_vectors = max(2 * k + 1, int(np.sqrt(graph.shape[0])))
    random_state.normal(size=(laplacian.shape[0], k))  # umap-learn draws it: keep the stream
    eigenvalues, eigenvectors = scipy.sparse.linalg.eigsh(
        laplacian,
        k,
        which="SM",
        ncv=num_lanczos_vectors,
        tol=1e-4,
        v0=np.ones(laplacian.shape[0]),
        maxiter=graph.shape[0] * 5,
    )
    order = np.argsort(eigenvalues)[1:k]
    return eigenvectors[:, order]


def find_ab_params(spread, min_dist):
    """umap-learn's ``umap_.find_ab_params``: the curve ``1 / (1 + a x^2b)`` closest to an offset
    exponential decay. Fitted, never tabled: the fit's last bits depend on the machine (values
    tabled on one machine differed from another's by 1e-10, enough to change a layout), and it
    takes under a millisecond."""

    def curve(x, a, b):
        return 1.0 / (1.0 + a * x ** (2 * b))

    xv = np.linspace(0, spread * 3, 300)
    yv = np.zeros(xv.shape)
    yv[xv < min_dist] = 1.0
    yv[xv >= min_dist] = np.exp(-(xv[xv >= min_dist] - min_dist) / spread)
    params, covar = curve_fit(curve, xv, yv)
    return params[0], params[1]


@functools.lru_cache(maxsize=32)
def ab_params(min_dist: float) -> tuple[float, float]:
    """``find_ab_params(1.0, min_dist)`` (umap-learn's default spread), once per process."""
    return find_ab_params(1.0, float(min_dist))


def make_epochs_per_sample(weights: np.ndarray, n_epochs: int) -> np.ndarray:
    """umap-learn's ``make_epochs_per_sample``."""
    result = -1.0 * np.ones(weights.shape[0], dtype=np.float64)
    n_samples = n_epochs * (weights / weights.max())
    result[n_samples > 0] = float(n_epochs) / np.float64(n_samples[n_samples > 0])
    return result


def fit(
    knn_indices: np.ndarray,
    knn_dists: np.ndarray,
    *,
    n_components: int,
    n_epochs: int,
    min_dist: float,
    metric: str,
    init: str,
    seed: int | None,
) -> np.ndarray | None:
    """``UMAP(n_neighbors=k, ..., precomputed_knn=(knn_indices, knn_dists, None),
    random_state=seed).fit_transform(X)`` of umap-learn 0.5.12, or None where that would run code
    this module does not hold (then call umap-learn).

    ``knn_indices`` (n, k) lists each row first among its own neighbours at distance 0, as
    umap-learn's graphs do. ``seed=None`` runs the epochs in parallel on umap-learn's unseeded
    stream (numpy's global random state), as umap-learn does.
    """
    n, k = knn_indices.shape
    if n < PRECOMPUTED_MIN_ROWS or init not in INITS:
        return None
    if (knn_dists >= DISCONNECTION_DISTANCES.get(metric, np.inf)).any():
        return None  # umap-learn drops those edges first; not copied here
    random_state = np.random.mtrand._rand if seed is None else np.random.RandomState(seed)
    graph = fuzzy_simplicial_set(knn_indices, knn_dists, k).tocoo()
    graph.sum_duplicates()
    if n_epochs > 10:
        graph.data[graph.data < (graph.data.max() / float(n_epochs))] = 0.0
    else:
        graph.data[graph.data < (graph.data.max() / (500.0 if n <= 10_000 else 200.0))] = 0.0
    graph.eliminate_zeros()
    if init == "spectral":
        pieces, _ = scipy.sparse.csgraph.connected_components(graph)
        if pieces > 1:
            return None  # umap-learn's multi-component layout needs scikit-learn
        embedding = _spectral_layout(graph, n_components, random_state)
        expansion = 10.0 / np.abs(embedding).max()
        embedding = (embedding * expansion).astype(np.float32)
        embedding = embedding + random_state.normal(
            scale=0.0001, size=embedding.shape
        ).astype(np.float32)
    else:
        embedding = random_state.uniform(low=-10.0, high=10.0, size=(n, n_components)).astype(
            np.float32
        )
    epochs_per_sample = make_epochs_per_sample(graph.data, n_epochs)
    rng_state = random_state.randint(INT32_MIN, INT32_MAX, 3).astype(np.int64)
    embedding = (
        10.0 * (embedding - np.min(embedding, 0)) / (np.max(embedding, 0) - np.min(embedding, 0))
    ).astype(np.float32, order="C")
    a, b = ab_params(min_dist)
    return optimize_layout_euclidean(
        embedding, embedding, graph.row, graph.col, n_epochs, n, epochs_per_sample, a, b,
        rng_state, parallel=seed is None, move_other=True,
    )  # fmt: skip
