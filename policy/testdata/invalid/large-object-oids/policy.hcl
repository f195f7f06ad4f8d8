role "web" {
  grant "large_object" {
    names      = ["lo_avatar", "0", "4294967296", "164*", ""]
    privileges = ["SELECT"]
  }
}
