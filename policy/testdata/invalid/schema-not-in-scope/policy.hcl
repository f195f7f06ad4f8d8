scope {
  schemas = ["app"]
}

role "web" {
  grant "table" {
    schema     = "ap"
    privileges = ["SELECT"]
  }
}
