role "web" {
  grant "function" {
    names      = ["lookup(integer", "f(numeric(10,2))", "g(integer, )"]
    privileges = ["EXECUTE"]
  }
}
