package introspect

// ObjectsQuery exposes the objects query to the tests of package
// introspect_test (BenchmarkRead's -introspect.explain).
func ObjectsQuery(serverVersion int) string { return objectsQuery(serverVersion) }
