"""JAX reference of the deep Tucker training step, for `make bench` (deeptucker/cmd/benchcompare).

The step is the one deeptucker.Fit takes with Adam and a full batch, in float64:

    W = G x_1 V(1) ... x_N V(N),   column r of V(n) = A_1^{n,r} ... A_k^{n,r} w_r^n
    loss = sum(mask * (W - target)^2) / count                (per model)
    Adam as GoMLX writes it: m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2,
    p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)  (eps added to sqrt(v_hat))

one model written plainly, batched over M models with jax.vmap, jitted; gradients by jax.grad.

The harness starts this file as a server: one JSON request per line on stdin, one JSON answer per line on
stdout. A problem is a directory written by the harness: manifest.json and .npy files holding the stacked
initial parameters [M, ...], target, mask and count of every model.

    {"op": "losses", "dir": D, "steps": k}   -> {"losses": [[M floats] x (k+1)]}: the loss before step 1..k
                                                and after step k, from the initial parameters
    {"op": "time", "dir": D, "steps": n, "warmup": w}
                                             -> {"seconds": s}: n steps timed after w untimed ones (compile
                                                included there), the loop a JAX user writes (no host sync
                                                per step)
    {"op": "flops", "dir": D}                -> {"flops_per_model_step": f}: XLA's cost analysis of the
                                                compiled batched step, divided by M
    {"op": "version"}                        -> {"jax": ..., "jaxlib": ..., "devices": [...]}
"""

import json
import os
import sys
import time

import jax

# DEEPTUCKER_REF_PJRT_PLUGIN names a PJRT plugin file (the XLA CPU plugin our xla:cpu backend runs) to run this
# reference on instead of jaxlib's own XLA: the same step, the same XLA build as ours, so that a difference
# between the two JAX columns is the XLA build's, not the code's. register_plugin is JAX's (private) hook for it.
_plugin = os.environ.get("DEEPTUCKER_REF_PJRT_PLUGIN")
if _plugin:
    from jax._src import xla_bridge

    # One host device, as jaxlib's CPU client has and as deeptucker.Fit opens the plugin for a batch it does not
    # split: the plugin's default of 4 runs more worker threads than a machine with fewer CPUs has.
    xla_bridge.register_plugin("deeptucker_plugin", priority=500, library_path=_plugin, options={"cpu_device_count": 1})
    jax.config.update("jax_platforms", "deeptucker_plugin")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402  (after enabling float64)
import numpy as np  # noqa: E402


def columns(w, a_list):
    """Columns of V(n) as rows, [r, d]: v_r = A_1 ... A_k w_r, applied from A_k."""
    v = w
    for a in reversed(a_list):
        v = jnp.einsum("rpq,rq->rp", a, v)
    return v


def reconstruct(core, cols):
    """W = G x_1 V(1) ... x_N V(N); cols[n] is [r_n, d_n] or None for a mode of depth 0."""
    x = core
    for v in cols:
        if v is None:
            x = jnp.moveaxis(x, 0, -1)
        else:
            x = jnp.tensordot(x, v, axes=([0], [0]))  # contracts r_n, appends d_n last
    return x


def loss_fn(params, target, mask, count):
    core, ws, a_lists = params
    cols = [None if w is None else columns(w, a) for w, a in zip(ws, a_lists)]
    w_full = reconstruct(core, cols)
    return jnp.sum(mask * (w_full - target) ** 2) / count


def make_step(lr, b1, b2, eps):
    def step(params, m, v, t, target, mask, count):
        loss, g = jax.value_and_grad(loss_fn)(params, target, mask, count)
        t = t + 1.0
        m = jax.tree.map(lambda m_, g_: b1 * m_ + (1.0 - b1) * g_, m, g)
        v = jax.tree.map(lambda v_, g_: b2 * v_ + (1.0 - b2) * g_ * g_, v, g)
        c1 = 1.0 / (1.0 - b1**t)
        c2 = 1.0 / (1.0 - b2**t)
        params = jax.tree.map(lambda p, m_, v_: p - lr * (m_ * c1) / (jnp.sqrt(v_ * c2) + eps), params, m, v)
        return params, m, v, t, loss

    # params, m, v batched over models; the step count t shared.
    batched = jax.vmap(step, in_axes=(0, 0, 0, None, 0, 0, 0), out_axes=(0, 0, 0, None, 0))
    return batched


class Problem:
    def __init__(self, directory):
        with open(os.path.join(directory, "manifest.json")) as f:
            man = json.load(f)
        load = lambda name: jnp.asarray(np.load(os.path.join(directory, name)))  # noqa: E731
        self.models = man["models"]
        core = load(man["core"])
        ws = [None if f is None else load(f) for f in man["w"]]
        a_lists = [[load(f) for f in fs] for fs in man["a"]]
        self.params0 = (core, ws, a_lists)
        self.target, self.mask, self.count = load(man["target"]), load(man["mask"]), load(man["count"])
        opt = man["adam"]
        self.step = jax.jit(make_step(opt["lr"], opt["beta1"], opt["beta2"], opt["eps"]), donate_argnums=(0, 1, 2))
        self.loss = jax.jit(jax.vmap(loss_fn))

    def start(self):
        params = jax.tree.map(jnp.array, self.params0)  # fresh copies: the step donates its inputs
        zeros = lambda: jax.tree.map(jnp.zeros_like, self.params0)  # noqa: E731
        return params, zeros(), zeros(), jnp.asarray(0.0, dtype=jnp.float64)

    def losses(self, steps):
        params, m, v, t = self.start()
        out = []
        for _ in range(steps):
            params, m, v, t, loss = self.step(params, m, v, t, self.target, self.mask, self.count)
            out.append(np.asarray(loss).tolist())
        out.append(np.asarray(self.loss(params, self.target, self.mask, self.count)).tolist())
        return out

    def time(self, steps, warmup):
        params, m, v, t = self.start()
        for _ in range(max(warmup, 1)):
            params, m, v, t, _ = self.step(params, m, v, t, self.target, self.mask, self.count)
        jax.block_until_ready(params)
        start = time.perf_counter()
        for _ in range(steps):
            params, m, v, t, _ = self.step(params, m, v, t, self.target, self.mask, self.count)
        jax.block_until_ready(params)
        return time.perf_counter() - start

    def flops(self):
        params, m, v, t = self.start()
        compiled = self.step.lower(params, m, v, t, self.target, self.mask, self.count).compile()
        cost = compiled.cost_analysis()
        if isinstance(cost, (list, tuple)):  # older JAX: one dict per computation
            cost = cost[0]
        return float(cost["flops"]) / self.models


def main():
    problems = {}
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            op = req["op"]
            if op == "version":
                import jaxlib

                devices = [str(d) for d in jax.devices()]
                if _plugin:
                    devices = ["%s on %s" % (devices[0], os.path.basename(_plugin))]
                ans = {"jax": jax.__version__, "jaxlib": jaxlib.__version__, "devices": devices}
            else:
                d = req["dir"]
                if d not in problems:
                    problems[d] = Problem(d)
                p = problems[d]
                if op == "losses":
                    ans = {"losses": p.losses(int(req["steps"]))}
                elif op == "time":
                    ans = {"seconds": p.time(int(req["steps"]), int(req.get("warmup", 3)))}
                elif op == "flops":
                    ans = {"flops_per_model_step": p.flops()}
                else:
                    ans = {"error": "unknown op %r" % op}
        except Exception as e:  # the harness reports it; the server keeps serving
            ans = {"error": "%s: %s" % (type(e).__name__, e)}
        sys.stdout.write(json.dumps(ans) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
