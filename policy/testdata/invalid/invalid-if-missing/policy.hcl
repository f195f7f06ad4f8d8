role "web" {
  if_missing = "skp"
}
