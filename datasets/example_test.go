package datasets_test

import (
	"fmt"
	"log"
	"math"

	"github.com/deeptucker/deeptucker/datasets"
	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// The paper's synthetic setting: a (10,10,10) tensor of multilinear rank (3,3,3) with 70% of
// its entries observed.
func ExampleSynthetic() {
	w, err := datasets.Synthetic(datasets.SyntheticOptions{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	train, heldOut, err := w.Split(0.7, 1)
	if err != nil {
		log.Fatal(err)
	}
	rank, _ := multilinear.MultilinearRank(w.Tensor, 1e-10)
	fmt.Println(w)
	fmt.Printf("multilinear rank %v, norm %.3f\n", rank, w.Norm())
	fmt.Printf("observed %d, held out %d\n", train.Count(), heldOut.Count())
	// Output:
	// synthetic [10 10 10] rank [3 3 3] (paper recipe, seed 1): 10 mode 0 x 10 mode 1 x 10 mode 2, 0 missing of 1000
	// multilinear rank [3 3 3], norm 1.000
	// observed 700, held out 300
}

// The authors' own recipe, at another shape and rank.
func ExampleSynthetic_authors() {
	w, err := datasets.Synthetic(datasets.SyntheticOptions{
		Shape:  []int{6, 7, 8},
		Rank:   []int{2, 3, 4},
		Recipe: datasets.RecipeAuthors,
		Seed:   3,
	})
	if err != nil {
		log.Fatal(err)
	}
	rank, _ := multilinear.MultilinearRank(w.Tensor, 1e-9)
	fmt.Println(w.Shape, rank)
	// Output:
	// [6 7 8] [2 3 4]
}

// A missing entry is in neither the training nor the held-out mask.
func ExampleSplitMask() {
	present := multilinear.NewMask(2, 5)
	present.Observed[3] = false // say the source holds NaN there
	train, heldOut, err := datasets.SplitMask(present, 0.3, 7)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(train.Count(), heldOut.Count(), train.Observed[3], heldOut.Observed[3])
	// Output:
	// 3 6 false false
}

// The IL-2 tensor and our reading of the paper's (11, 4, 12) subset. It needs the data files:
// set DEEPTUCKER_DATA_DIR, or let LoadIL2 download them into the user cache.
func ExampleIL2Subset() {
	il2, err := datasets.LoadIL2()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(il2) // IL-2: 13 ligands x 4 times x 12 doses x 8 cells, 192 missing of 4992
	treg, err := datasets.IL2Subset(il2, 1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(treg) // IL-2 Treg: 11 ligands x 4 times x 12 doses, 0 missing of 528
	train, heldOut, err := treg.Split(0.3, 1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(train.Count(), heldOut.Count()) // 158 370
}

// Ten seeded COVID-19 samples, our reading of the paper's (10, 6, 11).
func ExampleCOVIDSample() {
	covid, err := datasets.LoadCOVID19()
	if err != nil {
		log.Fatal(err)
	}
	sub, err := datasets.COVIDSample(covid, 10, 1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sub.Shape, sub.Labels[0]) // [10 6 11] and the severity of each sample drawn
}

// A user's own measurements: NaN marks entries never measured, which Split leaves out of both
// masks.
func ExampleFromSlice() {
	nan := math.NaN()
	values := []float64{
		0.9, 0.1, nan,
		0.4, nan, 0.7,
	}
	d, err := datasets.FromSlice(values, []int{2, 3}, datasets.Meta{
		Name:      "assay",
		ModeNames: []string{"donors", "markers"},
		Labels:    [][]string{{"donor A", "donor B"}, {"CD4", "CD8", "NK"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	train, heldOut, err := d.Split(0.5, 1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d)
	fmt.Println("observed", train.Count(), "held out", heldOut.Count())
	// Output:
	// assay: 2 donors x 3 markers, 2 missing of 6
	// observed 2 held out 2
}

// Train on the observed entries at norm 1, without reading the held-out ones.
func ExampleScale() {
	d, err := datasets.FromSlice([]float64{3, 0, 0, 4}, []int{2, 2}, datasets.Meta{Name: "tiny"})
	if err != nil {
		log.Fatal(err)
	}
	train := &multilinear.Mask{Shape: []int{2, 2}, Observed: []bool{true, false, false, true}}
	scaled, div, err := datasets.Scale(d, train, datasets.ScaleNorm1)
	if err != nil {
		log.Fatal(err)
	}
	// Observed: 3 and 4, half of the entries: sqrt((9 + 16) / 0.5) = 7.07.
	fmt.Printf("divided by %.2f: %.3f\n", div, scaled.Data)
	// Output:
	// divided by 7.07: [0.424 0.000 0.000 0.566]
}

// The readings of the paper's (11, 4, 12) and (10, 6, 11) subsets. They need the data files.
func ExampleIL2MeanOverCells() {
	il2, err := datasets.LoadIL2()
	if err != nil {
		log.Fatal(err)
	}
	mean, err := datasets.IL2MeanOverCells(il2)
	if err != nil {
		log.Fatal(err)
	}
	covid, err := datasets.LoadCOVID19()
	if err != nil {
		log.Fatal(err)
	}
	severe, err := datasets.COVIDClassSample(covid, "Severe", 10, 1)
	if err != nil {
		log.Fatal(err)
	}
	first, err := datasets.COVIDFirst(covid, 10)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(mean.Key, severe.Key, first.Key) // il2/mean-cells covid19/class=Severe/n=10/seed=1 covid19/first/n=10
}
