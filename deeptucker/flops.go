package deeptucker

// StepFLOPs counts the floating-point operations of one run's training step as Fit builds it (closed-form
// gradients, full batch, Adam): 2 per multiply-add of a contraction, 1 per element-wise operation. With d_n
// the data's sizes, r_n the core's, k_n = D_n − 1 the matrices A per column, P = Π d_n, and
// X(S) the size of a tensor of dims S:
//
//	forward   factor chains       Σ_n k_n · 2 r_n d_n²                 (v ← A v per column and layer)
//	          W = G ×_1 V(1)···   Σ_n 2 r_n · X(d_1..d_n, r_{n+1}..r_N) (mode products in order, r_n → d_n)
//	          loss and ∂L/∂W      7 P                                  (W−A, ·mask, ·2, ·1/|Ω|, ·(W−A), ·1/|Ω|, Σ)
//	backward  per mode n, last to first: ∂L/∂V(n) (S_{n+1} with T_n) and S_n = S_{n+1} ×_n V(n)^T, each
//	                      2 r_n · X(d_1..d_n, r_{n+1}..r_N), the size of forward mode product n; S_0 = ∂L/∂G
//	                      per layer i      r_n d_n² (∂L/∂A_i = g ⊗ u) + 2 r_n d_n² (g ← A_iᵀ g)
//	Adam      per parameter       14     (m: 3, m̂: 1, v: 4, v̂: 1, √, +ε, ·lr, ÷, p−: 5)
//
// This follows gradients.go as of this commit (the backward pass walks the modes back through the forward
// pass's partial products T_n, as reverse-mode differentiation does): when the step changes (fusing Adam,
// say), change the count with it. Reductions over a contraction's result and the scalar
// work of the step (bias corrections, the step counter) are left out; they do not grow with the model.
type StepFLOPs struct {
	Forward, Loss, Backward, Adam int64
}

// Total is the step's whole count.
func (f StepFLOPs) Total() int64 { return f.Forward + f.Loss + f.Backward + f.Adam }

// StepFLOPs returns the count for one run of m. Fit uses it to size a call's work (AutoStepsPerCall, SyncStepFLOPs);
// `make bench` prints it beside XLA's count for JAX's step.
func (m *Model) StepFLOPs() StepFLOPs {
	var f StepFLOPs
	N := len(m.Shape)
	d, r := m.Shape, m.CoreShape
	P := int64(prod(d))
	// modeProducts applies the mode products from mode `from` on to a tensor of dims start, mode by mode in
	// order, skipping mode skip, each turning dims[n] into to[n] at a cost of 2·from·(size after the product).
	modeProducts := func(start, to []int, skip, first int) int64 {
		dims := append([]int(nil), start...)
		var c int64
		for n := first; n < N; n++ {
			if n == skip || m.Depths[n] == 0 {
				continue
			}
			from := dims[n]
			dims[n] = to[n]
			c += 2 * int64(from) * int64(prod(dims))
		}
		return c
	}
	params := int64(prod(r))
	for n := range N {
		if m.Depths[n] == 0 {
			continue
		}
		k := int64(m.Depths[n] - 1)
		rd2 := int64(r[n]) * int64(d[n]) * int64(d[n])
		f.Forward += k * 2 * rd2
		f.Backward += k * 3 * rd2
		params += int64(r[n]*d[n]) + k*rd2
	}
	products := modeProducts(r, d, -1, 0)
	f.Forward += products
	f.Loss = 7 * P
	f.Backward += 2 * products
	f.Adam = 14 * params
	return f
}
