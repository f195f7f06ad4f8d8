package didyoumean

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Suggest returns the candidate closest to given (case-insensitively), or
// "" when none is close enough to be a likely typo: at most 2 edits (hcl's
// threshold), and at most one per three letters of given, so that a short
// name is not "corrected" into another short name ("web" is not a typo of
// "bob"). Earlier candidates win ties, so callers list the most likely ones
// first. A candidate equal to given is never suggested.
func Suggest(given string, candidates []string) string {
	// Long inputs are not typos of short keywords, and the distance is
	// quadratic: do not let hostile input make it expensive.
	if given == "" || len(given) > 128 {
		return ""
	}
	g := strings.ToLower(given)
	limit := min(2, max(1, utf8.RuneCountInString(given)/3))
	best, bestDist := "", limit+1
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

// Distance is the edit distance between a and b, counted in runes: the
// insertions, deletions, substitutions and transpositions of two adjacent
// runes ("wbe" is one edit from "web") that turn a into b (the optimal
// string alignment distance).
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1) // row i-2, for transpositions
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
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
