"""Planning and generation stay near-linear: the planner's indexed first-fit and live-bytes sweep give
the same answers as the direct definitions, and weights that share one buffer are emitted once."""
import random

import numpy as np

from micro_runtime.codegen import generate
from tflite_patch.graph import Graph, Op, Quantization, Tensor, load_tflite, save_tflite, schema
from tflite_patch.planner import Buffer, Segment, _align, _first_fit, _lowest_free, live_bytes_per_op


def test_lowest_free_is_the_first_candidate_outside_every_interval():
    rng = random.Random(0)
    for _ in range(2000):
        alignment = rng.choice([1, 4, 16])
        forbidden = [(lo, lo + rng.randint(1, 60)) for lo in (rng.randint(-50, 200) for _ in range(rng.randint(0, 12)))]
        candidates = sorted({0} | {_align(max(hi, 0), alignment) for _, hi in forbidden})
        expected = next(o for o in candidates if all(not (lo < o < hi) for lo, hi in forbidden))
        assert _lowest_free(forbidden, alignment) == expected


def _random_buffers(rng, n_ops):
    buffers = []
    for _ in range(rng.randint(1, 25)):
        segs = []
        for _ in range(rng.randint(1, 4)):
            first = rng.randrange(n_ops)
            segs.append(Segment(first, rng.randrange(first, n_ops), rng.randint(1, 100), 4 * rng.randint(0, 10)))
        buffers.append(Buffer(tensors=[], segments=segs))
    return buffers


def test_first_fit_places_without_overlap_and_live_bytes_match_their_definition():
    rng = random.Random(1)
    for _ in range(300):
        n_ops = rng.randint(1, 12)
        buffers = _random_buffers(rng, n_ops)
        offsets, top = _first_fit(buffers, 4)
        for bi, (b, o) in enumerate(zip(buffers, offsets)):  # no overlap with an earlier buffer
            for s in b.segments:
                lo, hi = o + s.rel, o + s.rel + _align(s.size, 4)
                assert hi <= top and lo >= 0
                for bj in range(bi):
                    for t in buffers[bj].segments:
                        lo2 = offsets[bj] + t.rel
                        hi2 = lo2 + _align(t.size, 4)
                        if t.first <= s.last and s.first <= t.last:
                            assert hi <= lo2 or hi2 <= lo
        graph = Graph(tensors=[], ops=[Op("ADD", [], []) for _ in range(n_ops)], inputs=[], outputs=[])
        assert live_bytes_per_op(graph, buffers) == [sum(b.bytes_at(i) for b in buffers) for i in range(n_ops)]


def test_weights_sharing_one_buffer_are_emitted_once():
    """50 FULLY_CONNECTED layers whose 64 kB weight tensors all point at one buffer of the .tflite."""
    k, n = 256, 50
    rng = np.random.default_rng(0)
    act = Quantization(np.array([0.05], np.float32), np.array([0], np.int64))
    wq = Quantization(np.array([0.01], np.float32), np.array([0], np.int64))
    tensors, ops = [Tensor("x", (1, k), "int8", act)], []
    for i in range(n):
        tensors.append(Tensor(f"w{i}", (k, k), "int8", wq, data=rng.integers(-127, 128, (k, k), dtype=np.int8)))
        tensors.append(Tensor(f"y{i}", (1, k), "int8", act))
        ops.append(Op("FULLY_CONNECTED", [0 if i == 0 else len(tensors) - 3, len(tensors) - 2, -1],
                      [len(tensors) - 1], {"fusedActivationFunction": 0}, "FullyConnectedOptions", 9))
    model = schema().ModelT.InitFromObj(schema().Model.GetRootAs(
        save_tflite(Graph(tensors, ops, [0], [len(tensors) - 1], "main")), 0))
    weights = [t for t in model.subgraphs[0].tensors if t.name.decode().startswith("w")]
    for t in weights[1:]:
        model.buffers[t.buffer].data = None
        t.buffer = weights[0].buffer
    import flatbuffers
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    data = bytes(builder.Output())
    graph = load_tflite(data)
    assert all(graph.tensors[op.inputs[1]].data is graph.tensors[ops[0].inputs[1]].data for op in graph.ops)
    source = generate(data, "m").files["m.c"]
    assert source.count(f"[{k * k}] =") == 1  # one 64 kB array, not 50
