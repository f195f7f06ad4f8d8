role "bob" {
  external = true
  deny {
    kinds      = ["table"]
    privileges = ["INSERT", "UPDATE", "DELETE", "TRUNCATE"]
  }
  grant "table" {
    privileges = ["SELECT"]
  }
}
