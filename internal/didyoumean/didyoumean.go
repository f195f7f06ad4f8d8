package didyoumean

import (
	"fmt"
	"strings"
)

// Suggest returns the candidate closest to given (case-insensitively), or
// "" when none is close enough to be a likely typo. Earlier candidates win
// ties, so callers list the most likely ones first. A candidate equal to
// given is never suggested.
func Suggest(given string, candidates []string) string {
	// Long inputs are not typos of short keywords, and the distance is
	// quadratic: do not let hostile input make it expensive.
	if given == "" || len(given) > 128 {
		return ""
	}
	g := strings.ToLower(given)
	best, bestDist := "", 3 // a distance below 3 is a likely typo (hcl's threshold)
	for _, c := range candidates {
		if c == given {
			continue
		}
		d := Distance(g, strings.ToLower(c))
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// Sentence is [Suggest] as a sentence to append to a message
// (` Did you mean "SELECT"?`), or "".
func Sentence(given string, candidates []string) string {
	if s := Suggest(given, candidates); s != "" {
		return fmt.Sprintf(" Did you mean %q?", s)
	}
	return ""
}

// Distance is the Levenshtein edit distance between a and b, counted in
// runes.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
