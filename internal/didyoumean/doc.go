// Package didyoumean suggests the name a user probably meant: [Suggest]
// picks, among the names that exist, the one closest to a name that does
// not (an edit distance below 3, as hcl's didyoumean). The policy loader
// uses it for keywords and declared names, plan, explain and import for
// names read from the database. It holds no opinion about what a name is.
package didyoumean
