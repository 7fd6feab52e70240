package multilinear

import "strconv"

// FormatRank writes a multilinear rank as the paper does: (3,4,3).
func FormatRank(rank []int) string {
	s := "("
	for i, r := range rank {
		if i > 0 {
			s += ","
		}
		s += strconv.Itoa(r)
	}
	return s + ")"
}
