"""Planning and generation stay near-linear: the planner's indexed first-fit and live-bytes sweep give
the same answers as the direct definitions, and weights that share one buffer are emitted once."""
import gc
import random
import time

import numpy as np

from micro_runtime.codegen import generate
from tflite_patch.graph import Graph, Op, Quantization, Tensor, load_tflite, save_tflite, schema
from tflite_patch.occupancy import Occupancy
from tflite_patch.planner import (Buffer, Segment, _align, _first_fit, arena_buffers, check_plan, live_bytes_per_op,
                                  plan_arena)


def test_place_finds_the_lowest_aligned_offset_meeting_no_placed_segment():
    rng = random.Random(0)
    for _ in range(1000):
        n_ops, alignment, longest = rng.randint(1, 40), rng.choice([1, 4, 16]), rng.randint(1, 40)
        windows = []
        for _ in range(rng.randint(1, 33)):  # lifetimes of at most `longest` ops
            first = rng.randrange(n_ops)
            windows.append((first, rng.randrange(first, min(first + longest, n_ops))))
        occupancy, placed = Occupancy(windows), []
        for first, last in windows[3:]:
            lo = rng.randint(0, 300)
            hi = lo + rng.randint(1, 40)
            occupancy.add(first, last, lo, hi)
            placed.append((first, last, lo, hi))
        segments = [(first, last, rng.randint(0, 20), rng.randint(1, 50)) for first, last in windows[:3]]

        def free(o):
            return all(not (f <= last and first <= l and o + rel < hi and lo < o + rel + size)
                       for first, last, rel, size in segments for f, l, lo, hi in placed)
        assert occupancy.place(segments, alignment) == next(o for o in range(0, 10**4, alignment) if free(o))


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


def _q(scale):
    return Quantization(np.array([scale], np.float32), np.array([0], np.int64))


def chain(n, width=16):
    """n QUANTIZE ops one after the other."""
    tensors = [Tensor("x", (1, width), "int8", _q(0.05))]
    ops = []
    for i in range(n):
        tensors.append(Tensor(f"t{i}", (1, width), "int8", _q(0.05 if i % 2 else 0.04)))
        ops.append(Op("QUANTIZE", [i], [i + 1], {}, None, 1))
    return Graph(tensors, ops, [0], [n], "main")


def wide(n, width=8):
    """n QUANTIZE branches of one input, all live until one CONCATENATION joins them."""
    tensors = [Tensor("x", (1, width), "int8", _q(0.05))]
    tensors += [Tensor(f"b{i}", (1, width), "int8", _q(0.05 + 0.001 * (i % 7))) for i in range(n)]
    tensors.append(Tensor("y", (1, width * n), "int8", _q(0.05)))
    ops = [Op("QUANTIZE", [0], [i + 1], {}, None, 1) for i in range(n)]
    ops.append(Op("CONCATENATION", list(range(1, n + 1)), [n + 1], {"axis": -1, "fusedActivationFunction": 0},
                  "ConcatenationOptions", 1))
    return Graph(tensors, ops, [0], [n + 1], "main")


def test_check_plan_refuses_exactly_the_plans_where_two_buffers_share_live_bytes():
    rng = random.Random(2)
    for graph in [wide(12), chain(30)] * 100:
        plan = plan_arena(graph, alignment=4, inplace=False)
        for t in rng.sample(sorted(plan.offsets), rng.randint(0, 2)):  # move some, staying inside the arena
            plan.offsets[t] = 4 * rng.randrange((plan.arena_bytes - graph.tensors[t].nbytes) // 4 + 1)
        spans = [(s.first, s.last, plan.offsets[s.tensor], plan.offsets[s.tensor] + s.size)
                 for b in arena_buffers(graph) for s in b.segments]
        overlap = any(f1 <= l2 and f2 <= l1 and s1 < e2 and s2 < e1
                      for i, (f1, l1, s1, e1) in enumerate(spans) for f2, l2, s2, e2 in spans[i + 1:])
        try:
            check_plan(graph, plan)
            refused = False
        except AssertionError:
            refused = True
        assert refused == overlap


def generation_seconds(graph):
    """CPU seconds of `generate` (other jobs on the machine do not count), the best of two runs, with
    Python's collector off: in a long test process its full collections scan every object earlier tests
    left (TensorFlow's too), a cost that grows with the run's allocations but is not the generator's."""
    data = save_tflite(graph)
    best = float("inf")
    for _ in range(2):
        gc.collect()
        gc.disable()
        try:
            start = time.process_time()
            generate(data, "m")
            best = min(best, time.process_time() - start)
        finally:
            gc.enable()
    return best


def test_generation_time_grows_near_linearly_on_chains_and_wide_graphs():
    """4x the ops costs less than 8x the time: a planner or proof that visits every live buffer for each
    one (quadratic on the wide graph: all branches live at the concatenation) costs 16x."""
    for build, n in ((wide, 300), (chain, 1000)):
        small, large = generation_seconds(build(n)), generation_seconds(build(4 * n))
        assert large < 8 * small, f"{build.__name__}: {n} ops {small:.2f} s, {4 * n} ops {large:.2f} s"


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
