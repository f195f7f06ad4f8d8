role "web" {
  grant "column" {
    privileges = ["SELECT"]
  }
  grant "columns" {
    privileges = ["SELECT"]
  }
  grant "fdw" {
    privileges = ["USAGE"]
  }
  grant "languages" {
    privileges = ["USAGE"]
  }
}
