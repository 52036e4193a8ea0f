"""Cost of retrieval-augmented generation (RAG) at a site: embed, search, fetch.

A RAG request first turns its query into a vector (an encoder forward pass),
then finds the nearest stored vectors in an index, then reads the text of the
``top_k`` chunks they point to and adds it to the prompt. Each step is a
roofline (:func:`genai_edge.compute.roofline_time`) on the site's hardware:

- :func:`flat_search_time` — exhaustive (flat) search reads every stored
  vector once per batch of queries: memory-bound at small batches [1]_;
- :func:`ivf_search_time` — an inverted file (IVF) reads the ``nlist``
  centroids and ``nprobe`` of the ``nlist`` lists [2]_;
- :func:`retrieval_breakdown`, :func:`retrieval_time` — embed + search +
  fetch for a catalog hardware id;
- :func:`retrieval_energy_j` — power × time at the accelerator, and at the
  server or facility boundary;
- :func:`index_staleness_s`, :func:`index_staleness_max_s` — age of the
  newest indexed information for an index rebuilt periodically.

Graph indexes (HNSW [3]_) are not modelled: their cost is a chain of
dependent random memory accesses whose number depends on the graph and the
recall target, so the memory bandwidth alone does not fix it.

:data:`DEFAULTS` holds the sizes of a typical RAG deployment, each with its
source. Units are SI: times [s], sizes [byte], bandwidth [byte s^-1],
throughput [FLOP s^-1].

References
----------
.. [1] J. Johnson, M. Douze and H. Jégou, "Billion-scale similarity search
   with GPUs," IEEE Trans. Big Data 7(3), 2021 (FAISS).
   doi:10.1109/TBDATA.2019.2921572, arXiv:1702.08734
.. [2] H. Jégou, M. Douze and C. Schmid, "Product quantization for nearest
   neighbor search," IEEE TPAMI 33(1), 2011. doi:10.1109/TPAMI.2010.57
.. [3] Y. A. Malkov and D. A. Yashunin, "Efficient and robust approximate
   nearest neighbor search using hierarchical navigable small world graphs,"
   IEEE TPAMI 42(4), 2020. arXiv:1603.09320
.. [4] P. Lewis et al., "Retrieval-augmented generation for
   knowledge-intensive NLP tasks," NeurIPS 2020. arXiv:2005.11401
.. [5] S. Kaul, R. Yates and M. Gruteser, "Real-time status: how often should
   one update?," IEEE INFOCOM 2012. doi:10.1109/INFCOM.2012.6195689
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import _validate as v
from . import catalog, compute, energy, power

__all__ = ["DEFAULTS", "INDEXES", "flat_search_time", "ivf_search_time", "default_nlist",
           "RetrievalTime", "retrieval_breakdown", "retrieval_time", "retrieval_energy_j",
           "index_staleness_s", "index_staleness_max_s"]

INDEXES = ("flat", "ivf")
"""Index kinds :func:`retrieval_time` models."""

DEFAULTS = {
    # BAAI/bge-base-en-v1.5 and intfloat/e5-base-v2 model cards: 768-dimensional embeddings
    # (bge-small-en-v1.5 and sentence-transformers/all-MiniLM-L6-v2: 384). [-]
    "dim": 768,
    # bge-base is a BERT-base encoder (12 layers, d_model 768): 110M parameters, Devlin et al.,
    # "BERT," NAACL 2019, arXiv:1810.04805, Sec. 3 (bge-small-en-v1.5: 33M, its model card). [-]
    "encoder_params": 110e6,
    # ASSUMPTION: a user question of about 25 words at ~1.3 tokens per word. [token]
    "query_tokens": 32,
    # Lewis et al. 2020 [4] retrieve k = 5 or 10 passages per query; 5 here. [-]
    "top_k": 5,
    # RAG [4] uses the DPR index of 100-word Wikipedia passages (Karpukhin et al., EMNLP 2020,
    # arXiv:2004.04906); ASSUMPTION ~1.3 tokens per word gives ~130, rounded to 128. [token]
    "chunk_tokens": 128,
    # ASSUMPTION: about 4 characters of English text per token (one UTF-8 byte each). [byte]
    "text_bytes_per_token": 4,
    # FAISS IndexFlat and IndexIVFFlat store float32 vectors [1]; 1 for int8 scalar quantization. [byte]
    "bytes_per_element": 4,
    # FAISS wiki "Guidelines to choose an index": IVF with 4·sqrt(N) to 16·sqrt(N) lists;
    # the lower end here (see default_nlist). [-]
    "nlist_per_sqrt_vectors": 4,
    # ASSUMPTION: lists probed per query (FAISS default is 1, at low recall; tens are typical). [-]
    "nprobe": 16,
}
"""Sizes of a typical RAG deployment, each with its source or marked ASSUMPTION."""


def _nonnegative_broadcast(**named):
    return v.broadcast(*((k, v.nonnegative(x, k)) for k, x in named.items()))


def flat_search_time(vectors, dim, bytes_per_element, memory_bandwidth, bandwidth_efficiency=1.0,
                     queries=1, peak_flops=math.inf, compute_efficiency=1.0):
    """Time of an exhaustive (flat) inner-product or L2 search.

    Every stored vector is read once per batch of queries and multiplied with
    each query: a matrix product of 2·N·d·q FLOP over N·d·b bytes, limited
    by memory traffic for small batches (arithmetic intensity 2q/b FLOP per
    byte) and by compute for large ones [1]_.

    Parameters
    ----------
    vectors : array_like
        Stored vectors N. [-]
    dim : array_like
        Embedding dimension d. [-]
    bytes_per_element : array_like
        Storage per vector component b (4 float32, 2 float16, 1 int8), > 0. [byte]
    memory_bandwidth : array_like
        Peak memory bandwidth W of the device holding the index, > 0. [byte s^-1]
    bandwidth_efficiency : array_like, default 1
        Achieved fraction of ``memory_bandwidth``, in (0, 1]. [-]
    queries : array_like, default 1
        Queries searched together q (the stored vectors are read once for all). [-]
    peak_flops : array_like, default inf
        Peak throughput P of the unit computing the products; inf ignores
        compute, which is right for a few queries. [FLOP s^-1]
    compute_efficiency : array_like, default 1
        Achieved fraction of ``peak_flops``, in (0, 1]. [-]

    Returns
    -------
    float or ndarray
        max(N·d·b/(W·η_W), 2·N·d·q/(P·η_F)) for the batch. [s]

    Notes
    -----
    The top-k selection and the writing of the N·q scores are left out: for a
    single query they add N·4 bytes, 1/d of the scan at float32.

    Examples
    --------
    One million 768-dimensional float32 vectors on a 2 TB/s GPU:

    >>> round(flat_search_time(1e6, 768, 4, 2e12) * 1e3, 3)
    1.536
    """
    n, d, q = _nonnegative_broadcast(vectors=vectors, dim=dim, queries=queries)
    b = v.positive(bytes_per_element, "bytes_per_element", allow_inf=False)
    flops = 2.0 * n * d * q
    return compute.roofline_time(flops, n * d * b, peak_flops, memory_bandwidth,
                                 compute_efficiency, bandwidth_efficiency)


def ivf_search_time(vectors, dim, bytes_per_element, nlist, nprobe, memory_bandwidth, bandwidth_efficiency=1.0,
                    centroid_bytes_per_element=4):
    """Time of one query on an inverted-file (IVF) index.

    The query is compared with the ``nlist`` centroids (the coarse quantizer,
    a flat search), then with every vector in the ``nprobe`` nearest lists
    [2]_. With lists of equal size (N/nlist vectors each) the bytes read are
    nlist·d·b_c + nprobe·(N/nlist)·d·b, at the achieved bandwidth.

    Parameters
    ----------
    vectors : array_like
        Stored vectors N. [-]
    dim : array_like
        Embedding dimension d. [-]
    bytes_per_element : array_like
        Storage per component of the listed vectors b (4 for IVF-Flat,
        1 for 8-bit scalar quantization), > 0. [byte]
    nlist : array_like
        Lists (centroids), a whole number ≥ 1. [-]
    nprobe : array_like
        Lists scanned per query, a whole number in [1, nlist]. [-]
    memory_bandwidth : array_like
        Peak memory bandwidth W, > 0. [byte s^-1]
    bandwidth_efficiency : array_like, default 1
        Achieved fraction of ``memory_bandwidth``, in (0, 1]. [-]
    centroid_bytes_per_element : array_like, default 4
        Storage per centroid component b_c (FAISS keeps float32 centroids). [byte]

    Returns
    -------
    float or ndarray
        (nlist·d·b_c + nprobe/nlist·N·d·b)/(W·η_W). [s]

    Notes
    -----
    Real lists are unequal (k-means cells hold different numbers of
    vectors); the queries land more often in the larger ones, so the scanned
    share exceeds nprobe/nlist on skewed data.

    Examples
    --------
    >>> round(ivf_search_time(1e6, 768, 4, 4000, 16, 2e12) * 1e6, 2)
    12.29
    """
    n, d = _nonnegative_broadcast(vectors=vectors, dim=dim)
    b = v.positive(bytes_per_element, "bytes_per_element", allow_inf=False)
    bc = v.positive(centroid_bytes_per_element, "centroid_bytes_per_element", allow_inf=False)
    k = v.integer(nlist, "nlist", minimum=1)
    p = v.integer(nprobe, "nprobe", minimum=1)
    k, p = v.broadcast(("nlist", k), ("nprobe", p))
    if (p > k).any():
        raise ValueError(f"nprobe must be <= nlist (lists scanned out of the lists there are), "
                         f"got nprobe {v.show(p[p > k])} for nlist {v.show(k[p > k])}")
    bytes_read = k * d * bc + p / k * n * d * b
    return compute.roofline_time(0.0, bytes_read, math.inf, memory_bandwidth, 1.0, bandwidth_efficiency)


def default_nlist(vectors):
    """IVF lists for N vectors: 4·sqrt(N), at least 1 (FAISS guideline, :data:`DEFAULTS`). [-]"""
    n = v.nonnegative(vectors, "vectors", allow_inf=False)
    return v.scalar_or_array(np.maximum(1.0, np.round(DEFAULTS["nlist_per_sqrt_vectors"] * np.sqrt(n))))


@dataclass(frozen=True)
class RetrievalTime:
    """Time of the retrieval steps of one RAG request [s]."""
    embed_s: float | np.ndarray    # encoder forward over the query tokens
    search_s: float | np.ndarray   # index search
    fetch_s: float | np.ndarray    # reading the top-k chunks' text

    @property
    def total_s(self):
        """embed + search + fetch, run one after the other. [s]"""
        return self.embed_s + self.search_s + self.fetch_s


def retrieval_breakdown(query_tokens, encoder_params, vectors, dim, hardware, index="ivf", nlist=None,
                        nprobe=None, bytes_per_element=None, precision="fp16", top_k=None, chunk_tokens=None,
                        compute_efficiency=None, bandwidth_efficiency=None) -> RetrievalTime:
    """Time to embed a query, search the index and fetch the chunks on a catalog device.

    - embed: an encoder of ``encoder_params`` parameters over the query,
      2·params·tokens FLOP over its weights' bytes (a roofline;
      attention, a few percent for short queries, is left out; the token
      embedding table, about a fifth of a BERT-base encoder, is counted as
      if it were read and multiplied in full, an overestimate);
    - search: :func:`flat_search_time` or :func:`ivf_search_time` for one query;
    - fetch: top_k·chunk_tokens·:data:`DEFAULTS` ``text_bytes_per_token``
      bytes read from the device's memory.

    The index, the encoder and the chunks are assumed resident in the
    device's memory (no disk or network reads).

    Parameters
    ----------
    query_tokens : array_like
        Tokens of the query. [token]
    encoder_params : array_like
        Parameters of the embedding model. [-]
    vectors : array_like
        Vectors in the index. [-]
    dim : array_like
        Embedding dimension. [-]
    hardware : str or catalog.Accelerator
        Device running encoder and search (``genai-edge catalog hardware``).
    index : {'ivf', 'flat'}, default 'ivf'
        Index kind.
    nlist : array_like, optional
        IVF lists; default :func:`default_nlist`. [-]
    nprobe : array_like, optional
        IVF lists scanned; default :data:`DEFAULTS` ``nprobe``, at most nlist. [-]
    bytes_per_element : array_like, optional
        Storage per vector component; default :data:`DEFAULTS` (float32). [byte]
    precision : str, default 'fp16'
        Catalog precision of the encoder (weight bytes and compute unit).
    top_k : array_like, optional
        Chunks fetched; default :data:`DEFAULTS`. [-]
    chunk_tokens : array_like, optional
        Tokens per chunk; default :data:`DEFAULTS`. [token]
    compute_efficiency, bandwidth_efficiency : array_like, optional
        Achieved fractions of peak throughput and bandwidth; default the
        calibrated factors of the device's group
        (:func:`genai_edge.compute.efficiency_factors`, fitted on LLM
        inference, ASSUMPTION: transferable to encoders and scans). [-]

    Returns
    -------
    RetrievalTime
        The three steps; ``total_s`` their sum. [s]
    """
    if index not in INDEXES:
        raise ValueError(f"index must be one of {', '.join(INDEXES)}, got {index!r}")
    hw = catalog.hardware(hardware)
    prec = catalog.precision(precision)
    factors = compute.efficiency_factors("default", hw.device_class)
    eta_f = factors.compute_efficiency if compute_efficiency is None else compute_efficiency
    eta_w = factors.bandwidth_efficiency if bandwidth_efficiency is None else bandwidth_efficiency
    b = DEFAULTS["bytes_per_element"] if bytes_per_element is None else bytes_per_element
    k = DEFAULTS["top_k"] if top_k is None else top_k
    c = DEFAULTS["chunk_tokens"] if chunk_tokens is None else chunk_tokens
    tokens = v.nonnegative(query_tokens, "query_tokens")
    params = v.nonnegative(encoder_params, "encoder_params")
    embed = compute.roofline_time(2.0 * params * tokens, params * prec.bits_per_weight / 8.0,
                                  hw.peak(prec.compute_peak), hw.memory_bandwidth, eta_f, eta_w)
    if index == "flat":
        search = flat_search_time(vectors, dim, b, hw.memory_bandwidth, eta_w)
    else:
        lists = default_nlist(vectors) if nlist is None else nlist
        probes = np.minimum(DEFAULTS["nprobe"], lists) if nprobe is None else nprobe
        search = ivf_search_time(vectors, dim, b, lists, probes, hw.memory_bandwidth, eta_w)
    k = v.nonnegative(k, "top_k")
    c = v.nonnegative(c, "chunk_tokens")
    fetch = compute.roofline_time(0.0, k * c * DEFAULTS["text_bytes_per_token"], math.inf, hw.memory_bandwidth,
                                  1.0, eta_w)
    return RetrievalTime(embed_s=embed, search_s=search, fetch_s=fetch)


def retrieval_time(query_tokens, encoder_params, vectors, dim, hardware, index="ivf", nlist=None, nprobe=None,
                   bytes_per_element=None, precision="fp16", top_k=None, chunk_tokens=None,
                   compute_efficiency=None, bandwidth_efficiency=None):
    """Retrieval time of one RAG request: embed + search + fetch. [s]

    Same arguments as :func:`retrieval_breakdown`, which gives the steps.

    Examples
    --------
    A bge-base encoder and an IVF index of one million 768-dimensional
    vectors on an H100 take well under a millisecond:

    >>> t = retrieval_time(32, 110e6, 1e6, 768, "h100-sxm5-80gb")
    >>> 0 < t < 1e-3
    True
    """
    return v.scalar_or_array(retrieval_breakdown(
        query_tokens, encoder_params, vectors, dim, hardware, index=index, nlist=nlist, nprobe=nprobe,
        bytes_per_element=bytes_per_element, precision=precision, top_k=top_k, chunk_tokens=chunk_tokens,
        compute_efficiency=compute_efficiency, bandwidth_efficiency=bandwidth_efficiency).total_s)


def retrieval_energy_j(time_s, hardware, bandwidth_utilization=None, flop_utilization=0.0, boundary="gpu",
                       pue=None):
    """Energy of retrieval work lasting ``time_s`` on a catalog device.

    Power is the project's fitted law (:func:`genai_edge.power.device_power`)
    at the utilizations of the work; ASSUMPTION: the law, fitted on LLM
    inference, holds for a memory-bound scan, which streams memory like an
    LLM decode step. The server and facility boundaries are
    :func:`genai_edge.energy.boundary_energy`.

    Parameters
    ----------
    time_s : array_like
        Duration of the work (e.g. :func:`retrieval_time`). [s]
    hardware : str or catalog.Accelerator
        Device doing the work.
    bandwidth_utilization : array_like, optional
        Share of the memory bandwidth in use; default the device group's
        calibrated bandwidth efficiency (a scan keeps memory as busy as it
        can). [-]
    flop_utilization : array_like, default 0
        Share of the matrix peak in use (≈ 0 for a search). [-]
    boundary : str, default 'gpu'
        ``gpu``, ``server`` or ``facility`` for server hardware; ``gpu`` or
        ``device`` for whole devices (:data:`genai_edge.energy.BOUNDARIES`).
    pue : array_like, optional
        Facility PUE (``facility`` only). [-]

    Returns
    -------
    float or ndarray
        Energy at the boundary. [J]

    Examples
    --------
    >>> 0 < retrieval_energy_j(1e-3, "h100-sxm5-80gb") < 0.7
    True
    """
    t = v.nonnegative(time_s, "time_s", allow_inf=False)
    hw = catalog.hardware(hardware)
    if bandwidth_utilization is None:
        bandwidth_utilization = compute.efficiency_factors("default", hw.device_class).bandwidth_efficiency
    p = power.device_power(hw, flop_utilization, bandwidth_utilization)
    return energy.boundary_energy(np.asarray(p) * t, boundary, hw.device_class, pue)


def index_staleness_s(refresh_interval_s, ingest_delay_s=0.0):
    """Mean age of the newest indexed information seen by a request. [s]

    An index rebuilt every T seconds, each rebuild holding what was known
    D seconds before it finished, is D old just after a rebuild and D + T
    just before the next: a sawtooth. Requests arriving at times independent
    of the rebuilds (uniform over a cycle, as Poisson arrivals are, by
    PASTA) see its time average, T/2 + D [5]_.

    Parameters
    ----------
    refresh_interval_s : array_like
        Time between rebuilds T. [s]
    ingest_delay_s : array_like, default 0
        Delay D from a fact appearing to it being searchable (crawl,
        embedding, index build). [s]

    Returns
    -------
    float or ndarray
        T/2 + D. [s]

    Examples
    --------
    A daily rebuild that takes an hour:

    >>> index_staleness_s(86400, 3600) / 3600
    13.0
    """
    t, d = _nonnegative_broadcast(refresh_interval_s=refresh_interval_s, ingest_delay_s=ingest_delay_s)
    return v.scalar_or_array(0.5 * t + d)


def index_staleness_max_s(refresh_interval_s, ingest_delay_s=0.0):
    """Worst-case age of the newest indexed information: T + D, just before a rebuild lands. [s]

    Parameters
    ----------
    refresh_interval_s : array_like
        Time between rebuilds T. [s]
    ingest_delay_s : array_like, default 0
        Delay D from a fact appearing to it being searchable. [s]
    """
    t, d = _nonnegative_broadcast(refresh_interval_s=refresh_interval_s, ingest_delay_s=ingest_delay_s)
    return v.scalar_or_array(t + d)
