role "web" {
  deny {
    kinds      = []
    privileges = ["CREATE"]
  }
  deny {
    kinds      = ["tabel", "columns"]
    privileges = ["INSERT"]
  }
  deny {
    kinds      = ["table", "sequence"]
    privileges = ["EXECUTE", "INSERT"]
  }
  deny {
    kinds      = ["database", "table", "tablespace"]
    schema     = "public"
    privileges = ["CREATE"]
  }
  deny {
    schema     = "public"
    privileges = ["CONNECT"]
  }
  deny {
    kinds      = ["table"]
    names      = []
    privileges = ["ALL", "SELECT"]
  }
  deny {
    kinds = ["table"]
  }
  deny {
    privileges = ["CRATE"]
    except     = ["x"]
  }
}
