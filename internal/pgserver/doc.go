// Package pgserver starts throwaway PostgreSQL servers: the sandbox of
// `pgward plan --schema` and `pgward diff`, the test harness (internal/testkit/pgtest)
// and `make demo` build on it.
//
// It owns getting a server and a superuser on it: [Start] connects to one
// named by URL, or creates a cluster with the local initdb and pg_ctl (as an
// unprivileged user when running as root) in a temporary directory, or runs
// a container through Options.Container ([RunDocker] drives the docker
// command). [Server.Stop] removes what Start created. With
// Options.CacheDir, a local cluster starts from a copy of a data
// directory initdb made before, kept per installation (cache.go): the
// cache is written whole or not at all, checked when read, and never
// makes Start fail.
//
// It must not import other pgward packages, must hold no package-level
// state, and must not link a Docker client library: the CLI imports it, and
// every pgward command would pay for that library's initialisation.
package pgserver
