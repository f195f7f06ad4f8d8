role "web" {
  grant "database" {
    names      = ["app"]
    privileges = ["CONNECT"]
  }
}
