package datasets

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// Second words of the PCG sources: one stream per use, so that the same seed given to
// SplitMask, COVIDSample and Synthetic draws independent numbers.
const (
	seedStreamMask       = 0x6d61736b // "mask"
	seedStreamCOVID      = 0x636f7664 // "covd"
	seedStreamCOVIDClass = 0x636c6173 // "clas"
	seedStreamSynthetic  = 0x73796e74 // "synt"
)

// Observed fractions of the real-data protocols (see the package documentation, Masks).
const (
	// ObservedLiteral is the paper's real-data sentence read literally: "70% of missing data",
	// so 30% of the entries observed.
	ObservedLiteral = 0.3
	// ObservedMatching is 70% observed, 30% held out: the split of the paper's synthetic
	// experiments and of the authors' public script, of which the real-data sentence is
	// plausibly the inverse.
	ObservedMatching = 0.7
)

// SplitMask splits the entries marked in present into a training mask (the paper's observed set
// Omega) and a held-out mask (the entries to complete). Exactly round(observedFraction * P) of
// the P present entries are observed, drawn uniformly without replacement with a PCG source
// seeded by seed; held-out = present minus train. Entries absent from present are in neither.
//
// The paper observes 70% of the synthetic tensor (observedFraction 0.7); for the real ones see
// ObservedLiteral and ObservedMatching. It returns an error if observedFraction is not in (0, 1), present is empty, or
// the rounding leaves either mask empty.
func SplitMask(present *multilinear.Mask, observedFraction float64, seed uint64) (train, heldOut *multilinear.Mask, err error) {
	if present == nil || len(present.Observed) == 0 {
		return nil, nil, fmt.Errorf("datasets: SplitMask needs a mask of present entries, got none")
	}
	// A hand-built mask whose entries do not fill its shape would give masks of the wrong length,
	// which fail (or mislead) only later, in training.
	size, err := multilinear.Entries(present.Shape) // checked: a product that wrapped around could match
	if err != nil || size != len(present.Observed) {
		return nil, nil, fmt.Errorf("datasets: SplitMask: the present mask has shape %v but %d entries; build it with multilinear.NewMask(shape...)",
			present.Shape, len(present.Observed))
	}
	if !(observedFraction > 0 && observedFraction < 1) {
		return nil, nil, fmt.Errorf("datasets: SplitMask: observed fraction %v must be in (0, 1)", observedFraction)
	}
	var idx []int
	for i, ok := range present.Observed {
		if ok {
			idx = append(idx, i)
		}
	}
	k := int(math.Round(observedFraction * float64(len(idx))))
	if k == 0 || k == len(idx) {
		return nil, nil, fmt.Errorf("datasets: SplitMask: observing %v of %d present entries gives %d observed and %d held out; both must be at least 1",
			observedFraction, len(idx), k, len(idx)-k)
	}
	// Partial Fisher-Yates: the first k of idx become a uniform random k-subset.
	rng := rand.New(rand.NewPCG(seed, seedStreamMask))
	for i := range k {
		j := i + rng.IntN(len(idx)-i)
		idx[i], idx[j] = idx[j], idx[i]
	}
	train = &multilinear.Mask{Shape: append([]int(nil), present.Shape...), Observed: make([]bool, len(present.Observed))}
	for _, i := range idx[:k] {
		train.Observed[i] = true
	}
	heldOut = present.Clone()
	for i, ok := range train.Observed {
		if ok {
			heldOut.Observed[i] = false
		}
	}
	return train, heldOut, nil
}

// Split is SplitMask on t's Present mask: missing entries are neither observed nor held out.
func (t *Tensor) Split(observedFraction float64, seed uint64) (train, heldOut *multilinear.Mask, err error) {
	// NaN written into Data by hand (an outlier marked as never measured) leaves Present saying the
	// entry is there: split, it would feed NaN to training or scoring.
	if err := t.Validate(); err != nil {
		return nil, nil, fmt.Errorf("datasets: Split: %w", err)
	}
	train, heldOut, err = SplitMask(t.Present, observedFraction, seed)
	if err != nil {
		return nil, nil, fmt.Errorf("%w (tensor %q)", err, t.Name)
	}
	return train, heldOut, nil
}
