role "web" {
  grant "tablespace" {
    schema     = "public"
    privileges = ["CREATE"]
  }
  grant "language" {
    schema     = "public"
    privileges = ["USAGE"]
  }
}
