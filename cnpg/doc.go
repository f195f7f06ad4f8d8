// Package cnpg reads the roles a CloudNativePG Cluster manifest manages
// (spec.managed.roles) and compares them with the external roles of a
// policy, for pgward validate --cnpg-cluster and pgward import
// --cnpg-cluster.
//
// [Load] and [Parse] read a manifest file, which may hold several YAML
// documents; documents that are not a postgresql.cnpg.io Cluster are
// skipped. Every role keeps the file:line:col of each field written, and
// the defaults CloudNativePG applies (inherit true, connectionLimit -1, the
// other attributes false, ensure present) are filled in for fields left
// out. A malformed role (an unknown field, a value of the wrong type) is an
// error diagnostic with its position.
//
// [Compare] reports, as diagnostics on the policy's positions with the
// manifest's position in the detail, where a policy and the manifests
// disagree: an attribute or a membership of an external role, a role the
// manifest manages that the policy manages too (two tools would fight), an
// external role the manifest removes (ensure: absent).
//
// The package reads files and nothing else: no database, no Kubernetes API.
// It never reads or prints a password: passwordSecret names a Secret, which
// is not opened.
package cnpg
