role "web" {
  grant "table" {
    privileges = ["SELCT", "INSERT"]
  }
}
