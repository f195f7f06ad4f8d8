role "web" {
  grant "table" {
    privileges = []
  }
}
