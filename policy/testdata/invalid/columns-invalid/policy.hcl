role "web" {
  grant "table" {
    columns    = []
    privileges = ["SELECT"]
  }
  grant "table" {
    columns    = ["*", "ééééééééééééééééééééééééééééééééé"]
    privileges = ["SELECT"]
  }
  grant "sequence" {
    columns    = ["id"]
    privileges = ["SELECT"]
  }
}
