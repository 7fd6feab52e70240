package deeptucker

import (
	"fmt"
	"time"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// maxExplicitStepsPerCall caps Training.StepsPerCall: beyond it the graph, and its compile time, grow for
// no measurable gain.
const maxExplicitStepsPerCall = 64

// maxStepsPerCall caps how many training steps one compiled call unrolls when Training.StepsPerCall is 0. A
// call costs a fixed overhead (launch, argument and buffer handling) that dominates small models; unrolling
// amortises it, while the graph, and XLA's compile time, grow with every step unrolled.
const maxStepsPerCall = 16

// A call of a large step unrolls fewer steps: above largeStepFLOPs of work a step, over a group's runs
// (Model.StepFLOPs times the runs), at most maxLargeStepsPerCall. Measured on 2 CPUs with xla:cpu, one 50^3
// model of depth 3 with the full core (129.5 MFLOP a step), alternating in one process: 8 steps a call ran
// 0.99-1.42x the model-steps/s of 16 (20 pairs, median 1.14x), 4 steps level with 8 or a little behind;
// one with a 10^3 core (13 MFLOP) level at 8 and 16; 256 runs of a 10^3 model of depth 3 (82 MFLOP, split
// over 4 host devices) 16,308 against 13,309 model-steps/s, 64 of them (20 MFLOP) and one level; below the
// bound 16 stays, for the short calls' fixed cost. Why 16 loses above it is XLA's doing: its program for 16
// full-core steps holds 57 MB of buffers against 47 MB for 8 (the CPU's cache is 32 MB), and it recomputes
// earlier steps' Adam moments in later ones.
const (
	largeStepFLOPs       = 64_000_000
	maxLargeStepsPerCall = 8
)

// unrollAfter is how many steps of the budget each unrolled step must serve: XLA compiles a graph of k steps
// in about k times a step's compile time (0.3-0.4 s per step for a depth-3 10x10x10 model on a 2-core
// machine), against a saving of the order of 0.1 ms per step executed, so a short Fit stays at one step per
// call and only long ones unroll (16 steps from 65,536 steps on). A variable so that tests can unroll short
// Fits.
var unrollAfter = 4096

// stepsPerCall is how many steps each call of the training loop runs: the largest divisor of recordEvery
// that is at most maxStepsPerCall (maxLargeStepsPerCall for a step of more than largeStepFLOPs) and
// steps/unrollAfter, so every record falls on a call boundary and the compile time stays small against the
// training.
func stepsPerCall(recordEvery, steps int, stepFLOPs int64) int {
	limit := min(maxStepsPerCall, steps/unrollAfter, recordEvery)
	if stepFLOPs > largeStepFLOPs {
		limit = min(limit, maxLargeStepsPerCall)
	}
	for k := limit; k > 1; k-- {
		if recordEvery%k == 0 {
			return k
		}
	}
	return 1
}

// AutoStepsPerCall is how many training steps each compiled call runs when Training.StepsPerCall is 0, for
// a Fit of runs runs of model (one group: runs Fit trains together) over steps steps recording every
// recordEvery (see TrainingBuilder.StepsPerCall).
func AutoStepsPerCall(model *Model, runs, recordEvery, steps int) int {
	return stepsPerCall(recordEvery, steps, model.StepFLOPs().Total()*int64(runs))
}

// stepsGraph unrolls k training steps in one graph: each builds the objective from the variables' current
// values (the previous step's updates) and applies the optimizer, whose SetValueGraph updates chain into
// the next step, as do the optimizers' step counters and perRunStep's freeze and divergence bookkeeping.
// batches, for mini-batch training, stacks the k steps' weights, [M, k, d_1..d_N] (model axis first, for
// sharding); nil for full batch.
func (s *session) stepsGraph(ctx *context.Context, g *Graph, opt optimizers.Interface, k int, batches *Node) {
	ctx.SetTraining(g, true)
	trainer := ctx.InAbsPath(train.TrainerAbsoluteScope)
	for i := range k {
		var weights, count *Node
		if batches != nil {
			weights = Squeeze(Slice(batches, AxisRange(), AxisElem(i)), 1)
			count = sumPerModel(weights)
		} else {
			weights, count = s.trainMask.ValueGraph(g), s.trainCount.ValueGraph(g)
		}
		s.lastObjective = s.objectiveGraph(g, weights, count, true)
		// The step's loss, as GoMLX's trainer would hold it after train.AddLoss in a fresh graph: the
		// objective alone. A term added with train.AddLoss behind Fit's back shows in train.GetLosses,
		// which checkLoss refuses.
		trainer.SetGraphParam(g, train.TrainerLossGraphParamKey, s.lastObjective.total)
		opt.UpdateGraph(ctx, g, s.lastObjective.total)
	}
	s.checkRestoredState(g)
}

// stepExec returns the call that runs k steps (compiled on first use).
func (s *session) stepExec(opt optimizers.Interface, k int) (*context.Exec, error) {
	if s.plan != nil {
		return s.shardedStepExec(opt, k)
	}
	if s.miniBatch() {
		return context.NewExec(s.backend, s.ctx, func(ctx *context.Context, batches *Node) {
			s.stepsGraph(ctx, batches.Graph(), opt, k, batches)
		})
	}
	return context.NewExec(s.backend, s.ctx, func(ctx *context.Context, g *Graph) {
		s.stepsGraph(ctx, g, opt, k, nil)
	})
}

// stackedBatches draws the next k mini-batches, [M, k, d_1..d_N].
func (s *session) stackedBatches(mb *miniBatches, k int) *tensors.Tensor {
	size := prod(s.model.Shape)
	step := make([]float64, s.numRuns*size)
	weights := make([]float64, s.numRuns*k*size)
	for j := range k {
		clear(step)
		mb.next(step)
		for i := range s.numRuns {
			copy(weights[(i*k+j)*size:(i*k+j+1)*size], step[i*size:(i+1)*size])
		}
	}
	return toTensor(s.dtype, weights, s.batchDims(k)...)
}

// batchDims is the shape of k stacked mini-batches.
func (s *session) batchDims(k int) []int { return append([]int{s.numRuns, k}, s.model.Shape...) }

// run executes one call, with the stacked mini-batches (nil for full batch).
func (s *session) run(exec *context.Exec, batch *tensors.Tensor) error {
	if s.plan != nil {
		return s.runSharded(exec, batch)
	}
	var args []any
	if batch != nil {
		args = append(args, batch)
	}
	_, err := exec.Exec(args...)
	return err
}

// fit trains the group: calls of k steps between records (single steps where a record or the budget's end
// is not a multiple of k away), with no host transfer between records: a run's divergence and freezing
// live on the device (perRunStep) and are read at records.
func (s *session) fit() (*Result, error) {
	start := time.Now()
	var err error
	s.diagnostics, err = context.NewExec(s.backend, s.ctx, s.diagnosticsGraph)
	if err != nil {
		return nil, err
	}
	moving, err := s.record(s.startStep)
	if err != nil {
		return nil, err
	}
	opt := s.optimizer()
	every := s.training.RecordEvery
	k := s.training.StepsPerCall
	if k == 0 {
		k = AutoStepsPerCall(s.model, s.numRuns, every, s.training.Steps)
	}
	if d := shardDevices(s.backend, s.numRuns); d > 1 {
		if err := s.prepareSharding(opt, d); err != nil {
			return nil, err
		}
	}
	execs := map[int]*context.Exec{}
	var mb *miniBatches
	if s.miniBatch() {
		mb = newMiniBatches(s)
	}
	var durations []time.Duration // of the k-step calls
	last := s.startStep + s.training.Steps
	step := s.startStep // steps done
	// With no run moving from the start (every one diverged or converged), there is nothing to train.
	for moving && step < last {
		next := min((step/every+1)*every, last)
		for step < next {
			n := k
			if next-step < k {
				n = 1
			}
			exec := execs[n]
			if exec == nil {
				if exec, err = s.stepExec(opt, n); err != nil {
					return nil, err
				}
				execs[n] = exec
			}
			var batch *tensors.Tensor
			if mb != nil {
				batch = s.stackedBatches(mb, n)
			}
			t0 := time.Now()
			if err := s.run(exec, batch); err != nil {
				return nil, fmt.Errorf("deeptucker: training failed at step %d: %w", step+1, err)
			}
			if n == k {
				durations = append(durations, time.Since(t0))
			}
			step += n
		}
		if moving, err = s.record(step); err != nil {
			return nil, err
		}
	}
	stepsPerSecond := 0.0
	if d := medianDuration(durations); d > 0 {
		stepsPerSecond = float64(k) / d.Seconds()
	}
	return s.result(step, time.Since(start), stepsPerSecond, k)
}
