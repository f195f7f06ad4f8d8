role "web" {
  grant "tabel" {
    privileges = ["SELECT"]
  }
  grant "view" {
    privileges = ["SELECT"]
  }
}
