// Package test checks the Helm chart in ../pgward with Helm's own code,
// pinned in this module's go.mod: the chart linter that helm lint runs,
// and the values, schema validation and template engine that helm
// template runs. Every rendered manifest is decoded strictly into the
// Kubernetes API types, so a misspelt field fails.
//
// It is a module of its own so that the main module's go.mod does not take
// Helm's and Kubernetes' dependencies. It holds tests only and must not be
// imported.
package test
