package deeptucker

import "testing"

// The FLOP count, by hand from the formula of Model.StepFLOPs, for two of `make bench`'s models.
func TestStepFLOPsByHand(t *testing.T) {
	for _, tc := range []struct {
		shape, core []int
		want        StepFLOPs
	}{
		// 10^3 depth 3, full core. d = r = 10, k = 2: chains 3·2·2·10·100; W 3·2·10·1000; loss 7·1000; per mode
		// ∂V(n) and S_n, 2·10·1000 each; layers 3·2·3·1000; Adam 14·(1000 + 3·(100 + 2·1000)).
		{[]int{10, 10, 10}, nil, StepFLOPs{Forward: 12_000 + 60_000, Loss: 7_000, Backward: 3*(20_000+20_000) + 18_000, Adam: 14 * 7_300}},
		// 50^3 depth 3, core 10. d = 50, r = 10, k = 2: chains 3·2·2·10·2500; W 2·10·(5000 + 25000 + 125000);
		// loss 7·125000; per mode ∂V(n) and S_n, each the forward product's 2·10·(5000, 25000, 125000); layers
		// 3·2·3·25000; Adam 14·(1000 + 3·(500 + 2·25000)).
		{[]int{50, 50, 50}, []int{10, 10, 10}, StepFLOPs{Forward: 300_000 + 3_100_000, Loss: 875_000,
			Backward: 2*(100_000+500_000+2_500_000) + 450_000, Adam: 14 * 152_500}},
	} {
		b := NewModel(tc.shape...).Depth(3)
		if tc.core != nil {
			b.CoreShape(tc.core...)
		}
		m, err := b.Done()
		if err != nil {
			t.Fatal(err)
		}
		if got := m.StepFLOPs(); got != tc.want {
			t.Errorf("%v core %v: StepFLOPs = %+v, want %+v", tc.shape, tc.core, got, tc.want)
		}
		if got := m.StepFLOPs().Total(); got != tc.want.Forward+tc.want.Loss+tc.want.Backward+tc.want.Adam {
			t.Errorf("Total = %d", got)
		}
	}
}
