role "web" {
  login = true
}
