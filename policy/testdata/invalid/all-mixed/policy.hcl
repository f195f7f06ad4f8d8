role "web" {
  grant "table" {
    privileges = ["SELECT", "ALL"]
  }
}
